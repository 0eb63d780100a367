/**
 * `target.push(...items)` passes every item as an argument: past about 100,000 items (a big CSV, a
 * large project) V8 throws "Maximum call stack size exceeded". These loop instead.
 */
export function append<T>(target: T[], items: readonly T[]): T[] {
  for (let i = 0; i < items.length; i++) target.push(items[i] as T);
  return target;
}

/** `Math.max(start, ...values)` without spreading. */
export function maxOf(values: Iterable<number>, start = Number.NEGATIVE_INFINITY): number {
  let max = start;
  for (const v of values) max = Math.max(max, v);
  return max;
}

/** `Math.min(start, ...values)` without spreading. */
export function minOf(values: Iterable<number>, start = Number.POSITIVE_INFINITY): number {
  let min = start;
  for (const v of values) min = Math.min(min, v);
  return min;
}
