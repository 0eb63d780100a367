/**
 * Canonical JSON: object keys sorted at every depth, no insignificant whitespace, `undefined`
 * members dropped. Two values that mean the same request serialise to the same bytes.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Deterministic pretty JSON (sorted keys, two-space indent, trailing newline) for files in git. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // No prototype: a key `__proto__` (a lock entry's id, say) is kept as a key, not taken as one.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}
