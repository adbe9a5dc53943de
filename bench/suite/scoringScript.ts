// `serve-script`: why the emulator answers action-deploy's generic ONNX score.py natively. The
// script itself in Microsoft's inference server (azmlinfsrv, the project venv, what Azure runs)
// against the native fast path (shared/scoring's JSON contract on onnxruntime-node, what the
// emulator's onnxScoring.ts runs), each in its own process, both over keep-alive HTTP with silero_vad 512-sample requests,
// 4 in flight. The fast path stays while the script serves under half its rate.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pythonEnvStatus } from '../../scripts/python-env.js';
import { startInferenceServer } from '../../shared/python/inferenceServer.js';
import { SILERO, SILERO_PAYLOAD } from '../../tests/support/silero.js';
import { spawn } from 'node:child_process';
import { BENCH_DIR, ROOT, unavailable, verdict, type Benchmark, type Row } from '../lib/common.js';

const KEEP_BELOW = 0.5;
const GENERIC = path.join(ROOT, 'action-deploy', 'assets', 'onnx-generic', 'score.py');

/** Requests per second answered 200 at `url` with 4 requests in flight for `ms`. */
async function rate(url: string, headers: Record<string, string>, ms: number): Promise<number> {
  const body = JSON.stringify(SILERO_PAYLOAD);
  const call = async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  };
  for (let i = 0; i < 20; i++) await call();
  let done = 0;
  const end = Date.now() + ms;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        await call();
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

export const scoringScript: Benchmark = {
  name: 'serve-script',
  what: "generic ONNX score.py in azmlinfsrv vs the emulator's native fast path (silero_vad requests)",
  async run(options) {
    const name = 'serve (generic score.py: azmlinfsrv vs native)';
    const target = `fast path kept while azmlinfsrv < ${KEEP_BELOW * 100} % of it`;
    const env = pythonEnvStatus();
    if (!('python' in env)) return [unavailable(name, target, `${env.reason} (npm run python-env)`)];
    const ms = options.smoke ? 2000 : 10_000;
    const modelDir = mkdtempSync(path.join(os.tmpdir(), 'bench-serve-script-'));
    copyFileSync(SILERO, path.join(modelDir, 'silero_vad.onnx'));
    options.progress('starting azmlinfsrv with the generic score.py...');
    const started = Date.now();
    const inference = await startInferenceServer({
      python: env.python,
      entryScript: GENERIC,
      appRoot: path.dirname(GENERIC),
      modelDir,
      environment: {},
      onOutput: () => undefined,
    });
    const startupMs = Date.now() - started;
    let python: number;
    try {
      options.progress(`measuring azmlinfsrv for ${ms / 1000} s...`);
      python = await rate(`${inference.url}/score`, {}, ms);
    } finally {
      await inference.stop();
      rmSync(modelDir, { recursive: true, force: true });
    }
    // The native server in a process of its own, as azmlinfsrv is: the load generator stays here.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'lib', 'nativeScoringServer.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let native: number;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.on('exit', (code) => reject(new Error(`the native scoring server exited with code ${String(code)}`)));
      });
      options.progress(`measuring the native path for ${ms / 1000} s...`);
      native = await rate(url, { authorization: 'Bearer bench-key' }, ms);
    } finally {
      child.kill('SIGTERM');
    }
    const ratio = python / native;
    const row: Row = {
      benchmark: name,
      ours: `${python.toFixed(0)} req/s`,
      peer: `native ${native.toFixed(0)} req/s`,
      ratio: `${(ratio * 100).toFixed(0)} %`,
      target,
      verdict: verdict(ratio < KEEP_BELOW),
      note: `azmlinfsrv (1 gunicorn worker, as Azure's default WORKER_COUNT) ready in ${(startupMs / 1000).toFixed(1)} s after start, per deployment; the native path needs no Python; load average ${os.loadavg()[0]?.toFixed(1) ?? '?'}`,
    };
    return [row];
  },
};
