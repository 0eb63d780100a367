import { describe, expect, it } from 'vitest';
import { RunScheduler, type ChangeBatch } from '../../src/watch/scheduler.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sorted(batch: ChangeBatch): { added: string[]; changed: string[]; removed: string[] } {
  return { added: [...batch.added].sort(), changed: [...batch.changed].sort(), removed: [...batch.removed].sort() };
}

describe('RunScheduler', () => {
  it('coalesces a burst of events into one batch after the quiet period', async () => {
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
    await sleep(10);
    scheduler.push('changed', '/a.yaml');
    scheduler.push('added', '/b.yaml');
    scheduler.push('removed', '/c.yaml');
    expect(batches).toHaveLength(0);
    await scheduler.idle();
    expect(batches.map(sorted)).toEqual([{ added: ['/b.yaml'], changed: ['/a.yaml'], removed: ['/c.yaml'] }]);
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
    await scheduler.idle();
    expect(batches.map(sorted)).toEqual([
      { added: ['/new.yaml'], changed: ['/saved-by-rename.yaml'], removed: ['/gone.yaml'] },
    ]);
    await scheduler.close();
  });

  it('never overlaps runs: events during a run form the next batch', async () => {
    let active = 0;
    let maxActive = 0;
    const batches: string[][] = [];
    const scheduler = new RunScheduler({
      debounceMs: 5,
      run: async (batch) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        batches.push([...batch.changed].sort());
        await sleep(60);
        active -= 1;
      },
      onError: () => {},
    });
    scheduler.push('changed', '/one.yaml');
    await sleep(20); // first run now in progress
    expect(scheduler.busy).toBe(true);
    scheduler.push('changed', '/two.yaml');
    await sleep(10);
    scheduler.push('changed', '/three.yaml');
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
    await scheduler.idle();
    scheduler.push('changed', '/a.yaml');
    await scheduler.idle();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
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
    await scheduler.close();
    scheduler.push('changed', '/b.yaml');
    await sleep(40);
    expect(calls).toBe(0);
  });
});
