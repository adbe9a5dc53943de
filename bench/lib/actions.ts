// Running an action's dist/index.js the way the GitHub runner does (INPUT_* variables with the
// action.yml defaults, GITHUB_* files), against the emulator, with any node binary.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './common.js';

export interface ActionProcess {
  exitCode: number;
  /** Epoch ms just before spawn. */
  spawnedAt: number;
  wallMs: number;
  log: string;
}

function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runActionProcess(options: {
  action: string;
  node: string;
  inputs: Record<string, string>;
  env: Record<string, string>;
  workspace: string;
  nodeArgs?: string[];
  timeoutMs?: number;
  /** A checkout to take the action from (default: this one), e.g. an older build to compare with. */
  root?: string;
}): Promise<ActionProcess> {
  const root = options.root ?? ROOT;
  const manifest = parse(readFileSync(path.join(root, options.action, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  const temp = mkdtempSync(path.join(os.tmpdir(), 'bench-action-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? temp,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    RUNNER_TEMP: path.join(temp, 'runner-temp'),
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW: 'bench',
    GITHUB_ACTOR: 'octocat',
  };
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_STATE', 'GITHUB_PATH']) {
    env[name] = path.join(temp, name.toLowerCase());
    writeFileSync(env[name], '');
  }
  mkdirSync(env.RUNNER_TEMP as string, { recursive: true });
  Object.assign(env, options.env);
  for (const [name, spec] of Object.entries(manifest.inputs ?? {}))
    if (spec?.default !== undefined) env[inputVariable(name)] = String(spec.default);
  for (const [name, value] of Object.entries(options.inputs)) env[inputVariable(name)] = value;

  const spawnedAt = Date.now();
  const started = performance.now();
  const child = spawn(
    options.node,
    [...(options.nodeArgs ?? []), path.join(root, options.action, 'dist', 'index.js')],
    {
      cwd: options.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  clearTimeout(timer);
  rmSync(temp, { recursive: true, force: true });
  return { exitCode, spawnedAt, wallMs: performance.now() - started, log };
}
