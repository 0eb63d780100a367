// `reel show` and `reel explain`: the exact request, and what changed in words since the last render.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { project, removedAfterAll } from '../helpers/project.js';

const MANIFEST = `version: 1
defaults:
  avatar: Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
videos:
  welcome:
    title: Welcome
    script: Hi there! This short video shows you around.
    background: { image: ../bg.png }
`;

const ENV = { PATH: process.env.PATH ?? '', NO_COLOR: '1', REEL_POLL_MS: '20,20,100' };

describe('reel show', () => {
  const dirs = removedAfterAll();

  it('prints the request with local files by path, then the word diff against the text the lock kept', async () => {
    const dir = await project({ 'videos/a.yaml': MANIFEST, 'bg.png': 'not really a png' });
    dirs.push(dir);
    // A real PNG so the emulator accepts the upload.
    await writeFile(join(dir, 'bg.png'), Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAAEAQMAAACTPww9AAAAA1BMVEU6e9W09Nv6AAAAC0lEQVQI12NggAAAAAgAAS8g3TEAAAAASUVORK5CYII=', 'base64'));

    const before = await runCli(['show', 'welcome'], dir, ENV);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('POST /v3/videos');
    expect(before.stdout).toContain('"script": "Hi there! This short video shows you around."');
    expect(before.stdout).toContain('"asset_id": "file:bg.png"');
    expect(before.stdout).not.toContain('since the last render');

    const build = await runCli(['build', '--emulator', '--yes'], dir, ENV);
    expect(build.code, build.stderr).toBe(0);
    const lock = JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8'));
    expect(lock.videos.welcome.text).toEqual({ script: 'Hi there! This short video shows you around.', title: 'Welcome' });

    await writeFile(join(dir, 'videos/a.yaml'), MANIFEST.replace('This short video shows you around.', 'This quick tour shows you everything.'));
    const shown = await runCli(['show', 'welcome'], dir, ENV);
    expect(shown.stdout).toContain('script: Hi there! This [-short video-]{+quick tour+} shows you [-around-]{+everything+}.');
    const json = JSON.parse((await runCli(['show', 'welcome', '--json'], dir, ENV)).stdout);
    expect(json).toMatchObject({ id: 'welcome', action: 'update', endpoint: 'POST /v3/videos', request: { script: 'Hi there! This quick tour shows you everything.' } });
    expect(json.text_changes[0].field).toBe('script');
    expect(json.text_changes[0].parts).toContainEqual({ op: 'add', text: 'quick tour' });

    const explained = await runCli(['explain', 'welcome'], dir, ENV);
    expect(explained.stdout).toContain('since the last render:');
    expect(explained.stdout).toContain('[-short video-]{+quick tour+}');

    const unknown = await runCli(['show', 'welcom'], dir, ENV);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Did you mean "welcome"?');
  }, 60_000);
});
