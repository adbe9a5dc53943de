// The in-process ring: runs an action's work function (register, deploy, pipeline, smokeTest) in
// this process with an in-memory ActionContext, so a test exercises the source, not its bundle.
// Inputs are a record over action.yml's defaults (as the runner fills them in), the environment is
// what runAction.ts gives a bundle, and everything the step shows is kept in memory.

import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActionContext } from '../../shared/action/context.js';
import { describeFailure } from '../../shared/errors.js';
import { inputsFromRecord } from '../../shared/inputs/source.js';
import { MemoryLogger } from '../../shared/logger.js';
import { actionManifest } from './runAction.js';

export interface InProcessRun {
  outputs: Record<string, string>;
  /** State saved for the post step. */
  state: Record<string, string>;
  summary: string;
  /** Every log line (MemoryLogger's format: `warning: ...`, `group: ...`). */
  lines: string[];
  /** The lines as one text. */
  log: string;
  /** Secrets the step registered for masking. */
  secrets: string[];
  /** What the runner would show as the step's failure ('' when it succeeded). */
  failure: string;
  /** The failure is a bug (not a UserError): the runner would show a stack and ask for a report. */
  isBug: boolean;
}

export interface InProcessOptions {
  /** Action folder, for action.yml's input defaults: `action-deploy`, `action-deploy/smoke-test`. */
  action: string;
  inputs?: Record<string, string>;
  /** The emulator's environment (emu.env) and anything else the step reads. */
  env?: Record<string, string | undefined>;
  /** GITHUB_WORKSPACE; defaults to a fresh empty folder. */
  workspace?: string;
  /** State from an earlier run's `state` (a post step reads it). */
  state?: Record<string, string>;
}

/** Runs `work` (an action's exported work function) the way runAction runs its bundle, in process. */
export async function runInProcess(
  work: (context: ActionContext) => Promise<void>,
  options: InProcessOptions,
): Promise<InProcessRun> {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'in-process-'));
  const workspace = options.workspace ?? path.join(temp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const runnerTemp = path.join(temp, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const env: Record<string, string | undefined> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW: 'test',
    GITHUB_ACTOR: 'octocat',
    ...options.env,
  };
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(actionManifest(options.action).inputs ?? {})) {
    if (spec?.default !== undefined) inputs[name] = String(spec.default);
  }
  Object.assign(inputs, options.inputs);

  const log = new MemoryLogger();
  const outputs: Record<string, string> = {};
  const state: Record<string, string> = { ...options.state };
  const summary: string[] = [];
  const context: ActionContext = {
    requestIdToken: (audience) => requestIdToken(env, audience),
    inputs: inputsFromRecord(inputs, env),
    log,
    outputs: { set: (name, value) => void (outputs[name] = String(value)) },
    summary: { append: (markdown) => void summary.push(markdown) },
    state: { save: (name, value) => void (state[name] = value), get: (name) => state[name] ?? '' },
  };
  let failure = '';
  let isBug = false;
  try {
    await work(context);
  } catch (error) {
    ({ message: failure, isBug } = describeFailure(error));
  }
  return {
    outputs,
    state,
    summary: summary.join(''),
    lines: log.lines,
    log: log.lines.join('\n'),
    secrets: log.secrets,
    failure,
    isBug,
  };
}

/** What core.getIDToken does: GET the runner's ID-token URL with its bearer token and an audience. */
export async function requestIdToken(env: Record<string, string | undefined>, audience: string): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !token) throw new Error('no ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN in this run’s environment');
  const response = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`ID token request failed: HTTP ${response.status}`);
  return ((await response.json()) as { value: string }).value;
}
