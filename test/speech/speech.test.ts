// Text-to-speech previews: the emulator's endpoint, the cache under .reel/, and exact lengths in the plan.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/heygen/client.js';
import { loadProject } from '../../src/manifest/index.js';
import { speechRequest } from '../../src/plan/speech.js';
import { spokenDurations, synthesize } from '../../src/speech/cache.js';
import { KEY, cliEnv, runCli } from '../helpers/cli.js';
import { emulatorPerTest } from '../helpers/emulator.js';

const MANIFEST = `version: 1
defaults:
  avatar: Daisy-inskirt-20220818
videos:
  hello:
    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
    script: ${'word '.repeat(41).trim()}
  hola:
    voice: 6e7d2a1c9b8f4e3d8a7b6c5d4e3f2a1b
    script: Hola a todos.
`;

/** WAV header fields: sample rate, bytes of PCM data. */
function wavInfo(bytes: Buffer): { rate: number; dataBytes: number; bitsPerSample: number } {
  expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
  expect(bytes.toString('latin1', 8, 12)).toBe('WAVE');
  return { rate: bytes.readUInt32LE(24), bitsPerSample: bytes.readUInt16LE(34), dataBytes: bytes.readUInt32LE(40) };
}

describe('text to speech', () => {
  const emu = emulatorPerTest();

  it('synthesises a WAV of the reported length once, caches it, and the plan shows the exact seconds', async () => {
    const { dir, emu: e } = await emu.setup({ 'videos/a.yaml': MANIFEST });
    const project = await loadProject(dir, { signal: new AbortController().signal });
    const entry = project.entries.find((x) => x.id === 'hello')!;
    const r = speechRequest(entry);
    if (!('request' in r)) throw new Error(r.reason);
    const client = connect({ baseUrl: e.url, apiKey: KEY }, new AbortController().signal);

    const first = await synthesize(dir, client, r.request, new AbortController().signal);
    if (first.kind !== 'ok') throw new Error(first.message);
    expect(first.cached).toBe(false);
    expect(first.duration).toBe(16.4); // 41 words at 150 a minute
    const info = wavInfo(await readFile(first.file));
    expect(info.dataBytes / ((info.rate * info.bitsPerSample) / 8)).toBeCloseTo(16.4, 2);

    const again = await synthesize(dir, client, r.request, new AbortController().signal);
    expect(again).toMatchObject({ kind: 'ok', cached: true, duration: 16.4, file: first.file });
    expect(e.requests().filter((q) => q.path === '/v3/voices/speech')).toHaveLength(1);
    expect([...(await spokenDurations(dir)).values()]).toEqual([16.4]);

    // The plan takes the preview's exact length and says it is measured (16.4 s, shown as 17; the estimate from the words is 16 s).
    const plan = await runCli(['plan', '--json'], dir, cliEnv(e));
    const hello = JSON.parse(plan.stdout).changes.find((c: { id: string }) => c.id === 'hello');
    expect(hello).toMatchObject({ estimate_seconds: 17, measured: true });
    const human = await runCli(['plan'], dir, cliEnv(e));
    expect(human.stdout).toMatch(/hello\s+create\s+17 s \(measured\)/);
    expect(human.stdout).toMatch(/hola\s+create\s+~1 s/);
    expect(human.stdout).toContain('1 measured by text to speech, the rest estimated');
  });

  it('says so when a voice cannot do text to speech, and caches nothing', async () => {
    const { dir, emu: e } = await emu.setup({ 'videos/a.yaml': MANIFEST });
    const project = await loadProject(dir, { signal: new AbortController().signal });
    const r = speechRequest(project.entries.find((x) => x.id === 'hola')!);
    if (!('request' in r)) throw new Error(r.reason);
    const client = connect({ baseUrl: e.url, apiKey: KEY }, new AbortController().signal);
    const out = await synthesize(dir, client, r.request, new AbortController().signal);
    expect(out).toMatchObject({ kind: 'error', cannot: true });
    expect(out.kind === 'error' && out.message).toMatch(/cannot be previewed.*starfish/);
    expect((await spokenDurations(dir)).size).toBe(0);
  });
});
