// The built bundles, run as the runner runs them: bad input fails before any connection is made,
// dry-run prints the plan and sets the outputs it can know, secrets are masked, and a real run of
// a capability that is not built yet fails instead of pretending to succeed.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runAction } from '../harness/runAction.js';

/** Counts every TCP connection: whatever the action would call (ARM, Entra, GitHub's token URL) lands here. */
let connections = 0;
const listener = net.createServer((socket) => {
  connections++;
  socket.destroy();
});
let port = 0;

const workspace = mkdtempSync(path.join(os.tmpdir(), 'e2e-ws-'));
mkdirSync(path.join(workspace, 'models'));
writeFileSync(path.join(workspace, 'models', 'vad.onnx'), 'onnx bytes');
writeFileSync(
  path.join(workspace, 'train.yml'),
  'type: pipeline\nsettings:\n  default_compute: azureml:cpu-cluster\njobs:\n  prep:\n    command: python prep.py\n    environment: azureml:env:1\n  train:\n    command: python train.py\n    environment: azureml:env:1\n',
);
writeFileSync(path.join(workspace, 'broken.yml'), 'type: command\n');
const SECRET = 'client-secret-value-7f3a9';

function loginEnv(): Record<string, string> {
  const local = `https://127.0.0.1:${port}`;
  return {
    AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
    AZURE_TENANT_ID: '22222222-2222-2222-2222-222222222222',
    AZURE_SUBSCRIPTION_ID: '33333333-3333-3333-3333-333333333333',
    AZURE_RESOURCE_GROUP: 'rg-ml',
    AZUREML_WORKSPACE: 'ws-main',
    AZURE_CLOUD: 'custom',
    AZURE_ARM_ENDPOINT: local,
    AZURE_AUTHORITY_HOST: local,
    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-value',
  };
}

beforeAll(async () => {
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

describe('bad input fails before any request', () => {
  it.each([
    [
      'action-deploy',
      { endpoint: 'vad-prod', model: 'vad:1', target: 'bogus' },
      "Input 'target' has the value 'bogus'; allowed values are 'aci', 'aks', 'auto', 'local'.",
    ],
    [
      'action-register',
      { kind: 'dataset', name: 'vad', path: 'models/vad.onnx' },
      "Input 'kind' has the value 'dataset'; allowed values are 'model', 'data', 'environment'.",
    ],
    ['action-register', { name: 'bad name!', path: 'models/vad.onnx' }, "Input 'name' has the value 'bad name!'"],
    ['action-pipeline', { job: 'train.yml', timeout: 'forever' }, "Input 'timeout' has the value 'forever'"],
    [
      'action-deploy/smoke-test',
      { endpoint: 'vad-prod', payload: '{}', requests: '0' },
      "Input 'requests' has the value '0'",
    ],
  ])('%s %j', async (action, inputs, message) => {
    const before = connections;
    const run = await runAction({ action, inputs, env: loginEnv(), workspace });
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(message);
    expect(connections).toBe(before);
  });
});

describe('dry-run', () => {
  it('action-register prints the plan, writes the summary, sets the known outputs, and masks the secret', async () => {
    const before = connections;
    const run = await runAction({
      action: 'action-register',
      inputs: {
        name: 'vad',
        path: 'models/vad.onnx',
        version: '4',
        'dry-run': 'true',
        'auth-type': 'secret',
        'client-secret': SECRET,
      },
      env: loginEnv(),
      workspace,
    });
    expect(run.exitCode).toBe(0);
    expect(connections).toBe(before);
    expect(run.outputs).toMatchObject({
      name: 'vad',
      version: '4',
      'asset-id': 'azureml:vad:4',
      'arm-id':
        '/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-main/models/vad/versions/4',
    });
    expect(run.log).toContain('Dry run: action-register would do the following and changes nothing.');
    expect(run.summary).toContain('| create | `models/vad/versions/4` |');
    expect(run.masked).toContain(SECRET);
    // The runner replaces masked values in what it shows; the secret must not reach anything else.
    const unmasked = run.log
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    expect(unmasked + run.summary + JSON.stringify(run.outputs)).not.toContain(SECRET);
  });

  it('action-deploy derives the deployment name and plans blue/green behind the gate', async () => {
    const run = await runAction({
      action: 'action-deploy',
      inputs: {
        endpoint: 'vad-prod',
        model: 'azureml:vad:3',
        'dry-run': 'true',
        'smoke-test-payload': '{"inputs":{}}',
      },
      env: loginEnv(),
      workspace,
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      'endpoint-name': 'vad-prod',
      'deployment-name': 'vad-v3',
      target: 'aci',
      'auth-mode': 'key',
    });
    expect(run.summary).toContain('traffic 100 % to the new deployment');
    expect(run.summary).toContain('smoke test gate');
  });

  it('action-pipeline plans a min-0 cluster, the schedule and the run', async () => {
    const run = await runAction({
      action: 'action-pipeline',
      inputs: {
        job: 'train.yml',
        publish: 'true',
        'component-name': 'train',
        'component-version': '2',
        schedule: '0 3 * * *',
        'schedule-time-zone': 'Europe/Berlin',
        compute: 'cpu-cluster',
        'create-compute': 'true',
        'dry-run': 'true',
      },
      env: loginEnv(),
      workspace,
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'component-id': 'azureml:train:2', 'component-version': '2' });
    expect(run.log).toContain("cron '0 3 * * *' in W. Europe Standard Time");
    expect(run.log).toContain('AmlCompute Standard_DS3_v2, 0-4 nodes');
    expect(run.log).toContain('train.yml (pipeline, 2 steps: prep, train)');
  });

  it('smoke-test plans the probe against a scoring URI without logging in', async () => {
    const run = await runAction({
      action: 'action-deploy/smoke-test',
      inputs: {
        'scoring-uri': 'http://127.0.0.1:9/score',
        key: SECRET,
        payload: '{"x":1}',
        'p95-ms': '300',
        'dry-run': 'true',
      },
      workspace,
    });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('p95 <= 300 ms');
    expect(run.masked).toContain(SECRET);
  });
});

describe('job files with problems', () => {
  it('fail the step at the line of each problem, without any request', async () => {
    const before = connections;
    const run = await runAction({
      action: 'action-pipeline',
      inputs: { job: 'broken.yml' },
      env: loginEnv(),
      workspace,
    });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error');
    expect(error?.message).toBe("The command job needs 'command'.");
    expect(error?.properties).toMatchObject({ file: 'broken.yml', line: '1', col: '1' });
    expect(connections).toBe(before);
  });
});
