/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// The in-process ring for action-deploy and its smoke-test sub-action: their work functions
// (`deploy`, `smokeTest`) with an in-memory context against the emulator, whose scoring URIs run
// real inference. Every release path of the rollout: blue/green, no-op, canary, replace, model
// previous, the rollbacks (failed gate, failed provisioning, failed in-place update, kept failures),
// AKS, delete, dry run. target local starts the bundle as a server process: the bundle ring covers it.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { smokeTest } from '../../action-deploy/smoke-test/src/main.js';
import { startControlServer, stopLocalServerFromState } from '../../action-deploy/src/local.js';
import { deploy } from '../../action-deploy/src/main.js';
import { register } from '../../action-register/src/main.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, secretCredential, start } from '../emulator/helpers.js';
import { runInProcess, type InProcessRun } from '../harness/inProcess.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

let emu: RunningEmulator;
/** The test's own view of the workspace (a client of its own, as a second principal). */
let client: ReturnType<typeof mlClient>;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ring-deploy-'));

beforeAll(async () => {
  emu = await start({ azurite: true, scoring: undefined });
  const secret = 'ring-deploy-observer';
  const principal = await admin(emu, 'POST', '/principals', { secret, roles: ['Reader'] });
  client = mlClient(emu, secretCredential(emu, (principal.body as { clientId: string }).clientId, secret));
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad_v2.onnx'));
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(SILERO_PAYLOAD));
  for (const file of ['silero_vad.onnx', 'silero_vad_v2.onnx']) {
    const registered = await runInProcess(register, {
      action: 'action-register',
      inputs: { name: 'vad', path: `models/${file}` },
      env: emu.env,
      workspace,
    });
    expect(registered.failure).toBe('');
  }
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

const gate = {
  'smoke-test-payload': 'payload.json',
  'smoke-test-requests': '5',
  'smoke-test-expect-json': '$.outputs.output[0][0] >= 0',
};
const failingGate = { ...gate, 'smoke-test-expect-json': '$.outputs.output[0][0] > 5' };
function run(inputs: Record<string, string>): Promise<InProcessRun> {
  return runInProcess(deploy, { action: 'action-deploy', inputs, env: emu.env, workspace });
}
async function traffic(endpoint: string): Promise<Record<string, number>> {
  return (await client.onlineEndpoints.get(emu.resourceGroup, emu.workspace, endpoint)).properties.traffic ?? {};
}
async function deployments(endpoint: string): Promise<string[]> {
  const names: string[] = [];
  for await (const d of client.onlineDeployments.list(emu.resourceGroup, emu.workspace, endpoint))
    names.push(d.name ?? '');
  return names.sort();
}

describe('action-deploy in process', () => {
  it('deploys behind the gate, exposes the masked key, and a rerun is a gated no-op', async () => {
    const first = await run({ endpoint: 'ring', model: 'azureml:vad:1', 'expose-key': 'true', ...gate });
    expect(first.failure).toBe('');
    expect(first.outputs).toMatchObject({
      'endpoint-name': 'ring',
      'deployment-name': 'vad-v1',
      target: 'aci',
      'auth-mode': 'key',
      'previous-deployment': '',
      'smoke-test': 'passed',
      'rolled-back': 'false',
      traffic: '{"vad-v1":100}',
    });
    expect(first.outputs['p95-ms']).toMatch(/^\d+\.\d$/);
    expect(first.secrets).toContain(first.outputs.key);
    expect(first.summary).toContain('### Deployed vad:1 to ring');
    // A later step gates the scoring URI with the exposed key (the smoke-test sub-action's uri target).
    const byUri = await runInProcess(smokeTest, {
      action: 'action-deploy/smoke-test',
      inputs: {
        'scoring-uri': first.outputs['scoring-uri'] ?? '',
        key: first.outputs.key ?? '',
        deployment: 'vad-v1',
        payload: 'payload.json',
        requests: '3',
      },
      env: {},
      workspace,
    });
    expect(byUri.failure).toBe('');
    expect(byUri.outputs).toMatchObject({ passed: 'true', requests: '3' });
    const again = await run({ endpoint: 'ring', model: 'vad:1', ...gate });
    expect(again.failure).toBe('');
    expect(again.summary).toContain('already serving this model: no change');
    expect(again.outputs['smoke-test']).toBe('passed');
  });

  it('goes blue/green to the latest version and removes the old deployment; ungated releases are called out', async () => {
    const second = await run({ endpoint: 'ring', model: 'vad:latest' });
    expect(second.failure).toBe('');
    expect(second.outputs).toMatchObject({
      'deployment-name': 'vad-v2',
      'previous-deployment': 'vad-v1',
      'smoke-test': 'skipped',
    });
    expect(second.lines).toContain(
      'warning: No smoke test ran (smoke-test-payload is not set): this release was not gated.',
    );
    expect(await deployments('ring')).toEqual(['vad-v2']);
  });

  it('a failing gate restores the traffic, prints both containers’ logs and removes the new deployment', async () => {
    const failing = await run({ endpoint: 'ring', model: 'vad:1', deployment: 'vad-bad', ...failingGate });
    expect(failing.isBug).toBe(false);
    expect(failing.failure).toMatch(/^Smoke test failed against https:\/\/127\.0\.0\.1:\d+\/inference\/ring\/score/);
    expect(failing.outputs).toMatchObject({ 'rolled-back': 'true', 'smoke-test': 'failed' });
    expect(failing.lines).toContain('group: Logs of the failed deployment vad-bad');
    expect(failing.lines).toContain('--- StorageInitializer (last 200 lines) ---');
    expect(failing.lines).toContain('--- InferenceServer (last 200 lines) ---');
    expect(await traffic('ring')).toEqual({ 'vad-v2': 100 });
    expect(await deployments('ring')).toEqual(['vad-v2']);
  });

  it('keep-failed keeps a failed deployment at 0 %; rollback-on-failure false leaves everything', async () => {
    const kept = await run({
      endpoint: 'ring',
      model: 'vad:1',
      deployment: 'vad-kept',
      'keep-failed': 'true',
      ...failingGate,
    });
    expect(kept.outputs['rolled-back']).toBe('true');
    expect(kept.lines).toContain(
      'warning: keep-failed is true: the failed deployment vad-kept is kept at 0 % traffic for debugging.',
    );
    expect(await deployments('ring')).toEqual(['vad-kept', 'vad-v2']);
    const left = await run({
      endpoint: 'ring',
      model: 'vad:1',
      deployment: 'vad-left',
      'rollback-on-failure': 'false',
      ...failingGate,
    });
    expect(left.lines).toContain(
      'warning: rollback-on-failure is false: the failed deployment vad-left and the endpoint are left as they are.',
    );
    expect(await deployments('ring')).toEqual(['vad-kept', 'vad-left', 'vad-v2']);
    for (const name of ['vad-kept', 'vad-left']) {
      const removed = await run({ endpoint: 'ring', delete: 'deployment', deployment: name });
      expect(removed.failure).toBe('');
    }
    expect(await traffic('ring')).toEqual({ 'vad-v2': 100 });
  });

  it('a deployment whose provisioning fails changes nothing and names the failed operation', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/onlineEndpoints/ring/deployments/vad-broken',
      lroFailed: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' },
    });
    const broken = await run({ endpoint: 'ring', model: 'vad:1', deployment: 'vad-broken' });
    expect(broken.failure).toContain('Creating deployment vad-broken');
    expect(broken.outputs).toMatchObject({ 'rolled-back': 'true', 'smoke-test': 'skipped' });
    expect(await traffic('ring')).toEqual({ 'vad-v2': 100 });
  });

  it("model: previous goes back to the release before the current one, from the endpoint's tags", async () => {
    const back = await run({ endpoint: 'ring', model: 'previous', ...gate });
    expect(back.failure).toBe('');
    expect(back.log).toMatch(/Rolling back ring from vad:2 \(released [^)]+\) to vad:1 \(released /);
    expect(back.outputs).toMatchObject({ 'deployment-name': 'vad-v1', traffic: '{"vad-v1":100}' });
    const none = await run({ endpoint: 'ring-new', model: 'previous' });
    expect(none.failure).toContain("Endpoint 'ring-new' does not exist, so it has no previous release");
  });

  it('canary steps the traffic, gated at each step', async () => {
    const canary = await run({
      endpoint: 'ring',
      model: 'vad:2',
      strategy: 'canary',
      'traffic-steps': '25,100',
      ...gate,
    });
    expect(canary.failure).toBe('');
    expect(canary.log).toContain('Canary step 1/2: 25 % to vad-v2, 75 % to vad-v1');
    expect(canary.lines.filter((line) => line.startsWith('Smoke test passed'))).toHaveLength(2);
    expect(await traffic('ring')).toEqual({ 'vad-v2': 100 });
  });

  it('replace updates the serving deployment in place, and a failed update is updated back', async () => {
    const replaced = await run({ endpoint: 'ring', model: 'vad:1', strategy: 'replace', ...gate });
    expect(replaced.failure).toBe('');
    expect(replaced.outputs).toMatchObject({ 'deployment-name': 'vad-v2', traffic: '{"vad-v2":100}' });
    expect(replaced.log).toContain('Updating deployment vad-v2 in place');
    const failed = await run({ endpoint: 'ring', model: 'vad:2', strategy: 'replace', ...failingGate });
    expect(failed.outputs['rolled-back']).toBe('true');
    expect(failed.lines).toContain('group: Logs of the failed update of vad-v2');
    expect(failed.log).toMatch(/Updating vad-v2 back to .*\/models\/vad\/versions\/1/);
    expect(await traffic('ring')).toEqual({ 'vad-v2': 100 });
  });

  it('deploys to the Kubernetes compute with aml-token auth, refuses a managed endpoint for aks, and explains a missing compute', async () => {
    const aks = await run({
      endpoint: 'ring-aks',
      target: 'aks',
      compute: emu.kubernetesCompute,
      model: 'vad:1',
      'auth-mode': 'aml-token',
      'instance-type': 'defaultinstancetype',
      ...gate,
    });
    expect(aks.failure).toBe('');
    expect(aks.outputs).toMatchObject({ target: 'aks', 'auth-mode': 'aml-token', 'smoke-test': 'passed' });
    const wrongKind = await run({ endpoint: 'ring', target: 'aks', compute: emu.kubernetesCompute, model: 'vad:1' });
    expect(wrongKind.failure).toContain("Endpoint 'ring' already exists as a managed (aci) endpoint");
    const missing = await run({ endpoint: 'ring-aks2', target: 'aks', compute: 'no-such-k8s', model: 'vad:1' });
    expect(missing.failure).toMatch(/Compute 'no-such-k8s' does not exist in workspace/);
  });

  it('a changed auth mode updates the endpoint and warns that old credentials stop working', async () => {
    const changed = await run({ endpoint: 'ring', model: 'vad:1', 'auth-mode': 'aml-token', ...gate });
    expect(changed.failure).toBe('');
    expect(changed.outputs).toMatchObject({ 'auth-mode': 'aml-token', 'deployment-name': 'vad-v1' });
    expect(changed.lines).toContain(
      "warning: The endpoint's auth mode changed from Key to AMLToken: clients holding the old kind of credential stop working.",
    );
  });

  it('the smoke-test sub-action gates an endpoint on its own, fetching credentials by auth mode', async () => {
    for (const endpoint of ['ring', 'ring-aks']) {
      const gated = await runInProcess(smokeTest, {
        action: 'action-deploy/smoke-test',
        inputs: { endpoint, payload: 'payload.json', requests: '5', 'expect-json': '$.outputs.output[0][0] <= 1' },
        env: emu.env,
        workspace,
      });
      expect(gated.failure).toBe('');
      expect(gated.outputs).toMatchObject({ passed: 'true', requests: '5', errors: '0' });
      expect(gated.log).toContain(`Endpoint ${endpoint}: `);
    }
    const failing = await runInProcess(smokeTest, {
      action: 'action-deploy/smoke-test',
      inputs: { endpoint: 'ring', payload: 'payload.json', requests: '5', 'expect-json': '$.outputs.output[0][0] > 5' },
      env: emu.env,
      workspace,
    });
    expect(failing.isBug).toBe(false);
    expect(failing.outputs.passed).toBe('false');
  });

  it('warns when a pull request can write to an endpoint that production releases own', async () => {
    const fromPullRequest = await runInProcess(deploy, {
      action: 'action-deploy',
      inputs: { endpoint: 'ring-pr', model: 'azureml:vad:1' },
      env: { ...emu.env, GITHUB_EVENT_NAME: 'push' },
      workspace,
    });
    expect(fromPullRequest.failure).toBe('');
    expect(fromPullRequest.log).not.toContain('can write to endpoint');
    const again = await runInProcess(deploy, {
      action: 'action-deploy',
      inputs: { endpoint: 'ring-pr', model: 'azureml:vad:1' },
      env: { ...emu.env, GITHUB_EVENT_NAME: 'pull_request' },
      workspace,
    });
    expect(again.failure).toBe('');
    expect(again.log).toMatch(
      /warning: This pull_request run can write to endpoint 'ring-pr', which holds 1 release\(s\)/,
    );
  });

  it('the smoke-test sub-action refuses to send a key over http to another host', async () => {
    const r = await runInProcess(smokeTest, {
      action: 'action-deploy/smoke-test',
      inputs: { 'scoring-uri': 'http://10.0.0.4/score', key: 'k-ring-secret', payload: 'payload.json' },
      env: emu.env,
      workspace,
    });
    expect(r.failure).toMatch(/^Input 'scoring-uri' .*travel in clear.*allow-insecure-http: true/);
  });

  it("target local's post step stops the server through its control port, only with the stop token", async () => {
    let stops = 0;
    const port = await startControlServer('ring-stop-token', () => void stops++);
    const post = (token: string) =>
      runInProcess((context) => stopLocalServerFromState(context), {
        action: 'action-deploy',
        inputs: {},
        env: emu.env,
        workspace,
        state: { 'local-server-control': JSON.stringify({ port, token }) },
      });
    expect((await post('forged')).log).not.toContain('Stopped');
    expect(stops).toBe(0);
    expect((await post('ring-stop-token')).log).toContain(`Stopped the local scoring server (pid ${process.pid})`);
    expect(stops).toBe(1);
  });

  it('dry run shows the plan and sends no request', async () => {
    await admin(emu, 'DELETE', '/requests');
    const plan = await run({
      endpoint: 'ring',
      model: 'vad:3',
      strategy: 'canary',
      'traffic-steps': '10,100',
      'dry-run': 'true',
      ...gate,
    });
    expect(plan.failure).toBe('');
    expect(plan.summary).toContain('traffic 10 % to the new deployment');
    expect(((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value).toEqual([]);
  });

  it('delete removes a deployment after moving its traffic, then whole endpoints, idempotently', async () => {
    expect(await traffic('ring')).toEqual({ 'vad-v1': 100 });
    const removed = await run({ endpoint: 'ring', delete: 'deployment', deployment: 'vad-v1' });
    expect(removed.failure).toBe('');
    expect(removed.outputs.traffic).toBe('{}');
    for (const endpoint of ['ring', 'ring-aks', 'ring-aks']) {
      const gone = await run({ endpoint, delete: 'endpoint' });
      expect(gone.failure).toBe('');
    }
    expect((await run({ endpoint: 'ring-aks', delete: 'endpoint' })).log).toContain(
      'Endpoint ring-aks does not exist: nothing to delete.',
    );
  });
});
