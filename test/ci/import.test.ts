import { describe, expect, it } from 'vitest';

describe('importing the CI modules', () => {
  it('registers no process listeners and writes nothing', async () => {
    const events = ['SIGINT', 'SIGTERM', 'exit', 'beforeExit', 'uncaughtException'] as const;
    const before = events.map((e) => process.listenerCount(e));
    const writes: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await import('../../src/catalog/catalog.js');
      await import('../../src/catalog/remote.js');
      await import('../../src/catalog/account.js');
      await import('../../src/drift/compare.js');
      await import('../../src/drift/collect.js');
      await import('../../src/lock/merge.js');
      await import('../../src/report/github.js');
      await import('../../src/commands/catalog.js');
      await import('../../src/commands/status.js');
      await import('../../src/commands/lock.js');
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(writes).toEqual([]);
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
  });
});
