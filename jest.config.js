// Jest runs TypeScript as native ESM (the actions and @actions/core are ESM-only).
// ts-jest only transpiles here; `tsc --noEmit` in `npm run lint`/`build` does the type-checking.
// Two projects: `ring` calls each action's work function in process (tests/ring, the source
// itself, measured by coverage); `suite` is everything else, with the bundles as the outer ring.

/** What both projects share. */
const project = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

/** @type {import('jest').Config} */
export default {
  // A global option: jest-circus reads it from the global config only, never from a project's.
  testTimeout: 60000,
  projects: [
    {
      ...project,
      displayName: 'ring',
      testMatch: ['<rootDir>/tests/ring/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
    {
      ...project,
      displayName: 'suite',
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/tests/ring/'],
      // Coverage measures the ring alone: what the suite's unit tests reach in process is not counted.
      coveragePathIgnorePatterns: ['.'],
    },
  ],
  // `npm test` with no test paths adds --coverage (scripts/test.mjs): the ring's reach over the
  // actions' source and shared/ may not fall below these figures (measured, then set just under).
  // Not counted: the 2-line index.ts entries and the @actions/core adapter, which only a bundle runs.
  collectCoverageFrom: [
    'action-*/src/**/*.ts',
    'action-*/*/src/**/*.ts',
    'shared/**/*.ts',
    '!**/src/index.ts',
    '!shared/github/**',
  ],
  coverageProvider: 'babel',
  coverageReporters: ['text-summary'],
  // Measured 2026-12-07 on main 9347840 (30 ring tests): lines 59.3 %, statements 59.1 %,
  // functions 64.7 %, branches 45.7 %. The rest is mostly target local's server (a process of its
  // own, started from the bundle), the anonymous environments action-pipeline just gained, and
  // input and error paths the unit and bundle tests cover.
  coverageThreshold: { global: { lines: 59, statements: 59, functions: 64, branches: 45.5 } },
  // Prints the reliability table (or the secrets scan's line) once every file has run: the secrets
  // row counts the scans of every file's action runs (tests/harness/secretScan.ts).
  globalSetup: '<rootDir>/tests/harness/globalSetup.mjs',
  globalTeardown: '<rootDir>/tests/harness/globalTeardown.mjs',
};
