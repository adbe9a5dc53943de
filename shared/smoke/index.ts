// The smoke test and release gate engine, as the smoke-test sub-action and action-deploy use it:
// typed config in (config.ts), cases from files (cases.ts), a SmokeResult and its renderings out.

export * from './config.js';
export * from './cases.js';
export * from './expectations.js';
export * from './secret.js';
export * from './stats.js';
export * from './run.js';
export * from './report.js';
export { ProbeClient } from './client.js';
export type { ProbeClientOptions, ResponseCallback, TransportError, TransportFailure } from './client.js';
