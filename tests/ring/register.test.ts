// The in-process ring for action-register: its work function (main.ts `register`) with an in-memory
// context against the emulator and Azurite: models, data folders and URIs, environments (image +
// conda, Docker context), dry run, bad input and a Reader stopped by the pre-flight.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from '../../action-register/src/main.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { runInProcess, type InProcessRun } from '../harness/inProcess.js';
import { SILERO } from '../support/silero.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ring-register-'));

beforeAll(async () => {
  emu = await start({ azurite: true });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  mkdirSync(path.join(workspace, 'dataset'));
  for (let i = 0; i < 5; i++) writeFileSync(path.join(workspace, 'dataset', `part-${i}.csv`), `id,value\n${i},x\n`);
  writeFileSync(path.join(workspace, 'conda.yml'), 'name: onnx\ndependencies:\n  - python=3.11\n');
  mkdirSync(path.join(workspace, 'docker-env'));
  writeFileSync(path.join(workspace, 'docker-env', 'Dockerfile'), 'FROM python:3.11-slim\n');
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<InProcessRun> {
  return runInProcess(register, { action: 'action-register', inputs, env: { ...emu.env, ...env }, workspace });
}
async function requestCount(): Promise<number> {
  return ((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value.length;
}

describe('action-register in process', () => {
  it('registers a model file with its signature, then reuses it: no upload, no new version', async () => {
    const first = await run({ name: 'vad', path: 'models/silero_vad.onnx' });
    expect(first.failure).toBe('');
    expect(first.outputs).toMatchObject({ version: '1', reused: 'false', 'asset-id': 'azureml:vad:1' });
    expect(first.summary).toContain('vad');
    const again = await run({ name: 'vad', path: 'models/silero_vad.onnx' });
    expect(again.failure).toBe('');
    expect(again.outputs).toMatchObject({ version: '1', reused: 'true', 'bytes-uploaded': '0' });
  });

  it('an explicit version that exists with other content fails and says so', async () => {
    writeFileSync(path.join(workspace, 'models', 'other.onnx'), 'not the same bytes');
    const clash = await run({ name: 'vad', path: 'models/other.onnx', version: '1' });
    expect(clash.isBug).toBe(false);
    expect(clash.failure).toContain('models/vad version 1 already exists with different content');
  });

  it('registers a data folder and uploads only the changed file of a new version', async () => {
    const first = await run({ kind: 'data', name: 'clips', path: 'dataset' });
    expect(first.failure).toBe('');
    expect(first.outputs).toMatchObject({ version: '1', 'files-uploaded': '5' });
    writeFileSync(path.join(workspace, 'dataset', 'part-2.csv'), 'id,value\n2,changed\n');
    const second = await run({ kind: 'data', name: 'clips', path: 'dataset' });
    expect(second.outputs).toMatchObject({ version: '2', 'files-uploaded': '1', 'previous-version': '1' });
  });

  it('registers an azureml:// folder without uploading', async () => {
    const uri = 'azureml://datastores/workspaceblobstore/paths/shared/raw/';
    const external = await run({ kind: 'data', name: 'external', path: uri });
    expect(external.failure).toBe('');
    expect(external.outputs).toMatchObject({ version: '1', 'bytes-uploaded': '0', uri });
  });

  it('registers environments from an image with a conda file and from a Docker context', async () => {
    const image = { kind: 'environment', name: 'onnx-env', image: 'python:3.11-slim', 'conda-file': 'conda.yml' };
    expect((await run(image)).outputs).toMatchObject({ version: '1', reused: 'false' });
    expect((await run(image)).outputs).toMatchObject({ version: '1', reused: 'true' });
    const docker = await run({ kind: 'environment', name: 'docker-env', path: 'docker-env' });
    expect(docker.failure).toBe('');
    expect(docker.outputs).toMatchObject({ version: '1', 'files-uploaded': '1' });
  });

  it('dry run shows the plan and sends no request', async () => {
    await admin(emu, 'DELETE', '/requests');
    const plan = await run({ name: 'vad', path: 'models/silero_vad.onnx', 'dry-run': 'true' });
    expect(plan.failure).toBe('');
    expect(plan.summary).toContain('upload');
    expect(await requestCount()).toBe(0);
  });

  it('bad input fails as a user error before any request', async () => {
    await admin(emu, 'DELETE', '/requests');
    const bad = await run({ name: 'bad name!', path: 'models/silero_vad.onnx' });
    expect(bad.isBug).toBe(false);
    expect(bad.failure).toContain("Input 'name' has the value 'bad name!'");
    expect(await requestCount()).toBe(0);
  });

  it('a Reader is stopped by the pre-flight, naming the permission it lacks', async () => {
    const secret = 'reader-secret-for-ring';
    const response = await admin(emu, 'POST', '/principals', { secret, roles: ['Reader'] });
    const clientId = (response.body as { clientId: string }).clientId;
    const reader = await run(
      { name: 'reader-model', path: 'models/silero_vad.onnx', 'auth-type': 'secret', 'client-secret': secret },
      { AZURE_CLIENT_ID: clientId },
    );
    expect(reader.isBug).toBe(false);
    expect(reader.failure).toContain(
      'so nothing was changed. Missing: Microsoft.MachineLearningServices/workspaces/models/versions/write',
    );
    expect(reader.secrets).toContain(secret);
  });
});
