// Runs one workflow file the way the GitHub runner would, against the emulator: jobs in `needs:`
// order, steps in order with `if:` conditions, `uses: ./action-...` as `node dist/index.js` with
// INPUT_* variables and the GITHUB_* files read back into `steps.<id>.outputs`, `run:` steps in
// bash, post steps at job end in reverse order. scripts/demo/README.md lists what it supports.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  changedFiles,
  describeHits,
  SecretScanner,
  type KnownSecret,
  type ScanPart,
} from '../../emulator/secretScan.js';
import type { DemoEmulator } from './emulator.js';
import { condition, ExpressionFailure, interpolate, type Contexts, type Status } from './expressions.js';
import { Masker, parseFileCommands, seconds, StepLog, type Annotation } from './log.js';
import {
  formatLocation,
  jobOrder,
  mayRequestIdToken,
  WorkflowError,
  type JobDef,
  type Location,
  type StepDef,
  type WorkflowDef,
} from './workflow.js';

/** scripts/demo/event.json: the fake event, repository and variables of a demo run. */
export interface FakeEvent {
  repository: string;
  repository_id: string;
  repository_owner_id: string;
  actor: string;
  actor_id: string;
  sha: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  server_url: string;
  api_url: string;
  events: Record<string, { ref: string; head_ref?: string; base_ref?: string; payload: Record<string, unknown> }>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

export interface RunnerOptions {
  /** The repository root: GITHUB_WORKSPACE and the working directory of every step. */
  root: string;
  emulator: DemoEmulator;
  event: FakeEvent;
  /** Run the workflow for this trigger instead of the first one it lists that the fake event has. */
  eventName?: string;
  print: (line: string) => void;
  /** Show ::debug:: lines and set RUNNER_DEBUG. */
  debug?: boolean;
  /** Print each job's step summaries (GITHUB_STEP_SUMMARY) at its end. */
  summaries?: boolean;
  /** A step without timeout-minutes is stopped after this long (default 10 minutes). */
  stepTimeoutMs?: number;
}

export interface Failure {
  workflow: string;
  job?: string;
  step?: string;
  location: Location;
  message: string;
}

export interface WorkflowResult {
  file: string;
  name: string;
  event: string;
  passed: boolean;
  durationMs: number;
  failures: Failure[];
  /** The secrets scan of the workflow (absent when it did not get to run a job). */
  secretScan?: WorkflowSecretScan;
}

/** What the scan of one workflow covered and found (the demo's report; tests/demo adds it to the suite's ledger). */
export interface WorkflowSecretScan {
  /** Runs of this repository's actions (main and post steps) whose output, summary and files were scanned. */
  actionRuns: number;
  /** Distinct secrets looked for: every one the emulator has issued so far, and the workflow's own. */
  secrets: number;
  hits: number;
}

type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

interface StepState {
  outputs: Record<string, string>;
  outcome: Result;
  conclusion: Result;
}

interface ActionManifest {
  dir: string;
  inputs: Record<string, { default?: unknown }>;
  main: string;
  post?: string;
  postIf?: string;
}

interface PostStep {
  step: StepDef;
  title: string;
  action: ActionManifest;
  inputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
}

/** Variables of the runner machine passed on to steps (nothing else of the demo's own environment). */
const MACHINE_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'USER', 'SHELL', 'TZ'];
/** Env-file variables that name who logs in where: a user keeps these in repository variables (vars.*). */
const IDENTITY_VARIABLES = [
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_SUBSCRIPTION_ID',
  'AZURE_RESOURCE_GROUP',
  'AZUREML_WORKSPACE',
];
const ID_TOKEN_VARIABLES = ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
/** Remote actions that the demo treats as no-ops: it already runs in this checkout with its own Node.js. */
const NO_OP_ACTIONS: Record<string, string> = {
  'actions/checkout': 'the demo runs in this checkout',
  'actions/setup-node': `the demo runs steps with the Node.js that runs it (${process.version})`,
};

/** Fills `{field}` placeholders of the fake event's vars and secrets from the emulator's contract. */
export function resolvePlaceholders(
  values: Record<string, string>,
  contract: Record<string, unknown>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      value.replace(/\{(\w+)\}/g, (whole, field: string) => {
        const replacement = contract[field];
        if (typeof replacement !== 'string')
          throw new Error(`scripts/demo/event.json: ${name} uses {${field}}, which the emulator's contract lacks`);
        return replacement;
      }),
    ]),
  );
}

function globMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`).test(value);
}

function branchFilter(config: Record<string, unknown>, branch: string): boolean {
  const list = (key: string): string[] | undefined => {
    const value = config[key];
    return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : undefined;
  };
  const branches = list('branches');
  const ignored = list('branches-ignore');
  if (branches && !branches.some((pattern) => globMatch(pattern, branch))) return false;
  if (ignored?.some((pattern) => globMatch(pattern, branch))) return false;
  return true;
}

/** The trigger a workflow runs for: the first of its `on:` events that the fake event has and that its filters let through. */
export function chooseEvent(workflow: WorkflowDef, event: FakeEvent, override?: string): string {
  const candidates = override ? workflow.on.filter((trigger) => trigger.event === override) : workflow.on;
  if (override && candidates.length === 0)
    throw new WorkflowError(
      `the workflow does not run on '${override}' (its triggers: ${workflow.on.map((t) => t.event).join(', ')})`,
      {
        file: workflow.file,
        line: 1,
        col: 1,
      },
    );
  for (const trigger of candidates) {
    const fake = event.events[trigger.event];
    if (!fake) continue;
    const branch =
      trigger.event === 'pull_request' ? (fake.base_ref ?? 'main') : fake.ref.replace(/^refs\/(heads|tags)\//, '');
    if (trigger.event === 'push' || trigger.event === 'pull_request') {
      if (!branchFilter(trigger.config, branch)) continue;
    }
    return trigger.event;
  }
  throw new WorkflowError(
    `none of the workflow's triggers (${workflow.on.map((t) => t.event).join(', ')}) matches a fake event of scripts/demo/event.json (${Object.keys(event.events).join(', ')})`,
    { file: workflow.file, line: 1, col: 1 },
  );
}

/** The OIDC subject GitHub puts in this job's ID tokens (the rule the emulator applies too). */
export function oidcSubject(repository: string, eventName: string, ref: string, environment?: string): string {
  if (environment) return `repo:${repository}:environment:${environment}`;
  if (eventName === 'pull_request') return `repo:${repository}:pull_request`;
  return `repo:${repository}:ref:${ref}`;
}

function loadAction(root: string, uses: string, location: Location): ActionManifest {
  const dir = path.resolve(root, uses);
  if (!dir.startsWith(root)) throw new WorkflowError(`'${uses}' points outside the repository`, location);
  const file = ['action.yml', 'action.yaml']
    .map((name) => path.join(dir, name))
    .find((candidate) => existsSync(candidate));
  if (!file) throw new WorkflowError(`'${uses}' has no action.yml`, location);
  const manifest = parseYaml(readFileSync(file, 'utf8')) as {
    inputs?: Record<string, { default?: unknown } | null>;
    runs?: { using?: string; main?: string; post?: string; 'post-if'?: string; pre?: string };
  };
  const runs = manifest.runs ?? {};
  if (!runs.using?.startsWith('node') || !runs.main)
    throw new WorkflowError(
      `'${uses}' is a '${runs.using ?? '?'}' action: the demo runs JavaScript (node) actions only`,
      location,
    );
  if (runs.pre) throw new WorkflowError(`'${uses}' has a pre step, which the demo runner does not run`, location);
  const inputs: ActionManifest['inputs'] = {};
  for (const [name, spec] of Object.entries(manifest.inputs ?? {})) inputs[name] = spec ?? {};
  return {
    dir,
    inputs,
    main: path.join(dir, runs.main),
    ...(runs.post ? { post: path.join(dir, runs.post) } : {}),
    ...(runs['post-if'] ? { postIf: runs['post-if'] } : {}),
  };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string, names: string[]): string {
  const best = names
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const close = names.find((name) => name.startsWith(key) || key.startsWith(name));
  const pick = best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.name : close;
  return pick ? ` Did you mean '${pick}'?` : '';
}

/** The variable the runner sets for an input: spaces become '_', upper-cased, '-' kept. */
function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** What a step wrote to its GITHUB_* files. */
interface StepFiles {
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  exports: Record<string, string>;
}

interface ProcessResult {
  exitCode: number;
  timedOut: boolean;
  lastLines: string[];
  /** Everything the process wrote, unmasked (for the secrets scan). */
  stdout: string;
  stderr: string;
}

function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; log: StepLog; masker: Masker },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const lastLines: string[] = [];
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const remember = (chunk: string): void => {
      for (const line of chunk.split('\n')) {
        if (line.trim() === '' || line.startsWith('::')) continue;
        lastLines.push(line);
        if (lastLines.length > 5) lastLines.shift();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      options.log.write('out', chunk.toString());
      stdout += chunk.toString();
      remember(chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      options.log.write('err', chunk.toString());
      stderr += chunk.toString();
      remember(chunk.toString());
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      options.log.note(`Error: could not start ${command}: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.log.end();
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        timedOut,
        lastLines: lastLines.map((line) => options.masker.mask(line)),
        stdout,
        stderr,
      });
    });
  });
}

/** Post steps of the job that is running, to run at once if the demo is interrupted. */
const pendingPosts = new Set<() => void>();

/** Runs the post steps of an interrupted job (synchronously: called from a signal handler). */
export function runPendingPostSteps(): void {
  for (const cleanup of pendingPosts) cleanup();
  pendingPosts.clear();
}

export async function runWorkflow(workflow: WorkflowDef, options: RunnerOptions): Promise<WorkflowResult> {
  const started = Date.now();
  const { root, event, emulator } = options;
  // Everything printed is kept until the end of the workflow, to check that no secret got out
  // (e.g. printed before it was registered with ::add-mask::).
  const printed: string[] = [];
  const printLine = options.print;
  const print = (line: string): void => {
    printed.push(line);
    printLine(line);
  };
  options = { ...options, print };
  const failures: Failure[] = [];
  const masker = new Masker();
  const token = `ghs_${randomBytes(18).toString('base64url')}`;
  const vars = resolvePlaceholders(event.vars, emulator.contract);
  const secrets = { ...resolvePlaceholders(event.secrets, emulator.contract), GITHUB_TOKEN: token };
  for (const value of Object.values(secrets)) masker.add(value);

  let eventName: string;
  try {
    eventName = chooseEvent(workflow, event, options.eventName);
  } catch (error) {
    if (!(error instanceof WorkflowError)) throw error;
    failures.push({ workflow: workflow.file, location: error.location, message: error.message });
    print(`✗ ${error.message}`);
    return {
      file: workflow.file,
      name: workflow.name,
      event: '-',
      passed: false,
      durationMs: Date.now() - started,
      failures,
    };
  }
  const fake = event.events[eventName]!;
  const ref = fake.ref;
  const refName = ref.replace(/^refs\/(heads|tags)\//, '');
  const dispatchInputs: Record<string, string> = {};
  if (eventName === 'workflow_dispatch') {
    const config = workflow.on.find((trigger) => trigger.event === 'workflow_dispatch')?.config ?? {};
    for (const [name, spec] of Object.entries((config.inputs ?? {}) as Record<string, { default?: unknown }>))
      dispatchInputs[name] = spec?.default === undefined ? '' : String(spec.default);
  }
  const github: Record<string, unknown> = {
    event_name: eventName,
    event: eventName === 'workflow_dispatch' ? { ...fake.payload, inputs: dispatchInputs } : fake.payload,
    ref,
    ref_name: eventName === 'pull_request' ? ref.replace(/^refs\/pull\/(\d+)\/merge$/, '$1/merge') : refName,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: ref === 'refs/heads/main',
    head_ref: fake.head_ref ?? '',
    base_ref: fake.base_ref ?? '',
    sha: event.sha,
    repository: event.repository,
    repository_id: event.repository_id,
    repository_owner: event.repository.split('/')[0],
    repository_owner_id: event.repository_owner_id,
    repositoryUrl: `git://github.com/${event.repository}.git`,
    actor: event.actor,
    actor_id: event.actor_id,
    triggering_actor: event.actor,
    workflow: workflow.name,
    workflow_ref: `${event.repository}/${workflow.file}@${ref}`,
    workflow_sha: event.sha,
    run_id: event.run_id,
    run_number: event.run_number,
    run_attempt: event.run_attempt,
    server_url: event.server_url,
    api_url: event.api_url,
    graphql_url: `${event.api_url}/graphql`,
    workspace: root,
    token,
    retention_days: '90',
  };
  const base: Contexts = { github, vars, secrets, inputs: dispatchInputs };

  print('');
  print('═'.repeat(100));
  print(`▶ ${workflow.file} · "${workflow.name}" · on ${eventName} (${ref})`);
  print('═'.repeat(100));

  const jobResults: Record<string, { result: Result; outputs: Record<string, string> }> = {};
  let jobs: JobDef[];
  try {
    jobs = jobOrder(workflow.jobs);
  } catch (error) {
    if (!(error instanceof WorkflowError)) throw error;
    failures.push({ workflow: workflow.file, location: error.location, message: error.message });
    return {
      file: workflow.file,
      name: workflow.name,
      event: eventName,
      passed: false,
      durationMs: Date.now() - started,
      failures,
    };
  }
  const scan: ActionScan = { parts: [], runs: 0 };
  for (const job of jobs) {
    const result = await runJob(job, {
      workflow,
      options,
      masker,
      base,
      eventName,
      ref,
      jobResults,
      failures,
      scan,
    });
    jobResults[job.id] = result;
  }
  const leaked = masker.findIn(printed.join('\n'));
  if (leaked > 0) {
    const message = `${leaked} secret value(s) appeared in the log unmasked (printed before they were registered with ::add-mask::?)`;
    print(`✗ ${message}`);
    failures.push({ workflow: workflow.file, location: { file: workflow.file, line: 1, col: 1 }, message });
  }
  // Every credential the emulator issued (and the workflow's secrets) must be absent from the log
  // as printed and from what the actions wrote, masked or not (issue #12).
  const issued = (await emulator.admin('GET', '/secrets')) as { value: KnownSecret[] };
  const ownSecrets = Object.entries(secrets).map(([name, value]) => ({ kind: `secrets.${name}`, value }));
  const scanner = new SecretScanner([...issued.value, ...ownSecrets]);
  const hits = [{ where: 'the demo log', text: printed.join('\n') }, ...scan.parts].flatMap((part) =>
    scanner.find(part.where, part.text),
  );
  if (hits.length > 0) {
    const message = `${hits.length} secret(s) issued by the emulator appeared where a workflow's readers see them (the values are not repeated here):\n${describeHits(hits)}`;
    print(`✗ ${message}`);
    failures.push({ workflow: workflow.file, location: { file: workflow.file, line: 1, col: 1 }, message });
  }
  const passed =
    leaked === 0 &&
    hits.length === 0 &&
    Object.values(jobResults).every((job) => job.result !== 'failure' && job.result !== 'cancelled');
  return {
    file: workflow.file,
    name: workflow.name,
    event: eventName,
    passed,
    durationMs: Date.now() - started,
    failures,
    secretScan: { actionRuns: scan.runs, secrets: scanner.size, hits: hits.length },
  };
}

/** What the actions of a workflow showed or wrote, unmasked, for the secrets scan at its end. */
interface ActionScan {
  parts: ScanPart[];
  runs: number;
}

interface JobInput {
  scan: ActionScan;
  workflow: WorkflowDef;
  options: RunnerOptions;
  masker: Masker;
  base: Contexts;
  eventName: string;
  ref: string;
  jobResults: Record<string, { result: Result; outputs: Record<string, string> }>;
  failures: Failure[];
}

async function runJob(job: JobDef, input: JobInput): Promise<{ result: Result; outputs: Record<string, string> }> {
  const { workflow, options, masker, base, eventName, ref, jobResults, failures, scan } = input;
  const { print, root, emulator } = options;
  const started = Date.now();
  const fail = (message: string, location: Location, step?: string): void => {
    const masked = masker.mask(message);
    failures.push({ workflow: workflow.file, job: job.id, ...(step ? { step } : {}), location, message: masked });
  };
  const needs = Object.fromEntries(
    job.needs.map((need) => [
      need,
      { result: jobResults[need]?.result ?? 'skipped', outputs: jobResults[need]?.outputs ?? {} },
    ]),
  );
  const needStatus: Status = {
    failed: job.needs.some((need) => ['failure', 'cancelled'].includes(jobResults[need]?.result ?? '')),
    blocked: job.needs.some((need) => jobResults[need]?.result === 'skipped'),
  };
  const jobTitle = job.name ? `${job.id} (${interpolateSafe(job.name, { ...base, needs })})` : job.id;
  print('');
  print(`── job ${jobTitle} ${'─'.repeat(Math.max(3, 92 - jobTitle.length))}`);

  let runIt: boolean;
  try {
    runIt = condition(job.if, { ...base, needs }, needStatus);
  } catch (error) {
    if (!(error instanceof ExpressionFailure)) throw error;
    fail(`if: ${error.message}`, job.location);
    print(`✗ job ${job.id}: if: ${error.message}`);
    return { result: 'failure', outputs: {} };
  }
  if (!runIt) {
    print(`○ skipped (${job.if ? `if: ${job.if}` : 'a needed job did not succeed'})`);
    return { result: 'skipped', outputs: {} };
  }

  // What the job's ID tokens say, set in the emulator's GitHub OIDC issuer before the job starts.
  const github = base.github as Record<string, unknown>;
  const environment = job.environment?.name ? interpolateSafe(job.environment.name, { ...base, needs }) : undefined;
  const idToken = mayRequestIdToken(job);
  const subject = oidcSubject(String(github.repository), eventName, ref, environment);
  await emulator.admin('POST', '/oidc/claims', {
    event_name: eventName,
    ref,
    sha: github.sha,
    repository: github.repository,
    actor: github.actor,
    workflow: github.workflow,
    workflow_ref: github.workflow_ref,
    job_workflow_ref: github.workflow_ref,
    run_id: github.run_id,
    run_number: github.run_number,
    run_attempt: github.run_attempt,
    head_ref: github.head_ref,
    base_ref: github.base_ref,
    ...(environment ? { environment } : {}),
  });
  const jobEnvContext: Contexts = { ...base, needs, env: {} };
  let workflowEnv: Record<string, string>;
  let jobEnv: Record<string, string>;
  try {
    workflowEnv = evaluateMap(workflow.env, { ...base, env: {} });
    jobEnv = evaluateMap(job.env, { ...jobEnvContext, env: workflowEnv });
  } catch (error) {
    if (!(error instanceof ExpressionFailure)) throw error;
    fail(`env: ${error.message}`, job.location);
    print(`✗ env: ${error.message}`);
    return { result: 'failure', outputs: {} };
  }
  const details = [
    `runs-on ${job.runsOn} (here: this machine)`,
    environment ? `environment ${environment}` : undefined,
    idToken ? `id-token: write → OIDC subject ${subject}` : 'no id-token permission (the job cannot log in with OIDC)',
    job.concurrency ? `concurrency ${interpolateSafe(job.concurrency, { ...base, needs })}` : undefined,
  ].filter(Boolean);
  for (const detail of details) print(`   ${detail}`);

  const jobTemp = mkdtempSync(path.join(os.tmpdir(), `azureml-demo-${job.id}-`));
  const runnerTemp = path.join(jobTemp, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const eventPath = path.join(jobTemp, 'event.json');
  writeFileSync(eventPath, JSON.stringify(github.event, null, 2));

  const machine: Record<string, string> = {};
  for (const name of MACHINE_VARIABLES) if (process.env[name] !== undefined) machine[name] = process.env[name]!;
  for (const [name, value] of Object.entries(emulator.env)) {
    if (IDENTITY_VARIABLES.includes(name) || ID_TOKEN_VARIABLES.includes(name)) continue;
    machine[name] = value;
  }
  const idTokenEnv: Record<string, string> = {};
  if (idToken) for (const name of ID_TOKEN_VARIABLES) if (emulator.env[name]) idTokenEnv[name] = emulator.env[name];
  const exported: Record<string, string> = {};
  const extraPath: string[] = [];
  const steps: Record<string, StepState> = {};
  const summaries: string[] = [];
  const posts: PostStep[] = [];
  const jobCleanups: Array<() => void> = [];
  let failed = false;

  const githubEnv = (files: Record<string, string>, action?: string): Record<string, string> => ({
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: root,
    GITHUB_REPOSITORY: String(github.repository),
    GITHUB_REPOSITORY_ID: String(github.repository_id),
    GITHUB_REPOSITORY_OWNER: String(github.repository_owner),
    GITHUB_REPOSITORY_OWNER_ID: String(github.repository_owner_id),
    GITHUB_SHA: String(github.sha),
    GITHUB_REF: ref,
    GITHUB_REF_NAME: String(github.ref_name),
    GITHUB_REF_TYPE: String(github.ref_type),
    GITHUB_REF_PROTECTED: String(github.ref_protected),
    GITHUB_HEAD_REF: String(github.head_ref),
    GITHUB_BASE_REF: String(github.base_ref),
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKFLOW: workflow.name,
    GITHUB_WORKFLOW_REF: String(github.workflow_ref),
    GITHUB_WORKFLOW_SHA: String(github.sha),
    GITHUB_JOB: job.id,
    GITHUB_RUN_ID: String(github.run_id),
    GITHUB_RUN_NUMBER: String(github.run_number),
    GITHUB_RUN_ATTEMPT: String(github.run_attempt),
    GITHUB_ACTOR: String(github.actor),
    GITHUB_ACTOR_ID: String(github.actor_id),
    GITHUB_TRIGGERING_ACTOR: String(github.actor),
    GITHUB_SERVER_URL: String(github.server_url),
    GITHUB_API_URL: String(github.api_url),
    GITHUB_GRAPHQL_URL: String(github.graphql_url),
    GITHUB_RETENTION_DAYS: '90',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_NAME: 'azureml-demo',
    RUNNER_ENVIRONMENT: 'self-hosted',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: path.join(jobTemp, 'tool-cache'),
    ...(options.debug ? { RUNNER_DEBUG: '1' } : {}),
    ...(action ? { GITHUB_ACTION: action, GITHUB_ACTION_PATH: path.join(root, action) } : {}),
    ...files,
  });
  const stepFiles = (label: string): Record<string, string> => {
    const dir = path.join(jobTemp, label);
    mkdirSync(dir, { recursive: true });
    const files = {
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STATE: path.join(dir, 'state'),
      GITHUB_ENV: path.join(dir, 'env'),
      GITHUB_PATH: path.join(dir, 'path'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    };
    for (const file of Object.values(files)) writeFileSync(file, '');
    return files;
  };
  const contextsFor = (stepEnv: Record<string, string>): Contexts => ({
    ...base,
    needs,
    steps,
    env: { ...workflowEnv, ...jobEnv, ...exported, ...stepEnv },
    job: { status: failed ? 'failure' : 'success' },
    runner: { os: 'Linux', arch: 'X64', name: 'azureml-demo', temp: runnerTemp, debug: options.debug ? '1' : '' },
  });
  const processEnv = (
    stepEnv: Record<string, string>,
    files: Record<string, string>,
    action?: string,
  ): Record<string, string> => {
    const env: Record<string, string> = {
      ...machine,
      ...idTokenEnv,
      ...workflowEnv,
      ...jobEnv,
      ...exported,
      ...stepEnv,
      ...githubEnv(files, action),
    };
    if (extraPath.length > 0) env.PATH = [...extraPath, env.PATH ?? ''].join(path.delimiter);
    return env;
  };
  const timeoutFor = (step: StepDef): number =>
    step.timeoutMinutes !== undefined ? step.timeoutMinutes * 60_000 : (options.stepTimeoutMs ?? 600_000);
  const readBack = (files: Record<string, string>): StepFiles => {
    const exports = parseFileCommands(readFileSync(files.GITHUB_ENV!, 'utf8'));
    Object.assign(exported, exports);
    for (const line of readFileSync(files.GITHUB_PATH!, 'utf8').split(/\r?\n/))
      if (line.trim()) extraPath.unshift(line.trim());
    const summary = readFileSync(files.GITHUB_STEP_SUMMARY!, 'utf8');
    if (summary.trim()) summaries.push(summary);
    return {
      outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT!, 'utf8')),
      state: parseFileCommands(readFileSync(files.GITHUB_STATE!, 'utf8')),
      summary,
      exports,
    };
  };
  /**
   * Keeps what an action's run showed or wrote for the workflow's secrets scan: its output as it
   * wrote it (the ::add-mask:: lines left out: the runner consumes them), outputs it did not mask
   * (expose-key masks the key it hands on), state, summary and the files it wrote in RUNNER_TEMP.
   */
  const keepForScan = (label: string, run: ProcessResult, back: StepFiles, since: number): void => {
    scan.runs++;
    const named = (what: string, values: Record<string, string>): ScanPart[] =>
      Object.entries(values).map(([name, text]) => ({ where: `${label}: ${what} ${name}`, text }));
    scan.parts.push(
      {
        where: `${label}: stdout`,
        text: run.stdout
          .split('\n')
          .map((line) => (line.startsWith('::add-mask::') ? '' : line))
          .join('\n'),
      },
      { where: `${label}: stderr`, text: run.stderr },
      ...named('output', Object.fromEntries(Object.entries(back.outputs).filter(([, value]) => !masker.has(value)))),
      ...named('state', back.state),
      ...named('exported variable', back.exports),
      { where: `${label}: step summary`, text: back.summary },
      ...changedFiles(runnerTemp, since, `${label}: file`, new Set()),
    );
  };

  for (const step of job.steps) {
    const number = `${step.index + 1}/${job.steps.length}`;
    const stepKey = step.id ?? `__${step.index}`;
    const status: Status = { failed };
    let title = step.name ?? (step.uses ? step.uses : `Run ${(step.run ?? '').split('\n')[0]}`);
    try {
      title = interpolate(title, contextsFor({}), status);
    } catch {
      // a name that does not evaluate is shown as written
    }
    const where = formatLocation(step.location);
    print('');
    print(`┌ [${number}] ${masker.mask(title)}${step.uses && step.name ? ` (${step.uses})` : ''}   ${where}`);
    const stepStarted = Date.now();
    const log = new StepLog(masker, print, options.debug === true);
    const finish = (state: StepState, detail: string): void => {
      steps[stepKey] = state;
      const mark = state.outcome === 'success' ? '✓' : state.outcome === 'skipped' ? '○' : '✗';
      print(
        `└ ${mark} ${state.outcome}${state.conclusion !== state.outcome ? ` (continue-on-error: ${state.conclusion})` : ''} · ${seconds(Date.now() - stepStarted)}${detail ? ` · ${masker.mask(detail)}` : ''}`,
      );
      if (state.conclusion === 'failure') failed = true;
    };
    const stepFailure = (message: string, location: Location, continueOnError: boolean): void => {
      log.note(`Error: ${message}`);
      if (!continueOnError) fail(message, location, title);
      finish({ outputs: {}, outcome: 'failure', conclusion: continueOnError ? 'success' : 'failure' }, '');
    };

    let runStep: boolean;
    let continueOnError = false;
    let stepEnv: Record<string, string>;
    try {
      runStep = condition(step.if, contextsFor({}), status);
      stepEnv = evaluateMap(step.env, contextsFor({}), status);
      continueOnError = interpolate(step.continueOnError, contextsFor(stepEnv), status) === 'true';
    } catch (error) {
      if (!(error instanceof ExpressionFailure)) throw error;
      stepFailure(error.message, step.location, false);
      continue;
    }
    if (!runStep) {
      finish(
        { outputs: {}, outcome: 'skipped', conclusion: 'skipped' },
        step.if ? `if: ${step.if}` : 'a previous step failed',
      );
      continue;
    }
    const contexts = contextsFor(stepEnv);

    if (step.run !== undefined) {
      let script: string;
      try {
        script = interpolate(step.run, contexts, status);
      } catch (error) {
        if (!(error instanceof ExpressionFailure)) throw error;
        stepFailure(error.message, step.location, continueOnError);
        continue;
      }
      const files = stepFiles(`step-${step.index + 1}`);
      const scriptFile = path.join(runnerTemp, `step-${step.index + 1}.sh`);
      writeFileSync(scriptFile, script);
      const shell = step.shell ?? job.defaultShell ?? 'bash';
      const [command, args] = shellCommand(shell, scriptFile);
      for (const line of script.replace(/\n$/, '').split('\n')) log.note(`$ ${line}`);
      const cwd = path.resolve(root, step.workingDirectory ?? job.defaultWorkingDirectory ?? '.');
      const run = await runProcess(command, args, {
        cwd,
        env: processEnv(stepEnv, files),
        timeoutMs: timeoutFor(step),
        log,
        masker,
      });
      const back = readBack(files);
      const outputs = { ...back.outputs, ...log.effects.outputs };
      if (run.exitCode !== 0) {
        const reason = run.timedOut
          ? `The step was stopped after its timeout of ${seconds(timeoutFor(step))}.`
          : `Process completed with exit code ${run.exitCode}.`;
        log.note(`Error: ${reason}`);
        if (!continueOnError)
          fail([reason, ...run.lastLines.slice(-3).map((line) => `  ${line}`)].join('\n'), step.location, title);
        finish({ outputs, outcome: 'failure', conclusion: continueOnError ? 'success' : 'failure' }, '');
      } else {
        finish({ outputs, outcome: 'success', conclusion: 'success' }, describeOutputs(outputs));
      }
      continue;
    }

    // uses:
    const uses = step.uses!;
    if (!uses.startsWith('./')) {
      const name = uses.split('@')[0]!;
      const why = NO_OP_ACTIONS[name];
      if (why) {
        log.note(`(no-op in the demo: ${why})`);
        finish({ outputs: {}, outcome: 'success', conclusion: 'success' }, '');
      } else {
        stepFailure(
          `'uses: ${uses}': the demo runs only actions of this repository ('./...'); of remote actions it knows only actions/checkout and actions/setup-node, as no-ops (scripts/demo/README.md)`,
          step.location,
          continueOnError,
        );
      }
      continue;
    }
    let action: ActionManifest;
    try {
      action = loadAction(root, uses, step.location);
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      stepFailure(error.message.replace(`${formatLocation(error.location)}: `, ''), error.location, continueOnError);
      continue;
    }
    const known = Object.keys(action.inputs);
    const unexpected = step.with.filter(
      (input) => !known.some((name) => name.toLowerCase() === input.key.toLowerCase()),
    );
    if (unexpected.length > 0) {
      for (const input of unexpected) {
        const message = `unexpected input '${input.key}' for ${uses} (${formatLocation(input.location)}): it is not among the inputs of ${path.relative(root, action.dir)}/action.yml.${suggestion(input.key, known)}`;
        log.note(`Error: ${message}`);
        if (!continueOnError) fail(message, input.location, title);
      }
      finish({ outputs: {}, outcome: 'failure', conclusion: continueOnError ? 'success' : 'failure' }, '');
      continue;
    }
    const inputs: Record<string, string> = {};
    try {
      for (const [name, spec] of Object.entries(action.inputs)) {
        if (spec.default !== undefined && spec.default !== null)
          inputs[inputVariable(name)] = interpolate(String(spec.default), contexts, status);
      }
      for (const input of step.with) inputs[inputVariable(input.key)] = interpolate(input.value, contexts, status);
    } catch (error) {
      if (!(error instanceof ExpressionFailure)) throw error;
      stepFailure(error.message, step.location, continueOnError);
      continue;
    }
    // As GitHub's log does: the step's with: values (evaluated, masked) before the action's output.
    if (step.with.length > 0) {
      log.note('with:');
      for (const input of step.with) {
        const value = inputs[inputVariable(input.key)] ?? '';
        const [first = '', ...more] = value.replace(/\n$/, '').split('\n');
        const shown = first.length > 100 ? `${first.slice(0, 97)}...` : first;
        log.note(
          `  ${input.key}: ${shown}${more.length > 0 ? ` (+${more.length} line${more.length > 1 ? 's' : ''})` : ''}`,
        );
      }
    }
    const files = stepFiles(`step-${step.index + 1}`);
    const actionName = path.relative(root, action.dir).split(path.sep).join('/');
    const env = { ...processEnv(stepEnv, files, actionName), ...inputs };
    const actionStarted = Date.now();
    const run = await runProcess(process.execPath, [action.main], {
      cwd: root,
      env,
      timeoutMs: timeoutFor(step),
      log,
      masker,
    });
    const back = readBack(files);
    keepForScan(`job ${job.id} step ${number} (${uses})`, run, back, actionStarted);
    const outputs = { ...back.outputs, ...log.effects.outputs };
    const state = { ...back.state, ...log.effects.state };
    if (action.post) {
      const post: PostStep = { step, title, action, inputs, env: stepEnv, state };
      posts.push(post);
      // Should the demo be interrupted before the job ends, its post steps still run (e.g. to stop
      // a local scoring server, which is detached and would outlive the demo).
      const files = stepFiles(`interrupted-post-${step.index + 1}`);
      const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
      const postEnv = { ...processEnv(stepEnv, files, actionName), ...inputs, ...stateEnv };
      const cleanup = (): void => {
        spawnSync(process.execPath, [action.post!], { cwd: root, env: postEnv, stdio: 'ignore', timeout: 10_000 });
      };
      pendingPosts.add(cleanup);
      jobCleanups.push(cleanup);
    }
    if (run.exitCode !== 0) {
      const reason = run.timedOut
        ? `The step was stopped after its timeout of ${seconds(timeoutFor(step))}.`
        : (lastError(log.effects.annotations) ?? `The action exited with code ${run.exitCode}.`);
      if (run.timedOut) log.note(`Error: ${reason}`);
      if (!continueOnError) fail(reason, step.location, title);
      finish(
        { outputs, outcome: 'failure', conclusion: continueOnError ? 'success' : 'failure' },
        describeOutputs(outputs),
      );
    } else {
      finish({ outputs, outcome: 'success', conclusion: 'success' }, describeOutputs(outputs));
    }
  }

  // Post steps: in reverse order of their main steps, `post-if` (default always()).
  for (const cleanup of jobCleanups) pendingPosts.delete(cleanup);
  for (const post of posts.reverse()) {
    const title = `Post ${post.title}`;
    print('');
    print(`┌ [post] ${masker.mask(title)}   ${formatLocation(post.step.location)}`);
    const postStarted = Date.now();
    const log = new StepLog(masker, print, options.debug === true);
    let runPost = true;
    try {
      runPost = condition(post.action.postIf ?? 'always()', contextsFor(post.env), { failed });
    } catch (error) {
      if (!(error instanceof ExpressionFailure)) throw error;
      log.note(`Error: post-if: ${error.message}`);
    }
    if (!runPost) {
      print(`└ ○ skipped · post-if: ${post.action.postIf ?? ''}`);
      continue;
    }
    const files = stepFiles(`post-${post.step.index + 1}`);
    const stateEnv = Object.fromEntries(Object.entries(post.state).map(([name, value]) => [`STATE_${name}`, value]));
    const actionName = path.relative(root, post.action.dir).split(path.sep).join('/');
    const run = await runProcess(process.execPath, [post.action.post!], {
      cwd: root,
      env: { ...processEnv(post.env, files, actionName), ...post.inputs, ...stateEnv },
      timeoutMs: options.stepTimeoutMs ?? 600_000,
      log,
      masker,
    });
    keepForScan(`job ${job.id} post (${post.step.uses ?? ''})`, run, readBack(files), postStarted);
    if (run.exitCode !== 0) {
      failed = true;
      fail(
        lastError(log.effects.annotations) ?? `The post step exited with code ${run.exitCode}.`,
        post.step.location,
        title,
      );
      print(`└ ✗ failure · ${seconds(Date.now() - postStarted)}`);
    } else {
      print(`└ ✓ success · ${seconds(Date.now() - postStarted)}`);
    }
  }

  // Job outputs: like GitHub, an output that holds a secret is not passed on.
  const outputs: Record<string, string> = {};
  for (const [name, template] of Object.entries(job.outputs)) {
    try {
      const value = interpolate(template, contextsFor({}), { failed });
      if (masker.has(value)) print(`   Warning: skip output '${name}' since it may contain secret.`);
      else outputs[name] = value;
    } catch (error) {
      if (!(error instanceof ExpressionFailure)) throw error;
      print(`   Warning: output '${name}': ${error.message}`);
    }
  }
  if (job.environment?.url) {
    try {
      const url = interpolate(job.environment.url, contextsFor({}), { failed });
      if (url) print(`   environment ${environment}: ${masker.mask(url)}`);
    } catch {
      // the url is informative only
    }
  }
  if (options.summaries && summaries.length > 0) {
    print('');
    print('   Job summary:');
    for (const line of masker.mask(summaries.join('\n')).split('\n')) print(`   │ ${line}`);
  }
  const result: Result = failed ? 'failure' : 'success';
  print(`── job ${job.id}: ${result} · ${seconds(Date.now() - started)}`);
  rmSync(jobTemp, { recursive: true, force: true });
  return { result, outputs };
}

function lastError(annotations: Annotation[]): string | undefined {
  const errors = annotations.filter((annotation) => annotation.level === 'error');
  return errors[errors.length - 1]?.message;
}

function describeOutputs(outputs: Record<string, string>): string {
  const entries = Object.entries(outputs);
  if (entries.length === 0) return '';
  const shown = entries.map(([name, value]) => {
    const oneLine = value.replace(/\s*\n\s*/g, ' ');
    return `${name}=${oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine}`;
  });
  return `outputs: ${shown.join(', ')}`;
}

function evaluateMap(map: Record<string, string>, contexts: Contexts, status?: Status): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, interpolate(value, contexts, status)]));
}

function interpolateSafe(template: string, contexts: Contexts): string {
  try {
    return interpolate(template, contexts);
  } catch {
    return template;
  }
}

/** GitHub's shells: bash and sh with its flags, node, python, or a custom 'command {0}'. */
function shellCommand(shell: string, file: string): [string, string[]] {
  switch (shell) {
    case 'bash':
      return ['bash', ['--noprofile', '--norc', '-eo', 'pipefail', file]];
    case 'sh':
      return ['sh', ['-e', file]];
    case 'node':
      return [process.execPath, [file]];
    case 'python':
      return ['python3', [file]];
    default: {
      const parts = shell.split(/\s+/).map((part) => (part === '{0}' ? file : part));
      if (!shell.includes('{0}')) parts.push(file);
      return [parts[0]!, parts.slice(1)];
    }
  }
}
