// Shared by the interop suites: run Microsoft's Python SDK v2 (azure-ai-ml, from Debian's
// python3-azure, with our pydash stand-in on its path) against an emulator, one operation per
// process (python/interop.py), and read what both clients sent from the emulator's request log.

import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin } from '../emulator/helpers.js';

export const INTEROP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON_DIR = path.join(INTEROP_DIR, 'python');
/** Debian's interpreter: the `python3` on PATH may be another one that cannot see Debian's packages. */
export const PYTHON = process.env.AZUREML_INTEROP_PYTHON ?? '/usr/bin/python3';

let checked: string | null | undefined;

/**
 * Why the interop suites cannot run here (printed, then the suite is skipped), or null when
 * azure-ai-ml imports. `npm run test:interop` and `.ci/run` install python3-azure first
 * (scripts/ensure-python-azure.sh), so this is only non-null where apt could not be reached.
 */
export function skipReason(): string | null {
  if (checked !== undefined) return checked;
  const probe = spawnSync(PYTHON, ['-c', 'import amlclient, azure.ai.ml; print(azure.ai.ml.__version__)'], {
    cwd: PYTHON_DIR,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1' },
  });
  checked =
    probe.status === 0
      ? null
      : `azure-ai-ml cannot be imported by ${PYTHON} (${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}); ` +
        'install Debian python3-azure (scripts/ensure-python-azure.sh) to run the interop tests';
  if (checked) process.stdout.write(`interop tests skipped: ${checked}\n`);
  return checked;
}

export interface PythonResult<T> {
  result: T;
  stderr: string;
}

export class PythonError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs one azure-ai-ml operation (python/interop.py COMMAND) against the emulator. */
export async function aml<T = Record<string, unknown>>(
  emu: RunningEmulator,
  command: string,
  args: Record<string, unknown> = {},
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<T> {
  const child = spawn(PYTHON, [path.join(PYTHON_DIR, 'interop.py'), command, JSON.stringify(args)], {
    cwd: options.cwd ?? PYTHON_DIR,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PYTHONPATH: PYTHON_DIR,
      PYTHONDONTWRITEBYTECODE: '1',
      // azure-ai-ml prints telemetry warnings otherwise; nothing leaves the machine either way.
      AZUREML_LOG_LEVEL: 'WARNING',
      ...emu.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  clearTimeout(timer);
  const last = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new PythonError(`azure-ai-ml ${command} printed no result (exit ${code}):\n${stdout}\n${stderr}`, stderr);
  }
  const error = (parsed as { error?: { type: string; message: string } }).error;
  if (code !== 0 || error) {
    throw new PythonError(
      `azure-ai-ml ${command} failed: ${error?.type ?? 'exit ' + code}: ${error?.message ?? ''}\n${stderr.slice(-4000)}`,
      stderr,
    );
  }
  return parsed as T;
}

export interface LoggedRequest {
  id: number;
  service: string;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  requestBody?: unknown;
  responseBody?: unknown;
}

/** The emulator's request log (ARM by default), from `since` (an id) on. */
export async function requests(emu: RunningEmulator, service = 'arm', since = 0): Promise<LoggedRequest[]> {
  const res = await admin(emu, 'GET', `/requests?service=${service}&since=${since}`);
  return (res.body as { value: LoggedRequest[] }).value;
}

/** The id after which a later `requests(emu, service, mark)` call lists only new requests. */
export async function mark(emu: RunningEmulator): Promise<number> {
  const all = (await admin(emu, 'GET', '/requests')).body as { value: LoggedRequest[] };
  return all.value.reduce((max, r) => Math.max(max, r.id), 0);
}

/** `METHOD /path-below-the-workspace api-version` of each request, for readable assertions. */
export function summarise(list: LoggedRequest[]): string[] {
  return list.map(
    (r) =>
      `${r.status} ${r.method} ${r.path.replace(/^.*\/workspaces\/[^/]+/, '') || '/'} ${r.query['api-version'] ?? ''}`,
  );
}
