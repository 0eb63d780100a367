#!/usr/bin/env node
// The `reel` command. A package installed from npm, a git URL or a tarball ships dist/ (built by
// `prepack`); a clone of the repository has none until it is built, so the first run builds it.
// That keeps `npm ci && npx reel …` working in a clone without an install script, which npm
// would run (and warn about) in every project that installs reel.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(new URL('../src/cli.ts', import.meta.url))) {
    // An installed copy without its build: `npm i <git URL>` packs without running `prepack`.
    process.stderr.write(`reel: this copy of reel (${root}) was installed without dist/. Install a tarball made by \`npm pack\` in a clone of reel instead (see its README).\n`);
    process.exit(1);
  }
  process.stderr.write('reel: no dist/ yet (a source checkout): building it once with `npm run build`…\n');
  // The build's own output goes to stderr: stdout may be a --json document.
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
  if (built.status !== 0 || !existsSync(cli)) {
    process.stderr.write(`reel: the build failed; run \`npm ci && npm run build\` in ${root} and try again.\n`);
    process.exit(1);
  }
}
await import(cli.href);
