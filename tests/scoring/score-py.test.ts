/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// score.py (what Azure runs for an ONNX custom_model) against the TypeScript contract on the same
// requests: same statuses, same outputs, same error bodies. Debian has no python3-onnxruntime, so
// score.py runs on a stand-in for onnxruntime's Python API backed by onnxruntime-node
// (tests/scoring/python/); it needs /usr/bin/python3 with numpy (`apt-get install python3-numpy`).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handleScoringRequest, loadModel } from '../../shared/scoring/index.js';
import type { InferenceModel } from '../../shared/scoring/index.js';
import { SILERO_PATH, sileroJsonBody, speechLikeFrame } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const RUNNER = fileURLToPath(new URL('./python/run_score.py', import.meta.url));
const pythonHasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

let model: InferenceModel;
let modelDirectory: string;

beforeAll(async () => {
  model = await loadModel(SILERO_PATH, { backend: 'onnxruntime-node' });
  modelDirectory = mkdtempSync(join(tmpdir(), 'score-py-model-'));
  symlinkSync(SILERO_PATH, join(modelDirectory, 'silero_vad.onnx'));
});
afterAll(async () => {
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

function runScorePy(cases: { method: string; body: string }[]): { status: number; body: Record<string, unknown> }[] {
  const run = spawnSync(PYTHON, [RUNNER, modelDirectory], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    env: { ...process.env, ORT_BRIDGE_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (run.status !== 0) throw new Error(`score.py runner failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { status: number; body: Record<string, unknown> }[];
}

async function runTypeScript(method: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await handleScoringRequest(model, { kind: 'json' }, { method, path: '/score', body });
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
}

describe('generic score.py for Azure', () => {
  const maybe = pythonHasNumpy ? test : test.skip;
  if (!pythonHasNumpy) {
    console.warn('score.py tests skipped: /usr/bin/python3 has no numpy (apt-get install -y python3-numpy)');
  }

  maybe('answers every request as the TypeScript contract does: same status, outputs and error body', async () => {
    const python = runScorePy([
      ...CASES.map(([, method, body]) => ({ method, body })),
      ...PREFIX_CASES.map(([, method, body]) => ({ method, body })),
    ]);
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
