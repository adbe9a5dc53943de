// Shared equipment of the reliability suite (issue #12): the figures table every file adds to, a
// recorder of every action run (so each file can scan what its runs printed for secrets), a capture
// of every secret the in-process emulator hands out, a counter of TCP connections for runs that must
// not reach Azure at all, and small helpers for the emulator's request log.

import { it } from '@jest/globals';
import { execSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { ServerResponse } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin as adminOnce } from '../emulator/helpers.js';
import { REPO_ROOT, runAction, type ActionRun, type RunOptions } from '../harness/runAction.js';

// ---------------------------------------------------------------------------------------------
// Figures: category, cases, passed, failed. Each file writes its rows; every file's afterAll prints
// the table of all rows of this jest run so far, so the last file prints the whole table.
// ---------------------------------------------------------------------------------------------

export const CATEGORIES = ['login', 'faults', 'inputs', 'secrets', 'races'] as const;
export type Category = (typeof CATEGORIES)[number];

interface Row {
  category: Category;
  name: string;
  passed: boolean;
  /** The bug a failing case documents (cases marked it.failing). */
  bug?: string;
}

const rows: Row[] = [];

export function record(category: Category, name: string, passed: boolean, bug?: string): void {
  rows.push({ category, name, passed, ...(bug ? { bug } : {}) });
}

/** The folder of this jest run's figures: jest's own process (in band) or the workers' parent. */
function figuresDir(): string {
  const runKey = typeof process.send === 'function' ? process.ppid : process.pid;
  return path.join(REPO_ROOT, '.cache', 'reliability', String(runKey));
}

/**
 * Writes this file's rows and prints the table of every reliability file that has finished in this
 * jest run (also written to .cache/reliability/figures.md).
 */
export function writeFigures(file: string): string {
  const dir = figuresDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${file}.json`), JSON.stringify(rows, null, 1));
  const all: Row[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const f of files) all.push(...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Row[]));
  const table = formatFigures(
    all,
    files.map((f) => f.replace(/\.json$/, '')),
  );
  writeFileSync(path.join(REPO_ROOT, '.cache', 'reliability', 'figures.md'), table);
  process.stdout.write(`\n${table}\n`);
  return table;
}

export function formatFigures(all: Row[], files: string[]): string {
  const lines = [
    `Reliability figures (issue #12), files so far: ${files.sort().join(', ')}`,
    '',
    '| category | cases | passed | failed |',
    '|---|---:|---:|---:|',
  ];
  let cases = 0;
  let passed = 0;
  for (const category of CATEGORIES) {
    const mine = all.filter((r) => r.category === category);
    const ok = mine.filter((r) => r.passed).length;
    cases += mine.length;
    passed += ok;
    lines.push(`| ${category} | ${mine.length} | ${ok} | ${mine.length - ok} |`);
  }
  lines.push(`| total | ${cases} | ${passed} | ${cases - passed} |`);
  const failed = all.filter((r) => !r.passed);
  if (failed.length > 0) {
    lines.push('', 'Failed cases (each is a known bug marked it.failing, or a regression):');
    for (const r of failed) lines.push(`- ${r.category}: ${r.name}${r.bug ? ` [bug: ${r.bug}]` : ''}`);
  }
  return lines.join('\n');
}

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
// Secrets the emulator issues, captured from its HTTPS answers in this process.
// ---------------------------------------------------------------------------------------------

export type SecretKind =
  | 'client secret'
  | 'GitHub ID token'
  | 'Entra access token'
  | 'endpoint key'
  | 'AML token'
  | 'storage account key'
  | 'SAS token';

const issued = new Map<string, SecretKind>();

export function addSecret(value: string, kind: SecretKind): void {
  if (value.length >= 8) issued.set(value, kind);
}

export function issuedSecrets(): ReadonlyMap<string, SecretKind> {
  return issued;
}

function collect(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(collect);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  const take = (key: string, kind: SecretKind) => {
    const v = record[key];
    if (typeof v === 'string') addSecret(v, kind);
  };
  take('access_token', 'Entra access token');
  take('id_token', 'Entra access token');
  take('primaryKey', 'endpoint key');
  take('secondaryKey', 'endpoint key');
  take('accessToken', 'AML token');
  take('sasToken', 'SAS token');
  if (record.secretsType === 'AccountKey') take('key', 'storage account key');
  if (record.secretsType === 'Sas') take('sasToken', 'SAS token');
  if ('count' in record) take('value', 'GitHub ID token');
  for (const item of Object.values(record)) collect(item);
}

let capturing = false;

/** Patches http.ServerResponse#end in this process so every JSON answer of the emulator is read for secrets. */
export function captureIssuedSecrets(): void {
  if (capturing) return;
  capturing = true;
  const original = ServerResponse.prototype.end;
  ServerResponse.prototype.end = function patchedEnd(this: ServerResponse, ...args: unknown[]) {
    const [chunk] = args;
    if (
      (Buffer.isBuffer(chunk) || typeof chunk === 'string') &&
      chunk.length < 1_000_000 &&
      /^\s*[[{]/.test(chunk.slice(0, 8).toString())
    ) {
      try {
        collect(JSON.parse(chunk.toString()));
      } catch {
        // not JSON after all
      }
    }
    return Reflect.apply(original, this, args) as ServerResponse;
  } as typeof original;
}

// ---------------------------------------------------------------------------------------------
// Action runs, recorded for the secrets scan.
// ---------------------------------------------------------------------------------------------

export interface RecordedRun {
  label: string;
  run: ActionRun;
  /** Report files the run left (smoke test reports), read before the run's folders are removed. */
  files: Record<string, string>;
}

const runs: RecordedRun[] = [];

export function recordedRuns(): readonly RecordedRun[] {
  return runs;
}

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

/** runAction, keeping what the run printed and wrote for the secrets scan; RUNNER_TEMP survives the run. */
export async function act(label: string, options: RunOptions): Promise<ActionRun> {
  const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'reliability-temp-'));
  const run = await runAction({
    ...options,
    action: actionFolder(options.action),
    env: { ...options.env, RUNNER_TEMP: runnerTemp },
  });
  const files: Record<string, string> = {};
  for (const value of Object.values(run.outputs)) {
    if (value.startsWith(runnerTemp) && existsSync(value)) files[value] = readFileSync(value, 'utf8');
  }
  runs.push({ label, run, files });
  return run;
}

/** What a workflow's readers see of a run: the log as the runner shows it (mask lines consumed), outputs, env, summary, files. */
export function visibleText(recorded: RecordedRun): string {
  const { run, files } = recorded;
  return [
    run.stdout
      .split(/\r?\n/)
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    JSON.stringify(run.outputs),
    JSON.stringify(run.exportedEnv),
    run.summary,
    ...Object.values(files),
  ].join('\n');
}

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;
const SAS_SIGNATURE = /[?&]sig=[\w%+/=-]{16,}/;

/** The secrets (by kind) found in what a run showed; generic JWT and SAS-signature shapes count too. */
export function leaksOf(recorded: RecordedRun): string[] {
  const text = visibleText(recorded);
  const leaks: string[] = [];
  for (const [secret, kind] of issued) if (text.includes(secret)) leaks.push(`${kind} ${secret.slice(0, 6)}…`);
  const jwt = JWT.exec(text);
  if (jwt) leaks.push(`a JWT ${jwt[0].slice(0, 12)}…`);
  const sas = SAS_SIGNATURE.exec(text);
  if (sas) leaks.push(`a SAS signature ${sas[0].slice(0, 10)}…`);
  return leaks;
}

/**
 * The secrets case of a file: every recorded run is one counted case (0 leaks to pass), and the
 * capture itself must have seen the kinds of secret the file's runs were given.
 */
export function secretsScanCase(expectedKinds: SecretKind[]): void {
  it('no secret the emulator issued appears in any log, output, summary, report or error of this file', () => {
    const kinds = new Set(issued.values());
    const missing = expectedKinds.filter((k) => !kinds.has(k));
    const leaking: string[] = [];
    for (const recorded of runs) {
      const leaks = leaksOf(recorded);
      record('secrets', `${recorded.label}: ${leaks.length} leaks`, leaks.length === 0);
      if (leaks.length > 0) leaking.push(`${recorded.label}: ${leaks.join(', ')}`);
    }
    if (leaking.length > 0 || missing.length > 0) {
      throw new Error(
        [
          ...leaking.map((l) => `leak: ${l}`),
          ...missing.map((k) => `the capture saw no ${k}: the scan would prove nothing for it`),
        ].join('\n'),
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Workflow-command injection: a hostile value carries INJECTED; no command line may carry it.
// ---------------------------------------------------------------------------------------------

export const INJECTION_MARK = 'INJECTED';

/**
 * The lines of a hostile value (the first is harmless text): each would be a workflow command if
 * it started a line of the log, and `pwned=1` an output if it started a line of an output file.
 */
export const HOSTILE_LINES = [
  `::error::${INJECTION_MARK} by a value`,
  '::set-output name=pwned::1',
  `::add-mask::${INJECTION_MARK}`,
  'pwned=1',
];
export const HOSTILE_VALUE = ['fuzz', ...HOSTILE_LINES].join('\n');

/** Workflow commands, outputs or environment variables a hostile value managed to create. */
export function injectionsOf(run: ActionRun): string[] {
  const commands = HOSTILE_LINES.filter((l) => l.startsWith('::'));
  const found = run.stdout.split(/\r?\n/).filter((line) => commands.some((c) => line.startsWith(c)));
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
  const secret = body.secret;
  if (typeof secret === 'string') addSecret(secret, 'client secret');
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
