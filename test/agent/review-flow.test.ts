import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Behaviours, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { run as eject } from '../../src/commands/eject.js';
import { run as plan } from '../../src/commands/plan.js';
import { run as reviewCommand } from '../../src/commands/review.js';
import { run as validate } from '../../src/commands/validate.js';
import { callCommand, cliEnv, KEY, runCli } from '../helpers/cli.js';
import { project, readLockJson } from '../helpers/project.js';
import { apiGet } from '../helpers/emulator.js';

/**
 * The review flow end to end against the emulator, through the CLI as a person or CI runs it. Each
 * step counts what the emulator received: sessions created, messages sent, sessions stopped.
 */

let emulator: Emulator;
let dir: string;

interface Teaser {
  prompt?: string;
  revisions?: string[];
  approved?: boolean;
}

const PROMPT = 'A 20-second teaser announcing Acme 2.0.';

function manifest(t: Teaser = {}): string {
  const revisions = t.revisions ?? [];
  return [
    'version: 1',
    'videos:',
    '  # The teaser, reviewed in pull requests.',
    '  teaser:',
    '    mode: agent',
    '    title: Acme 2.0 teaser',
    `    prompt: ${t.prompt ?? PROMPT}`,
    '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
    '    orientation: portrait',
    '    review: true',
    ...(revisions.length > 0 ? ['    revisions:', ...revisions.map((r) => `      - ${r}`)] : []),
    ...(t.approved ? ['    approved: true'] : []),
    '',
  ].join('\n');
}

const write = (t: Teaser): Promise<void> => writeFile(join(dir, 'videos/teaser.yaml'), manifest(t));
const env = (): NodeJS.ProcessEnv => cliEnv(emulator);

const posts = (pattern: RegExp): string[] =>
  emulator
    .requests()
    .filter((r) => r.method === 'POST' && pattern.test(r.path))
    .map((r) => r.path);
const sessionsCreated = (): number => posts(/^\/v3\/video-agents$/).length;
const messagesTo = (session?: string): number => posts(/^\/v3\/video-agents\/[^/]+$/).filter((p) => !session || p.endsWith(`/${session}`)).length;
const stops = (): string[] => posts(/^\/v3\/video-agents\/[^/]+\/stop$/);

interface SessionJson {
  status: string;
  messages: Array<{ role: string; content: string }>;
}
const userMessages = async (session: string): Promise<string[]> => {
  const body = await apiGet<{ data: SessionJson }>(`${emulator.url}/v3/video-agents/${session}`);
  return body.data.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .reverse();
};

const start = (behaviours: Partial<Behaviours> = {}): Promise<Emulator> => startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY, behaviours });

beforeAll(async () => {
  emulator = await start();
});
afterAll(async () => {
  await emulator.close();
});

/** Within the calling describe, `emulator` is a fresh one with these live-API behaviours. */
function underBehaviours(behaviours: Partial<Behaviours>): void {
  let outer: Emulator | undefined;
  beforeAll(async () => {
    outer = emulator;
    emulator = await start(behaviours);
  });
  afterAll(async () => {
    await emulator.close();
    if (outer) emulator = outer;
  });
}

/*
 * The exactly-once parts of this file run under the emulator's live-API behaviours
 * (src/emulator/behaviours.ts, docs/emulator.md), each switch on alone beside the defaults, where
 * the switch changes reel's path:
 * - agent video_id only once rendering (the default hands it out at create): the whole review
 *   story — one session, each revision and approval sent once, nothing on re-runs — and the lost
 *   messages, since reel must follow the session whatever the create returned;
 * - chat sessions render without approval: the story's premise (a stop at the storyboard) and the
 *   lost messages' (a message sent in the first build) do not hold there by design; its own test
 *   below proves a committed revision the agent rendered without is sent once by the next build, and
 *   test/build/live-matrix.test.ts checks the unreviewed outcome of an approved chat entry;
 * - bulk statuses lagging or failing, session listing lag, error replay off: not here. The chat
 *   flow reads the session, not the bulk statuses, lists sessions only after a lost create, and
 *   meets no 4xx; test/build/resilience.test.ts runs the agent create and poll paths under them.
 */
const AS_OBSERVED = ['HeyGen as observed (the defaults)', {}] as const;
const NO_AGENT_VIDEO_AT_CREATE = ['agent video_id only once rendering', { agentVideoAtCreate: false }] as const;
const CHAT_AUTO_PROCEED = ['chat sessions render without approval', { chatAutoProceed: true }] as const;

describe.each([AS_OBSERVED, NO_AGENT_VIDEO_AT_CREATE])('review flow when %s', (_name, behaviours) => {
  underBehaviours(behaviours);
  beforeAll(async () => {
    dir = await project({ 'videos/teaser.yaml': manifest({ revisions: ['Make the intro shorter.'] }) });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  let firstSession = '';

  it('stops at the storyboard after sending the committed revision once, prints it, and exits 0', async () => {
    const summary = join(dir, 'summary.md');
    const run = await runCli(['build'], dir, cliEnv(emulator, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/teaser\s+create\s+awaiting_review/);
    // The storyboard (the agent's answer to the revision) and what to do next.
    expect(run.stdout).toContain('Storyboard:');
    expect(run.stdout).toContain('I revised the storyboard as you asked: "Make the intro shorter."');
    expect(run.stdout).toMatch(/Next: .*revisions:.*approved: true/);
    expect(run.stdout).toMatch(/1 awaiting review/);
    const md = await readFile(summary, 'utf8');
    expect(md).toContain('**Awaiting review**');
    expect(md).toContain('> I revised the storyboard as you asked');

    const lock = await readLockJson(dir);
    expect(lock.videos.teaser?.status).toBe('awaiting_review');
    firstSession = lock.videos.teaser?.session_id ?? '';
    expect(firstSession).toMatch(/^sess_/);
    expect(sessionsCreated()).toBe(1);
    expect(messagesTo(firstSession)).toBe(1);
    expect(await userMessages(firstSession)).toEqual([PROMPT, 'Make the intro shorter.']);
  });

  it('re-runs send nothing while the entry awaits review (no request at all)', async () => {
    const before = emulator.requests().length;
    const run = await runCli(['build', '--json'], dir, env());
    expect(run.code).toBe(0);
    const done = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { nothing_to_do?: boolean; awaiting_review?: string[] };
    expect(done.nothing_to_do).toBe(true);
    expect(done.awaiting_review).toEqual(['teaser']);
    const planned = await callCommand(plan, {}, dir, env());
    expect(planned.stdout).toMatch(/> teaser\s+resume.*\(awaiting review, nothing is sent: `reel review teaser`/);
    expect(emulator.requests().length).toBe(before);
  });

  it('`reel review` prints the conversation, the storyboard and which revisions were sent', async () => {
    const human = await callCommand(reviewCommand, { id: 'teaser' }, dir, env());
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`agent session ${firstSession} is reviewing`);
    expect(human.stdout).toContain(`you: ${PROMPT}`);
    expect(human.stdout).toContain('you: Make the intro shorter.');
    expect(human.stdout).toMatch(/Storyboard:\n {2}I revised the storyboard/);
    expect(human.stdout).toMatch(/draft res_storyboard_\w+ \(scenes=/);
    expect(human.stdout).toMatch(/sent\s+Make the intro shorter\./);

    const json = await callCommand(reviewCommand, { id: 'teaser', json: true }, dir, env());
    const view = JSON.parse(json.stdout) as {
      status: string;
      conversation: Array<{ role: string; content: string }>;
      storyboard: string[];
      resources: Array<{ resource_type: string }>;
      revisions: Array<{ text: string; sent: boolean }>;
    };
    expect(view.status).toBe('reviewing');
    expect(view.conversation[0]).toMatchObject({ role: 'user', content: PROMPT });
    expect(view.storyboard[0]).toContain('I revised the storyboard');
    expect(view.resources.map((r) => r.resource_type)).toEqual(['draft']);
    expect(view.revisions).toEqual([{ text: 'Make the intro shorter.', sent: true, in_conversation: true }]);
    // Reading sends nothing into the session.
    expect(messagesTo(firstSession)).toBe(1);
  });

  it('an appended revision is the only message sent, into the same session', async () => {
    await write({ revisions: ['Make the intro shorter.', 'End with the URL.'] });
    const planned = await callCommand(plan, {}, dir, env());
    expect(planned.stdout).toMatch(/teaser\s+resume.*revisions.*sends the new messages into the session/);
    const run = await runCli(['build'], dir, env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/teaser\s+resume\s+awaiting_review/);
    expect(sessionsCreated()).toBe(1);
    expect(messagesTo(firstSession)).toBe(2);
    expect(await userMessages(firstSession)).toEqual([PROMPT, 'Make the intro shorter.', 'End with the URL.']);
  });

  let secondSession = '';

  it('editing a sent revision starts a new session, says so in the plan, and stops the old one', async () => {
    await write({ revisions: ['Make the intro much shorter.', 'End with the URL.'] });
    const planned = await callCommand(plan, {}, dir, env());
    expect(planned.stdout).toMatch(/teaser\s+update.*\(new agent session: a revision already sent was edited or removed; the old one is stopped\)/);
    const json = await callCommand(plan, { json: true }, dir, env());
    const change = (JSON.parse(json.stdout) as { changes: Array<{ id: string; new_session?: string; render: boolean }> }).changes[0];
    expect(change).toMatchObject({ id: 'teaser', render: true, new_session: 'a revision already sent was edited or removed' });

    const run = await runCli(['build'], dir, env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/teaser\s+update\s+awaiting_review/);
    expect(stops()).toEqual([`/v3/video-agents/${firstSession}/stop`]);
    expect(sessionsCreated()).toBe(2);
    const lock = await readLockJson(dir);
    secondSession = lock.videos.teaser?.session_id ?? '';
    expect(secondSession).not.toBe(firstSession);
    // The new session hears the revisions in order, once each; the old one nothing more.
    expect(await userMessages(secondSession)).toEqual([PROMPT, 'Make the intro much shorter.', 'End with the URL.']);
    expect(messagesTo(firstSession)).toBe(2);
    const old = await apiGet<{ data: SessionJson }>(`${emulator.url}/v3/video-agents/${firstSession}`);
    expect(old.data.status).toBe('failed');
  });

  it('approved: true sends one approval, renders, downloads and locks; a re-run sends nothing', async () => {
    await write({ revisions: ['Make the intro much shorter.', 'End with the URL.'], approved: true });
    const run = await runCli(['build'], dir, env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/teaser\s+resume\s+completed/);
    const lock = await readLockJson(dir);
    expect(lock.videos.teaser?.status).toBe('completed');
    expect(lock.videos.teaser?.session_id).toBe(secondSession);
    const file = await readFile(join(dir, lock.videos.teaser?.output?.path ?? 'missing'));
    expect(file.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(await userMessages(secondSession)).toEqual([PROMPT, 'Make the intro much shorter.', 'End with the URL.', 'Approved. Please render the video.']);
    expect(sessionsCreated()).toBe(2);

    const before = emulator.requests().length;
    const again = await runCli(['build'], dir, env());
    expect(again.stdout).toMatch(/^Nothing to render: 1 video up to date\./);
    expect(emulator.requests().length).toBe(before);
  });

  it('a revision after the render continues the same session and is approved again, once', async () => {
    await write({ revisions: ['Make the intro much shorter.', 'End with the URL.', 'Use a warmer tone.'], approved: true });
    const run = await runCli(['build'], dir, env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/teaser\s+update\s+completed/);
    expect(sessionsCreated()).toBe(2);
    const sent = await userMessages(secondSession);
    expect(sent.slice(-2)).toEqual(['Use a warmer tone.', 'Approved. Please render the video.']);
    const videos = await apiGet<{ data: unknown[] }>(`${emulator.url}/v3/video-agents/${secondSession}/videos`);
    expect(videos.data).toHaveLength(2);
    const before = emulator.requests().length;
    expect((await runCli(['build'], dir, env())).code).toBe(0);
    expect(emulator.requests().length).toBe(before);
  });

  it('`reel eject` pins the video as a direct entry: avatar from the session, voice from the entry, script from the storyboard', async () => {
    const run = await callCommand(eject, { id: 'teaser' }, dir, env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Wrote teaser-direct to videos/teaser.ejected.yaml');
    expect(run.stdout).toContain('voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54 (Hope), from the agent entry (`voice`)');
    expect(run.stdout).toMatch(/avatar: \S+ \(.+\), from session resource res_avatar_\w+ \(metadata\.avatar_id\)/);
    expect(run.stdout).toMatch(/script: \d+ characters, from storyboard draft resource res_storyboard_\w+/);

    const original = await readFile(join(dir, 'videos/teaser.yaml'), 'utf8');
    expect(original).toBe(
      manifest({ revisions: ['Make the intro much shorter.', 'End with the URL.', 'Use a warmer tone.'], approved: true }).replace(
        '  teaser:\n',
        '  # Pinned as teaser-direct in teaser.ejected.yaml by `reel eject`.\n  teaser:\n',
      ),
    );
    const ejected = await readFile(join(dir, 'videos/teaser.ejected.yaml'), 'utf8');
    expect(ejected).not.toContain('draft: true');
    expect(ejected).toContain('    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54 # Hope\n');
    expect(ejected).toContain('    aspect_ratio: "9:16"');

    const valid = await callCommand(validate, {}, dir, env());
    expect(valid.stdout).toContain('2 videos in 2 files: valid (1 direct, 1 agent)');
    expect(valid.code).toBe(0);

    // Ejecting twice refuses instead of overwriting.
    const twice = await runCli(['eject', 'teaser'], dir, env()); // a usage error: the CLI maps it to a message and exit code
    expect(twice.code).toBe(2);

    const planned = await callCommand(plan, {}, dir, env());
    expect(planned.stdout).toMatch(/\+ teaser-direct\s+create\s+~\d+ s/);
    expect(planned.stdout).not.toMatch(/teaser\s+(update|remove)/);
  });
});

describe('generate mode', () => {
  it('a session that stops to ask is reported failed with the question, and nothing is sent to it', async () => {
    const gen = await project({
      'videos/a.yaml': ['version: 1', 'videos:', '  asks:', '    mode: agent', '    prompt: A 10-second hello. [emulator:ask]', ''].join('\n'),
    });
    try {
      const messagesBefore = messagesTo();
      const run = await runCli(['build'], gen, env());
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/asks\s+create\s+failed/);
      expect(run.stdout).toContain('agent_needs_input: the agent asked: Which voice should the presenter use?');
      const lock = await readLockJson(gen);
      expect(lock.videos.asks?.status).toBe('failed');
      expect(lock.videos.asks?.failure?.code).toBe('agent_needs_input');
      expect(messagesTo()).toBe(messagesBefore);
    } finally {
      await rm(gen, { recursive: true, force: true });
    }
  });
});

describe('changing the prompt', () => {
  it('plans a new session and stops the one awaiting review', async () => {
    const p = await project({ 'videos/teaser.yaml': manifest({}) });
    try {
      expect((await runCli(['build'], p, env())).code).toBe(0);
      const old = (await readLockJson(p)).videos.teaser?.session_id ?? '';
      await writeFile(join(p, 'videos/teaser.yaml'), manifest({ prompt: 'A 15-second teaser announcing Acme 2.0.' }));
      const planned = await callCommand(plan, {}, p, env());
      expect(planned.stdout).toMatch(/teaser\s+update.*prompt.*\(new agent session: the request changed; the old one is stopped\)/);
      const stopsBefore = stops().length;
      const run = await runCli(['build'], p, env());
      expect(run.code).toBe(0);
      expect(stops().slice(stopsBefore)).toEqual([`/v3/video-agents/${old}/stop`]);
      expect((await readLockJson(p)).videos.teaser?.session_id).not.toBe(old);
    } finally {
      await rm(p, { recursive: true, force: true });
    }
  });
});

describe('approval text and NDJSON', () => {
  it('sends approval_message from reel.config.yaml, and --json results carry the storyboard', async () => {
    const p = await project({
      'reel.config.yaml': 'approval_message: Ship it, go ahead.\n',
      'videos/teaser.yaml': manifest({}),
    });
    try {
      const first = await runCli(['build', '--json'], p, env());
      expect(first.code).toBe(0);
      const events = first.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const result = events.find((e) => e.type === 'result');
      expect(result).toMatchObject({ id: 'teaser', result: 'awaiting_review' });
      expect((result?.storyboard as string[])[0]).toMatch(/^Here is the storyboard\./);
      expect(result?.session_id).toMatch(/^sess_/);
      expect(events.at(-1)).toMatchObject({ type: 'done', awaiting_review: ['teaser'] });

      await writeFile(join(p, 'videos/teaser.yaml'), manifest({ approved: true }));
      const session = (await readLockJson(p)).videos.teaser?.session_id ?? '';
      const run = await runCli(['build'], p, env());
      expect(run.code).toBe(0);
      expect(await userMessages(session)).toEqual([PROMPT, 'Ship it, go ahead.']);
      expect((await readLockJson(p)).videos.teaser?.status).toBe('completed');
    } finally {
      await rm(p, { recursive: true, force: true });
    }
  });
});

describe('the rest of the build', () => {
  it('goes on while an entry awaits review: direct videos render and download, exit 0', async () => {
    const p = await project({
      'videos/teaser.yaml': manifest({}),
      'videos/direct.yaml': [
        'version: 1',
        'videos:',
        '  hello:',
        '    avatar: Daisy-inskirt-20220818',
        '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
        '    script: Hello there, this renders while the teaser waits for review.',
        '',
      ].join('\n'),
    });
    try {
      const run = await runCli(['build'], p, env());
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/hello\s+create\s+completed/);
      expect(run.stdout).toMatch(/teaser\s+create\s+awaiting_review/);
      expect(run.stdout).toMatch(/Build finished: 1 completed, 1 awaiting review/);
      const lock = await readLockJson(p);
      expect(lock.videos.hello?.status).toBe('completed');
      expect(lock.videos.teaser?.status).toBe('awaiting_review');
    } finally {
      await rm(p, { recursive: true, force: true });
    }
  });
});

describe('when chat sessions render without approval', () => {
  underBehaviours(CHAT_AUTO_PROCEED[1]);

  it('a committed revision the agent rendered without is planned, then sent by the next build once, into the same session', async () => {
    const p = await project({ 'videos/teaser.yaml': manifest({ revisions: ['Make the intro shorter.'] }) });
    try {
      const first = await runCli(['build'], p, env());
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/teaser\s+create\s+completed/);
      expect(first.stdout).toContain('it has not heard the committed revisions yet: the next build sends them');
      const locked = (await readLockJson(p)).videos.teaser as { session_id?: string; unreviewed?: boolean };
      const session = locked.session_id ?? '';
      expect(locked.unreviewed).toBe(true);
      // The agent rendered before the build could send the revision: the video lacks it.
      expect(await userMessages(session)).toEqual([PROMPT]);

      const planned = await callCommand(plan, {}, p, env());
      expect(planned.stdout).toMatch(/teaser\s+update.*\(the agent rendered before hearing the committed revisions: sends them into the session, which renders\)/);
      const second = await runCli(['build'], p, env());
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/teaser\s+update\s+completed/);
      expect(sessionsCreated()).toBe(1);
      expect(await userMessages(session)).toEqual([PROMPT, 'Make the intro shorter.']);
      const videos = await apiGet<{ data: unknown[] }>(`${emulator.url}/v3/video-agents/${session}/videos`);
      expect(videos.data).toHaveLength(2);

      const before = emulator.requests().length;
      expect((await runCli(['build'], p, env())).code).toBe(0);
      expect(emulator.requests().length).toBe(before);
    } finally {
      await rm(p, { recursive: true, force: true });
    }
  });
});

// Under chat auto-proceed these messages are never sent in the first build (the agent renders
// first), so the lost-message paths run under the other two settings only.
describe.each([AS_OBSERVED, NO_AGENT_VIDEO_AT_CREATE])('when %s', (_name, behaviours) => {
  underBehaviours(behaviours);

  describe('a message whose answer is lost', () => {
    it('is not sent again: the lock recorded it before it left', async () => {
      const p = await project({ 'videos/teaser.yaml': manifest({ revisions: ['Make the intro shorter.'] }) });
      try {
        // The emulator takes the message, then drops the connection instead of answering.
        emulator.inject({ method: 'POST', path: '/v3/video-agents/', kind: 'reset-after', times: 1 });
        const before = messagesTo();
        const run = await runCli(['build'], p, env());
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/may not have reached the agent.*not sent again/);
        expect(run.stdout).toMatch(/teaser\s+create\s+awaiting_review/);
        expect(messagesTo() - before).toBe(1);
        const session = (await readLockJson(p)).videos.teaser?.session_id ?? '';
        expect(await userMessages(session)).toEqual([PROMPT, 'Make the intro shorter.']);
        const again = await runCli(['build'], p, env());
        expect(again.code).toBe(0);
        expect(messagesTo() - before).toBe(1);
      } finally {
        await rm(p, { recursive: true, force: true });
      }
    });
  });

  describe('a message that never arrives', () => {
    it('leaves the entry awaiting review instead of waiting forever, and review shows it was lost', async () => {
      const p = await project({ 'videos/teaser.yaml': manifest({ revisions: ['Make the intro shorter.'] }) });
      try {
        // The connection drops before the emulator handles the message: the session never sees it.
        emulator.inject({ method: 'POST', path: '/v3/video-agents/', kind: 'reset', times: 1 });
        const before = messagesTo();
        const run = await runCli(['build'], p, env());
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/teaser\s+create\s+awaiting_review/);
        expect(run.stdout).toContain('the agent did not take the last message');
        expect(messagesTo() - before).toBe(1);
        const session = (await readLockJson(p)).videos.teaser?.session_id ?? '';
        expect(await userMessages(session)).toEqual([PROMPT]);

        const review = await callCommand(reviewCommand, { id: 'teaser' }, p, env());
        expect(review.stdout).toMatch(/sent\s+Make the intro shorter\.\s+\(recorded as sent, but not in the conversation/);
        // Re-runs still do not send it again.
        expect((await runCli(['build'], p, env())).code).toBe(0);
        expect(messagesTo() - before).toBe(1);
      } finally {
        await rm(p, { recursive: true, force: true });
      }
    });
  });
});
