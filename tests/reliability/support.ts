// Shared equipment of the reliability suite (issue #12): counted cases for the figures table
// (figures.ts), action runs with their reports kept, the check that the secrets scan knew the
// emulator's secrets (tests/harness/secretScan.ts scans every run), a counter of TCP connections for
// runs that must not reach Azure at all, and small helpers for the emulator's request log.

import { expect, it } from '@jest/globals';
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin as adminOnce } from '../emulator/helpers.js';
import { REPO_ROOT, runAction, type ActionRun, type RunOptions } from '../harness/runAction.js';
import { readAsRunner } from '../harness/runnerLog.js';
import { issuedSecrets } from '../harness/secretScan.js';
import { record, type Category } from './figures.js';

export { CATEGORIES, record, writeFigures, type Category } from './figures.js';

/**
 * One counted case: a jest test whose outcome goes into the figures. A case with `bug` documents a
 * real bug: it is marked it.failing (jest passes while the bug is there) and counted as failed.
 */
export function reliabilityCase(
  category: Category,
  name: string,
  body: () => Promise<void> | void,
  options: { bug?: string; timeout?: number } = {},
): void {
  const test = options.bug ? it.failing : it;
  test(
    name,
    async () => {
      try {
        await body();
      } catch (error) {
        record(category, name, false, options.bug);
        throw error;
      }
      record(category, name, true);
    },
    options.timeout,
  );
}

// ---------------------------------------------------------------------------------------------
// Action runs: the harness scans each for secrets; here their report files survive the run.
// ---------------------------------------------------------------------------------------------

let bundles: string | undefined;

/**
 * With RELIABILITY_BUNDLES=HEAD the runs use the actions as committed (exported once with git
 * archive), not the working tree's dist/, which others may be rebuilding while the suite runs.
 */
function actionFolder(action: string): string {
  if (process.env.RELIABILITY_BUNDLES !== 'HEAD') return action;
  if (!bundles) {
    const sha = execSync('git rev-parse HEAD', { cwd: REPO_ROOT }).toString().trim();
    const dir = path.join(REPO_ROOT, '.cache', 'reliability', `bundles-${sha.slice(0, 12)}`);
    if (!existsSync(dir)) {
      // Exports of earlier commits are not needed any more.
      for (const old of readdirSync(path.dirname(dir)).filter((f) => f.startsWith('bundles-')))
        rmSync(path.join(path.dirname(dir), old), { recursive: true, force: true });
      const temp = mkdtempSync(`${dir}-`);
      execSync(`git archive HEAD action-register action-deploy action-pipeline | tar -x -C '${temp}'`, {
        cwd: REPO_ROOT,
      });
      try {
        renameSync(temp, dir);
      } catch {
        rmSync(temp, { recursive: true, force: true }); // another process exported it first
      }
    }
    bundles = dir;
  }
  return path.relative(REPO_ROOT, path.join(bundles, action));
}

/** runAction on the bundles under test, with a RUNNER_TEMP of its own that survives the run (smoke-test reports). */
export async function act(label: string, options: RunOptions): Promise<ActionRun> {
  const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'reliability-temp-'));
  try {
    return await runAction({
      ...options,
      action: actionFolder(options.action),
      env: { ...options.env, RUNNER_TEMP: runnerTemp },
    });
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
}

/**
 * The secrets case of a file: the scan (which checked every run of this file) knew secrets of the
 * kinds the file's runs were given, or it would prove nothing for them.
 */
export function secretsScanCase(emu: () => RunningEmulator, expectedKinds: string[]): void {
  it(`the secrets scan of every run knew this emulator's ${expectedKinds.join(', ')}`, async () => {
    const kinds = new Set(((await issuedSecrets(emu().env)) ?? []).map((secret) => secret.kind));
    expect(expectedKinds.filter((kind) => !kinds.has(kind))).toEqual([]);
  });
}

// ---------------------------------------------------------------------------------------------
// Workflow-command injection: a hostile value carries INJECTED; the runner must read no command
// from it (tests/harness/runnerLog.ts reads the output the way the runner does).
// ---------------------------------------------------------------------------------------------

export const INJECTION_MARK = 'INJECTED';

/**
 * The lines of a hostile value (the first is harmless text): each would be a workflow command if
 * printed as it is (the runner splits on `\r` too, reads `::` after leading white space and `##[`
 * anywhere), and `pwned=1` an output if it started a line of an output file. The forged
 * stop-commands comes last: printed raw, it would hide every later `::add-mask::` (and show its secret).
 */
export const HOSTILE_LINES = [
  `::error::${INJECTION_MARK} by a value`,
  '::set-output name=pwned::1',
  `::add-mask::${INJECTION_MARK}`,
  'pwned=1',
  `   ::warning::${INJECTION_MARK} indented`,
  `42%\r::save-state name=pwned::1`,
  `x ##[error]${INJECTION_MARK} mid-line`,
  `##[add-path]${INJECTION_MARK}`,
  `\t::stop-commands::${INJECTION_MARK}`,
];
export const HOSTILE_VALUE = ['fuzz', ...HOSTILE_LINES].join('\n');

/** Commands this suite's actions never print themselves: seeing one means a value injected it. */
const NEVER_OURS = new Set([
  'set-output',
  'save-state',
  'stop-commands',
  'set-env',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'echo',
]);

/**
 * Workflow commands, outputs or environment variables a hostile value managed to create, counted
 * as the runner reads the log: any command whose text starts with INJECTED (our own error quoting
 * a hostile value is one escaped command, not an injection), any command our code never prints,
 * any in the legacy `##[` form or after leading white space, and any line the runner left unread
 * because commands were stopped.
 */
export function injectionsOf(run: ActionRun): string[] {
  const read = readAsRunner(run.stdout);
  const found = read.commands
    .filter(
      (c) =>
        c.data.startsWith(INJECTION_MARK) || NEVER_OURS.has(c.command) || c.form === '##[' || !c.line.startsWith('::'),
    )
    .map((c) => `command ${c.command}: ${JSON.stringify(c.line)}`);
  for (const line of read.ignoredWhileStopped) found.push(`unread while stopped: ${JSON.stringify(line)}`);
  for (const a of run.annotations) if (a.message.startsWith(INJECTION_MARK)) found.push(`annotation: ${a.message}`);
  for (const name of [...Object.keys(run.outputs), ...Object.keys(run.exportedEnv), ...Object.keys(run.state)]) {
    if (/pwned|INJECTED/i.test(name)) found.push(`variable ${name}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Emulator request log.
// ---------------------------------------------------------------------------------------------

export interface LoggedRequest {
  id: number;
  service: string;
  method: string;
  path: string;
  status: number;
  principal?: string;
  fault?: string;
}

/**
 * The emulator's admin API, tried again when the connection fails before an answer: with dozens of
 * action processes at once, a kept-alive socket can be closed under fetch ("fetch failed").
 */
export async function admin(
  emu: RunningEmulator,
  method: string,
  adminPath: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await adminOnce(emu, method, adminPath, body);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('fetch failed')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

export async function requestLog(emu: RunningEmulator, query = ''): Promise<LoggedRequest[]> {
  return ((await admin(emu, 'GET', `/requests${query}`)).body as { value: LoggedRequest[] }).value;
}

/** ARM calls that change something: PUT, PATCH, DELETE, and POST actions other than the list and token reads. */
export function isArmWrite(r: LoggedRequest): boolean {
  if (r.service !== 'arm') return false;
  if (['PUT', 'PATCH', 'DELETE'].includes(r.method)) return true;
  return r.method === 'POST' && !/\/(list\w*|token)$/i.test(r.path);
}

export async function addFault(emu: RunningEmulator, rule: Record<string, unknown>): Promise<void> {
  const response = await admin(emu, 'POST', '/faults', rule);
  if (response.status >= 300) throw new Error(`fault rule refused: ${JSON.stringify(response.body)}`);
}

export async function addPrincipal(emu: RunningEmulator, body: Record<string, unknown>): Promise<string> {
  const response = await admin(emu, 'POST', '/principals', body);
  if (response.status >= 300) throw new Error(`principal refused: ${JSON.stringify(response.body)}`);
  return (response.body as { clientId: string }).clientId;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------------------------

/** A TCP listener that counts connections: whatever a run would call (ARM, Entra, the ID-token URL) lands here. */
export async function connectionCounter(): Promise<{ port: number; count(): number; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    count: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs `work` over `items` with at most `limit` at once, keeping the order of results. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function errorsOf(run: ActionRun): string[] {
  return run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
}

/** The run's last error, or a description of the run when it has none (for readable failures). */
export function lastError(run: ActionRun): string {
  return errorsOf(run).at(-1) ?? `(no error; exit ${run.exitCode})\n${run.log.slice(-3000)}`;
}
