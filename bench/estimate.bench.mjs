// Estimate accuracy: reel plan's estimated seconds against the seconds actually rendered, over the
// example library (videos/, assets/, data/) built against the emulator. The emulator models speech
// at its own rate and the agent's chosen length independently of reel's estimator, so the figures
// show how far a plan's seconds (and therefore its cost) may be from the bill. Target: direct
// entries within ±25 % each; agent entries are reported (they vary most) and budgeted with ±50 %.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../dist/emulator/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const KEY = 'bench-estimate';
const DIRECT_BAND = 0.25;

const dir = mkdtempSync(join(tmpdir(), 'reel-bench-estimate-'));
for (const sub of ['videos', 'assets', 'data']) cpSync(join(root, sub), join(dir, sub), { recursive: true });
const emulator = await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY });
const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', HEYGEN_API_URL: emulator.url, HEYGEN_API_KEY: KEY, REEL_POLL_MS: '50,50,200' };
// Asynchronous: the emulator runs in this process and must keep answering.
const reel = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });

try {
  const planned = JSON.parse((await reel(['plan', '--json'])).stdout);
  const built = await reel(['build', '--yes']);
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
  const lock = JSON.parse(readFileSync(join(dir, 'reel.lock'), 'utf8'));
  const rows = [];
  for (const c of planned.changes) {
    const locked = lock.videos[c.id];
    if (!c.billed || typeof locked?.duration !== 'number') continue;
    rows.push({ id: c.id, mode: locked.mode, estimate: c.estimate_seconds, rendered: locked.duration, error: (c.estimate_seconds - locked.duration) / locked.duration });
  }
  const pct = (x) => `${x >= 0 ? '+' : ''}${Math.round(x * 100)} %`;
  let ok = true;
  for (const mode of ['direct', 'agent']) {
    const of = rows.filter((r) => r.mode === mode);
    if (of.length === 0) continue;
    const errors = of.map((r) => r.error);
    const mean = errors.reduce((a, b) => a + Math.abs(b), 0) / errors.length;
    const worst = of.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
    const estimated = of.reduce((a, r) => a + r.estimate, 0);
    const rendered = of.reduce((a, r) => a + r.rendered, 0);
    console.log(
      `${mode}: ${of.length} videos, estimated ${estimated} s, rendered ${rendered.toFixed(1)} s (total ${pct((estimated - rendered) / rendered)}); ` +
        `per video mean |error| ${Math.round(mean * 100)} %, range ${pct(Math.min(...errors))} … ${pct(Math.max(...errors))} (worst ${worst.id}: ~${worst.estimate} s vs ${worst.rendered.toFixed(1)} s)`,
    );
    if (mode === 'direct' && errors.some((e) => Math.abs(e) > DIRECT_BAND)) ok = false;
  }
  console.log(`target: every direct estimate within ±${DIRECT_BAND * 100} % — ${ok ? 'met' : 'NOT met'}`);
  if (!ok) process.exitCode = 1;
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
