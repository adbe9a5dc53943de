/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// The smoke-test sub-action against an online endpoint of the emulator (issue 8's "done when"):
// credentials fetched by auth mode after login, each kind of failed expectation with the actual
// value, a latency budget exceeded through a delay fault, and `wait-ready` riding out a deployment
// that becomes ready a few seconds after the step starts. The key never reaches the log.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, oidcCredential, start } from '../emulator/helpers.js';
import { runAction, type ActionRun } from '../harness/runAction.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'smoke-endpoint-ws-'));
const PAYLOAD = SILERO_PAYLOAD;

beforeAll(async () => {
  emu = await start({ azurite: true, scoring: undefined });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(PAYLOAD));
  const registered = await runAction({
    action: 'action-register',
    inputs: { name: 'vad', path: 'models/silero_vad.onnx' },
    env: emu.env,
    workspace,
  });
  expect(registered.exitCode).toBe(0);
  const deployed = await runAction({
    action: 'action-deploy',
    inputs: { endpoint: 'vad-smoke', model: 'vad:1' },
    env: emu.env,
    workspace,
    timeoutMs: 300_000,
  });
  expect(deployed.outputs.traffic).toBe('{"vad-v1":100}');
}, 300_000);
afterAll(async () => {
  await emu?.stop();
});

function smoke(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({
    action: 'action-deploy/smoke-test',
    inputs: { endpoint: 'vad-smoke', payload: 'payload.json', requests: '10', ...inputs },
    env: emu.env,
    workspace,
    timeoutMs: 120_000,
  });
}
const errors = (run: ActionRun) => run.annotations.filter((a) => a.level === 'error').map((a) => a.message);

describe('smoke-test against an online endpoint', () => {
  it('passes, sets its outputs from the model answer, and never logs the key', async () => {
    const run = await smoke({ 'expect-json': '$.outputs.output[0][0] <= 1' });
    expect(errors(run)).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true', requests: '10', errors: '0', 'error-rate': '0' });
    expect(run.outputs['first-response']).toMatch(/^\{"outputs":\{/);
    expect(Number(run.outputs['p95-ms'])).toBeGreaterThan(0);
    const client = mlClient(emu, await oidcCredential(emu));
    const keys = await client.onlineEndpoints.listKeys(emu.resourceGroup, emu.workspace, 'vad-smoke');
    for (const key of [keys.primaryKey, keys.secondaryKey]) {
      expect(run.masked).toContain(key);
      expect(
        run.log
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain(key);
    }
  });

  it('fails each kind of expectation with the actual value', async () => {
    const status = await smoke({ 'expect-status': '201' });
    expect(status.outputs.passed).toBe('false');
    expect(errors(status).join('\n')).toMatch(/201/);
    expect(errors(status).join('\n')).toMatch(/200/);
    const json = await smoke({ 'expect-json': '$.outputs.output[0][0] > 5' });
    expect(json.outputs.passed).toBe('false');
    expect(errors(json).join('\n')).toMatch(/\$\.outputs\.output\[0\]\[0\] > 5/);
    expect(errors(json).join('\n')).toMatch(/0\.\d+/);
    const body = await smoke({ 'expect-body': '^never-matches$' });
    expect(body.outputs.passed).toBe('false');
    expect(errors(body).join('\n')).toContain('^never-matches$');
  });

  it('fails a latency budget that a slow endpoint exceeds (delay fault on the scoring path)', async () => {
    const rule = (
      await admin(emu, 'POST', '/faults', { method: 'POST', path: '/inference/vad-smoke/**', delayMs: 300 })
    ).body as { id: string };
    try {
      const slow = await smoke({ 'p95-ms': '100', requests: '6', concurrency: '2' });
      expect(slow.outputs.passed).toBe('false');
      expect(Number(slow.outputs['p95-ms'])).toBeGreaterThanOrEqual(300);
      expect(errors(slow).at(-1)).toMatch(/p95/);
    } finally {
      await admin(emu, 'DELETE', `/faults/${rule.id}`);
    }
  });

  it('without wait-ready, a deployment that is not ready (503) fails the gate at once', async () => {
    const rule = (await admin(emu, 'POST', '/faults', { method: 'POST', path: '/inference/vad-smoke/**', status: 503 }))
      .body as { id: string };
    try {
      const run = await smoke({ 'wait-ready': '0s', requests: '3' });
      expect(run.outputs.passed).toBe('false');
      expect(errors(run).join('\n')).toMatch(/503/);
    } finally {
      await admin(emu, 'DELETE', `/faults/${rule.id}`);
    }
  });

  it('wait-ready rides out a deployment that becomes ready seconds after the step starts', async () => {
    const client = mlClient(emu, await oidcCredential(emu));
    const current = await client.onlineDeployments.get(emu.resourceGroup, emu.workspace, 'vad-smoke', 'vad-v1');
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/onlineEndpoints/vad-smoke/deployments/vad-late',
      lroDurationMs: 8000,
      count: 1,
    });
    // Start the deployment and do not wait: the smoke test runs while it is still being created.
    await client.onlineDeployments.beginCreateOrUpdate(emu.resourceGroup, emu.workspace, 'vad-smoke', 'vad-late', {
      location: current.location,
      sku: current.sku,
      properties: current.properties,
    });
    // The gate retries with backoff while the deployment answers 503, until it serves.
    await admin(emu, 'DELETE', '/requests');
    const waited = await smoke({ deployment: 'vad-late', 'wait-ready': '60s', requests: '5' });
    expect(errors(waited)).toEqual([]);
    expect(waited.outputs.passed).toBe('true');
    const scoring = (
      (await admin(emu, 'GET', '/requests?service=scoring')).body as { value: { status: number }[] }
    ).value.map((r) => r.status);
    expect(scoring[0]).toBe(503);
    expect(scoring.at(-1)).toBe(200);
    expect(waited.log).toMatch(/The endpoint is ready \(HTTP 200\) after \d+ attempts/);
  });
});
