import { readFile, realpath, stat } from 'node:fs/promises';
import { sha256 } from '../util/hash.js';
import { dirname, inside, isAbsolute, relativePath, resolve } from '../util/path.js';

/** How a manifest refers to a file: an https URL, or a path relative to the manifest. */
export type Reference = { kind: 'url'; url: string } | { kind: 'path'; path: string; relPath: string } | { kind: 'error'; message: string };

/** Classifies a reference without touching the disk. */
export function classify(root: string, manifestFile: string, ref: string): Reference {
  if (/^https:\/\//i.test(ref)) {
    try {
      new URL(ref);
      return { kind: 'url', url: ref };
    } catch {
      return { kind: 'error', message: `\`${ref}\` is not a valid URL` };
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return { kind: 'error', message: `\`${ref}\`: URLs must use https://` };
  if (isAbsolute(ref)) return { kind: 'error', message: `\`${ref}\` is an absolute path; write it relative to this manifest file` };
  const path = resolve(dirname(manifestFile), ref);
  if (!inside(root, path)) return { kind: 'error', message: `\`${ref}\` is outside the project root; keep assets inside the project` };
  return { kind: 'path', path, relPath: relativePath(root, path) };
}

export interface FileFacts {
  sha256: string;
  size: number;
}

/**
 * Reads local files once per load: many entries share a background or a data file. The real path
 * (after symlinks) must stay inside the real project root.
 */
export class FileCache {
  private readonly facts = new Map<string, Promise<FileFacts | { error: string }>>();
  private readonly data = new Map<string, Promise<unknown>>();
  private realRoot: Promise<string> | undefined;

  /** Memoises the parsed rows of a data file (keyed by real path). */
  rows<T>(path: string, load: () => Promise<T>): Promise<T> {
    let p = this.data.get(path) as Promise<T> | undefined;
    if (!p) {
      p = load();
      this.data.set(path, p);
    }
    return p;
  }

  constructor(readonly root: string) {}

  /** The real path of `path` if it exists inside the project, else an error message. */
  async check(path: string, ref: string): Promise<{ real: string } | { error: string }> {
    this.realRoot ??= realpath(this.root).catch(() => this.root);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      return { error: `\`${ref}\` not found (looked for ${relativePath(this.root, path)}); check the path, which is relative to this manifest` };
    }
    if (!inside(await this.realRoot, real)) return { error: `\`${ref}\` resolves (through a symlink) outside the project root; keep assets inside the project` };
    return { real };
  }

  hash(path: string, ref: string): Promise<FileFacts | { error: string }> {
    let p = this.facts.get(path);
    if (!p) {
      p = (async () => {
        const checked = await this.check(path, ref);
        if ('error' in checked) return checked;
        const st = await stat(checked.real);
        if (!st.isFile()) return { error: `\`${ref}\` is not a file` };
        const bytes = await readFile(checked.real);
        return { sha256: sha256(bytes), size: bytes.byteLength };
      })();
      this.facts.set(path, p);
    }
    return p;
  }
}
