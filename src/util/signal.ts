/**
 * A signal that aborts when `parent` does or after `timeoutMs`, and lets go of `parent` when the
 * caller is done. `AbortSignal.any` keeps a listener on the parent until garbage collection, so a
 * build's thousands of requests piled listeners onto the one Ctrl-C signal (Node's
 * MaxListenersExceeded warning); this one removes its listener in `dispose`.
 */
export function linkedSignal(parent: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
  }, timeoutMs);
  timer.unref?.();
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
