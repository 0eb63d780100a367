import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Every temp folder of a run goes under one, removed after it (test/helpers/global-setup.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/tmpdir.ts'],
    hookTimeout: 30_000,
    // CLI and emulator tests spawn processes and bind ports; two cores is the budget.
    pool: 'forks',
    maxWorkers: 4,
    // One module graph per worker instead of one per file: importing src/ again for each of ~50
    // files cost a third of the suite's CPU time. Tests keep no module-level state between files
    // (environment stubs and fake timers are restored after each test).
    isolate: false,
    // Transformed modules are kept in node_modules/.experimental-vitest-cache between runs (keyed by
    // content): a second run skips most of the TypeScript transform.
    experimental: { fsModuleCache: true },
    // Concurrent suites (describe.concurrent) are tests that mostly wait on renders: more at once.
    maxConcurrency: 10,
    projects: [
      // `npm test`: reel itself, through its CLI (in-process and as a process), its emulator and a browser.
      { extends: true, test: { name: 'reel', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/install/**'] } },
      // `npm run test:install`: reel as a team gets it — a fresh clone's `npm ci` and quick start, `npm pack`, the
      // tarball installed into a new project. Mostly npm's and tsc's time (about 35 s of CPU); CI runs it after `npm test`.
      { extends: true, test: { name: 'install', include: ['test/install/**/*.test.ts'] } },
    ],
  },
});
