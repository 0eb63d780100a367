// `reel plan --json` on 10,000 entries in 1,000 files, against the parse-only floor (a process that
// only finds, reads and YAML-parses the same files), with no lock and with a full lock, without the
// .reel/cache of loaded files (REEL_CACHE=0), while filling it, and warm (stretch: < 0.5×); and
// `reel --version` against `node -e 0`. Wall time of whole processes, best of several alternating runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'dist/cli.js');
const FILES = 1000;
const PER_FILE = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function generate(root) {
  for (let f = 0; f < FILES; f += 1) {
    const dir = join(root, 'videos', `group-${String(f % 20).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const lines = ['version: 1', 'defaults:', '  avatar: Daisy-inskirt-20220818', '  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54', '  aspect_ratio: "16:9"', 'videos:'];
    for (let i = 0; i < PER_FILE; i += 1) {
      const id = `video-${f}-${i}`;
      lines.push(
        `  ${id}:`,
        `    title: Video ${f}/${i}`,
        `    script: Hello number ${i} from file ${f}. This is a short script of a couple of sentences, as most are.`,
        '    voice_settings: { speed: 1.05 }',
        `    background: { color: "#0B1F${String(i).padStart(2, '0')}" }`,
        ...(i % 3 === 0 ? ['    captions: true'] : []),
      );
    }
    writeFileSync(join(dir, `manifest-${f}.yaml`), `${lines.join('\n')}\n`);
  }
}

// The floor: the same file discovery, reads and YAML parses, nothing else.
const floorScript = `
import { readFile } from 'node:fs/promises';
import { glob } from ${JSON.stringify(pathToFileURL(join(repo, 'node_modules/tinyglobby/dist/index.mjs')).href)};
import { parse } from ${JSON.stringify(pathToFileURL(join(repo, 'node_modules/yaml/dist/index.js')).href)};
const root = process.argv[2];
const files = await glob(['videos/**/*.{yaml,yml}'], { cwd: root, absolute: true });
let n = 0;
await Promise.all(files.map(async (f) => { const doc = parse(await readFile(f, 'utf8')); n += Object.keys(doc.videos).length; }));
process.stdout.write(String(n));
`;

function once(args, cwd) {
  let env = { ...process.env, NO_COLOR: '1', REEL_CACHE: '0' };
  if (args[0] === 'warm') {
    args = args.slice(1);
    env = { ...env, REEL_CACHE: '1' };
  } else if (args[0] === 'fill') {
    // A first run: empty cache, which it fills.
    args = args.slice(1);
    env = { ...env, REEL_CACHE: '1' };
    rmSync(join(cwd, '.reel'), { recursive: true, force: true });
  }
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30, env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 2) {
    process.stderr.write(r.stderr);
    throw new Error(`${args.join(' ')} exited ${r.status}`);
  }
  return { ms, out: r.stdout };
}

// The machine is shared (2 cores), so the commands compared are run in alternation and the best of
// RUNS is kept for each: both sides see the same background load, and noise only ever adds time.
function compare(commands, cwd) {
  const best = commands.map(() => ({ ms: Infinity, out: '' }));
  for (let i = 0; i < RUNS; i += 1) {
    commands.forEach((args, k) => {
      const r = once(args, cwd);
      if (r.ms < best[k].ms) best[k] = r;
    });
  }
  return best;
}

const verdict = (ok) => (ok ? 'target met' : 'target MISSED');
let failed = false;
function report(label, ms, floor, target) {
  const ratio = ms / floor;
  const ok = ratio <= target;
  if (!ok) failed = true;
  console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${ratio.toFixed(2)}× floor  (≤ ${target}×: ${verdict(ok)})`);
}

const root = mkdtempSync(join(tmpdir(), 'reel-bench-plan-'));
try {
  generate(root);
  writeFileSync(join(root, 'floor.mjs'), floorScript);
  console.log(`${FILES * PER_FILE} entries in ${FILES} files; best of ${RUNS} alternating runs (wall time of whole processes)`);

  const floorArgs = [join(root, 'floor.mjs'), root];
  const [floor, validate, cold] = compare([floorArgs, [cli, 'validate'], [cli, 'plan', '--json']], root);
  if (Number(floor.out) !== FILES * PER_FILE) throw new Error(`floor parsed ${floor.out} entries`);
  console.log(`${'floor (find + read + YAML parse)'.padEnd(34)} ${floor.ms.toFixed(0).padStart(6)} ms`);
  // The loader alone, for reading the figures below: plan's own cost is the difference.
  console.log(`${'reel validate (the loader alone)'.padEnd(34)} ${validate.ms.toFixed(0).padStart(6)} ms  ${(validate.ms / floor.ms).toFixed(2)}× floor`);
  const doc = JSON.parse(cold.out);
  if (doc.summary.create !== FILES * PER_FILE) throw new Error(`plan saw ${doc.summary.create} creates`);
  report('reel plan --json (no lock)', cold.ms, floor.ms, 1.3);

  // A full lock, as a build would leave it.
  const { loadProject } = await import(pathToFileURL(join(repo, 'dist/manifest/index.js')).href);
  const { fingerprint, fieldDigests } = await import(pathToFileURL(join(repo, 'dist/plan/index.js')).href);
  const { serializeLock } = await import(pathToFileURL(join(repo, 'dist/lock/index.js')).href);
  const project = await loadProject(root);
  const videos = {};
  for (const e of project.entries) {
    videos[e.id] = {
      fingerprint: fingerprint(e),
      mode: e.mode,
      status: 'completed',
      generation: 1,
      fields: fieldDigests(e),
      video_id: `v_${e.id}`,
      submitted_at: '2026-01-01T00:00:00.000Z',
      completed_at: '2026-01-01T00:01:00.000Z',
      updated_at: '2026-01-01T00:01:00.000Z',
      duration: 6.2,
      output: { path: `out/${e.id}.mp4`, size: 123456, sha256: 'f'.repeat(64) },
    };
  }
  writeFileSync(join(root, 'reel.lock'), serializeLock({ lockfileVersion: 1, videos, assets: {} }));

  const [floor2, full, human, fill, warm] = compare([floorArgs, [cli, 'plan', '--json'], [cli, 'plan'], ['fill', cli, 'plan', '--json'], ['warm', cli, 'plan', '--json']], root);
  const fullDoc = JSON.parse(full.out);
  if (fullDoc.summary.unchanged !== FILES * PER_FILE) throw new Error(`plan saw ${fullDoc.summary.unchanged} unchanged`);
  if (warm.out !== full.out) throw new Error('the cached plan differs from the uncached one');
  report('reel plan --json (full lock)', full.ms, floor2.ms, 1.3);
  report('reel plan (full lock, human)', human.ms, floor2.ms, 1.3);
  console.log(`${'reel plan --json (filling cache)'.padEnd(34)} ${fill.ms.toFixed(0).padStart(6)} ms  ${(fill.ms / floor2.ms).toFixed(2)}× floor  (first run, writes .reel/cache)`);
  report('reel plan --json (warm cache)', warm.ms, floor2.ms, 0.5);

  const [node, version] = compare(
    [
      ['-e', '0'],
      [cli, '--version'],
    ],
    root,
  );
  console.log(`${'node -e 0'.padEnd(34)} ${node.ms.toFixed(0).padStart(6)} ms`);
  const ratio = version.ms / node.ms;
  if (ratio > 3) failed = true;
  console.log(`${'reel --version'.padEnd(34)} ${version.ms.toFixed(0).padStart(6)} ms  ${ratio.toFixed(2)}× node -e 0  (≤ 3×: ${verdict(ratio <= 3)})`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
