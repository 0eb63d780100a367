// reel build: 100 direct videos against the emulator (renders of 2 s, job limit 10, --concurrency 10).
// Ideal wall time = 100 / 10 × 2 s = 20 s. Targets: ≤ 1.1× ideal, ≤ 3 API requests per video
// (create + amortised bulk polls + the GET that yields the download URL; file downloads come from
// HeyGen's separate file host and are counted apart), and 0 requests for a no-op re-run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../dist/emulator/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const VIDEOS = 100;
const RENDER_SECONDS = 2;
const LIMIT = 10;
const KEY = 'bench-key';
const ideal = (VIDEOS / LIMIT) * RENDER_SECONDS * 1000;

const dir = mkdtempSync(join(tmpdir(), 'reel-bench-build-'));
mkdirSync(join(dir, 'videos'));
const lines = ['version: 1', 'defaults:', '  avatar: Daisy-inskirt-20220818', '  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54', 'videos:'];
for (let i = 1; i <= VIDEOS; i += 1) lines.push(`  bench-${String(i).padStart(3, '0')}:`, `    script: Benchmark video number ${i}.`);
writeFileSync(join(dir, 'videos', 'bench.yaml'), `${lines.join('\n')}\n`);

const emulator = await startEmulator({ port: 0, renderSeconds: RENDER_SECONDS, concurrencyLimit: LIMIT, apiKey: KEY });
// Warm the emulator (it runs in this process: its first create compiles validators) so that the
// figures measure reel, then forget the warm-up.
await fetch(`${emulator.url}/v3/videos`, {
  method: 'POST',
  headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ type: 'avatar', avatar_id: 'Daisy-inskirt-20220818', voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54', script: 'warm up' }),
}).then((r) => r.text());
emulator.reset();
const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', HEYGEN_API_URL: emulator.url, HEYGEN_API_KEY: KEY };

function build() {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'build', '--yes', '--concurrency', String(LIMIT)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, ms: performance.now() - started, out }));
  });
}

const isFile = (r) => r.path.startsWith('/files/');
try {
  const first = await build();
  if (first.code !== 0) {
    process.stdout.write(first.out);
    throw new Error(`build exited ${first.code}`);
  }
  const requests = emulator.requests();
  const api = requests.filter((r) => !isFile(r));
  const files = requests.filter(isFile);
  const by = (pred) => api.filter(pred).length;
  const perVideo = api.length / VIDEOS;
  const ratio = first.ms / ideal;
  console.log(`videos: ${VIDEOS}, render ${RENDER_SECONDS} s each, job limit ${LIMIT}`);
  console.log(`wall time: ${(first.ms / 1000).toFixed(2)} s (ideal ${(ideal / 1000).toFixed(0)} s) = ${ratio.toFixed(3)}× ideal`);
  console.log(
    `API requests: ${api.length} = ${perVideo.toFixed(2)} per video ` +
      `(POST /v3/videos ${by((r) => r.method === 'POST' && r.path === '/v3/videos')}, ` +
      `statuses ${by((r) => r.path === '/v3/videos/statuses')}, ` +
      `GET video ${by((r) => r.method === 'GET' && /^\/v3\/videos\/[^/]+$/.test(r.path) && r.path !== '/v3/videos/statuses')}, ` +
      `429s ${by((r) => r.status === 429)})`,
  );
  console.log(`file downloads (separate host on HeyGen, not counted above): ${files.length}`);
  console.log(`${ratio <= 1.1 ? 'target met' : 'target MISSED'}: wall time ≤ 1.1× ideal`);
  console.log(`${perVideo <= 3 ? 'target met' : 'target MISSED'}: ≤ 3 API requests per video (judged on API requests, downloads excluded)`);

  emulator.reset();
  const second = await build();
  const noop = emulator.requests().length;
  console.log(`no-op re-run: exit ${second.code}, ${noop} requests, ${(second.ms / 1000).toFixed(2)} s — ${second.out.trim().split('\n')[0]}`);
  console.log(`${noop === 0 && second.code === 0 ? 'target met' : 'target MISSED'}: 0 requests for a no-op build`);
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
