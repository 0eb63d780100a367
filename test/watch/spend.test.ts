import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { BUILD_QUIET_MS } from '../../src/watch/build.js';
import { runCli } from '../helpers/cli.js';
import { MAIN, smallProject } from './fixtures.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { project, removeProject, writeProjectFile } from '../helpers/project.js';

// `reel watch --build` spends only within limits it shows (issue 12, hole 3).

let emulator: Emulator | undefined;
let running: CliProcess | undefined;
let root: string | undefined;

afterEach(async () => {
  await running?.stop();
  await emulator?.close();
  if (root) removeProject(root);
  running = undefined;
  emulator = undefined;
  root = undefined;
});

const creates = (e: Emulator): number => e.requests().filter((r) => r.method === 'POST' && r.path === '/v3/videos').length;

describe('reel watch --build spends within a session budget', () => {
  it('names the API and account, and refuses a run past the session budget before anything is sent', async () => {
    emulator = await startEmulator({ port: 0, renderSeconds: 0.3, apiKey: 'sk-watch-test', walletUsd: 41.2 });
    root = project(smallProject());
    const w = (running = spawnCli(['watch', '--build', '--max-videos', '1'], root, {
      HEYGEN_API_URL: emulator.url,
      HEYGEN_API_KEY: 'sk-watch-test',
      REEL_WATCH_QUIET_MS: '200',
      REEL_POLL_MS: '100,100,300',
    }));
    await w.waitFor(/plan: .*\n/);
    expect(w.stderr()).toMatch(new RegExp(`reel watch --build spends on ${emulator.url.replace(/[.]/g, '\\.')} as emulator-[\\w-]+; wallet: \\$41\\.20 left\\. Session budget: 1 videos`));

    // The first save renders (1 of 1).
    let mark = w.mark();
    const main = MAIN.replace('welcome to Acme.', 'welcome to Acme, glad you are here.');
    writeProjectFile(root, 'videos/main.yaml', main);
    await w.waitFor(/build: done: .*\n/, mark, 20_000);
    expect(creates(emulator)).toBe(1);

    // The second would be the session's second video: refused, nothing sent.
    mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', main.replace('Press the question mark', 'Press the help button'));
    const out = await w.waitFor(/build: failed: .*\n/, mark, 20_000);
    expect(out).toMatch(/refusing to start: 1 video would render, more than --max-videos 0 \(the budget is for the whole watch session\); nothing was sent/);
    expect(creates(emulator)).toBe(1);
    const lock = JSON.parse(readFileSync(join(root, 'reel.lock'), 'utf8')) as { videos: Record<string, unknown> };
    expect(Object.keys(lock.videos)).toEqual(['welcome']);
  });

  it('waits longer for quiet by default, and refuses budget flags without --build', async () => {
    expect(BUILD_QUIET_MS).toBeGreaterThanOrEqual(3000);
    root = project(smallProject());
    const r = await runCli(['watch', '--max-cost', '5'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/add --build/);
  });
});

describe('watch --build asks on a terminal above a threshold', () => {
  it('asks before a run that would render more than 3 videos, and sends nothing when declined', async () => {
    const { BuildController } = await import('../../src/watch/build.js');
    const events: string[] = [];
    const reporter = { onRun: () => {}, onError: () => {}, onBuild: (e: { kind: string; summary?: string }) => events.push(`${e.kind}${e.summary ? `: ${e.summary}` : ''}`), close: () => {} };
    const questions: string[] = [];
    let confirmed: boolean | undefined;
    const summary = { renders: 5, estimateSeconds: 50, estimateCost: 3.33, costUnit: 'usd' };
    const runner = async (options: { confirm?: (plan: unknown) => Promise<boolean>; maxVideos?: number }) => {
      confirmed = await options.confirm?.({ changes: [], summary });
      return confirmed ? ({ kind: 'up-to-date' } as never) : ({ kind: 'declined' } as never);
    };
    const site = { cwd: '/nowhere', env: {}, signal: new AbortController().signal };
    const controller = new BuildController(site, reporter as never, runner as never, 1, { maxVideos: 10 }, async (_plan, question) => {
      questions.push(question);
      return false;
    });
    const change = { id: 'a', action: 'create', render: true, fingerprint: 'f' };
    controller.onRun({ kind: 'files', delta: [{ id: 'a', after: change }], reloaded: [], durationMs: 0 } as never, { changes: [], diagnostics: [] } as never);
    for (let i = 0; i < 500 && !events.some((e) => e.startsWith('done')); i += 1) await new Promise((r) => setTimeout(r, 10));
    await controller.close();
    expect(questions).toEqual(['watch --build would render 5 videos (~50 s, ~$3.33). Render them? [y/N] ']);
    expect(confirmed).toBe(false);
    expect(events.at(-1)).toMatch(/^done: nothing was sent/);
  });
});
