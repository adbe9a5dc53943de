// `npm test`: makes sure the emulator's CA exists, then starts jest with NODE_EXTRA_CA_CERTS pointing
// at it. Node reads that variable only at process start, so the jest workers (which talk HTTPS to
// the emulator with the real Azure SDK) must inherit it from here. It also finds the Azure ML REST
// spec the emulator validates against, and builds the Python environment the tests run: without
// either, CI (CI=true) fails here, and elsewhere the suites that need it skip, saying why.
// Before all that it refuses to test a stale bundle; `--build` (ours, not jest's) rebuilds the
// stale bundles first instead. A run of the whole suite (no test paths given) also measures the
// in-process ring's coverage against the threshold in jest.config.js; a run of chosen files does
// not (a part cannot reach the whole's figure).

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listActions, ROOT } from './actions.mjs';
import { distStaleness } from './dist-sources.mjs';

const build = process.argv.includes('--build');
const jestArgs = process.argv.slice(2).filter((arg) => arg !== '--build');
/** jest options that take the next argument as their value (the others are flags or `--name=value`). */
const TAKES_VALUE = new Set(['-t', '--testNamePattern', '--outputFile', '--selectProjects', '-c', '--config']);
/** Options that run part of the suite, as test paths do. */
const NARROWING =
  /^(-t|--testNamePattern|--testPathPatterns?|--findRelatedTests|-o|--onlyChanged|--selectProjects|--shard)\b/;
const testPaths = jestArgs.filter((arg, index) => !arg.startsWith('-') && !TAKES_VALUE.has(jestArgs[index - 1] ?? ''));
const narrowed = testPaths.length > 0 || jestArgs.some((arg) => NARROWING.test(arg));
if (!narrowed && !jestArgs.some((arg) => arg.startsWith('--coverage'))) jestArgs.push('--coverage');
/** The ring and the unit tests run the source in process, never a bundle: a stale dist/ does not matter to them. */
const sourceOnly =
  (testPaths.length > 0 && testPaths.every((arg) => /^(\.\/)?tests\/(ring|unit)(\/|$)/.test(arg))) ||
  jestArgs.join(' ').includes('--selectProjects ring');

// The e2e tests run each action's committed dist/: after a source edit without a build they would
// test yesterday's code. The check hashes the files each bundle recorded (a few ms); a full build
// takes 30-60 s on 2 cores, too slow to do before every targeted run.
const stale = (sourceOnly ? [] : listActions())
  .map((action) => ({ dir: action.dir, reason: distStaleness(action.dir) }))
  .filter((action) => action.reason !== undefined);
if (stale.length > 0) {
  const only = stale.map((action) => action.dir).join(',');
  if (!build) {
    process.stderr.write(
      [
        'The tests run the committed bundles, and these are older than their source:',
        ...stale.map((action) => `  ${action.dir}/dist: ${action.reason}`),
        `Rebuild them first: npm run build -- --only ${only}`,
        '(or let the tests build them: npm test -- --build [jest arguments])',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  process.stdout.write(`Rebuilding the stale bundles first: ${only}\n`);
  const built = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'scripts', 'build.mjs'), '--only', only],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const ensure = spawnSync(
  process.execPath,
  ['--import', 'tsx', path.join(ROOT, 'emulator', 'cli.ts'), '--ensure-ca', '--spec-status'],
  { cwd: ROOT, encoding: 'utf8' },
);
if (ensure.status !== 0) {
  process.stderr.write(`Could not create the emulator's CA:\n${ensure.stderr}`);
  process.exit(1);
}
const [caFile, specLine] = ensure.stdout.trim().split('\n').slice(-2);
const spec = JSON.parse(specLine);
const env = { ...process.env, NODE_EXTRA_CA_CERTS: caFile };
if (spec.dir) {
  process.stdout.write(`Azure ML REST spec: ${spec.source} (${spec.dir})\n`);
} else {
  if (process.env.CI === 'true') {
    process.stderr.write(`CI=true and ${spec.message}\nCI never passes unvalidated: the tests were not run.\n`);
    process.exit(1);
  }
  /** Test files that use describeWithSpec / itWithSpec (tests/support/spec.ts). */
  const needing = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.test.ts') && /\b(describe|it)WithSpec\(/.test(readFileSync(file, 'utf8')))
        needing.push(path.relative(ROOT, file));
    }
  };
  walk(path.join(ROOT, 'tests'));
  process.stdout.write(
    `warning: ${spec.message}\nSkipped for want of the spec (their other tests run): ${needing.sort().join(', ')}\n`,
  );
  // The emulators the workers start would each repeat the warning.
  env.AZUREML_SPEC_WARNED = '1';
}
// The Python environment (python/requirements.lock): built once, then reused while the lock is unchanged.
const python = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'python-env.ts')], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (python.status !== 0) process.exit(python.status ?? 1);
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...jestArgs],
  { cwd: ROOT, stdio: 'inherit', env },
);
process.exit(jest.status ?? 1);
