// `npm run python-env`: the Python environment the tests run (Microsoft's inference server, onnxruntime,
// numpy): a virtual environment in .cache/python/venv holding exactly python/requirements.lock, every
// file checked against its SHA-256, reused while the lock and the interpreter are unchanged.
// `npm test` and .ci/run call it. Without Python or the registry, outside CI, it says so once and the
// suites that need it skip; with CI=true a failed install fails the run, naming the package.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipFailure } from '../shared/python/pip.js';

export { pipFailure };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PYTHON_LOCK = join(ROOT, 'python', 'requirements.lock');
export const PYTHON_ENV_DIR = join(ROOT, '.cache', 'python');
const VENV = join(PYTHON_ENV_DIR, 'venv');
const STAMP = join(PYTHON_ENV_DIR, 'stamp.json');
export const VENV_PYTHON = join(VENV, 'bin', 'python');
/** The lock's wheels exist for these CPython versions (numpy 1.26.4: 3.9-3.12). */
const SUPPORTED = { min: [3, 10], max: [3, 12] } as const;

export type PythonEnv = { python: string; version: string } | { reason: string };

interface Stamp {
  lockSha256: string;
  version: string;
}

const lockSha256 = (): string => createHash('sha256').update(readFileSync(PYTHON_LOCK)).digest('hex');

/** The environment when it is built from the current lock, else why not (nothing is installed). */
export function pythonEnvStatus(): PythonEnv {
  if (!existsSync(STAMP) || !existsSync(VENV_PYTHON)) return { reason: 'the Python environment is not built' };
  const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as Stamp;
  if (stamp.lockSha256 !== lockSha256()) return { reason: 'python/requirements.lock changed since it was built' };
  return { python: VENV_PYTHON, version: stamp.version };
}

function versionOf(python: string): string | undefined {
  const run = spawnSync(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8',
  });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** The first interpreter that the lock's wheels fit and that can make a virtual environment. */
function baseInterpreter(): { python: string; version: string } | { reason: string } {
  const candidates = [
    process.env.AZUREML_PYTHON,
    'python3',
    '/usr/bin/python3',
    'python3.12',
    'python3.11',
    'python3.10',
  ];
  const seen: string[] = [];
  for (const python of candidates) {
    if (!python) continue;
    const version = versionOf(python);
    if (!version) continue;
    const [major = 0, minor = 0] = version.split('.').map(Number);
    const fits = major === 3 && minor >= SUPPORTED.min[1] && minor <= SUPPORTED.max[1];
    if (fits) return { python, version };
    seen.push(`${python} ${version}`);
  }
  return {
    reason:
      seen.length > 0
        ? `no Python ${SUPPORTED.min.join('.')}-${SUPPORTED.max.join('.')} with venv (found ${seen.join(', ')}); set AZUREML_PYTHON to one`
        : 'no Python 3 with the venv module was found (python3, /usr/bin/python3); set AZUREML_PYTHON to one',
  };
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Builds the environment unless it is current. Never throws: a failure is returned as its reason. */
export function ensurePythonEnv(log: (line: string) => void = () => undefined): PythonEnv {
  const current = pythonEnvStatus();
  if ('python' in current) return current;
  const base = baseInterpreter();
  if ('reason' in base) return base;
  const started = Date.now();
  log(
    `Python environment: installing python/requirements.lock into .cache/python with ${base.python} ${base.version} (about 50 s and 630 MB the first time)`,
  );
  rmSync(PYTHON_ENV_DIR, { recursive: true, force: true });
  mkdirSync(PYTHON_ENV_DIR, { recursive: true });
  const venv = spawnSync(base.python, ['-m', 'venv', VENV], { encoding: 'utf8' });
  if (venv.status !== 0)
    return { reason: `${base.python} -m venv failed: ${venv.stderr.trim().split('\n').at(-1) ?? ''}` };
  const pip = spawnSync(
    VENV_PYTHON,
    [
      '-m',
      'pip',
      'install',
      '--require-hashes',
      '--no-deps',
      // Wheels only: nothing is compiled, so an install takes the same time on every machine.
      '--only-binary',
      ':all:',
      '--disable-pip-version-check',
      '--no-input',
      '--retries',
      '2',
      '--timeout',
      '30',
      '-r',
      PYTHON_LOCK,
    ],
    { encoding: 'utf8' },
  );
  if (pip.status !== 0) {
    rmSync(PYTHON_ENV_DIR, { recursive: true, force: true });
    return {
      reason: `Python packages could not be installed from python/requirements.lock: ${pipFailure(pip.stderr)}`,
    };
  }
  const stamp: Stamp = { lockSha256: lockSha256(), version: base.version };
  writeFileSync(STAMP, `${JSON.stringify(stamp)}\n`);
  const megabytes = Math.round(sizeOf(PYTHON_ENV_DIR) / 1e6);
  log(`Python environment: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (.cache/python, ${megabytes} MB)`);
  return { python: VENV_PYTHON, version: base.version };
}

// As a command: build it, say what happened, and fail only in CI.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const env = ensurePythonEnv((line) => process.stdout.write(`${line}\n`));
  if ('python' in env) {
    process.stdout.write(`Python environment: ${env.python} (Python ${env.version}, python/requirements.lock)\n`);
  } else if (process.env.CI === 'true') {
    process.stderr.write(`CI=true and ${env.reason}\n`);
    process.exit(1);
  } else {
    process.stdout.write(`warning: ${env.reason}: the tests that run Python are skipped\n`);
  }
}
