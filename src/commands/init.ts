import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from '../util/path.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

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

const IGNORED = ['out/', '.reel/', 'reel.lock.pid', '.env'];

/** `reel init`: scaffolds videos/, reel.config.yaml and .gitignore lines for outputs, caches and secrets; never overwrites without --force. */
export async function run(options: InitOptions, ctx: CommandContext): Promise<number> {
  const files: Array<[string, string]> = [
    ['videos/welcome.yaml', WELCOME],
    ['reel.config.yaml', CONFIG],
  ];
  for (const [rel, content] of files) {
    const path = join(ctx.cwd, rel);
    let exists = true;
    try {
      await readFile(path);
    } catch {
      exists = false;
    }
    if (exists && !options.force) {
      ctx.stdout.write(`kept     ${rel} (exists; --force overwrites)\n`);
      continue;
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    ctx.stdout.write(`${exists ? 'replaced' : 'created '} ${rel}\n`);
  }
  const gitignore = join(ctx.cwd, '.gitignore');
  let current = '';
  try {
    current = await readFile(gitignore, 'utf8');
  } catch {
    // no .gitignore yet
  }
  // Outputs, caches, the write lock and the key file never belong in git.
  const lines = new Set(current.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = IGNORED.filter((entry) => !lines.has(entry.replace(/\/$/, '')));
  if (missing.length === 0) {
    ctx.stdout.write(`kept     .gitignore (already ignores ${IGNORED.join(', ')})\n`);
  } else {
    const sep = current === '' || current.endsWith('\n') ? '' : '\n';
    await writeFile(gitignore, `${current}${sep}${missing.join('\n')}\n`);
    ctx.stdout.write(`${current === '' ? 'created ' : 'updated '} .gitignore (${missing.join(', ')})\n`);
  }
  ctx.stdout.write('\nNext: edit videos/welcome.yaml, then run `reel validate`.\n');
  return 0;
}
