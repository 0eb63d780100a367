/**
 * `Promise.all` that lets every promise finish before it rejects. With `Promise.all`, the first
 * failure (an unreadable lock) returns at once while the others (loading the manifests, writing the
 * cache) run on into a command that has already returned: harmless in a process that then exits,
 * but a library caller (or the next command in the same process) would find files still being
 * written. Rejects with the first rejection in argument order.
 */
export async function whenAll<T extends readonly unknown[]>(values: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(values);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
