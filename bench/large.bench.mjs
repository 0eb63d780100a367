// Large inputs stay linear: 100,000 CSV rows (one `each` entry) and a 40,000-entry manifest, each
// loaded and planned; the CPU time per video is compared with a tenth of the input. Quadratic work
// (the audit found a duplicate-key check that took 17 s for 40,000 entries) shows up as a ratio far
// above 1; a recursion that grows with the input crashes outright.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { loadProject } = await import(join(here, '..', 'dist', 'manifest', 'index.js'));
const { plan } = await import(join(here, '..', 'dist', 'plan', 'index.js'));
const { emptyLock } = await import(join(here, '..', 'dist', 'lock', 'index.js'));

/** CPU time per video may grow at most this much from a tenth of the input to all of it. */
const TARGET = 1.6;
const HEAD = 'version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n';

function csvProject(rows) {
  const root = mkdtempSync(join(tmpdir(), 'reel-bench-large-'));
  mkdirSync(join(root, 'videos'));
  mkdirSync(join(root, 'data'));
  const lines = ['slug,name,product'];
  for (let i = 0; i < rows; i++) lines.push(`c${i},"Customer ${i}",Product ${i % 7}`);
  writeFileSync(join(root, 'data', 'customers.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(root, 'videos', 'hello.yaml'), `${HEAD}  hello-{{ row.slug }}:\n    each: ../data/customers.csv\n    script: Hi {{ row.name }}, thanks for trying {{ row.product }}!\n`);
  return root;
}

function manifestProject(entries) {
  const root = mkdtempSync(join(tmpdir(), 'reel-bench-large-'));
  mkdirSync(join(root, 'videos'));
  let y = HEAD;
  for (let i = 0; i < entries; i++) y += `  v${i}:\n    script: This is video number ${i}.\n`;
  writeFileSync(join(root, 'videos', 'all.yaml'), y);
  return root;
}

async function measure(make, n) {
  const root = make(n);
  try {
    globalThis.gc?.();
    const c = process.cpuUsage();
    const loaded = await loadProject(root);
    if (loaded.diagnostics.length > 0) throw new Error(`unexpected diagnostics: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    const p = plan(loaded.entries, emptyLock());
    const used = process.cpuUsage(c);
    if (p.changes.length !== n) throw new Error(`planned ${p.changes.length} of ${n}`);
    return (used.user + used.system) / 1000;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

let failed = false;
for (const [name, make, n] of [
  ['CSV rows', csvProject, 100_000],
  ['manifest entries', manifestProject, 40_000],
]) {
  await measure(make, n / 10); // warm the JIT
  const small = await measure(make, n / 10);
  const large = await measure(make, n);
  const ratio = large / n / (small / (n / 10));
  console.log(
    `${name}: ${(n / 10).toLocaleString('en-US')} in ${small.toFixed(0)} ms cpu, ${n.toLocaleString('en-US')} in ${large.toFixed(0)} ms cpu; per-video ratio ${ratio.toFixed(2)} (target <= ${TARGET})`,
  );
  if (ratio > TARGET) failed = true;
}
console.log(failed ? 'target MISSED' : 'target met');
process.exitCode = failed ? 1 : 0;
