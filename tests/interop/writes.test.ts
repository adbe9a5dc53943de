/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Interop, azure-ai-ml → our actions: a model registered by Microsoft's Python SDK v2 (its
// `LocalUpload/<object hash>/...` layout) deploys with the built action-deploy bundle and serves real
// inference; a data asset it registers meets action-register's dedupe. How the two content-addressing
// schemes meet is in README.md ("Content addressing"): both upload to azure-ai-ml's folder key,
// which shared/upload computes (azureAiMlObjectHash), so neither tool repeats the other's upload and
// action-register makes no second version of content azure-ai-ml registered.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { azureAiMlObjectHash, createSnapshot, type Snapshot } from '../../shared/upload/index.js';
import { start } from '../emulator/helpers.js';
import { REPO_ROOT, runAction, type ActionRun } from '../harness/runAction.js';
import { aml, mark, requests, stopAml, skipReason } from './helpers.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

const reason = skipReason();
const suite = reason ? describe.skip : describe;

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'interop-writes-'));

beforeAll(async () => {
  if (reason) return;
  emu = await start({ azurite: true, scoring: undefined });
  mkdirSync(path.join(workspace, 'models', 'vad_folder'), { recursive: true });
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'vad_folder', 'silero_vad.onnx'));
  writeFileSync(path.join(workspace, 'models', 'vad_folder', 'LICENSE.txt'), 'MIT (Silero VAD v4)\n');
  for (const name of ['clips', 'clips2']) {
    mkdirSync(path.join(workspace, name, 'Nested'), { recursive: true });
    writeFileSync(path.join(workspace, name, 'b.csv'), 'id,label\n1,speech\n');
    writeFileSync(path.join(workspace, name, 'A.csv'), 'id,label\n0,silence\n');
    writeFileSync(path.join(workspace, name, 'Nested', 'c.csv'), `id,label\n2,${'x'.repeat(5000)}\n`);
  }
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(SILERO_PAYLOAD));
}, 120_000);
afterAll(async () => {
  stopAml(emu);
  await emu?.stop();
});

function run(action: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({ action, inputs, env: emu.env, workspace, timeoutMs: 300_000 });
}
const errors = (r: ActionRun) => r.annotations.filter((a) => a.level === 'error').map((a) => a.message);

function container(): ContainerClient {
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  return new ContainerClient(
    `${emu.blobUrl}/devstoreaccount1/${emu.blobContainer}`,
    new StorageSharedKeyCredential('devstoreaccount1', key),
  );
}

async function blobs(prefix: string): Promise<Array<{ name: string; metadata: Record<string, string> }>> {
  const out: Array<{ name: string; metadata: Record<string, string> }> = [];
  for await (const b of container().listBlobsFlat({ prefix, includeMetadata: true }))
    out.push({ name: b.name, metadata: b.metadata ?? {} });
  return out;
}

/** Where azure-ai-ml puts (or finds) this content in a datastore: `LocalUpload/<object hash>/<name>`. */
const azureAiMlUploadPath = async (snapshot: Snapshot) =>
  `LocalUpload/${await azureAiMlObjectHash(snapshot)}/${snapshot.name}`;

/** The datastore path of an `azureml://…/datastores/workspaceblobstore/paths/<path>` URI. */
const pathOf = (uri: string) => uri.replace(/^azureml:\/\/.*\/paths\//, '').replace(/\/$/, '');

suite('a model registered by azure-ai-ml, deployed by action-deploy', () => {
  it('a single-file model in its LocalUpload/<object hash>/<file> layout deploys and serves behind the smoke gate', async () => {
    const model = await aml<{ path: string; version: string }>(emu, 'model-create', {
      name: 'vad-sdk',
      path: path.join(workspace, 'models', 'silero_vad.onnx'),
    });
    // azure-ai-ml's layout, found without uploading by the port of its hash.
    const snapshot = await createSnapshot(path.join(workspace, 'models', 'silero_vad.onnx'));
    expect(pathOf(model.path)).toBe(await azureAiMlUploadPath(snapshot));
    expect(await blobs(pathOf(model.path))).toEqual([
      { name: pathOf(model.path), metadata: expect.objectContaining({ upload_status: 'completed' }) },
    ]);

    const deployed = await run('action-deploy', {
      endpoint: 'sdk-models',
      model: `azureml:vad-sdk:${model.version}`,
      'smoke-test-payload': 'payload.json',
      'smoke-test-requests': '5',
      'smoke-test-expect-json': '$.outputs.output[0][0] >= 0',
    });
    expect(errors(deployed)).toEqual([]);
    expect(deployed.outputs).toMatchObject({ 'deployment-name': 'vad-sdk-v1', 'smoke-test': 'passed' });
  });

  it('a folder model (LocalUpload/<object hash>/<folder>/…) deploys blue/green onto the same endpoint', async () => {
    const model = await aml<{ path: string; version: string }>(emu, 'model-create', {
      name: 'vad-sdk-folder',
      path: path.join(workspace, 'models', 'vad_folder'),
    });
    const snapshot = await createSnapshot(path.join(workspace, 'models', 'vad_folder'));
    expect(pathOf(model.path)).toBe(await azureAiMlUploadPath(snapshot));
    expect((await blobs(`${pathOf(model.path)}/`)).map((b) => b.name).sort()).toEqual([
      `${pathOf(model.path)}/LICENSE.txt`,
      `${pathOf(model.path)}/silero_vad.onnx`,
    ]);
    const deployed = await run('action-deploy', {
      endpoint: 'sdk-models',
      model: `azureml:vad-sdk-folder:${model.version}`,
      'smoke-test-payload': 'payload.json',
      'smoke-test-requests': '5',
    });
    expect(errors(deployed)).toEqual([]);
    expect(deployed.outputs).toMatchObject({
      'deployment-name': 'vad-sdk-folder-v1',
      'smoke-test': 'passed',
      traffic: '{"vad-sdk-folder-v1":100}',
    });
  });
});

suite('an endpoint deployed by azure-ai-ml, then action-deploy', () => {
  it('azure-ai-ml deploys (code, anonymous environment, traffic) and scores; action-deploy rolls a new model out blue/green onto it', async () => {
    const assets = path.join(REPO_ROOT, 'action-deploy', 'assets', 'onnx-generic');
    const sdk = await aml<{ traffic: Record<string, number>; provisioning_state: string }>(emu, 'endpoint-deploy', {
      endpoint: 'sdk-endpoint',
      deployment: 'blue',
      model: 'vad-sdk',
      version: '1',
      code: assets,
      scoring_script: 'score.py',
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
      conda_file: path.join(assets, 'conda.yml'),
    });
    expect(sdk).toMatchObject({ provisioning_state: 'Succeeded', traffic: { blue: 100 } });
    const scored = await aml<{ response: { outputs: { output: number[][] } } }>(emu, 'endpoint-invoke', {
      name: 'sdk-endpoint',
      request_file: path.join(workspace, 'payload.json'),
    });
    expect(scored.response.outputs.output[0]?.[0]).toBeGreaterThanOrEqual(0);

    const deployed = await run('action-deploy', {
      endpoint: 'sdk-endpoint',
      model: 'azureml:vad-sdk-folder:1',
      'smoke-test-payload': 'payload.json',
      'smoke-test-requests': '5',
    });
    expect(errors(deployed)).toEqual([]);
    expect(deployed.outputs).toMatchObject({ 'smoke-test': 'passed', traffic: '{"vad-sdk-folder-v1":100}' });
    const endpoint = await aml<{ traffic: Record<string, number> }>(emu, 'endpoint-get', { name: 'sdk-endpoint' });
    expect(endpoint.traffic).toEqual({ 'vad-sdk-folder-v1': 100 });
  });
});

suite('an environment at @latest: azure-ai-ml and action-deploy send the same version', () => {
  it('both resolve azureml:NAME@latest to the newest version (a deployment needs a version, not the container)', async () => {
    const assets = path.join(REPO_ROOT, 'action-deploy', 'assets', 'onnx-generic');
    for (const version of ['1', '2'])
      await aml(emu, 'environment-create', {
        name: 'onnx-latest',
        version,
        image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
        conda_file: path.join(assets, 'conda.yml'),
      });
    const environmentOf = async (since: number) =>
      (await requests(emu, 'arm', since))
        .filter((r) => r.method === 'PUT' && /\/onlineEndpoints\/[^/]+\/deployments\/[^/]+$/.test(r.path))
        .map((r) => String((r.requestBody as { properties: Record<string, unknown> }).properties.environmentId));

    const beforeSdk = await mark(emu);
    await aml(emu, 'endpoint-deploy', {
      endpoint: 'latest-sdk',
      deployment: 'blue',
      model: 'vad-sdk',
      version: '1',
      code: assets,
      scoring_script: 'score.py',
      // As the Python API takes it (a YAML file's `azureml:onnx-latest@latest` loads to the same).
      environment: 'onnx-latest@latest',
    });
    const theirs = await environmentOf(beforeSdk);
    expect(theirs).toEqual([expect.stringMatching(/\/environments\/onnx-latest\/versions\/2$/)]);

    const beforeOurs = await mark(emu);
    cpSync(assets, path.join(workspace, 'score-latest'), { recursive: true });
    const deployed = await run('action-deploy', {
      endpoint: 'latest-ours',
      model: 'azureml:vad-sdk:1',
      'code-path': 'score-latest',
      'scoring-script': 'score.py',
      environment: 'azureml:onnx-latest@latest',
    });
    expect(errors(deployed)).toEqual([]);
    const ours = await environmentOf(beforeOurs);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.map((id) => id.toLowerCase())).toEqual(ours.map(() => theirs[0]!.toLowerCase()));
  });
});

suite('a data asset registered by azure-ai-ml, then action-register (dedupe)', () => {
  it('same name, same content: no upload and no new version, the version azure-ai-ml made is reused', async () => {
    const data = await aml<{ path: string; version: string }>(emu, 'data-create', {
      name: 'clips',
      path: path.join(workspace, 'clips'),
      type: 'uri_folder',
    });
    expect(data.version).toBe('1');
    const snapshot = await createSnapshot(path.join(workspace, 'clips'));
    // The meeting point: our side computes where azure-ai-ml put this content.
    expect(pathOf(data.path)).toBe(await azureAiMlUploadPath(snapshot));

    const registered = await run('action-register', { kind: 'data', name: 'clips', path: 'clips' });
    expect(errors(registered)).toEqual([]);
    expect(registered.outputs).toMatchObject({
      version: '1',
      reused: 'true',
      'previous-version': '1',
      'files-uploaded': '0',
      'bytes-uploaded': '0',
      'content-hash': snapshot.contentHash,
    });
    expect(pathOf(registered.outputs.uri ?? '')).toBe(pathOf(data.path));
    expect(registered.summary).toContain('reused an existing version with the same content (registered by azure-ai-ml');
    expect(registered.summary).toContain('nothing sent: the files were already uploaded by azure-ai-ml');
    // Nothing else was written into azure-ai-ml's folder; its marker is untouched.
    const theirs = await blobs(`${pathOf(data.path)}/`);
    expect(theirs.map((b) => b.name.slice(pathOf(data.path).length + 1)).sort()).toEqual([
      'A.csv',
      'Nested/c.csv',
      'b.csv',
    ]);
    expect(theirs.find((b) => b.name.endsWith('/A.csv'))?.metadata).toMatchObject({
      upload_status: 'completed',
      name: 'clips',
    });

    // A rerun finds the same version again (now by our completion record: no second read of the files).
    const again = await run('action-register', { kind: 'data', name: 'clips', path: 'clips' });
    expect(again.outputs).toMatchObject({ version: '1', reused: 'true', 'bytes-uploaded': '0' });
    const versions = await aml<{ value: Array<{ version: string }> }>(emu, 'data-list', { name: 'clips' });
    expect(versions.value.map((v) => v.version)).toEqual(['1']);
  });

  it('a model azure-ai-ml registered (long-form modelUri) is reused by action-register for the same file', async () => {
    const model = await aml<{ path: string; version: string }>(emu, 'model-create', {
      name: 'vad-reg',
      path: path.join(workspace, 'models', 'silero_vad.onnx'),
    });
    expect(model.path).toMatch(/^azureml:\/\/subscriptions\/.*\/paths\/LocalUpload\/[0-9a-f]{64}\/silero_vad\.onnx$/);
    const registered = await run('action-register', { name: 'vad-reg', path: 'models/silero_vad.onnx' });
    expect(errors(registered)).toEqual([]);
    expect(registered.outputs).toMatchObject({ version: model.version, reused: 'true', 'bytes-uploaded': '0' });
    expect(pathOf(registered.outputs.uri ?? '')).toBe(pathOf(model.path));
  });

  it('action-register first, then azure-ai-ml: azure-ai-ml finds the upload complete and sends nothing', async () => {
    const registered = await run('action-register', { kind: 'data', name: 'clips2', path: 'clips2' });
    expect(errors(registered)).toEqual([]);
    const snapshot = await createSnapshot(path.join(workspace, 'clips2'));
    const ours = pathOf(registered.outputs.uri ?? '');
    expect(ours).toBe(await azureAiMlUploadPath(snapshot));
    const before = await blobs(`${ours}/`);
    // azure-ai-ml's completion marker on its indicator file (the first in its order), with our sha256 kept.
    expect(before.find((b) => b.name === `${ours}/A.csv`)?.metadata).toMatchObject({
      upload_status: 'completed',
      name: 'clips2',
      sha256: snapshot.files.find((f) => f.relPath === 'A.csv')?.sha256,
    });

    const data = await aml<{ path: string; version: string }>(emu, 'data-create', {
      name: 'clips2',
      path: path.join(workspace, 'clips2'),
      type: 'uri_folder',
    });
    expect(data.version).toBe('2');
    expect(pathOf(data.path)).toBe(ours);
    // Nothing was uploaded again: the same blobs, unchanged (an upload would replace them, dropping our sha256).
    const after = await blobs(`${ours}/`);
    expect(after).toEqual(before);
    expect(after.every((b) => /^[0-9a-f]{64}$/.test(b.metadata.sha256 ?? ''))).toBe(true);
    expect(readFileSync(path.join(workspace, 'clips2', 'A.csv'), 'utf8')).toContain('silence');
  });
});
