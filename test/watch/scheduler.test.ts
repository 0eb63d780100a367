// The scheduler's clock is vitest's fake timers: each test moves time by hand, so "no run before
// the quiet period" and "no second run while one is going" are checked at exact instants instead
// of depending on how busy the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunScheduler, type ChangeBatch } from '../../src/watch/scheduler.js';

function sorted(batch: ChangeBatch): { added: string[]; changed: string[]; removed: string[] } {
  return { added: [...batch.added].sort(), changed: [...batch.changed].sort(), removed: [...batch.removed].sort() };
}

/** A promise the test resolves when it chooses: a run that lasts exactly as long as the test says. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RunScheduler', () => {
  it('coalesces a burst of events into one batch after the quiet period, which each event restarts', async () => {
    const batches: ChangeBatch[] = [];
    const scheduler = new RunScheduler({
      debounceMs: 30,
      run: async (batch) => {
        batches.push(batch);
      },
      onError: (error) => {
        throw error;
      },
    });
    scheduler.push('changed', '/a.yaml');
    await vi.advanceTimersByTimeAsync(20);
    scheduler.push('changed', '/a.yaml');
    scheduler.push('added', '/b.yaml');
    scheduler.push('removed', '/c.yaml');
    await vi.advanceTimersByTimeAsync(29); // 49 ms after the first event, 29 after the last
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map(sorted)).toEqual([{ added: ['/b.yaml'], changed: ['/a.yaml'], removed: ['/c.yaml'] }]);
    await scheduler.idle();
    await scheduler.close();
  });

  it('folds editor save patterns: unlink then add is a change, add then change is an add', async () => {
    const batches: ChangeBatch[] = [];
    const scheduler = new RunScheduler({
      debounceMs: 10,
      run: async (batch) => {
        batches.push(batch);
      },
      onError: () => {},
    });
    scheduler.push('removed', '/saved-by-rename.yaml');
    scheduler.push('added', '/saved-by-rename.yaml');
    scheduler.push('added', '/new.yaml');
    scheduler.push('changed', '/new.yaml');
    scheduler.push('changed', '/gone.yaml');
    scheduler.push('removed', '/gone.yaml');
    await vi.advanceTimersByTimeAsync(10);
    await scheduler.idle();
    expect(batches.map(sorted)).toEqual([{ added: ['/new.yaml'], changed: ['/saved-by-rename.yaml'], removed: ['/gone.yaml'] }]);
    await scheduler.close();
  });

  it('never overlaps runs: events during a run form the next batch, started when the run ends', async () => {
    let active = 0;
    let maxActive = 0;
    const batches: string[][] = [];
    const first = gate();
    const scheduler = new RunScheduler({
      debounceMs: 5,
      run: async (batch) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        batches.push([...batch.changed].sort());
        if (batches.length === 1) await first.promise;
        active -= 1;
      },
      onError: () => {},
    });
    scheduler.push('changed', '/one.yaml');
    await vi.advanceTimersByTimeAsync(5);
    expect(active).toBe(1); // the first run is in progress, and stays so until the gate opens
    expect(scheduler.busy).toBe(true);
    scheduler.push('changed', '/two.yaml');
    await vi.advanceTimersByTimeAsync(10); // its quiet period is over, but a run is going
    scheduler.push('changed', '/three.yaml');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(batches).toEqual([['/one.yaml']]);
    first.open();
    await vi.advanceTimersByTimeAsync(0);
    await scheduler.idle();
    expect(maxActive).toBe(1);
    expect(batches).toEqual([['/one.yaml'], ['/three.yaml', '/two.yaml']]);
    await scheduler.close();
  });

  it('keeps running after a run throws and reports the error', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = new RunScheduler({
      debounceMs: 5,
      run: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
      },
      onError: (error) => errors.push(error),
    });
    scheduler.push('changed', '/a.yaml');
    await vi.advanceTimersByTimeAsync(5);
    await scheduler.idle();
    scheduler.push('changed', '/a.yaml');
    await vi.advanceTimersByTimeAsync(5);
    await scheduler.idle();
    expect(calls).toBe(2);
    expect(errors).toEqual([new Error('boom')]);
    await scheduler.close();
  });

  it('drops pending events on close and runs nothing afterwards', async () => {
    let calls = 0;
    const scheduler = new RunScheduler({
      debounceMs: 20,
      run: async () => {
        calls += 1;
      },
      onError: () => {},
    });
    scheduler.push('changed', '/a.yaml');
    await vi.advanceTimersByTimeAsync(19);
    await scheduler.close();
    scheduler.push('changed', '/b.yaml');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(0);
    expect(scheduler.busy).toBe(false);
  });
});
