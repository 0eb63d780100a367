// reel watch on 10,000 entries in 1,000 files:
//  1. latency: `reel watch` (the built CLI, stdout a pipe) — time from writing one manifest to the
//     updated `plan:` line on its stdout, median and p95 over 20 edits. Target: median ≤ 150 ms,
//     debounce (100 ms) included.
//  2. memory: the same session in this process (so heapUsed can be read after gc) — heap after
//     1,000 edits against after 10. Target: growth ≤ 10 %.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const FILES = 1000;
const PER_FILE = 10;
const EDITS = 20;
const MEMORY_EDITS = Number(process.env.WATCH_BENCH_MEMORY_EDITS ?? 1000);
const SKIP_LATENCY = process.env.WATCH_BENCH_SKIP_LATENCY === '1';

function manifest(f, version) {
  let text = 'version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n';
  for (let i = 0; i < PER_FILE; i += 1) {
    text += `  v${f}-${i}:\n    title: Video ${f}.${i}\n    script: Hello number ${i} of file ${f}, revision ${version}. Thanks for watching.\n`;
  }
  return text;
}

function makeProject() {
  const root = mkdtempSync(join(tmpdir(), 'reel-watch-bench-'));
  for (let f = 0; f < FILES; f += 1) {
    const dir = join(root, 'videos', `group-${Math.floor(f / 100)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file-${f}.yaml`), manifest(f, 0));
  }
  return root;
}

const fileOf = (root, f) => join(root, 'videos', `group-${Math.floor(f / 100)}`, `file-${f}.yaml`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

/** Resolves when `text()` has a new `plan:` line after position `from`. */
function waitForPlan(source, from, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const rest = source.text().slice(from);
      const at = rest.indexOf('plan: ');
      if (at >= 0 && rest.indexOf('\n', at) >= 0) return resolve(performance.now());
      if (Date.now() - started > timeoutMs) return reject(new Error(`no plan line within ${timeoutMs} ms:\n${rest.slice(-2000)}`));
      source.wait().then(tick);
    };
    tick();
  });
}

function collector() {
  let text = '';
  let waiters = [];
  return {
    push(chunk) {
      text += chunk;
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    },
    text: () => text,
    /** Drop all but the tail, so that a long run does not grow the collector itself. */
    trim() {
      if (text.length > 100_000) text = text.slice(-10_000);
    },
    wait: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

async function latency(root) {
  const out = collector();
  const child = spawn(process.execPath, [join(dist, 'cli.js'), 'watch'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', HEYGEN_API_KEY: '', HEYGEN_API_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8').on('data', (c) => out.push(c));
  const t0 = performance.now();
  await waitForPlan(out, 0, 120_000);
  const initial = performance.now() - t0;
  await sleep(500); // let chokidar finish settling
  const times = [];
  for (let k = 1; k <= EDITS; k += 1) {
    const f = (k * 37) % FILES;
    const from = out.text().length;
    const start = performance.now();
    writeFileSync(fileOf(root, f), manifest(f, k));
    const end = await waitForPlan(out, from);
    times.push(end - start);
    await sleep(150);
  }
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return { initial, times };
}

async function memory(root) {
  const { runWatchSession } = await import(join(dist, 'watch', 'session.js'));
  const { realDeps } = await import(join(dist, 'watch', 'deps.js'));
  const { PlainWatchReporter } = await import(join(dist, 'report', 'watch-plain.js'));
  const out = collector();
  const sink = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  const controller = new AbortController();
  let ready;
  const readyP = new Promise((r) => (ready = r));
  const session = runWatchSession({
    root,
    deps: await realDeps(),
    reporter: new PlainWatchReporter(sink, root),
    // The memory run measures retention, not latency: a short debounce keeps 1,000 edits quick.
    debounceMs: 5,
    signal: controller.signal,
    onReady: () => ready(),
  });
  await readyP;
  const heapAt = {};
  for (let k = 1; k <= MEMORY_EDITS; k += 1) {
    const f = (k * 7919) % FILES;
    const from = out.text().length;
    writeFileSync(fileOf(root, f), manifest(f, 10_000 + k));
    await waitForPlan(out, from);
    out.trim();
    if (k === 10 || k === MEMORY_EDITS) {
      await sleep(200);
      for (let i = 0; i < 5; i += 1) global.gc();
      heapAt[k] = process.memoryUsage().heapUsed;
    }
  }
  controller.abort();
  await session;
  return heapAt;
}

const root = makeProject();
try {
  console.log(`project: ${FILES * PER_FILE} entries in ${FILES} files`);
  if (!SKIP_LATENCY) {
    const { initial, times } = await latency(root);
    const median = quantile(times, 0.5);
    const p95 = quantile(times, 0.95);
    console.log(`first plan on stdout after ${initial.toFixed(0)} ms`);
    console.log(`save → updated plan on stdout over ${EDITS} edits: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (debounce 100 ms included)`);
    console.log(`latency: target ${median <= 150 ? 'met' : 'MISSED'} (median ≤ 150 ms)`);
    if (median > 150) process.exitCode = 1;
  }

  if (typeof global.gc !== 'function') {
    console.log('memory: run with --expose-gc (node bench/run.mjs does) — skipped');
  } else {
    const heap = await memory(root);
    const growth = heap[MEMORY_EDITS] / heap[10] - 1;
    const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    console.log(`heap after gc: ${mb(heap[10])} after 10 edits, ${mb(heap[MEMORY_EDITS])} after ${MEMORY_EDITS} (${(growth * 100).toFixed(1)} %)`);
    console.log(`memory: target ${growth <= 0.1 ? 'met' : 'MISSED'} (growth ≤ 10 %)`);
    if (growth > 0.1) process.exitCode = 1;
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
