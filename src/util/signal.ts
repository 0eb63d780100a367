import { CancelledError } from '../errors.js';

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

/** Items handled between two turns of the event loop in long synchronous work (see `breathe`). */
export const BREATHE_EVERY = 1000;

/**
 * Let the event loop turn once, so that a SIGTERM or Ctrl-C that arrived during long synchronous
 * work (a 100,000-row CSV) is handled, then stop if it was. Signal handlers run only between turns.
 */
export async function breathe(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new CancelledError('cancelled while loading manifests');
}
