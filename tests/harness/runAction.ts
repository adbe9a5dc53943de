// Runs a built action the way the GitHub runner does: `node <action>/dist/index.js` with INPUT_*
// variables (action.yml defaults filled in), GITHUB_OUTPUT/STEP_SUMMARY/ENV/STATE/PATH files, and
// returns what a workflow would see: exit code, outputs, annotations, summary and the full log.
// Every run is scanned for the secrets its emulator issued (secretScan.ts): a leak fails the test.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { readAsRunner, type RunnerCommand } from './runnerLog.js';
import { changedFiles, leakMessage, recordScan, scanRun, type RunScan, type ScanPart } from './secretScan.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Annotation {
  level: 'error' | 'warning' | 'notice' | 'debug';
  message: string;
  properties: Record<string, string>;
}

export interface ActionRun {
  exitCode: number;
  outputs: Record<string, string>;
  /** State saved for the post step (`core.saveState`). */
  state: Record<string, string>;
  /** Variables exported for later steps (`core.exportVariable`). */
  exportedEnv: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  /** Values registered with `::add-mask::` (while the runner processed commands). */
  masked: string[];
  /** Every workflow command the runner would process in stdout (runnerLog.ts), in order. */
  commands: RunnerCommand[];
  stdout: string;
  stderr: string;
  /** stdout and stderr together, as the runner's log shows them. */
  log: string;
  durationMs: number;
  /** What the secrets scan found (always nothing, unless the run was a planted leak). */
  secretScan: RunScan;
}

export interface RunOptions {
  /** Action folder relative to the repository root, e.g. `action-deploy` or `action-deploy/smoke-test`. */
  action: string;
  inputs?: Record<string, string>;
  /** Extra environment (e.g. the emulator's envFile values). The parent's environment is not inherited. */
  env?: Record<string, string | undefined>;
  /** GITHUB_WORKSPACE; defaults to a fresh empty folder. */
  workspace?: string;
  /** Run the post step with this state (from a previous run's `state`). */
  postState?: Record<string, string>;
  timeoutMs?: number;
  /**
   * `enforce` (default): runAction throws when the run showed a secret, failing the test. The
   * tests of the scan itself make a run leak on purpose (counted apart, as planted): `planted`
   * returns the run and throws when the scan found nothing; `planted-enforced` throws as `enforce` does.
   */
  secretScan?: 'enforce' | 'planted' | 'planted-enforced';
}

/** The inputs an action declares, with their defaults (what the runner fills in). */
export function actionManifest(action: string): {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
} {
  return parse(readFileSync(path.join(REPO_ROOT, action, 'action.yml'), 'utf8'));
}

export async function runAction(options: RunOptions): Promise<ActionRun> {
  const manifest = actionManifest(options.action);
  const temp = mkdtempSync(path.join(os.tmpdir(), 'action-run-'));
  const workspace = options.workspace ?? path.join(temp, 'workspace');
  const files = {
    GITHUB_OUTPUT: path.join(temp, 'output'),
    GITHUB_STEP_SUMMARY: path.join(temp, 'summary'),
    GITHUB_ENV: path.join(temp, 'env'),
    GITHUB_STATE: path.join(temp, 'state'),
    GITHUB_PATH: path.join(temp, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  if (!existsSync(workspace)) mkdirSync(workspace, { recursive: true });

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? temp,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: path.join(temp, 'runner-temp'),
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW: 'test',
    GITHUB_ACTOR: 'octocat',
    ...files,
  };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
  for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
    if (spec?.default !== undefined) env[inputVariable(name)] = String(spec.default);
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[inputVariable(name)] = value;
  for (const [name, value] of Object.entries(options.postState ?? {})) env[`STATE_${name}`] = value;
  mkdirSync(env.RUNNER_TEMP ?? temp, { recursive: true });

  const started = Date.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, options.action, 'dist', 'index.js')], {
    cwd: workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    log += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    log += chunk.toString();
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  clearTimeout(timeout);

  const scanParts: ScanPart[] = [];
  const read = readAsRunner(stdout);
  const run: ActionRun = {
    exitCode,
    outputs: parseKeyValueFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseKeyValueFile(readFileSync(files.GITHUB_STATE, 'utf8')),
    exportedEnv: parseKeyValueFile(readFileSync(files.GITHUB_ENV, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    annotations: parseAnnotations(stdout),
    masked: read.masks,
    commands: read.commands,
    stdout,
    stderr,
    log,
    durationMs: Date.now() - started,
    secretScan: { emulator: false, secrets: 0, hits: [] },
  };
  scanParts.push(...visibleParts(run));
  // Files the run wrote: its temp folders (reports) and the workspace; the command files are read above.
  const commandFiles = new Set(Object.values(files));
  const folders = [temp, env.RUNNER_TEMP, workspace].filter((dir): dir is string => dir !== undefined);
  for (const dir of new Set(folders)) {
    if (folders.some((other) => other !== dir && dir.startsWith(`${other}${path.sep}`))) continue;
    scanParts.push(...changedFiles(dir, started, 'file', commandFiles));
  }
  rmSync(temp, { recursive: true, force: true });
  run.secretScan = await scanRun(scanParts, env);
  const mode = options.secretScan ?? 'enforce';
  recordScan(run.secretScan, mode !== 'enforce');
  if (mode !== 'planted' && run.secretScan.hits.length > 0)
    throw new Error(leakMessage(options.action, run.secretScan.hits));
  if (mode === 'planted' && run.secretScan.hits.length === 0)
    throw new Error(`${options.action}: the planted secret was not found: the scan would miss such a leak`);
  return run;
}

/**
 * What a workflow's readers see of a run, part by part: the log as the runner shows it (mask lines
 * it processed show `***`; after a forged `stop-commands` every line shows as printed, secrets in
 * `::add-mask::` lines too), annotations, outputs (but those the run masked, as expose-key asks),
 * state, exported variables, summary.
 */
export function visibleParts(
  run: Pick<
    ActionRun,
    'stdout' | 'stderr' | 'annotations' | 'outputs' | 'masked' | 'state' | 'exportedEnv' | 'summary'
  >,
): ScanPart[] {
  const log = readAsRunner(run.stdout).shown.join('\n');
  const named = (label: string, values: Record<string, string>) =>
    Object.entries(values).map(([name, text]) => ({ where: `${label} ${name}`, text }));
  return [
    { where: 'log (stdout)', text: log },
    { where: 'log (stderr)', text: run.stderr },
    ...run.annotations.map((a) => ({ where: `${a.level} annotation`, text: a.message })),
    ...named(
      'output',
      Object.fromEntries(Object.entries(run.outputs).filter(([, value]) => !run.masked.includes(value))),
    ),
    ...named('state', run.state),
    ...named('exported variable', run.exportedEnv),
    { where: 'step summary', text: run.summary },
  ];
}

/** The variable the runner sets for an input (spaces become '_', upper-cased, '-' kept). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Parses GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV files: `name=value` or `name<<DELIM ... DELIM`. */
export function parseKeyValueFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] && heredoc[2]) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i] ?? '');
      result[heredoc[1]] = value.join('\n');
    } else if (line.includes('=')) {
      result[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return result;
}

const LEVELS = new Set(['error', 'warning', 'notice', 'debug']);

/** Annotations as the runner reads them from stdout (either command form, @actions/core's escaping undone). */
export function parseAnnotations(stdout: string): Annotation[] {
  return readAsRunner(stdout)
    .commands.filter((c) => LEVELS.has(c.command))
    .map((c) => ({ level: c.command as Annotation['level'], message: c.data, properties: c.properties }));
}
