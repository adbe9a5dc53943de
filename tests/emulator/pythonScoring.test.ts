/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Deployments the emulator serves as Azure does, with Microsoft's inference server in a Python
// environment built from the deployment's: a scikit-learn model with its own score.py and conda file
// (azureml-examples' model-1), a score.py whose init() raises (provisioning fails, traceback in the
// logs), an MLflow model with no scoring script, an environment pip cannot build, and action-deploy's
// generic ONNX score.py run for real beside the native fast path, answering the same requests alike.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { pythonServerOf } from '../../emulator/pythonScoring.js';
import { deploymentId } from '../../emulator/arm/onlineState.js';
import { PYTHON, describeWithPython } from '../support/python.js';
import { makeSklearnFixtures, type SklearnFixtures } from '../support/sklearn.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';
import { genericScorePy } from '../../emulator/onnxScoring.js';
import { mlClient, oidcCredential, start } from './helpers.js';

let emu: RunningEmulator;
let client: AzureMachineLearningWorkspaces;
let fixtures: SklearnFixtures;
let rg: string;
let ws: string;
const poll = { updateIntervalInMs: 50 };
const root = mkdtempSync(path.join(tmpdir(), 'python-scoring-'));

const dsUri = (p: string): string =>
  `azureml://subscriptions/${emu.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/${p}`;

/** Uploads a local file or folder under a datastore path, as azure-ai-ml does. */
async function upload(local: string, under: string): Promise<void> {
  const secrets = (await client.datastores.listSecrets(rg, ws, 'workspaceblobstore')) as { key?: string };
  const props = (await client.datastores.get(rg, ws, 'workspaceblobstore')).properties as {
    accountName: string;
    containerName: string;
  };
  const container = new BlobServiceClient(
    emu.storageUrlTemplate.replace('{account}', props.accountName),
    new StorageSharedKeyCredential(props.accountName, secrets.key!),
  ).getContainerClient(props.containerName);
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) =>
      statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.join(dir, n)],
    );
  const files = statSync(local).isDirectory() ? walk(local) : [local];
  for (const file of files) {
    const name = statSync(local).isDirectory() ? `${under}/${path.relative(local, file)}` : under;
    await container.getBlockBlobClient(name).uploadData(readFileSync(file));
  }
}

async function endpoint(name: string): Promise<string> {
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(
    rg,
    ws,
    name,
    { location: emu.location, properties: { authMode: 'Key' } },
    poll,
  );
  return (await client.onlineEndpoints.listKeys(rg, ws, name)).primaryKey!;
}

async function deploy(endpointName: string, properties: Record<string, unknown>): Promise<string> {
  const result = await client.onlineDeployments
    .beginCreateOrUpdateAndWait(
      rg,
      ws,
      endpointName,
      'blue',
      {
        location: emu.location,
        properties: { endpointComputeType: 'Managed', instanceType: 'Standard_DS3_v2', ...properties } as never,
      },
      poll,
    )
    .then(
      () => 'Succeeded',
      (error: Error) => `Failed: ${error.message}`,
    );
  return result;
}

async function logs(endpointName: string): Promise<string> {
  return (
    (await client.onlineDeployments.getLogs(rg, ws, endpointName, 'blue', { containerType: 'InferenceServer' }))
      .content ?? ''
  );
}

async function score(endpointName: string, key: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emu.armUrl}/inference/${endpointName}/score`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'azureml-model-deployment': 'blue' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? '' : (JSON.parse(text) as unknown) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  if (!PYTHON) return;
  fixtures = makeSklearnFixtures(PYTHON, root);
  emu = await start({ azurite: true });
  client = mlClient(emu, await oidcCredential(emu));
  rg = emu.resourceGroup;
  ws = emu.workspace;
  await upload(path.join(root, 'model-1/model'), 'LocalUpload/m1/model');
  await upload(path.join(root, 'model-1/onlinescoring'), 'LocalUpload/c1/onlinescoring');
  await upload(path.join(root, 'failing'), 'LocalUpload/c2/failing');
  await upload(path.join(root, 'mlflow/model'), 'LocalUpload/m2/model');
  await upload(SILERO, 'LocalUpload/m3/silero_vad.onnx');
  await upload(genericScorePy, 'LocalUpload/c3/onnx/score.py');
  await client.modelVersions.createOrUpdate(rg, ws, 'vad', '1', {
    properties: { modelUri: dsUri('LocalUpload/m3/silero_vad.onnx'), modelType: 'custom_model' },
  });
  await client.codeVersions.createOrUpdate(rg, ws, 'onnx-code', '1', {
    properties: { codeUri: dsUri('LocalUpload/c3/onnx') },
  });
  await client.environmentVersions.createOrUpdate(rg, ws, 'onnx-env', '1', {
    properties: {
      image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest',
      condaFile: readFileSync(path.join(path.dirname(genericScorePy), 'conda.yml'), 'utf8'),
    },
  });
  await client.modelVersions.createOrUpdate(rg, ws, 'sklearn-regression', '1', {
    properties: { modelUri: dsUri('LocalUpload/m1/model/'), modelType: 'custom_model' },
  });
  await client.modelVersions.createOrUpdate(rg, ws, 'diabetes-mlflow', '1', {
    properties: { modelUri: dsUri('LocalUpload/m2/model/'), modelType: 'mlflow_model' },
  });
  await client.codeVersions.createOrUpdate(rg, ws, 'model-1-code', '1', {
    properties: { codeUri: dsUri('LocalUpload/c1/onlinescoring') },
  });
  await client.codeVersions.createOrUpdate(rg, ws, 'failing-code', '1', {
    properties: { codeUri: dsUri('LocalUpload/c2/failing') },
  });
  await client.environmentVersions.createOrUpdate(rg, ws, 'model-env', '1', {
    properties: {
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest',
      condaFile: readFileSync(path.join(root, 'model-1/environment/conda.yaml'), 'utf8'),
    },
  });
}, 180_000);
afterAll(async () => {
  await emu?.stop();
  rmSync(root, { recursive: true, force: true });
});

const ws_ = (kind: string, name: string, version = '1') =>
  `/subscriptions/${emu.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/${kind}/${name}/versions/${version}`;

describeWithPython('the emulator runs scoring scripts in azmlinfsrv', () => {
  it("serves model-1's score.py in its conda environment: the model's own predictions; 401 without the key; stopped on delete", async () => {
    const key = await endpoint('sklearn-ep');
    const state = await deploy('sklearn-ep', {
      model: ws_('models', 'sklearn-regression'),
      codeConfiguration: { codeId: ws_('codes', 'model-1-code'), scoringScript: 'score.py' },
      environmentId: ws_('environments', 'model-env'),
    });
    expect({ state, logs: state === 'Succeeded' ? '' : await logs('sklearn-ep') }).toEqual({
      state: 'Succeeded',
      logs: '',
    });
    const answer = await score('sklearn-ep', key, { data: fixtures.rows });
    expect(answer).toEqual({ status: 200, body: fixtures.predictions });
    const unauthenticated = await fetch(`${emu.armUrl}/inference/sklearn-ep/score`, { method: 'POST', body: '{}' });
    expect(unauthenticated.status).toBe(401);
    const log = await logs('sklearn-ep');
    expect(log).toContain('init has completed successfully');
    // The image provides no inference server and the conda file names it: nothing to warn about.
    expect(log).not.toContain('warning:');

    const server = pythonServerOf(emu.context, deploymentId(emu.context, 'sklearn-ep', 'blue'));
    expect(server).toBeDefined();
    await client.onlineDeployments.beginDeleteAndWait(rg, ws, 'sklearn-ep', 'blue', poll);
    expect(alive(server!.pid)).toBe(false);
  }, 180_000);

  it('fails provisioning when init() raises, with the traceback in the InferenceServer log', async () => {
    await endpoint('failing-ep');
    const state = await deploy('failing-ep', {
      model: ws_('models', 'sklearn-regression'),
      codeConfiguration: { codeId: ws_('codes', 'failing-code'), scoringScript: 'score.py' },
      environmentId: ws_('environments', 'model-env'),
    });
    expect(state).toMatch(/^Failed: .*User container has crashed or terminated/);
    const log = await logs('failing-ep');
    expect(log).toContain('Traceback (most recent call last)');
    expect(log).toContain('RuntimeError: model file missing: cannot load');
    expect(pythonServerOf(emu.context, deploymentId(emu.context, 'failing-ep', 'blue'))).toBeUndefined();
  }, 180_000);

  it('serves an MLflow model with no scoring script: input_data in split orientation predicts what the model does', async () => {
    const key = await endpoint('mlflow-ep');
    const state = await deploy('mlflow-ep', { model: ws_('models', 'diabetes-mlflow') });
    expect({ state, logs: state === 'Succeeded' ? '' : await logs('mlflow-ep') }).toEqual({
      state: 'Succeeded',
      logs: '',
    });
    const split = { columns: fixtures.columns, index: fixtures.rows.map((_, i) => i), data: fixtures.rows };
    const answer = await score('mlflow-ep', key, { input_data: split });
    expect(answer.status).toBe(200);
    const predicted = answer.body as number[];
    expect(predicted).toHaveLength(fixtures.mlflowPredictions.length);
    predicted.forEach((p, i) => expect(p).toBeCloseTo(fixtures.mlflowPredictions[i] ?? NaN, 9));
    // MLflow's own server format is not what Azure's endpoints take.
    const mlflowFormat = await score('mlflow-ep', key, { dataframe_split: split });
    expect(mlflowFormat.status).toBe(400);
    expect(JSON.stringify(mlflowFormat.body)).toContain("top-level 'input_data'");

    // A server that crashes after it was ready: its exit is in the log, and scoring answers 502 saying so.
    const server = pythonServerOf(emu.context, deploymentId(emu.context, 'mlflow-ep', 'blue'))!;
    process.kill(-server.pid, 'SIGKILL');
    await server.exited;
    const after = await score('mlflow-ep', key, { input_data: split });
    expect(after.status).toBe(502);
    expect(JSON.stringify(after.body)).toContain('inference server is not running');
    expect(await logs('mlflow-ep')).toMatch(/The inference server exited with code null\./);
  }, 180_000);

  it('an environment pip cannot build fails provisioning as an emulator limitation, naming the package', async () => {
    await client.environmentVersions.createOrUpdate(rg, ws, 'broken-env', '1', {
      properties: {
        image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest',
        condaFile: 'dependencies:\n  - python=3.12\n  - pip:\n    - azureml-actions-no-such-package==0.0.1\n',
      },
    });
    await endpoint('broken-ep');
    const state = await deploy('broken-ep', {
      model: ws_('models', 'sklearn-regression'),
      codeConfiguration: { codeId: ws_('codes', 'model-1-code'), scoringScript: 'score.py' },
      environmentId: ws_('environments', 'broken-env'),
    });
    expect(state).toContain('EmulatorLimitation. Emulator limitation (not an Azure failure)');
    expect(state).toContain('azureml-actions-no-such-package');
    const log = await logs('broken-ep');
    expect(log).toMatch(/warning: the environment pins python=3\.12; this machine runs it with Python 3\.\d+/);
  }, 180_000);

  it("answers the generic ONNX score.py's requests in azmlinfsrv exactly as the native fast path does", async () => {
    const onnx = {
      model: ws_('models', 'vad'),
      codeConfiguration: { codeId: ws_('codes', 'onnx-code'), scoringScript: 'score.py' },
      environmentId: ws_('environments', 'onnx-env'),
    };
    const nativeKey = await endpoint('onnx-native');
    expect(await deploy('onnx-native', onnx)).toBe('Succeeded');
    expect(pythonServerOf(emu.context, deploymentId(emu.context, 'onnx-native', 'blue'))).toBeUndefined();
    emu.context.settings.pythonScoring = 'all';
    try {
      const pythonKey = await endpoint('onnx-python');
      expect(await deploy('onnx-python', onnx)).toBe('Succeeded');
      expect(pythonServerOf(emu.context, deploymentId(emu.context, 'onnx-python', 'blue'))).toBeDefined();
      const requests: unknown[] = [
        SILERO_PAYLOAD,
        { inputs: { ...SILERO_PAYLOAD.inputs, sr: '16000' } },
        { inputs: { input: SILERO_PAYLOAD.inputs.input } },
        { inputs: { ...SILERO_PAYLOAD.inputs, h: null } },
        { data: [1] },
        [1, 2],
      ];
      for (const request of requests) {
        const native = await score('onnx-native', nativeKey, request);
        const python = await score('onnx-python', pythonKey, request);
        // Python writes a negative zero as -0.0, JSON.stringify as 0: equal numbers to any JSON reader.
        const asJson = (answer: unknown): unknown => JSON.parse(JSON.stringify(answer));
        expect(asJson({ request, ...python })).toEqual(asJson({ request, ...native }));
      }
    } finally {
      emu.context.settings.pythonScoring = 'auto';
    }
  }, 180_000);
});
