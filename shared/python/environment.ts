// The Python environment a scoring script runs in, built without conda or Docker: the pip
// requirements of a deployment's environment (its conda file through condaPackages.ts, a curated
// environment's pinned list, an MLflow model's own conda file), installed into a virtual environment
// on top of a base interpreter, cached by content. Used by the emulator and action-deploy target local.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONDA_ONLY, CONDA_TO_PYPI, CURATED_REQUIREMENTS } from './condaPackages.js';
import { pipFailure } from './pip.js';

/** The inference server every scoring environment needs (Azure's images for scoring carry it). */
export const INFERENCE_SERVER_PACKAGE = 'azureml-inference-server-http';

/** What a deployment's environment asks pip for, and what this machine cannot honour (log lines). */
export interface ScoringRequirements {
  requirements: string[];
  /** The Python version the environment pins (`python=3.12` → `3.12`), when it pins one. */
  python: string | undefined;
  /** Lines for the deployment log: skipped conda-only packages, notes. */
  notes: string[];
}

/** A conda MatchSpec (`numpy=1.26`, `conda-forge::scipy>=1.10`, `numpy 1.26.4 py311h…`) as a pip requirement. */
export function condaSpecToPip(spec: string): { name: string; requirement: string } | undefined {
  const withoutChannel = spec.trim().replace(/^[^\s:]+::/, '');
  const m = /^([A-Za-z0-9_.-]+)\s*(.*)$/.exec(withoutChannel);
  if (!m?.[1]) return undefined;
  const name = m[1].toLowerCase();
  let version = (m[2] ?? '').trim();
  // `name 1.2 build` (space form) and `name=1.2=build`: the build string means nothing to pip.
  if (/^[0-9]/.test(version)) version = `==${version.split(/\s+/)[0] ?? ''}`;
  const single = /^=([^=<>!~,\s]+)(?:=\S*)?$/.exec(version);
  if (single?.[1]) {
    // conda's `=1.26` is "1.26 or any 1.26.x", pip's `==1.26.*`.
    version = single[1].endsWith('*') ? `==${single[1]}` : `==${single[1]}.*`;
  } else {
    const exact = /^==([^=\s]+)=\S*$/.exec(version);
    if (exact?.[1]) version = `==${exact[1]}`;
  }
  return { name, requirement: `${CONDA_TO_PYPI[name] ?? name}${version.replace(/\s+/g, '')}` };
}

/** The pip requirements of a conda environment file (its text), with the Python version it pins. */
export function condaRequirements(condaYaml: string, source: string): ScoringRequirements {
  let doc: unknown;
  try {
    doc = parse(condaYaml);
  } catch (error) {
    throw new Error(`${source} is not valid YAML: ${(error as Error).message}`);
  }
  const deps = doc && typeof doc === 'object' ? (doc as { dependencies?: unknown }).dependencies : undefined;
  if (deps !== undefined && !Array.isArray(deps)) throw new Error(`${source}: 'dependencies' must be a list.`);
  const requirements: string[] = [];
  const notes: string[] = [];
  const skipped: string[] = [];
  let python: string | undefined;
  for (const dep of deps ?? []) {
    if (typeof dep === 'string') {
      const parsed = condaSpecToPip(dep);
      if (!parsed) throw new Error(`${source}: dependency '${dep}' is not a conda package spec.`);
      if (parsed.name === 'python') {
        python = /(\d+(?:\.\d+)?)/.exec(dep.replace(/^[^=<>!~\s]*/, ''))?.[1];
        continue;
      }
      if (CONDA_ONLY.has(parsed.name)) skipped.push(dep);
      else requirements.push(parsed.requirement);
    } else if (dep && typeof dep === 'object' && Array.isArray((dep as { pip?: unknown }).pip)) {
      for (const line of (dep as { pip: unknown[] }).pip) requirements.push(String(line));
    } else {
      throw new Error(`${source}: dependency ${JSON.stringify(dep)} is neither a conda package nor a pip list.`);
    }
  }
  if (skipped.length > 0)
    notes.push(`conda packages without a pip equivalent, left to the machine: ${skipped.join(', ')}`);
  return { requirements, python, notes };
}

/** A curated environment's name (`AzureML-sklearn-1.5`, or the registry's `sklearn-1.5`) → its pinned list. */
export function curatedRequirements(name: string): ScoringRequirements | undefined {
  const curated = CURATED_REQUIREMENTS[name.replace(/^AzureML-/, '')];
  return curated && { requirements: [...curated.requirements], python: curated.python, notes: [] };
}

/** Whether the requirements name the inference server (itself, or azureml-defaults, which depends on it). */
export function namesInferenceServer(requirements: string[]): boolean {
  return requirements.some((r) => /^(azureml-inference-server-http|azureml-defaults)\b/i.test(r.trim()));
}

/** An interpreter: its path and version (`3.11.7`). */
export interface PythonInterpreter {
  python: string;
  version: string;
}

/** A log line that is not the deployment's own output (the environment being built). */
export type EnvironmentLog = (line: string) => void;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The version of an interpreter, or undefined when it does not run or cannot make virtual environments. */
export async function interpreterVersion(python: string): Promise<string | undefined> {
  const r = await run(python, ['-c', 'import sys, venv; print("%d.%d.%d" % sys.version_info[:3])']);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The first Python 3.8+ among the candidates, or undefined. */
export async function findInterpreter(candidates: string[]): Promise<PythonInterpreter | undefined> {
  for (const python of candidates) {
    const version = await interpreterVersion(python);
    const [major = 0, minor = 0] = (version ?? '').split('.').map(Number);
    if (version && major === 3 && minor >= 8) return { python, version };
  }
  return undefined;
}

/** A line for the log when the environment pins a Python this interpreter is not. */
export function pythonMismatch(wanted: string | undefined, have: PythonInterpreter): string | undefined {
  if (!wanted) return undefined;
  const parts = wanted.split('.');
  const actual = have.version.split('.').slice(0, parts.length).join('.');
  return actual === wanted
    ? undefined
    : `the environment pins python=${wanted}; this machine runs it with Python ${have.version} (${have.python}), the one interpreter it has: packages built only for ${wanted} cannot install, and behaviour may differ`;
}

export interface ScoringVenv {
  /** The virtual environment's python. */
  python: string;
  /** False when an earlier build with the same content was reused. */
  built: boolean;
}

/** The failure to install a deployment's requirements: what pip said, naming the package. */
export class EnvironmentBuildError extends Error {
  override readonly name = 'EnvironmentBuildError';
}

const building = new Map<string, Promise<ScoringVenv>>();

/**
 * A virtual environment with the requirements installed, over the base interpreter's own packages
 * (a .pth file puts its site-packages after the venv's, so requirements the base already satisfies
 * are not downloaded again and any other version pip installs wins). Cached under cacheRoot by
 * content (interpreter, version, requirements); a concurrent build of the same content is shared.
 */
export function ensureScoringVenv(options: {
  base: PythonInterpreter;
  requirements: string[];
  cacheRoot: string;
  log: EnvironmentLog;
}): Promise<ScoringVenv> {
  const { base, requirements, cacheRoot } = options;
  const key = createHash('sha256')
    .update(JSON.stringify({ python: path.resolve(base.python), version: base.version, requirements }))
    .digest('hex')
    .slice(0, 24);
  const dir = path.join(cacheRoot, key);
  const python = path.join(dir, 'bin', 'python');
  if (existsSync(path.join(dir, 'ready.json'))) return Promise.resolve({ python, built: false });
  let pending = building.get(dir);
  if (!pending) {
    pending = buildVenv(options, dir).finally(() => building.delete(dir));
    building.set(dir, pending);
  }
  return pending;
}

async function buildVenv(
  { base, requirements, cacheRoot, log }: Parameters<typeof ensureScoringVenv>[0],
  dir: string,
): Promise<ScoringVenv> {
  const started = Date.now();
  mkdirSync(cacheRoot, { recursive: true });
  const temporary = `${dir}.build-${process.pid}-${Date.now()}`;
  const paths = await run(base.python, [
    '-c',
    'import json, sysconfig, importlib.util as u; p = sysconfig.get_paths(); print(json.dumps([p["purelib"], p["platlib"], u.find_spec("pip") is not None]))',
  ]);
  if (paths.code !== 0) throw new EnvironmentBuildError(`${base.python} does not run: ${paths.stderr.trim()}`);
  const [purelib, platlib, hasPip] = JSON.parse(paths.stdout) as [string, string, boolean];
  // Without pip in the base, the venv gets its own (ensurepip: a few seconds more).
  const venv = await run(base.python, ['-m', 'venv', ...(hasPip ? ['--without-pip'] : []), temporary]);
  if (venv.code !== 0) {
    rmSync(temporary, { recursive: true, force: true });
    throw new EnvironmentBuildError(
      `${base.python} -m venv failed: ${venv.stderr.trim().split('\n').at(-1) ?? ''} (on Debian and Ubuntu: apt-get install python3-venv)`,
    );
  }
  const own = await run(path.join(temporary, 'bin', 'python'), [
    '-c',
    'import sysconfig; print(sysconfig.get_paths()["purelib"])',
  ]);
  writeFileSync(path.join(own.stdout.trim(), '_azureml_base.pth'), `${[...new Set([purelib, platlib])].join('\n')}\n`);
  const requirementsFile = path.join(temporary, 'requirements.txt');
  writeFileSync(requirementsFile, `${requirements.join('\n')}\n`);
  log(`Installing ${requirements.length} requirement(s) with pip over ${base.python} (Python ${base.version})`);
  const pip = await run(
    path.join(temporary, 'bin', 'python'),
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--prefer-binary',
      '--retries',
      '2',
      '--timeout',
      '30',
      '-r',
      requirementsFile,
    ],
    { ...process.env, PIP_REQUIRE_VIRTUALENV: '0' },
  );
  if (pip.code !== 0) {
    rmSync(temporary, { recursive: true, force: true });
    throw new EnvironmentBuildError(pipFailure(pip.stderr || pip.stdout));
  }
  const installed = pip.stdout.split('\n').filter((l) => l.startsWith('Successfully installed'));
  for (const line of installed) log(line);
  writeFileSync(
    path.join(temporary, 'ready.json'),
    `${JSON.stringify({ requirements, base: base.python, version: base.version })}\n`,
  );
  try {
    renameSync(temporary, dir);
  } catch {
    // Another process finished the same content first: use that one.
    rmSync(temporary, { recursive: true, force: true });
  }
  log(
    `Environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${installed.length > 0 ? 'packages installed' : 'every requirement already satisfied by the base packages'})`,
  );
  return { python: path.join(dir, 'bin', 'python'), built: true };
}

/**
 * An MLflow model's requirements as Azure's no-code deployment reads them (the model folder's
 * conda.yaml), plus the packages Azure's MLflow image carries (azureml-inference-server-http, mlflow-skinny).
 */
export function mlflowRequirements(modelFolder: string): ScoringRequirements {
  const condaFile = path.join(modelFolder, 'conda.yaml');
  const own: ScoringRequirements = existsSync(condaFile)
    ? condaRequirements(readFileSync(condaFile, 'utf8'), 'the model conda.yaml')
    : { requirements: [], python: undefined, notes: ['the model has no conda.yaml: only the MLflow image packages'] };
  // `mlflow` becomes mlflow-skinny at the same version: the model loads with it, and the full
  // package (tracking server, UI) is nothing scoring imports.
  own.requirements = own.requirements.map((r) => r.replace(/^mlflow(?=$|[=<>!~\s[])/i, 'mlflow-skinny'));
  for (const pkg of [INFERENCE_SERVER_PACKAGE, 'mlflow-skinny'])
    if (!own.requirements.some((r) => r.toLowerCase().startsWith(pkg))) own.requirements.push(pkg);
  return own;
}

/** Whether a folder is an MLflow model (it holds an MLmodel file). */
export function isMlflowModel(folder: string): boolean {
  return existsSync(path.join(folder, 'MLmodel'));
}
