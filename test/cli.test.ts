import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { COMMANDS } from '../src/cli-options.js';
import { runCli } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('reel CLI conventions', () => {
  it('prints its version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists exactly the declared commands in --help, in order, each with its arguments', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const listed = r.stdout
      .split(/^Commands:\n/m)[1]!
      .split('\n')
      .filter((line) => /^ {2}\S/.test(line))
      .map((line) => line.trim().split(/ {2,}/)[0]!.replace(' [options]', ''));
    const declared = COMMANDS.map((spec) => [spec.name, ...('args' in spec ? spec.args : [])].join(' '));
    expect(listed).toEqual([...declared, 'help [command]']);
  });

  it('exits 2 on an unknown option, naming it, without a stack trace', async () => {
    const r = await runCli(['plan', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['deploy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'deploy'/);
  });

  it('rejects a malformed number with exit 2', async () => {
    const r = await runCli(['build', '--concurrency', 'ten']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected a whole number');
  });
});
