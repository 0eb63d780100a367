// The emulator ships a copy of the contract (src/emulator/contract/schemas.json) and the tests a
// copy of its examples; when shared/heygen-v3 sits beside the repository (as on developer machines
// and CI), the copies must not drift from it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Beside the clone (CI, /work/main) or one level further up (a worktree under /work/wt).
const shared =
  ['../../../shared/heygen-v3/', '../../../../shared/heygen-v3/']
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((dir) => existsSync(dir)) ?? '';
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe.skipIf(shared === '')('contract copies', () => {
  it('schemas.json is the shared contract, byte for byte', () => {
    expect(readFileSync(here('../../src/emulator/contract/schemas.json'), 'utf8')).toBe(readFileSync(`${shared}schemas.json`, 'utf8'));
  });

  it('examples/ holds every shared example, unchanged', () => {
    const names = readdirSync(`${shared}examples`).filter((n) => n.endsWith('.json')).sort();
    expect(readdirSync(here('./examples')).sort()).toEqual(names);
    for (const name of names) {
      expect(readFileSync(here(`./examples/${name}`), 'utf8'), name).toBe(readFileSync(`${shared}examples/${name}`, 'utf8'));
    }
  });
});
