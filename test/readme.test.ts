import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli-options.js';
// @ts-expect-error plain ESM script without types
import { END, START, commandsTable } from '../scripts/commands-table.mjs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every command and flag exactly as src/cli-options.ts declares them (run `npm run docs`)', () => {
    const block = readme.slice(readme.indexOf(START as string), readme.indexOf(END as string) + (END as string).length);
    expect(block).toBe((commandsTable as (c: typeof COMMANDS) => string)(COMMANDS));
  });

  it('keeps the quick start to three commands: build the examples against the emulator, see them in the studio, npm test', () => {
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 5));
    const commands = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'));
    expect(commands).toEqual(['npm ci && npx reel build --emulator', 'npx reel studio --emulator --open', 'npm test']);
  });
});
