import type { Change } from './plan.js';
import { SOURCE_FIELD } from './fingerprint.js';

/** True when a locale is planned because its source changed (editing the source re-translates it). */
export function sourceChanged(change: Change): boolean {
  return change.entry?.mode === 'translate' && change.changed.includes(SOURCE_FIELD);
}
