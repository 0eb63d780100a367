import { afterEach, describe, expect, it } from 'vitest';
import { smallProject } from '../watch/fixtures.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { project, removeProject, writeProjectFile } from '../helpers/project.js';

let running: CliProcess | undefined;
let root: string | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  if (root) removeProject(root);
  root = undefined;
});

describe('reel watch and a config that cannot be used', () => {
  it('an invalid manifests glob keeps the last good state and shows the problem', async () => {
    root = project(smallProject());
    const w = (running = spawnCli(['watch'], root));
    await w.waitFor(/plan: .*\(2 files, 4 videos\)\n/);
    const mark = w.mark();
    writeProjectFile(root, 'reel.config.yaml', 'manifests:\n  - ../elsewhere/*.yaml\n');
    const run = await w.waitFor(/plan: .*\n/, mark);
    expect(run).toMatch(/manifest glob `\.\.\/elsewhere\/\*\.yaml` must be relative to the project root/);
    expect(run).not.toMatch(/no longer in any manifest/);
    expect(run).toMatch(/plan: 4 to create, .*\(2 files, 4 videos, 1 error\)/);
  });
});
