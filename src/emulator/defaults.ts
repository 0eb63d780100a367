/**
 * The emulator's tunables when nobody says otherwise: `startEmulator` applies them and `reel
 * emulator` shows them in its help (src/cli-options.ts), from this one place. Importing this module
 * loads nothing else of the emulator.
 */
export const EMULATOR_DEFAULTS = {
  /** Seconds a render takes. */
  renderSeconds: 2,
  /** Unfinished jobs allowed per key. */
  concurrencyLimit: 10,
  /** Lifetime of download URLs in seconds. */
  urlTtl: 600,
  /** Share (0..1) of requests and renders that fail. */
  faultRate: 0,
  /** Seed of the fault generators. */
  seed: 1,
} as const;

/** Port of `reel emulator` (in-process emulators take a free port). */
export const EMULATOR_PORT = 4010;
