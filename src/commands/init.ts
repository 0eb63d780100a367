import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from '../util/path.js';
import type { CommandOptions } from '../cli-options.js';
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { confinedWrite } from '../util/confine.js';
import { GIT_ATTRIBUTE, GIT_CONFIG_LINE, GIT_DRIVER_COMMAND, GIT_DRIVER_NAME } from './lock.js';

type InitOptions = CommandOptions<'init'>;

const WELCOME = `# yaml-language-server: $schema=../node_modules/reel/schema/manifest.schema.json
# Run \`reel validate\` after every edit; \`reel schema\` prints the schema for your editor.
version: 1
defaults:
  avatar: Daisy-inskirt-20220818          # avatar look id: \`reel avatars\`
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54 # voice id: \`reel voices\`
  aspect_ratio: "16:9"

videos:
  welcome:                                # the id: unique, lower case, safe as a file name
    title: Welcome
    script: Hi there! This video was made with reel.
    captions: true
`;

const CONFIG = `# reel.config.yaml — every key is optional; the values below are the defaults.
# manifests: ["videos/**/*.{yaml,yml}"]
# out: out
# title_tag: true
# approval_message: Approved. Please render the video.
# callback_url: https://example.com/heygen-webhook
`;

const IGNORED = ['node_modules/', 'out/', '.reel/', 'reel.lock.pid', '.env'];

/** The one workflow template: docs/github-actions.yml, shipped in the package. */
const WORKFLOW_TEMPLATE = new URL('../../docs/github-actions.yml', import.meta.url);
const WORKFLOW_PATH = '.github/workflows/videos.yml';

/** `reel init`: scaffolds videos/, reel.config.yaml, .gitignore and .gitattributes lines; with `--ci github` the workflow; never overwrites without --force. */
export async function run(options: InitOptions, ctx: CommandContext): Promise<number> {
  if (options.ci !== undefined && options.ci !== 'github') throw new UsageError(`--ci supports \`github\` (GitHub Actions), got \`${options.ci}\`.`);
  const files: Array<[string, () => Promise<string>]> = [
    ['videos/welcome.yaml', async () => WELCOME],
    ['reel.config.yaml', async () => CONFIG],
  ];
  if (options.ci === 'github') files.push([WORKFLOW_PATH, () => readFile(WORKFLOW_TEMPLATE, 'utf8')]);
  for (const [rel, content] of files) {
    const path = join(ctx.cwd, rel);
    const exists = await readFile(path).then(
      () => true,
      () => false,
    );
    if (exists && !options.force) {
      ctx.stdout.write(`kept     ${rel} (exists; --force overwrites)\n`);
      continue;
    }
    await confinedWrite(ctx.cwd, path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await content());
    ctx.stdout.write(`${exists ? 'replaced' : 'created '} ${rel}\n`);
  }
  // Outputs, caches, installed packages, the write lock and the key file never belong in git.
  await addLines(ctx, '.gitignore', IGNORED, (l) => l.replace(/^\//, '').replace(/\/$/, ''));
  // reel.lock merges video by video (the driver is named here and defined in git config).
  await addLines(ctx, '.gitattributes', [GIT_ATTRIBUTE], (l) => l.replace(/\s+/g, ' '));

  const configured = await gitConfigured(ctx.cwd);
  if (configured) {
    ctx.stdout.write(`kept     git merge driver ${GIT_DRIVER_NAME} (configured)\n`);
  } else if (options.gitConfig) {
    const result = await git(ctx.cwd, ['config', `merge.${GIT_DRIVER_NAME}.driver`, GIT_DRIVER_COMMAND]);
    if (result.ok) ctx.stdout.write(`set      git config merge.${GIT_DRIVER_NAME}.driver\n`);
    else ctx.stderr.write(`reel: could not set the merge driver (${result.message}); run \`${GIT_CONFIG_LINE}\` in the repository.\n`);
  } else {
    ctx.stdout.write(`\nGit merges reel.lock video by video once each clone runs (or rerun \`reel init --git-config\`):\n  ${GIT_CONFIG_LINE}\n`);
  }

  ctx.stdout.write('\nNext: edit videos/welcome.yaml, then\n');
  ctx.stdout.write('  npx reel plan              what a build would render, and why\n');
  ctx.stdout.write('  npx reel build --emulator  a full build against the built-in emulator (no key, no cost)\n');
  ctx.stdout.write('  npx reel watch             re-plan on every save\n');
  if (options.ci === 'github') ctx.stdout.write(`  then add the HEYGEN_API_KEY repository secret and commit ${WORKFLOW_PATH}\n`);
  return 0;
}

/** Append the lines `wanted` that `file` lacks (compared after `norm`), and say what happened. */
async function addLines(ctx: CommandContext, file: string, wanted: readonly string[], norm: (line: string) => string): Promise<void> {
  const path = join(ctx.cwd, file);
  const current = await readFile(path, 'utf8').catch(() => '');
  const lines = new Set(current.split(/\r?\n/).map((l) => norm(l.trim())));
  const missing = wanted.filter((entry) => !lines.has(norm(entry)));
  if (missing.length === 0) {
    ctx.stdout.write(`kept     ${file} (already has ${wanted.join(', ')})\n`);
    return;
  }
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  await confinedWrite(ctx.cwd, path);
  await writeFile(path, `${current}${sep}${missing.join('\n')}\n`);
  ctx.stdout.write(`${current === '' ? 'created ' : 'updated '} ${file} (${missing.join(', ')})\n`);
}

async function gitConfigured(cwd: string): Promise<boolean> {
  const result = await git(cwd, ['config', '--get', `merge.${GIT_DRIVER_NAME}.driver`]);
  return result.ok && result.stdout.trim() !== '';
}

function git(cwd: string, args: string[]): Promise<{ ok: boolean; stdout: string; message: string }> {
  return new Promise((done) => {
    execFile('git', args, { cwd }, (error, stdout, stderr) => {
      done({ ok: !error, stdout: String(stdout), message: error ? String(stderr).trim() || error.message : '' });
    });
  });
}
