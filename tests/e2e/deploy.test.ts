/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// action-deploy end to end: the built bundles (register, then deploy) against the emulator, whose
// scoring URIs run real inference on the registered silero_vad bytes. Blue/green behind the smoke
// gate, a real request with the exposed key, AKS on the seeded Kubernetes compute, and rollback.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, oidcCredential, start } from '../emulator/helpers.js';
import { runAction, type ActionRun } from '../harness/runAction.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'deploy-ws-'));
const PAYLOAD = SILERO_PAYLOAD;

beforeAll(async () => {
  emu = await start({ azurite: true, scoring: undefined });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad_v2.onnx'));
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(PAYLOAD));
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

function run(action: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({ action, inputs, env: emu.env, workspace, timeoutMs: 300_000 });
}
const deploy = (inputs: Record<string, string>) => run('action-deploy', inputs);
async function fetchEndpoint(name: string) {
  const client = mlClient(emu, await oidcCredential(emu));
  return client.onlineEndpoints.get(emu.resourceGroup, emu.workspace, name);
}
const errors = (r: ActionRun) => r.annotations.filter((a) => a.level === 'error').map((a) => a.message);
const gate = {
  'smoke-test-payload': 'payload.json',
  'smoke-test-requests': '10',
  'smoke-test-expect-json': '$.outputs.output[0][0] >= 0',
};

describe('action-deploy', () => {
  it('deploys silero_vad to a managed endpoint with key auth behind the gate, and serves real inference', async () => {
    const registered = await run('action-register', { name: 'vad', path: 'models/silero_vad.onnx' });
    expect(errors(registered)).toEqual([]);
    const first = await deploy({
      endpoint: 'vad-prod',
      model: registered.outputs['asset-id'] ?? '',
      'expose-key': 'true',
      ...gate,
    });
    expect(errors(first)).toEqual([]);
    expect(first.outputs).toMatchObject({
      'endpoint-name': 'vad-prod',
      'deployment-name': 'vad-v1',
      target: 'aci',
      'auth-mode': 'key',
      'smoke-test': 'passed',
      'rolled-back': 'false',
      traffic: '{"vad-v1":100}',
    });
    expect(first.summary).toContain('Smoke test passed');
    const key = first.outputs.key ?? '';
    expect(first.masked).toContain(key);
    expect(
      first.log
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(key);

    const response = await fetch(first.outputs['scoring-uri'] ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(PAYLOAD),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { outputs: { output: number[][] } };
    expect(body.outputs.output[0]?.[0]).toBeGreaterThanOrEqual(0);
    expect(body.outputs.output[0]?.[0]).toBeLessThanOrEqual(1);
    const unauthorized = await fetch(first.outputs['scoring-uri'] ?? '', {
      method: 'POST',
      body: JSON.stringify(PAYLOAD),
    });
    expect(unauthorized.status).toBe(401);
  });

  it('an endpoint name another subscription holds in the region: explained at once, not retried, nothing made', async () => {
    await admin(emu, 'POST', '/taken-endpoint-names', { names: ['taken-elsewhere'] });
    const run = await deploy({ endpoint: 'taken-elsewhere', model: 'vad:1' });
    expect(run.exitCode).toBe(1);
    const [error = ''] = errors(run);
    expect(error).toContain('There is already an endpoint with this name');
    expect(error).toContain("choose another 'endpoint'");
    expect(run.log).not.toContain('busy with another operation');
    await expect(fetchEndpoint('taken-elsewhere')).rejects.toMatchObject({ statusCode: 404 });
    await admin(emu, 'DELETE', '/taken-endpoint-names');
  });

  it('rerunning the same deployment is a no-op that still runs the gate', async () => {
    const again = await deploy({ endpoint: 'vad-prod', model: 'azureml:vad:1', ...gate });
    expect(errors(again)).toEqual([]);
    expect(again.outputs).toMatchObject({
      'deployment-name': 'vad-v1',
      traffic: '{"vad-v1":100}',
      'smoke-test': 'passed',
    });
    expect(again.summary).toContain('already serving this model: no change');
  });

  it('warns when a pull request can write to an endpoint that production releases own, and not on a push', async () => {
    const fromPullRequest = await runAction({
      action: 'action-deploy',
      inputs: { endpoint: 'vad-prod', model: 'azureml:vad:1' },
      env: { ...emu.env, GITHUB_EVENT_NAME: 'pull_request' },
      workspace,
      timeoutMs: 300_000,
    });
    expect(errors(fromPullRequest)).toEqual([]);
    expect(fromPullRequest.annotations.filter((a) => a.level === 'warning').map((a) => a.message)).toContainEqual(
      expect.stringMatching(/^This pull_request run can write to endpoint 'vad-prod', which holds \d+ release\(s\)/),
    );
    const fromPush = await runAction({
      action: 'action-deploy',
      inputs: { endpoint: 'vad-prod', model: 'azureml:vad:1' },
      env: { ...emu.env, GITHUB_EVENT_NAME: 'push' },
      workspace,
      timeoutMs: 300_000,
    });
    expect(fromPush.annotations.filter((a) => a.message.includes('can write to endpoint'))).toEqual([]);
  });

  it('goes blue/green from v1 to v2: traffic ends 0/100 and the old deployment is gone', async () => {
    const v2 = await run('action-register', { name: 'vad', path: 'models/silero_vad_v2.onnx' });
    expect(v2.outputs.version).toBe('2');
    const second = await deploy({ endpoint: 'vad-prod', model: 'vad:latest', ...gate });
    expect(errors(second)).toEqual([]);
    expect(second.outputs).toMatchObject({
      'deployment-name': 'vad-v2',
      'previous-deployment': 'vad-v1',
      traffic: '{"vad-v2":100}',
      'smoke-test': 'passed',
    });
  });

  it('a failing gate leaves traffic exactly as it was, prints the logs, removes the new deployment and fails', async () => {
    const failing = await deploy({
      endpoint: 'vad-prod',
      model: 'vad:1',
      deployment: 'vad-retry',
      ...gate,
      'smoke-test-expect-json': '$.outputs.output[0][0] > 5',
    });
    expect(failing.exitCode).toBe(1);
    expect(failing.outputs).toMatchObject({ 'rolled-back': 'true', 'smoke-test': 'failed' });
    expect(errors(failing).at(-1)).toMatch(
      /^Smoke test failed against https:\/\/127\.0\.0\.1:\d+\/inference\/vad-prod\/score/,
    );
    expect(failing.log).toContain('--- InferenceServer (last 200 lines) ---');
    const check = await deploy({ endpoint: 'vad-prod', model: 'vad:2', 'dry-run': 'false' });
    expect(check.outputs.traffic).toBe('{"vad-v2":100}');
  });

  it('a deployment whose provisioning fails (fault rule) changes nothing and shows why', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/onlineEndpoints/vad-prod/deployments/vad-broken',
      lroFailed: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' },
    });
    const broken = await deploy({ endpoint: 'vad-prod', model: 'vad:1', deployment: 'vad-broken' });
    expect(broken.exitCode).toBe(1);
    expect(errors(broken).join('\n')).toMatch(/Creating deployment vad-broken/);
    expect(broken.outputs['rolled-back']).toBe('true');
  });

  it("model: previous rolls back to the release before the current one, from the endpoint's tags", async () => {
    const back = await deploy({ endpoint: 'vad-prod', model: 'previous', ...gate });
    expect(errors(back)).toEqual([]);
    expect(back.log).toMatch(/Rolling back vad-prod from vad:2 \(released [^)]+\) to vad:1 \(released /);
    expect(back.outputs).toMatchObject({
      'deployment-name': 'vad-v1',
      'previous-deployment': 'vad-v2',
      traffic: '{"vad-v1":100}',
      'smoke-test': 'passed',
    });
    const endpoint = await fetchEndpoint('vad-prod');
    expect(endpoint.tags).toMatchObject({
      'azureml-actions.release.0': expect.stringMatching(/^vad-v1;vad:1;0123456;/),
      'azureml-actions.release.1': expect.stringMatching(/^vad-v2;vad:2;0123456;/),
      'azureml-actions.release.2': expect.stringMatching(/^vad-v1;vad:1;0123456;/),
    });
    const none = await deploy({ endpoint: 'vad-new', model: 'vad:previous' });
    expect(none.exitCode).toBe(1);
    expect(errors(none).at(-1)).toContain("Endpoint 'vad-new' does not exist, so it has no previous release");
  });

  it('canary: steps the traffic 10/50/100 to the new deployment, gated at each step', async () => {
    await admin(emu, 'DELETE', '/requests');
    const canary = await deploy({
      endpoint: 'vad-prod',
      model: 'vad:2',
      strategy: 'canary',
      'traffic-steps': '10,50,100',
      ...gate,
    });
    expect(errors(canary)).toEqual([]);
    expect(canary.outputs).toMatchObject({ 'deployment-name': 'vad-v2', traffic: '{"vad-v2":100}' });
    const endpointPuts = (
      (await admin(emu, 'GET', '/requests?service=arm&path=/onlineEndpoints/vad-prod')).body as {
        value: {
          method: string;
          path: string;
          requestBody?: { properties?: { traffic?: Record<string, number>; keys?: unknown } };
        }[];
      }
    ).value.filter((r) => r.method === 'PUT' && !r.path.includes('/deployments/'));
    const trafficPuts = endpointPuts.map((r) => r.requestBody?.properties?.traffic);
    // `keys` is create-only in the spec: an update never sends it, not even as null.
    expect(endpointPuts.filter((r) => r.requestBody?.properties && 'keys' in r.requestBody.properties)).toEqual([]);
    expect(trafficPuts).toEqual([
      { 'vad-v1': 90, 'vad-v2': 10 },
      { 'vad-v1': 50, 'vad-v2': 50 },
      { 'vad-v1': 0, 'vad-v2': 100 },
    ]);
    expect(canary.log).toContain('Canary step 1/3: 10 % to vad-v2, 90 % to vad-v1');
    expect(canary.log.match(/Smoke test passed/g)?.length).toBe(3);
  });

  it('replace: updates the serving deployment in place, keeping its name and traffic', async () => {
    const replaced = await deploy({ endpoint: 'vad-prod', model: 'vad:1', strategy: 'replace', ...gate });
    expect(errors(replaced)).toEqual([]);
    expect(replaced.outputs).toMatchObject({ 'deployment-name': 'vad-v2', traffic: '{"vad-v2":100}' });
    expect(replaced.log).toContain('Updating deployment vad-v2 in place');
    const endpoint = await fetchEndpoint('vad-prod');
    expect(endpoint.tags?.['azureml-actions.release.0']).toMatch(/^vad-v2;vad:1;/);
  });

  it('deploys to the seeded Kubernetes compute with aml-token auth, and explains a missing compute', async () => {
    const aks = await deploy({
      endpoint: 'vad-aks',
      target: 'aks',
      compute: emu.kubernetesCompute,
      model: 'vad:1',
      'auth-mode': 'aml-token',
      'instance-type': 'defaultinstancetype',
      ...gate,
    });
    expect(errors(aks)).toEqual([]);
    expect(aks.outputs).toMatchObject({ target: 'aks', 'auth-mode': 'aml-token', 'smoke-test': 'passed' });
    const missing = await deploy({ endpoint: 'vad-aks2', target: 'aks', compute: 'no-such-k8s', model: 'vad:1' });
    expect(missing.exitCode).toBe(1);
    expect(errors(missing).at(-1)).toMatch(/Compute 'no-such-k8s' does not exist in workspace/);
  });

  it('the smoke-test sub-action gates an endpoint on its own, fetching credentials by auth mode', async () => {
    for (const endpoint of ['vad-prod', 'vad-aks']) {
      const gated = await run('action-deploy/smoke-test', {
        endpoint,
        payload: 'payload.json',
        requests: '10',
        'expect-json': '$.outputs.output[0][0] <= 1',
      });
      expect(errors(gated)).toEqual([]);
      expect(gated.outputs).toMatchObject({ passed: 'true', requests: '10', errors: '0' });
      expect(gated.log).toMatch(endpoint === 'vad-prod' ? /auth mode Key/ : /auth mode AMLToken/);
    }
  });

  it('delete cleans up: a deployment after its traffic is moved, then a whole endpoint, idempotently', async () => {
    const removed = await deploy({ endpoint: 'vad-prod', delete: 'deployment', deployment: 'vad-v2' });
    expect(errors(removed)).toEqual([]);
    expect(removed.outputs.traffic).toBe('{}');
    expect(removed.log).toContain("Taking vad-v2's 100 % of the traffic away");
    const endpointGone = await deploy({ endpoint: 'vad-aks', delete: 'endpoint' });
    expect(errors(endpointGone)).toEqual([]);
    const again = await deploy({ endpoint: 'vad-aks', delete: 'endpoint' });
    expect(errors(again)).toEqual([]);
    expect(again.log).toContain('Endpoint vad-aks does not exist: nothing to delete.');
  });
});

describe('action-deploy target local', () => {
  it('serves a registered model: downloads it from the workspace, gates it and stops (local-keep-alive false)', async () => {
    const local = await deploy({
      endpoint: 'vad-pr-43',
      target: 'local',
      model: 'azureml:vad:1',
      'local-keep-alive': 'false',
      ...gate,
    });
    expect(errors(local)).toEqual([]);
    expect(local.log).toMatch(/Downloaded 1 file\(s\), \d+ bytes/);
    expect(local.outputs).toMatchObject({ target: 'local', 'smoke-test': 'passed' });
  });

  it('serves the model on the runner for later steps, gated, and the post step stops it', async () => {
    // The runner's tokens and a client secret are in the job's environment: the server must not get them.
    const jobSecrets = {
      ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-the-job-only',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token-request-token-for-the-job',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://127.0.0.1:9/idtoken?x=1',
      AZURE_CLIENT_SECRET: 'client-secret-for-the-job-only',
    };
    const local = await runAction({
      action: 'action-deploy',
      inputs: { endpoint: 'vad-pr-42', target: 'local', model: 'models/silero_vad.onnx', ...gate },
      env: jobSecrets,
      workspace,
      timeoutMs: 300_000,
    });
    expect(errors(local)).toEqual([]);
    const pid = Number(/pid (\d+)/.exec(local.log)?.[1]);
    if (existsSync(`/proc/${pid}/environ`)) {
      const names = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .map((entry) => entry.slice(0, entry.indexOf('=')));
      expect(names.filter((name) => /^(ACTIONS_|AZURE_|INPUT_|GITHUB_)/.test(name))).toEqual([]);
    }
    // A forged state (a bare PID, or the control port with a wrong token) stops nothing.
    const control = JSON.parse(local.state['local-server-control'] ?? '{}') as Record<string, unknown>;
    const forgedStates: Array<Record<string, string>> = [
      { isPost: 'true', 'local-server-pid': String(pid) },
      { ...local.state, 'local-server-control': JSON.stringify({ ...control, token: 'wrong' }) },
    ];
    for (const postState of forgedStates) {
      const forged = await runAction({
        action: 'action-deploy',
        inputs: { endpoint: 'vad-pr-42' },
        workspace,
        postState,
      });
      expect(forged.log).not.toContain('Stopped the local scoring server');
    }
    expect(local.outputs).toMatchObject({ target: 'local', 'smoke-test': 'passed', 'deployment-name': 'local' });
    const key = local.outputs.key ?? '';
    expect(local.masked).toContain(key);
    // A later step of the job calls the server directly.
    const response = await fetch(local.outputs['scoring-uri'] ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(PAYLOAD),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { outputs: { output: number[][] } };
    expect(body.outputs.output[0]?.[0]).toBeGreaterThanOrEqual(0);
    expect((await fetch(local.outputs['scoring-uri'] ?? '', { method: 'POST', body: '{}' })).status).toBe(401);

    // The smoke-test sub-action gates the local server from a later step, with its scoring URI and key.
    const gated = await run('action-deploy/smoke-test', {
      'scoring-uri': local.outputs['scoring-uri'] ?? '',
      key,
      payload: 'payload.json',
      requests: '10',
    });
    expect(errors(gated)).toEqual([]);
    expect(gated.outputs.passed).toBe('true');

    const post = await runAction({
      action: 'action-deploy',
      inputs: { endpoint: 'vad-pr-42' },
      workspace,
      postState: local.state,
    });
    expect(post.exitCode).toBe(0);
    expect(post.log).toContain('Stopped the local scoring server');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expect(fetch(local.outputs['scoring-uri'] ?? '', { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
