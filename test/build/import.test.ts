import { describe, expect, it } from 'vitest';

describe('importing the build modules', () => {
  it('registers no signal handlers, starts nothing and prints nothing', async () => {
    const before = { sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') };
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      await import('../../src/commands/build.js');
      await import('../../src/build/index.js');
      await import('../../src/build/executor.js');
      await import('../../src/heygen/client.js');
    } finally {
      process.stdout.write = write;
    }
    expect({ sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') }).toEqual(before);
    expect(writes).toEqual([]);
  });
});
