// Jest runs TypeScript as native ESM (the actions and @actions/core are ESM-only).
// ts-jest only transpiles here; `tsc --noEmit` in `npm run lint`/`build` does the type-checking.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testTimeout: 60000,
  // Prints the reliability table (or the secrets scan's line) once every file has run: the secrets
  // row counts the scans of every file's action runs (tests/harness/secretScan.ts).
  globalSetup: '<rootDir>/tests/harness/globalSetup.mjs',
  globalTeardown: '<rootDir>/tests/harness/globalTeardown.mjs',
};
