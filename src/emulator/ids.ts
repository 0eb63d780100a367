import { randomBytes } from 'node:crypto';

/** A fresh id in HeyGen's style: a prefix and random hex (`sess_…`, `vt_…`). */
export function newId(prefix: string, bytes = 8): string {
  return `${prefix}${randomBytes(bytes).toString('hex')}`;
}
