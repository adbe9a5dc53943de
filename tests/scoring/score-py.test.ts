/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// score.py (what Azure runs for an ONNX custom_model) served by Microsoft's inference server
// (azureml-inference-server-http, azmlinfsrv) on onnxruntime and numpy at the versions its
// environment pins (conda.yml), against the TypeScript contract on the same HTTP requests: same
// statuses, same outputs, same error bodies. Python comes from python/requirements.lock.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { handleScoringRequest, loadModel } from '../../shared/scoring/index.js';
import type { InferenceModel } from '../../shared/scoring/index.js';
import { PYTHON_BIN, describeWithPython } from '../support/python.js';
import { SILERO_PATH, sileroJsonBody, speechLikeFrame } from './fixtures.js';

const GENERIC = fileURLToPath(new URL('../../action-deploy/assets/onnx-generic/', import.meta.url));
const LOCK = fileURLToPath(new URL('../../python/requirements.lock', import.meta.url));

let model: InferenceModel;
let modelDirectory: string;
let server: ChildProcess | undefined;
let scoringUri = '';
let serverLog = '';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  model = await loadModel(SILERO_PATH, { backend: 'onnxruntime-node' });
  modelDirectory = mkdtempSync(join(tmpdir(), 'score-py-model-'));
  symlinkSync(SILERO_PATH, join(modelDirectory, 'silero_vad.onnx'));
  if (!PYTHON_BIN) return;
  const port = await freePort();
  // As Azure starts it: the deployment's entry script, the model folder in AZUREML_MODEL_DIR.
  server = spawn(
    join(PYTHON_BIN, 'azmlinfsrv'),
    ['--entry_script', join(GENERIC, 'score.py'), '--port', String(port)],
    {
      env: { ...process.env, AZUREML_MODEL_DIR: modelDirectory, PYTHONDONTWRITEBYTECODE: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const healthy = await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error(`azmlinfsrv did not become healthy:\n${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  scoringUri = `http://127.0.0.1:${port}/score`;
}, 90_000);
afterAll(async () => {
  // gunicorn forks workers: stop the whole process group.
  if (server?.pid && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
  await model?.close();
  if (modelDirectory) rmSync(modelDirectory, { recursive: true, force: true });
});

function mutated(change: (inputs: Record<string, unknown>) => void): string {
  const body = sileroJsonBody();
  change(body.inputs);
  return JSON.stringify(body);
}

/** Requests both implementations must answer alike: [label, method, body text]. */
const CASES: [string, string, string][] = [
  ['a speech-like frame', 'POST', JSON.stringify(sileroJsonBody(speechLikeFrame(21)))],
  ['another frame, sr as a digit string', 'POST', mutated((inputs) => (inputs.sr = '16000'))],
  ['an array body', 'POST', '[1, 2]'],
  ['an unknown field', 'POST', JSON.stringify({ ...sileroJsonBody(), data: [1] })],
  ['no inputs', 'POST', '{}'],
  ['inputs not an object', 'POST', '{"inputs": [1]}'],
  ['an unknown input', 'POST', mutated((inputs) => (inputs.state = [0]))],
  ['missing state', 'POST', mutated((inputs) => (delete inputs.h, delete inputs.c))],
  ['a string element', 'POST', mutated((inputs) => (inputs.input = [['x', ...speechLikeFrame().slice(1)]]))],
  ['a null input', 'POST', mutated((inputs) => (inputs.h = null))],
  ['a null element', 'POST', mutated((inputs) => (inputs.input = [[null, ...speechLikeFrame().slice(1)]]))],
  ['a fraction for int64', 'POST', mutated((inputs) => (inputs.sr = 16000.5))],
  ['a ragged array', 'POST', mutated((inputs) => (inputs.h = [[new Array(64).fill(0)], [new Array(63).fill(0)]]))],
  ['an array for a scalar', 'POST', mutated((inputs) => (inputs.sr = [16000]))],
  ['a wrong fixed dim', 'POST', mutated((inputs) => (inputs.c = [[new Array(63).fill(0)], [new Array(63).fill(0)]]))],
  ['a wrong rank', 'POST', mutated((inputs) => (inputs.input = speechLikeFrame()))],
  ['batch sizes that disagree', 'POST', mutated((inputs) => (inputs.input = [speechLikeFrame(), speechLikeFrame(2)]))],
  ['an empty body', 'POST', ''],
];
/** Cases where only the status and the start of the message can agree (the parser's or runtime's own words follow). */
const PREFIX_CASES: [string, string, string, string][] = [
  ['a body that is not JSON', 'POST', '{"inputs": ', 'The request body is not valid JSON: '],
  ['NaN, which is not JSON', 'POST', '{"inputs": {"sr": NaN}}', 'The request body is not valid JSON: '],
  [
    '3 samples the model rejects',
    'POST',
    mutated((inputs) => (inputs.input = [[0.1, 0.2, 0.3]])),
    'The model could not run on these inputs: ',
  ],
  ['GET', 'GET', '', 'Method GET is not allowed here; use POST'],
];

/** One request to the inference server, as a client would send it. */
async function callServer(method: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(scoringUri, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Record<string, unknown> };
}

async function runTypeScript(method: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await handleScoringRequest(model, { kind: 'json' }, { method, path: '/score', body });
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
}

describeWithPython('generic score.py for Azure, served by azmlinfsrv', () => {
  test('its environment pins the versions the test runs (conda.yml = python/requirements.lock)', () => {
    const conda = parse(readFileSync(join(GENERIC, 'conda.yml'), 'utf8')) as {
      dependencies: (string | { pip: string[] })[];
    };
    const pins = conda.dependencies.flatMap((d) => (typeof d === 'string' ? [] : d.pip));
    const lock = readFileSync(LOCK, 'utf8');
    expect(pins.length).toBeGreaterThanOrEqual(3);
    for (const pin of pins) expect(lock).toMatch(new RegExp(`^${pin.replace(/[.]/g, '\\.')} \\\\$`, 'm'));
  });

  test('answers every request as the TypeScript contract does: same status, outputs and error body', async () => {
    const python: { status: number; body: Record<string, unknown> }[] = [];
    for (const [, method, body] of [...CASES, ...PREFIX_CASES]) python.push(await callServer(method, body));
    for (const [index, [label, method, body]] of CASES.entries()) {
      const typescript = await runTypeScript(method, body);
      expect({ label, ...python[index] }).toEqual({ label, ...typescript });
    }
    for (const [offset, [label, method, body, prefix]] of PREFIX_CASES.entries()) {
      const fromPython = python[CASES.length + offset];
      const typescript = await runTypeScript(method, body);
      expect([label, fromPython?.status]).toEqual([label, typescript.status]);
      expect(String(fromPython?.body.error)).toContain(prefix);
      expect(String(typescript.body.error)).toContain(prefix);
    }
    // The happy path really scored: a probability and the new state, not an error.
    const outputs = python[0]?.body.outputs as { output: number[][]; hn: number[][][] };
    expect(outputs.output[0]?.[0]).toBeGreaterThan(0);
    expect(outputs.hn).toHaveLength(2);
  });
});
