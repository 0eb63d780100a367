import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // CLI and emulator tests spawn processes and bind ports; two cores is the budget.
    pool: 'forks',
    maxWorkers: 2,
    // One module graph per worker instead of one per file: importing src/ again for each of ~50
    // files cost a third of the suite's CPU time. Tests keep no module-level state between files
    // (environment stubs and fake timers are restored after each test).
    isolate: false,
  },
});
