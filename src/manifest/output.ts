import { inside, isAbsolute, relativePath, resolve } from '../util/path.js';

/**
 * Where `output.file` may point: a `.mp4` (or, for `output_format: webm`, `.webm`) file inside the
 * project, outside hidden files and folders (`.git`, `.reel`, `.env`, `.github` …) and
 * `node_modules`. The extension alone keeps a video off manifests, the config, `reel.lock` and
 * `reel.lock.pid`; the folder rules keep it off git's and reel's own state. See docs/security.md.
 */
export function checkOutputFile(root: string, file: string, format: unknown): { rel: string } | { problem: string } {
  const ext = format === 'webm' ? 'webm' : 'mp4';
  const abs = resolve(root, file);
  if (isAbsolute(file) || !inside(root, abs) || abs === root) {
    return { problem: '`output.file` must be a path relative to the project root, inside it' };
  }
  const rel = relativePath(root, abs);
  if (!rel.toLowerCase().endsWith(`.${ext}`)) {
    return {
      problem: `\`output.file\` must end in \`.${ext}\`${format === 'webm' ? ' (the entry sets `output_format: webm`)' : ''}; reel writes only video files there (e.g. \`renders/intro.${ext}\`)`,
    };
  }
  const parts = rel.split('/');
  const bad = parts.find((p) => p.startsWith('.') || p.toLowerCase() === 'node_modules');
  if (bad !== undefined) {
    return { problem: `\`output.file\` may not be inside \`${bad}\` (hidden files and folders and node_modules belong to git, reel and your tools); write it under your output folder instead` };
  }
  return { rel };
}

/**
 * What two outputs may not share: the path without its extension (the `.srt` and `.jpg` sidecars
 * share it), in lower case (macOS and Windows file systems ignore case).
 */
export function outputKey(rel: string): string {
  return rel.replace(/\.(mp4|webm)$/i, '').toLowerCase();
}
