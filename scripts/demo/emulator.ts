// Starts the emulator for the demo as its own process (`emulator/cli.ts`, the same as
// `npm run emulator`), reads its contract and env file, and talks to its admin API.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';

/** The fields of the emulator's contract line that the demo uses (emulator/README.md). */
export interface Contract {
  armUrl: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  clientId: string;
  kubernetesCompute: string;
  caFile: string;
  adminUrl: string;
  envFile: string;
  [field: string]: unknown;
}

export interface DemoEmulator {
  contract: Contract;
  /** The env file's variables. */
  env: Record<string, string>;
  /** Where the emulator's own log (stderr) goes. */
  logFile: string;
  admin(method: string, route: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

export async function startDemoEmulator(
  root: string,
  settings: Record<string, unknown>,
  timeoutMs = 90_000,
): Promise<DemoEmulator> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'azureml-demo-emulator-'));
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(settings));
  const logFile = path.join(dir, 'emulator.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    // No --env-file: node 20 would take it as its own option even after the script; the emulator
    // writes a temporary env file and names it in the contract.
    ['--import', 'tsx', path.join(root, 'emulator', 'cli.ts'), '--config', config],
    { cwd: root, stdio: ['ignore', 'pipe', log], env: withoutNodeOptions(process.env) },
  );
  closeSync(log);
  const tail = (): string => readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');

  const contract = await new Promise<Contract>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`The emulator did not start within ${timeoutMs / 1000} s:\n${tail()}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Contract);
        return;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The emulator exited (code ${code}) before it was ready:\n${tail()}`));
    });
  });
  child.stdout!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ca = readFileSync(contract.caFile);

  const admin = (method: string, route: string, body?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${contract.adminUrl}${route}`,
        { method, ca, headers: payload ? { 'content-type': 'application/json' } : {} },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            if ((res.statusCode ?? 500) >= 400)
              reject(new Error(`emulator admin ${method} ${route}: ${res.statusCode} ${text}`));
            else resolve(text ? (JSON.parse(text) as unknown) : undefined);
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  return {
    contract,
    env: parseEnvFile(readFileSync(contract.envFile, 'utf8')),
    logFile,
    admin,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Child processes must not inherit a parent's NODE_OPTIONS (e.g. jest's --experimental-vm-modules). */
export function withoutNodeOptions(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, ...rest } = env;
  return rest;
}
