// Shared by the interop suites: run Microsoft's Python SDK v2 (azure-ai-ml, the version
// python/requirements.lock pins, from the project's virtual environment) against an emulator, one
// long-lived process per suite (python/interop.py), and read what both clients sent from the
// emulator's request log.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin } from '../emulator/helpers.js';
// Not tests/support/python.ts: that module imports jest, and `npm run corpus` runs these helpers outside it.
import { pythonEnvStatus } from '../../scripts/python-env.js';

export const INTEROP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON_DIR = path.join(INTEROP_DIR, 'python');
const venv = pythonEnvStatus();
const PYTHON_SKIP_REASON = 'reason' in venv ? venv.reason : '';
/** The project's virtual environment (`npm run python-env`); AZUREML_INTEROP_PYTHON names another. */
export const PYTHON = process.env.AZUREML_INTEROP_PYTHON ?? ('python' in venv ? venv.python : undefined);

let checked: string | null | undefined;

/**
 * Why the interop suites cannot run here (printed, then the suite is skipped), or null when
 * azure-ai-ml imports. npm test and `.ci/run` build the environment first (and with CI=true a failed
 * build fails the run), so this is only non-null outside CI where PyPI could not be reached.
 */
export function skipReason(): string | null {
  if (checked !== undefined) return checked;
  if (!PYTHON) {
    checked = `${PYTHON_SKIP_REASON}; \`npm run python-env\` builds it`;
  } else {
    const probe = spawnSync(PYTHON, ['-c', 'import amlclient, azure.ai.ml; print(azure.ai.ml.__version__)'], {
      cwd: PYTHON_DIR,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1' },
    });
    checked =
      probe.status === 0
        ? null
        : `azure-ai-ml cannot be imported by ${PYTHON} (${
            (probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop() || `exit status ${probe.status}`
          }); \`npm run python-env\` rebuilds the environment`;
    if (!checked) {
      AML_VERSION = probe.stdout.trim();
      process.stdout.write(`interop tests: azure-ai-ml ${AML_VERSION} (${PYTHON})\n`);
    }
  }
  if (checked) process.stdout.write(`interop tests skipped: ${checked}\n`);
  return checked;
}

/** The azure-ai-ml version the suites run (known once skipReason() returned null). */
export let AML_VERSION = '';

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

function pythonEnv(emu: RunningEmulator): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    PYTHONPATH: PYTHON_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    ...emu.env,
  };
}

/**
 * One long-lived `interop.py --serve` process per emulator: importing azure-ai-ml costs seconds of
 * CPU, paid once per suite instead of once per operation. Requests are answered in order.
 */
class Session {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private stderr = '';
  private readonly waiting: Array<(line: string | undefined) => void> = [];
  private exited = false;

  constructor(emu: RunningEmulator) {
    this.child = spawn(PYTHON ?? 'python3', [path.join(PYTHON_DIR, 'interop.py'), '--serve'], {
      cwd: PYTHON_DIR,
      env: pythonEnv(emu),
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    this.child.on('close', () => {
      this.exited = true;
      for (const resolve of this.waiting.splice(0)) resolve(undefined);
    });
  }

  async call(command: string, args: Record<string, unknown>, cwd: string | undefined, timeoutMs: number) {
    if (this.exited) throw new PythonError(`azure-ai-ml session ended:\n${this.stderr}`, this.stderr);
    const line = await new Promise<string | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new PythonError(`azure-ai-ml ${command} timed out:\n${this.stderr.slice(-4000)}`, this.stderr));
      }, timeoutMs);
      this.waiting.push((answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.child.stdin.write(`${JSON.stringify({ command, args, cwd })}\n`);
    });
    if (line === undefined) throw new PythonError(`azure-ai-ml session ended:\n${this.stderr}`, this.stderr);
    return JSON.parse(line) as { result?: unknown; error?: { type: string; message: string }; log?: string };
  }

  stop(): void {
    this.child.stdin.end();
  }
}

const sessions = new Map<RunningEmulator, Session>();

/** Ends the azure-ai-ml process of an emulator (call before stopping the emulator). */
export function stopAml(emu: RunningEmulator | undefined): void {
  const session = emu && sessions.get(emu);
  if (!session) return;
  session.stop();
  sessions.delete(emu);
}

/** Runs one azure-ai-ml operation (python/interop.py COMMAND) against the emulator. */
export async function aml<T = Record<string, unknown>>(
  emu: RunningEmulator,
  command: string,
  args: Record<string, unknown> = {},
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<T> {
  let session = sessions.get(emu);
  if (!session) sessions.set(emu, (session = new Session(emu)));
  const answer = await session.call(command, args, options.cwd ?? PYTHON_DIR, options.timeoutMs ?? 120_000);
  if (answer.error) {
    throw new PythonError(
      `azure-ai-ml ${command} failed: ${answer.error.type}: ${answer.error.message}\n${(answer.log ?? '').slice(-4000)}`,
      answer.log ?? '',
    );
  }
  return answer.result as T;
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
