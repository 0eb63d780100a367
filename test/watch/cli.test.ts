import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, PEOPLE_CSV, smallProject } from './fixtures.js';
import { completedLock } from '../plan/project.js';
import { CLI, type CliProcess, requireBuild, spawnCli, testEnv } from '../helpers/cli.js';
import { project, removeProject, writeProjectFile } from '../helpers/project.js';
import { ownedByTest } from '../helpers/emulator.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let running: CliProcess | undefined;
let root: string | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
  if (root) removeProject(root);
  root = undefined;
});

beforeAll(requireBuild);

// Each test has its own project and watch process: they run side by side.
describe.concurrent('reel watch (plain output)', () => {
  it('shows the first plan, then every save as one delta and a totals line', async ({ onTestFinished }) => {
    const test = ownedByTest(onTestFinished);
    const root = (test.root = project(smallProject()));
    const w = (test.running = spawnCli(['watch'], root));
    const first = await w.waitFor(/plan: .*\n/);
    expect(first).toMatch(/watching 2 files, 4 videos/);
    expect(first).toMatch(/\+ welcome create ~\d+ s ~\$\d+\.\d\d {2}videos\/main\.yaml:6/);
    expect(first).toMatch(/plan: 4 to create, ~\d+ s of video, ~\$\d+\.\d\d \(2 files, 4 videos\)/);

    // Edit one entry: only that entry is reported.
    let mark = w.mark();
    const edited = MAIN.replace('welcome to Acme.', 'welcome to Acme, we are glad you are here.');
    writeProjectFile(root, 'videos/main.yaml', edited);
    let run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/\+ welcome create ~\d+ s ~\$\d+\.\d\d\n/);
    expect(run).not.toMatch(/support/);

    // A build elsewhere writes the lock: the view follows without touching the manifests.
    mark = w.mark();
    writeFileSync(join(root, 'reel.lock'), await completedLock(root));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/reel\.lock changed/);
    expect(run).toMatch(/= welcome unchanged \(was create\)/);
    expect(run).toMatch(/plan: no changes \(2 files, 4 videos\)/);

    // Now an edit is an update with the changed field named.
    mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', edited.replace('Press the question mark', 'Press the ? key'));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/~ support update \(script\) ~\d+ s ~\$\d+\.\d\d \(was unchanged\)/);
    expect(run).not.toMatch(/welcome/);
    expect(run).toMatch(/plan: 1 to update, ~\d+ s of video, ~\$\d+\.\d\d \(2 files, 4 videos\)/);

    // A new manifest file.
    mark = w.mark();
    writeProjectFile(root, 'videos/extra.yaml', 'version: 1\nvideos:\n  bonus:\n    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: One more thing.\n');
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/\+ bonus create/);
    expect(run).toMatch(/\(3 files, 5 videos\)/);

    // Deleting it: the entry was never built, so it simply leaves the view.
    mark = w.mark();
    rmSync(join(root, 'videos/extra.yaml'));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/x bonus no longer in any manifest \(was create\)/);
    expect(run).toMatch(/\(2 files, 4 videos\)/);

    // A data file of an `each` entry.
    mark = w.mark();
    writeProjectFile(root, 'data/people.csv', `${PEOPLE_CSV}zoe,Zoe\n`);
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/\+ hello-zoe create/);
    expect(run).not.toMatch(/hello-ada/);

    // Deleting a built entry's manifest plans its removal.
    mark = w.mark();
    rmSync(join(root, 'videos/main.yaml'));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/- support remove/);
    expect(run).toMatch(/- welcome remove/);
    expect(run).toMatch(/\(1 file, 3 videos\)/);

    expect(await w.stop()).toBe(0);
  });

  it('shows a YAML error with path:line:col, keeps the last good state, and recovers when fixed', async ({ onTestFinished }) => {
    const test = ownedByTest(onTestFinished);
    const root = (test.root = project(smallProject()));
    const w = (test.running = spawnCli(['watch'], root));
    await w.waitFor(/plan: .*\n/);

    let mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('    script: Hi there, welcome to Acme.', '    script: "Hi there, welcome'));
    let run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/^videos\/main\.yaml:\d+:\d+ {2}\S+ {2}.+$/m);
    expect(run).toMatch(/videos\/main\.yaml has errors: the plan keeps its last good state/);
    // Last good state kept: still 4 videos, all still planned.
    expect(run).toMatch(/plan: 4 to create, .*\(2 files, 4 videos, \d+ errors?\)/);

    // An unknown key is a validation error, reported with its position and id.
    mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('    title: Support', '    titel: Support'));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/^videos\/main\.yaml:10:5 {2}support {2}.*titel/m);
    expect(run).toMatch(/\(2 files, 4 videos, 1 error\)/);

    // Saving that file again with the error still in it shows the error again.
    mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('    title: Support', '    titel: Support').replace('Acme.', 'Acme!'));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/^videos\/main\.yaml:10:5 {2}support {2}.*titel/m);

    // Fixed: no restart needed.
    mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('welcome to Acme.', 'welcome aboard.'));
    run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/no problems/);
    expect(run).toMatch(/\+ welcome create/);
    expect(run).toMatch(/plan: 4 to create, .*\(2 files, 4 videos\)\n/);
  });

  it('skips a save that leaves the bytes as they were', async ({ onTestFinished }) => {
    const test = ownedByTest(onTestFinished);
    const root = (test.root = project(smallProject()));
    const w = (test.running = spawnCli(['watch'], root));
    await w.waitFor(/plan: .*\n/);
    const mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN); // same bytes, new mtime
    await sleep(500);
    writeProjectFile(root, 'videos/people.yaml', `# a comment\n${(await import('./fixtures.js')).PEOPLE}`);
    await sleep(500);
    // Neither run changes the plan: the first is skipped before parsing, the second re-parses
    // people.yaml (new bytes) and finds the same fingerprints.
    const after = w.stdout().slice(mark);
    expect(after.match(/plan:/g)?.length ?? 0).toBe(1);
    expect(after).not.toMatch(/welcome|support|hello-/);
  });

  it('reloads everything when reel.config.yaml changes', async ({ onTestFinished }) => {
    const test = ownedByTest(onTestFinished);
    const root = (test.root = project(smallProject()));
    const w = (test.running = spawnCli(['watch'], root));
    await w.waitFor(/plan: .*\(2 files, 4 videos\)\n/);
    const mark = w.mark();
    writeProjectFile(root, 'reel.config.yaml', 'manifests:\n  - videos/main.yaml\n');
    const run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/config changed/);
    expect(run).toMatch(/x hello-ada no longer in any manifest/);
    expect(run).toMatch(/\(1 file, 2 videos\)/);
  });

  it('picks up a data file created later, in a folder that did not exist', async ({ onTestFinished }) => {
    const test = ownedByTest(onTestFinished);
    const root = (test.root = project({
      'videos/later.yaml':
        'version: 1\nvideos:\n  hi-{{ row.slug }}:\n    each: ../data/deep/later.csv\n    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Hello {{ row.slug }}.\n',
    }));
    const w = (test.running = spawnCli(['watch'], root));
    const first = await w.waitFor(/plan: .*\n/);
    expect(first).toMatch(/^videos\/later\.yaml:4:11 {2}.*not found/m);
    const mark = w.mark();
    writeProjectFile(root, 'data/deep/later.csv', 'slug\nzed\n');
    const run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/\+ hi-zed create/);
    expect(run).toMatch(/no problems/);
  });

  it('narrows the view with --target', async ({ onTestFinished }) => {
    const test = ownedByTest(onTestFinished);
    const root = (test.root = project(smallProject()));
    const w = (test.running = spawnCli(['watch', '--target', 'hello-*'], root));
    const first = await w.waitFor(/plan: .*\n/);
    expect(first).toMatch(/plan: 2 to create/);
    expect(first).not.toMatch(/welcome/);
  });
});

describe('reel watch without --build', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('never sends a request, even with a key and an API URL set', async () => {
    let requests = 0;
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    root = project(smallProject());
    const w = (running = spawnCli(['watch'], root, { HEYGEN_API_URL: url, HEYGEN_API_KEY: 'sk-test' }));
    await w.waitFor(/plan: .*\n/);
    const mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('welcome to Acme.', 'hello again.'));
    await w.waitFor(/plan: .*\n/, mark);
    expect(await w.stop()).toBe(0);
    expect(requests).toBe(0);
    expect(w.stderr()).not.toMatch(/error/i);
  });
});

describe('reel watch on a terminal', () => {
  const hasScript = (() => {
    try {
      return execFileSync('script', ['--version'], { encoding: 'utf8' }).includes('util-linux');
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasScript)('draws a screen and redraws it in place after a save', async () => {
    root = project(smallProject());
    // util-linux `script` gives the CLI a real pseudo-terminal of a known size.
    const child = spawn('script', ['-qfec', `stty rows 30 cols 100; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} watch`, '/dev/null'], {
      cwd: root,
      env: testEnv({ TERM: 'xterm' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const until = async (re: RegExp, from: number): Promise<string> => {
      for (let i = 0; i < 200; i += 1) {
        if (re.test(out.slice(from))) return out.slice(from);
        await sleep(50);
      }
      throw new Error(`timed out waiting for ${re}:\n${JSON.stringify(out.slice(from))}`);
    };
    try {
      const first = await until(/Ctrl-C to stop/, 0);
      expect(first).toContain('\u001b[2J'); // cleared once at start
      expect(first).toMatch(/reel watch · 2 files, 4 videos · updated/);
      expect(first).toMatch(/Plan: 4 to create/);
      const mark = out.length;
      writeProjectFile(root, 'videos/main.yaml', MAIN.replace('    title: Support', '    titel: Support'));
      const next = await until(/Problems \(1\)[\s\S]*Ctrl-C to stop/, mark);
      expect(next.startsWith('\u001b[H')).toBe(true); // redrawn from the top, not appended
      expect(next).toMatch(/videos\/main\.yaml:10:5 {2}support/);
      expect(next).toMatch(/showing its last good state/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
