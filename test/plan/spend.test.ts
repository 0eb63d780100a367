import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { directManifest, project, readLockJson } from '../helpers/project.js';

// Every paid action is in the plan, counted and priced (issue 12): reproduced through the CLI
// against the emulator.

let emulator: Emulator;
const dirs: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY });
});
afterAll(async () => {
  await emulator.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tmp(files: Record<string, string>): Promise<string> {
  const dir = await project(files);
  dirs.push(dir);
  return dir;
}

interface PlanDoc {
  changes: Array<{ id: string; action: string; render: boolean; billed: boolean; estimate_seconds: number; estimate_cost: number; shared_with?: string }>;
  summary: { renders: number; estimate_seconds: number; estimate_cost: number; cost_unit: string; remove: number };
  warnings?: string[];
}

async function planJson(dir: string, args: string[] = []): Promise<PlanDoc> {
  const r = await runCli(['plan', '--json', ...args], dir, cliEnv(emulator));
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as PlanDoc;
}

const agent = (approved: boolean): string =>
  ['version: 1', 'videos:', '  teaser:', '    mode: agent', '    prompt: A 20-second teaser announcing Acme 2.0.', '    review: true', ...(approved ? ['    approved: true'] : []), ''].join('\n');

describe('cost in dollars', () => {
  it('prices every change and the total with HeyGen pay-as-you-go rates, in every plan format', async () => {
    const dir = await tmp({ 'videos/a.yaml': directManifest(2) });
    const doc = await planJson(dir);
    expect(doc.summary.cost_unit).toBe('usd');
    // Avatar IV at $0.0667/s: a few seconds each.
    for (const c of doc.changes) expect(c.estimate_cost).toBeCloseTo(Math.round(c.estimate_seconds * 0.0667 * 100) / 100, 2);
    expect(doc.summary.estimate_cost).toBeGreaterThan(0);

    const human = await runCli(['plan'], dir, cliEnv(emulator));
    expect(human.stdout).toMatch(/^ {2}\+ v001\s+create\s+~\d+ s\s+~\$0\.\d\d\s+videos\/a\.yaml:6$/m);
    expect(human.stdout).toMatch(/of video to render \(2 videos\), estimated ~\$\d+\.\d\d\.$/m);
    const md = await runCli(['plan', '--markdown'], dir, cliEnv(emulator));
    expect(md.stdout).toContain('| Estimate | Cost |');
    expect(md.stdout).toMatch(/\| `v001` \| create \| {2}\| ~\d+ s \| ~\$0\.\d\d \|/);
    const explain = await runCli(['explain', 'v001'], dir, cliEnv(emulator));
    expect(explain.stdout).toMatch(/estimate: ~\d+ s of video, ~\$0\.\d\d \(avatar_iv at \$0\.0667\/s\)/);
  });

  it('uses the pricing: table of reel.config.yaml, in credits for an Enterprise contract', async () => {
    const dir = await tmp({
      'reel.config.yaml': 'pricing:\n  unit: credits\n  video_agent: 1\n',
      'videos/a.yaml': agent(false),
    });
    const doc = await planJson(dir);
    expect(doc.summary.cost_unit).toBe('credits');
    expect(doc.summary.estimate_cost).toBe(20);
    const human = await runCli(['plan'], dir, cliEnv(emulator));
    expect(human.stdout).toMatch(/~20 s\s+~20 credits/);
  });

  it('rejects a price table with a typo, naming file:line:col', async () => {
    const dir = await tmp({ 'reel.config.yaml': 'pricing:\n  avatar_four: 0.1\n', 'videos/a.yaml': directManifest(1) });
    const r = await runCli(['plan'], dir, cliEnv(emulator));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/reel\.config\.yaml:\d+:\d+/);
  });
});

describe('an approval renders, so the plan counts it (hole 1)', () => {
  it('counts approved: true on a session awaiting review as a billed render', async () => {
    const dir = await tmp({ 'videos/a.yaml': agent(false) });
    const first = await runCli(['build', '--yes'], dir, cliEnv(emulator));
    expect(first.code).toBe(0);
    expect((await readLockJson(dir)).videos.teaser?.status).toBe('awaiting_review');
    // Waiting for review, nothing to send: no render, no change.
    expect((await planJson(dir)).summary.renders).toBe(0);
    expect((await runCli(['plan', '--detailed-exitcode'], dir, cliEnv(emulator))).code).toBe(0);

    await writeFile(join(dir, 'videos/a.yaml'), agent(true));
    const doc = await planJson(dir);
    const teaser = doc.changes.find((c) => c.id === 'teaser');
    expect(teaser).toMatchObject({ action: 'resume', render: false, billed: true, estimate_seconds: 20 });
    expect(doc.summary.renders).toBe(1);
    expect(doc.summary.estimate_seconds).toBe(20);
    expect(doc.summary.estimate_cost).toBeCloseTo(0.67, 2);
    const human = await runCli(['plan'], dir, cliEnv(emulator));
    expect(human.stdout).not.toMatch(/nothing to render/);
    expect(human.stdout).toMatch(/~20 s of video to render \(1 video\), estimated ~\$0\.67\./);
    expect((await runCli(['plan', '--detailed-exitcode'], dir, cliEnv(emulator))).code).toBe(2);
    const md = await runCli(['plan', '--markdown'], dir, cliEnv(emulator));
    expect(md.stdout).toMatch(/\| `teaser` \| resume \|.*\| ~20 s \| ~\$0\.67 \|/);
  });
});

describe('identical requests share one render (hole 5)', () => {
  it('shows "same render as" and counts the render once', async () => {
    const body = '    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Hello there, and welcome.\n';
    const dir = await tmp({ 'videos/a.yaml': `version: 1\nvideos:\n  alpha:\n${body}  beta:\n${body}` });
    const doc = await planJson(dir);
    expect(doc.changes.find((c) => c.id === 'beta')).toMatchObject({ shared_with: 'alpha', billed: false, estimate_cost: 0 });
    expect(doc.summary.renders).toBe(1);
    const human = await runCli(['plan'], dir, cliEnv(emulator));
    expect(human.stdout).toMatch(/beta\s+create\s+= alpha.*same render as alpha/);
    expect(human.stdout).toMatch(/\(1 video\)/);

    await writeFile(join(dir, 'reel.config.yaml'), 'share_renders: false\n');
    const apart = await planJson(dir);
    expect(apart.summary.renders).toBe(2);
    expect(apart.changes.some((c) => c.shared_with)).toBe(false);
  });
});

describe('manifests that match nothing remove nothing (hole 2)', () => {
  it('plan, build and watch refuse when the manifest globs match no file, and reel.lock is untouched', async () => {
    const dir = await tmp({ 'videos/a.yaml': directManifest(3) });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emulator))).code).toBe(0);
    const lockBefore = await readFile(join(dir, 'reel.lock'), 'utf8');
    await rename(join(dir, 'videos'), join(dir, 'content'));

    const plan = await runCli(['plan'], dir, cliEnv(emulator));
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/no manifests match videos\/\*\*\/\*\.\{yaml,yml\}/);
    expect(plan.stdout).not.toMatch(/remove/);
    const build = await runCli(['build', '--yes', '--prune'], dir, cliEnv(emulator, { CI: 'true' }));
    expect(build.code).toBe(1);
    expect(build.stderr).toMatch(/no manifests match/);
    const watch = await runCli(['watch'], dir, cliEnv(emulator));
    expect(watch.code).toBe(2);
    expect(watch.stderr).toMatch(/no manifests match/);
    expect(await readFile(join(dir, 'reel.lock'), 'utf8')).toBe(lockBefore);
    expect(emulator.requests().filter((r) => r.method === 'DELETE')).toHaveLength(0);
  });

  it('warns loudly in the plan when a build would remove many of the locked videos', async () => {
    const dir = await tmp({ 'videos/a.yaml': directManifest(8) });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emulator))).code).toBe(0);
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(2));
    const human = await runCli(['plan'], dir, cliEnv(emulator));
    expect(human.stdout).toMatch(/WARNING: 6 of the 8 videos in reel\.lock would be removed \(75 %\).*--allow-removals/);
    const doc = await planJson(dir);
    expect(doc.warnings?.[0]).toMatch(/6 of the 8 videos/);
    const md = await runCli(['plan', '--markdown'], dir, cliEnv(emulator));
    expect(md.stdout).toMatch(/> \[!WARNING\]\n> WARNING: 6 of the 8/);

    // One removal out of eight is ordinary housekeeping.
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(7));
    expect((await planJson(dir)).warnings).toBeUndefined();
  });
});

describe('an empty CSV cell is an error, not "Hi !" (hole 8)', () => {
  const manifest = (allow: string): string =>
    [
      'version: 1',
      'videos:',
      '  hello-{{ row.slug }}:',
      '    each: ../data/people.csv',
      ...(allow ? [`    allow_empty: [${allow}]`] : []),
      '    avatar: Daisy-inskirt-20220818',
      '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
      '    script: Hi {{ row.name }}! {{ row.note }}',
      '',
    ].join('\n');
  const csv = 'slug,name,note\nada,Ada,Welcome.\nbob,,\n';

  it('names the data file, row and column, renders nothing, and can be allowed per column', async () => {
    const dir = await tmp({ 'videos/a.yaml': manifest(''), 'data/people.csv': csv });
    const before = emulator.requests().length;
    for (const command of ['validate', 'plan']) {
      const r = await runCli([command], dir, cliEnv(emulator));
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        /videos\/a\.yaml:7:13\s+hello-\{\{ row\.slug \}\}\s+`script`: row 2 of data\/people\.csv leaves `name` \(column 2\), `note` \(column 3\) empty; .*allow_empty/,
      );
    }
    const build = await runCli(['build', '--yes'], dir, cliEnv(emulator));
    expect(build.code).toBe(1);
    expect(emulator.requests().length).toBe(before);

    // An empty note is fine on purpose; an empty name still is not.
    await writeFile(join(dir, 'videos/a.yaml'), manifest('note'));
    const partly = await runCli(['plan'], dir, cliEnv(emulator));
    expect(partly.code).toBe(1);
    expect(partly.stderr).toMatch(/leaves `name` \(column 2\) empty/);
    expect(partly.stderr).not.toMatch(/`note`/);
    await writeFile(join(dir, 'videos/a.yaml'), manifest('name, note'));
    const allowed = await runCli(['plan'], dir, cliEnv(emulator));
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/hello-bob\s+create/);
  });
});

describe('reel cost', () => {
  it('reports the spend recorded in reel.lock by file, month and mode, counting a shared video once', async () => {
    const body = '    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Hello there, and welcome.\n';
    const dir = await tmp({
      'videos/a.yaml': directManifest(2),
      'videos/b.yaml': `version: 1\nvideos:\n  same-1:\n${body}  same-2:\n${body}`,
    });
    expect((await runCli(['cost'], dir, cliEnv(emulator))).stdout).toMatch(/no completed render yet/);
    expect((await runCli(['build', '--yes'], dir, cliEnv(emulator))).code).toBe(0);
    const lock = await readLockJson(dir);
    const r = await runCli(['cost', '--json'], dir, cliEnv(emulator));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      unit: string;
      total: { renders: number; cost: number };
      by_file: Array<{ file: string; renders: number }>;
      by_mode: Array<{ mode: string }>;
      by_month: Array<{ month: string }>;
      videos: Array<{ id: string; shared_by: string[]; seconds: number; cost: number }>;
    };
    expect(doc.unit).toBe('usd');
    expect(doc.total.renders).toBe(3);
    expect(doc.by_file).toEqual([expect.objectContaining({ file: 'videos/a.yaml', renders: 2 }), expect.objectContaining({ file: 'videos/b.yaml', renders: 1 })]);
    expect(doc.by_mode.map((g) => g.mode)).toEqual(['direct']);
    expect(doc.by_month[0]?.month).toMatch(/^\d{4}-\d\d$/);
    expect(doc.videos.find((v) => v.id === 'same-1')?.shared_by).toEqual(['same-2']);
    const seconds = ['v001', 'v002', 'same-1'].reduce((sum, id) => sum + ((lock.videos[id] as { duration?: number } | undefined)?.duration ?? 0), 0);
    expect(doc.total.cost).toBeCloseTo(Math.round(seconds * 0.0667 * 100) / 100, 1);
    const human = await runCli(['cost'], dir, cliEnv(emulator));
    expect(human.stdout).toMatch(/^reel cost: 3 renders, \d+ s of video, \$\d+\.\d\d/);
    expect(human.stdout).toMatch(/By file:\n {2}videos\/a\.yaml {2}2 /);
    const md = await runCli(['cost', '--markdown'], dir, cliEnv(emulator));
    expect(md.stdout).toContain('| File | Renders | Video | Cost |');
  });
});
