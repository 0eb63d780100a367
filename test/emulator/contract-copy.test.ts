// The emulator ships a copy of the contract (src/emulator/contract/schemas.json) and the tests a
// copy of its examples; shared/heygen-v3 sits beside the repository (as on developer machines and
// CI) and the copies must not drift from it. Without it this test fails, saying where it looked:
// a check that skips itself silently would pass on exactly the machines where nobody compares.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// REEL_SHARED_CONTRACT, else beside the clone (CI, /work/main) or one level further up (a worktree
// under /work/wt).
const candidates = [
  ...(process.env.REEL_SHARED_CONTRACT ? [resolve(process.env.REEL_SHARED_CONTRACT)] : []),
  ...['../../../shared/heygen-v3', '../../../../shared/heygen-v3'].map((p) => fileURLToPath(new URL(p, import.meta.url))),
];
const shared = candidates.find((dir) => existsSync(`${dir}/schemas.json`));
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

function contract(): string {
  if (!shared) {
    throw new Error(
      `the shared HeyGen contract (heygen-v3/schemas.json and examples/) was not found; looked in:\n  ${candidates.join('\n  ')}\n` +
        'Check out shared/ beside the repository, or set REEL_SHARED_CONTRACT to its heygen-v3 folder.',
    );
  }
  return shared;
}

describe('contract copies', () => {
  it('schemas.json is the shared contract, byte for byte', () => {
    const dir = contract();
    expect(readFileSync(here('../../src/emulator/contract/schemas.json'), 'utf8')).toBe(readFileSync(`${dir}/schemas.json`, 'utf8'));
  });

  it('examples/ holds every shared example, unchanged', () => {
    const dir = contract();
    const names = readdirSync(`${dir}/examples`)
      .filter((n) => n.endsWith('.json'))
      .sort();
    expect(readdirSync(here('./examples')).sort()).toEqual(names);
    for (const name of names) {
      expect(readFileSync(here(`./examples/${name}`), 'utf8'), name).toBe(readFileSync(`${dir}/examples/${name}`, 'utf8'));
    }
  });
});
