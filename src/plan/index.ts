/** The pure core: fingerprints, estimates and the plan. No filesystem, no network, no clock. */
export * from './fingerprint.js';
export * from './estimate.js';
export * from './cost.js';
export * from './select.js';
export * from './plan.js';
export * from './explain.js';
export * from './budget.js';
export * from './l10n.js';
export * from './speech.js';
export * from './text.js';
