// `reel studio` end to end: the built CLI against its emulator, driven in Debian's Chromium.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCost } from '../../src/plan/cost.js';
import { CLI, runCli } from '../helpers/cli.js';
import { directManifest, ROOT, project, removedAfterAll } from '../helpers/project.js';

// Screenshots land in docs/ (for docs/studio.md) only when asked, so a test run leaves the tree clean:
// REEL_UPDATE_SCREENSHOTS=1 npx vitest run test/studio/studio.e2e.test.ts
const shot = (name: string): string => (process.env.REEL_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', name) : join(tmpdir(), `reel-${name}`));

// Functions passed to page.evaluate run in the page; the test's tsconfig has no DOM types.
declare const document: any;

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const DIRECT = `# Onboarding videos. Keep this comment.
version: 1
defaults:
  avatar: Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
videos:
  welcome:
    title: Welcome to Acme
    script: Hi there! Welcome to Acme. This short video shows you around.
    captions: true
  first-steps:
    title: Your first project
    script: Create a project, invite your team, and publish your first page.
  first-steps-copy:   # the same request: HeyGen renders (and bills) it once
    title: Your first project
    script: Create a project, invite your team, and publish your first page.
`;

const LEADS = `version: 1
defaults:
  avatar: Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
videos:
  hello-{{ row.slug }}:
    each: ../data/leads.csv
    title: Hello {{ row.name }}
    script: Hi {{ row.name }}, thanks for trying Acme! Here is how {{ row.company }} can start today.
`;

const AGENT = `# Reviewed by marketing: keep this comment.
version: 1
videos:
  teaser:   # the launch teaser
    mode: agent
    prompt: A 20-second teaser announcing Acme 2.0. Energetic but not pushy.
    review: true
`;

interface Studio {
  dir: string;
  child: ChildProcess;
  url: string;
  origin: string;
  token: string;
}

async function startStudio(dir: string): Promise<Studio> {
  const child = spawn(process.execPath, [CLI, 'studio', '--emulator', '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', REEL_POLL_MS: '20,20,100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /reel studio: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`reel studio exited ${code}: ${out}${err}`)));
  });
  const parsed = new URL(url);
  return { dir, child, url, origin: parsed.origin, token: parsed.searchParams.get('token')! };
}

async function stopStudio(s: Studio | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** The overview's row for an id once its action cell reads `action`. */
async function rowAction(page: Page, id: string, action: string): Promise<void> {
  await page.waitForFunction(([i, a]) => document.querySelector(`tr[data-id="${i}"] td.action`)?.textContent?.startsWith(a) === true, [id, action] as const);
}

// One browser for the file; each describe has its own project and studio, all started at once.
const dirs = removedAfterAll();
let browser: Browser;
const studios: Record<'examples' | 'guarded', Studio | undefined> = { examples: undefined, guarded: undefined };
beforeAll(async () => {
  const examples = project({
    'videos/onboarding.yaml': DIRECT,
    'videos/agents.yaml': AGENT,
    'videos/leads.yaml': LEADS,
    'data/leads.csv': 'slug,name,company\nada,Ada,Analytical Engines\ngrace,Grace,Compilers Inc\n',
  });
  const guarded = project({ 'videos/a.yaml': directManifest(3) });
  dirs.push(examples, guarded);
  [browser, studios.examples, studios.guarded] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), startStudio(examples), startStudio(guarded)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([stopStudio(studios.examples), stopStudio(studios.guarded)]);
  await browser?.close();
});

describe('reel studio in a browser', () => {
  let studio: Studio | undefined;
  let dir: string;
  beforeAll(() => {
    studio = studios.examples;
    dir = studio!.dir;
  });

  it('shows the plan, builds after confirmation, follows saves, diffs, plays, listens and reviews', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(studio!.url);

    // The plan, as `reel plan` has it: seconds and dollars, the shared render billed once.
    await rowAction(page, 'welcome', 'create');
    await rowAction(page, 'teaser', 'create');
    expect(await page.textContent('.totals')).toContain('6 to create');
    const planned = await runCli(['plan', '--json', '--emulator'], dir, { NO_COLOR: '1' });
    const doc = JSON.parse(planned.stdout) as { summary: { renders: number; estimate_cost: number }; changes: Array<{ id: string; estimate_cost: number }> };
    expect(doc.summary.renders).toBe(5);
    const total = `~${formatCost(doc.summary.estimate_cost, 'usd')}`;
    expect(total).toMatch(/^~\$\d+\.\d\d$/);
    expect(await page.textContent('.totals .cost')).toBe(total);
    const welcomeCost = doc.changes.find((c) => c.id === 'welcome')!.estimate_cost;
    expect(welcomeCost).toBeGreaterThan(0);
    expect(await page.textContent('tr[data-id="welcome"] td.cost')).toBe(`~${formatCost(welcomeCost, 'usd')}`);
    expect(await page.textContent('tr[data-id="first-steps-copy"] td.secs')).toBe('= first-steps');
    expect(await page.textContent('tr[data-id="first-steps-copy"] td.cost')).toBe('same render');
    expect(await page.textContent('.group h3')).toMatch(/to render · ~\$\d+\.\d\d/);

    // Build: the dialog shows the plan and its cost (free here); nothing is sent before "Render".
    await page.click('#build');
    const confirm = await page.textContent('#confirm-body');
    expect(confirm).toContain('This renders 5 videos');
    expect(confirm).toContain(`on the built-in emulator — free (on HeyGen, estimated ${total})`);
    expect(confirm).toContain('first-steps-copy same render as first-steps, billed once');
    await page.click('#confirm-go');
    await page.waitForSelector('#progress[data-done]');
    expect(await page.getAttribute('#progress', 'data-done')).toBe('ok');
    await rowAction(page, 'teaser', 'resume'); // paused at its storyboard
    const lock = JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8'));
    expect(lock.videos.welcome).toMatchObject({ status: 'completed', text: { script: expect.stringContaining('shows you around') } });

    // A save updates the page without a reload.
    const version = await page.evaluate(() => document.body.dataset.version);
    await writeFile(join(dir, 'videos/onboarding.yaml'), DIRECT.replace('This short video shows you around.', 'This quick tour shows you everything.'));
    await rowAction(page, 'welcome', 'update');
    expect(await page.evaluate(() => document.body.dataset.version)).not.toBe(version);

    // The entry's page: the script diff in words, and the rendered video plays.
    await page.click('tr[data-id="welcome"] a');
    await page.waitForSelector('#diff');
    expect(await page.textContent('#diff del')).toContain('short video');
    expect(await page.textContent('#diff ins')).toContain('quick tour');
    expect(await page.textContent('.reason')).toMatch(/\(estimated\), estimated ~\$\d+\.\d\d\./);
    await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2);
    await page.evaluate(() => document.querySelector('video')!.play());
    await page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 0);
    expect(await page.evaluate(() => document.querySelector('video track')?.getAttribute('kind'))).toBe('captions');

    // Listen: text to speech plays, and its exact length replaces the estimate in the plan.
    await page.click('#listen');
    await page.waitForFunction(() => (document.querySelector('#audio')?.readyState ?? 0) >= 2);
    await page.waitForFunction(() => document.querySelector('.listen')?.textContent?.includes('the plan uses this exact length') === true);
    await page.goto(`${studio!.url}#/`);
    await page.waitForSelector('tr[data-id="welcome"] .tag');
    expect(await page.textContent('tr[data-id="welcome"] td.secs')).toContain('measured');
    await page.click('#progress .close');
    await page.selectOption('#action', 'all');
    await page.screenshot({ path: shot('studio.png') });

    // Storyboard review: Request changes, then Approve, each edits the YAML and the plan follows.
    await page.goto(`${studio!.url}#/entry/teaser`);
    await page.waitForSelector('#review .storyboard');
    await page.fill('#revision', 'Make the intro shorter.');
    await page.click('#revise');
    await page.waitForFunction(() => document.querySelector('#toast')?.textContent === 'Revision added to videos/agents.yaml');
    expect(await readFile(join(dir, 'videos/agents.yaml'), 'utf8')).toContain('- Make the intro shorter.');
    await page.evaluate(() => document.querySelector('#review')!.scrollIntoView());
    await page.screenshot({ path: shot('studio-review.png') });
    // Back on the overview, the live update shows what the next build sends. (It once went missing
    // about one run in five: the entry page, re-rendering on that same update, replaced the overview
    // when its data arrived after the navigation. See the race test below.)
    await page.goto(`${studio!.url}#/`);
    await page.waitForFunction(() => document.querySelector('tr[data-id="teaser"] td.changed')?.textContent?.includes('revisions') === true);
    await page.goto(`${studio!.url}#/entry/teaser`);
    await page.waitForSelector('#approve:not([disabled])');
    await page.click('#approve');
    await page.waitForFunction(() => document.querySelector('#toast')?.textContent === 'approved: true written to videos/agents.yaml');
    const yaml = await readFile(join(dir, 'videos/agents.yaml'), 'utf8');
    expect(yaml).toBe(`${AGENT}    revisions:\n      - Make the intro shorter.\n    approved: true\n`);
    await page.goto(`${studio!.url}#/`);
    await page.waitForFunction(() => document.querySelector('tr[data-id="teaser"] td.changed')?.textContent?.includes('approved') === true);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('refuses requests without the token, from another origin or host, and paths outside the project', async () => {
    const { origin, token } = studio!;
    const manifest = await readFile(join(dir, 'videos/agents.yaml'), 'utf8');
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const edit = { id: 'teaser', kind: 'revise', text: 'pwned' };

    expect((await fetch(`${origin}/api/state`)).status).toBe(403);
    expect((await fetch(`${origin}/api/state?token=nope`)).status).toBe(403);
    expect((await fetch(`${origin}/api/state?token=${token}`)).status).toBe(200);
    expect((await post('/api/review-edit', edit, { origin })).status).toBe(403); // no token
    expect((await post('/api/review-edit', edit, { origin: 'http://evil.example', 'x-reel-token': token })).status).toBe(403);
    expect((await post('/api/review-edit', edit, { 'x-reel-token': token })).status).toBe(403); // no Origin
    expect((await post('/api/review-edit', edit, { origin, 'x-reel-token': token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // DNS rebinding: the right token under another Host name is still refused.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${origin}/api/state?token=${token}`, { headers: { host: `evil.example:${new URL(origin).port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(421);

    // Paths: only outputs the lock records, only manifests, only files inside the project.
    expect((await fetch(`${origin}/api/media?id=..%2F..%2Fetc%2Fpasswd&kind=video&token=${token}`)).status).toBe(404);
    expect((await fetch(`${origin}/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${origin}/studio.js/../../package.json`)).status).toBe(404);
    expect((await fetch(`${origin}/api/speech?key=..%2F..%2Freel.lock&token=${token}`)).status).toBe(404);
    const open = await post('/api/open', { file: '../../../../etc/passwd', line: 1, col: 1 }, { origin, 'x-reel-token': token });
    expect(open.status).toBe(404);
    const unknown = await post('/api/review-edit', { ...edit, id: '../reel.lock' }, { origin, 'x-reel-token': token });
    expect(unknown.status).toBe(404);
    const direct = await post('/api/review-edit', { ...edit, id: 'welcome' }, { origin, 'x-reel-token': token });
    expect([direct.status, ((await direct.json()) as { error: string }).error]).toEqual([409, 'only agent entries are reviewed']);
    expect(await readFile(join(dir, 'videos/agents.yaml'), 'utf8')).toBe(manifest);
  }, 60_000);

  it('keeps the overview when an entry page it left loads late', async () => {
    const page = await browser.newPage();
    // Hold the entry's first data until the person is back on the overview (later ones pass).
    let held: ((route: Route) => void) | undefined;
    const heldRoute = new Promise<Route>((resolve) => (held = resolve));
    await page.route('**/api/entry?*', (route) => {
      if (held) held(route);
      else void route.continue();
      held = undefined;
    });
    await page.goto(studio!.url);
    // data-busy counts the page's requests in flight: at 0 the page has handled every answer.
    await page.waitForFunction(() => document.body.dataset.busy === '0');
    await page.click('tr[data-id="welcome"] a');
    const route = await heldRoute;
    await page.evaluate(() => (document.location.hash = '#/'));
    await page.waitForSelector('#overview tr[data-id="welcome"]');
    await route.continue();
    await page.waitForFunction(() => document.body.dataset.busy === '0');
    expect(await page.evaluate(() => [document.querySelector('#overview') !== null, document.querySelector('#entry') !== null])).toEqual([true, false]);
    await page.close();
  }, 60_000);

  it('formats costs with the compiled src/plan/cost.ts, not a copy of its own', async () => {
    const served = await fetch(`${studio!.origin}/cost.js`);
    expect(served.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const module = await served.text();
    expect(module).toBe(await readFile(join(ROOT, 'dist/plan/cost.js'), 'utf8'));
    // The browser loads it on its own: src/plan/cost.ts must keep to type-only imports.
    expect(module).not.toMatch(/^\s*(import|export .* from)\s/m);
    const page = await readFile(join(ROOT, 'src/studio/page/studio.js'), 'utf8');
    expect(page).toContain("import { formatCost } from '/cost.js';");
    expect(page).not.toMatch(/function formatCost|formatCost\s*=/);
  });
});

describe('reel studio builds only what the page confirmed', () => {
  let studio: Studio | undefined;
  let dir: string;
  beforeAll(() => {
    studio = studios.guarded;
    dir = studio!.dir;
  });

  /** Click Build, check the dialog, confirm; resolves with the build's outcome. */
  async function build(page: Page): Promise<string | null> {
    await page.click('#confirm-go');
    await page.waitForSelector('#progress[data-done]');
    const done = await page.getAttribute('#progress', 'data-done');
    await page.click('#progress .close');
    return done;
  }

  it('shows removals with their effect and applies them past the removal guard only when allowed', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(studio!.url);
    await rowAction(page, 'v003', 'create');
    await page.click('#build');
    expect(await page.textContent('#confirm-body')).not.toContain('removes');
    expect(await build(page)).toBe('ok');
    const built = JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8'));
    const outputs = (id: string) => [built.videos[id].output.path, built.videos[id].thumbnail.path] as string[];
    for (const file of [...outputs('v002'), ...outputs('v003')]) await stat(join(dir, file));

    // Two of the three videos leave the manifest: past the guard (over 20 % of reel.lock).
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(1));
    await rowAction(page, 'v003', 'remove');
    await rowAction(page, 'v002', 'remove');
    expect(await page.textContent('#build')).toBe('Remove 2…');
    await page.click('#build');
    const body = await page.textContent('#confirm-removals');
    expect(body).toContain('It removes 2 videos no manifest has any more: reel.lock forgets them and their local files are deleted.');
    for (const file of [...outputs('v002'), ...outputs('v003')]) expect(body).toContain(file);
    expect(body).toContain(`video ${built.videos.v002.video_id} is not deleted remotely`);
    expect(body).toContain('2 of the 3 videos in reel.lock would be removed (67 %), with their local files.');
    expect(await page.isDisabled('#confirm-go')).toBe(true);

    // The server holds the same rule: the confirmed plan without the allow is refused.
    const state = (await (await fetch(`${studio!.origin}/api/state?token=${studio!.token}`)).json()) as { confirm: { digest: string } };
    const post = (body: unknown) =>
      fetch(`${studio!.origin}/api/build`, { method: 'POST', headers: { 'content-type': 'application/json', origin: studio!.origin, 'x-reel-token': studio!.token }, body: JSON.stringify(body) });
    const refused = await post({ confirm: { digest: state.confirm.digest } });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([
      409,
      '2 of the 3 videos in reel.lock would be removed (67 %), with their local files: allow these removals explicitly to apply them (as reel build --allow-removals)',
    ]);

    await page.check('#allow-removals');
    expect(await build(page)).toBe('ok');
    const lock = JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8'));
    expect(Object.keys(lock.videos)).toEqual(['v001']);
    for (const file of [...outputs('v002'), ...outputs('v003')]) await expect(stat(join(dir, file))).rejects.toThrow(/ENOENT/);
    await page.waitForSelector('#build:disabled');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('sends nothing when the price changed after the confirmation, though renders and seconds did not', async () => {
    const page = await browser.newPage();
    await page.goto(studio!.url);
    // A page that opens after a build is shown that build's progress: put it away.
    await page.waitForSelector('#progress[data-done="ok"]');
    await page.click('#progress .close');
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(2));
    await rowAction(page, 'v002', 'create');
    const before = await page.textContent('.totals .cost');
    await page.click('#build');
    expect(await page.textContent('#confirm-body')).toContain(`This renders 1 video, ~2 s of video on the built-in emulator — free (on HeyGen, estimated ${before})`);

    // The price of Avatar IV changes while the dialog is open: the same render now costs more.
    const version = await page.evaluate(() => document.body.dataset.version);
    await writeFile(join(dir, 'reel.config.yaml'), 'pricing:\n  avatar_iv: 0.5\n');
    await page.waitForFunction((v) => document.body.dataset.version !== v, version);
    const planned = JSON.parse((await runCli(['plan', '--json', '--emulator'], dir, { NO_COLOR: '1' })).stdout) as { summary: { renders: number; estimate_cost: number } };
    const after = `~${formatCost(planned.summary.estimate_cost, 'usd')}`;
    expect(after).not.toBe(before);
    expect(await page.textContent('.totals .cost')).toBe(after);
    await page.click('#confirm-go');
    await page.waitForFunction(() => document.querySelector('#toast:not([hidden])')?.textContent === 'the plan changed since you looked: check it and confirm again');
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8')).videos)).toEqual(['v001']);

    // Looking again shows the new price, and that is what is built.
    await page.click('#build');
    expect(await page.textContent('#confirm-body')).toContain(`(on HeyGen, estimated ${after})`);
    expect(await build(page)).toBe('ok');
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8')).videos)).toEqual(['v001', 'v002']);
    await page.close();
  }, 60_000);
});
