// The smoke-test sub-action end to end: the built bundle against a real scoring server (shared/scoring
// serving silero_vad with onnxruntime-node), as a release gate: passing run with outputs, each kind
// of failed expectation with the actual value, auth failures called what they are, key never logged.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runAction, type ActionRun } from '../harness/runAction.js';
import { startChildScoringServer, type ChildScoringServer } from '../support/startScoringServer.js';

const SILERO = path.join(REPO_ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');
const KEY = 'scoring-key-5b7e0c2d9a';
const workspace = mkdtempSync(path.join(os.tmpdir(), 'smoke-ws-'));
let server: ChildScoringServer;

const zeros = (n: number) => Array.from({ length: n }, () => 0);
const payload = {
  inputs: {
    input: [Array.from({ length: 512 }, (_, i) => Math.sin(i / 10) * 0.5)],
    sr: 16000,
    h: [[zeros(64)], [zeros(64)]],
    c: [[zeros(64)], [zeros(64)]],
  },
};

beforeAll(async () => {
  server = await startChildScoringServer(SILERO, KEY);
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(payload));
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

function smoke(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({
    action: 'action-deploy/smoke-test',
    inputs: {
      'scoring-uri': server.scoringUri,
      key: KEY,
      payload: 'payload.json',
      requests: '30',
      concurrency: '4',
      ...inputs,
    },
    workspace,
  });
}

function unmaskedLog(run: ActionRun): string {
  return run.log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

describe('smoke-test against a live scoring server', () => {
  it('passes with outputs, the model response and a summary; the key is never logged', async () => {
    const run = await smoke({
      'expect-json': '$.outputs.output[0][0] >= 0\n$.outputs.output[0][0] <= 1\n$.outputs.hn exists',
      'p95-ms': '5000',
    });
    expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', requests: '30', errors: '0', 'error-rate': '0' });
    expect(Number(run.outputs['p95-ms'])).toBeGreaterThan(0);
    expect(Number(run.outputs.rps)).toBeGreaterThan(0);
    // Truncated to 4 KiB by design: enough to show what the model answered.
    expect(run.outputs['first-response']).toMatch(/^\{"outputs":\{"output":\[\[0\.\d+/);
    expect(run.outputs['report-file']).toMatch(/smoke-test-report-\d+\.json$/);
    expect(run.summary).toContain('Smoke test passed');
    expect(run.masked).toContain(KEY);
    expect(unmaskedLog(run) + run.summary + JSON.stringify(run.outputs)).not.toContain(KEY);
  });

  it.each([
    ['a JSON expectation', { 'expect-json': '$.outputs.output[0][0] > 2' }, /\$\.outputs\.output\[0\]\[0\] > 2/],
    ['the status', { 'expect-status': '201' }, /status/i],
    ['the body', { 'expect-body': 'no-such-text' }, /no-such-text/],
    ['a latency budget', { 'p95-ms': '0.001' }, /p95/],
  ])('fails on %s and says which, with the actual value', async (_name, inputs, message) => {
    const run = await smoke(inputs);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.passed).toBe('false');
    const errors = run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
    expect(errors.at(-1)).toMatch(/^Smoke test failed against http:\/\/127\.0\.0\.1:\d+\/score: /);
    const error = errors.join('\n');
    expect(error).toMatch(message);
    expect(error).not.toContain(KEY);
  });

  it('reports a wrong key as an authentication failure, not a model failure', async () => {
    const run = await smoke({ key: 'wrong-key-123456' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.filter((a) => a.level === 'error').at(-1)?.message).toMatch(
      /refused the key or token \(401\/403\): this is an authentication problem, not a model failure/,
    );
    expect(unmaskedLog(run)).not.toContain('wrong-key-123456');
  });

  it('sends a folder of cases, each with its own expectations', async () => {
    const cases = path.join(workspace, 'cases');
    (await import('node:fs')).mkdirSync(cases, { recursive: true });
    writeFileSync(path.join(cases, 'speech.json'), JSON.stringify(payload));
    writeFileSync(path.join(cases, 'bad-shape.json'), JSON.stringify({ inputs: { input: [[1, 2, 3]] } }));
    writeFileSync(path.join(cases, 'bad-shape.expect.json'), JSON.stringify({ status: 400 }));
    const run = await smoke({ payload: 'cases', requests: '10' });
    expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
    expect(run.outputs.passed).toBe('true');
    expect(run.summary).toContain('bad-shape');
  });
});
