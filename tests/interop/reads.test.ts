/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Interop, our actions → azure-ai-ml: assets and runs made by the built action bundles read
// correctly in Microsoft's Python SDK v2 (models.get / download, data.get, online_endpoints.get_keys / invoke,
// online_deployments.get_logs, jobs.get / list of a run started by action-pipeline), against the
// emulator, which answers each at the api-version azure-ai-ml sends.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { start } from '../emulator/helpers.js';
import { REPO_ROOT, runAction, type ActionRun } from '../harness/runAction.js';
import { aml, stopAml, mark, requests, skipReason, summarise } from './helpers.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

const reason = skipReason();
const suite = reason ? describe.skip : describe;

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'interop-reads-'));
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  if (reason) return;
  emu = await start({ azurite: true, scoring: undefined });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  mkdirSync(path.join(workspace, 'clips', 'nested'), { recursive: true });
  writeFileSync(path.join(workspace, 'clips', 'a.csv'), 'id,label\n1,speech\n');
  writeFileSync(path.join(workspace, 'clips', 'nested', 'b.csv'), 'id,label\n2,silence\n');
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(SILERO_PAYLOAD));
  cpSync(path.join(INTEROP_JOBS, 'src'), path.join(workspace, 'src'), { recursive: true });
  for (const file of ['command-basic.yml', 'pipeline-literals.yml'])
    copyFileSync(path.join(INTEROP_JOBS, file), path.join(workspace, file));
}, 120_000);
afterAll(async () => {
  stopAml(emu);
  await emu?.stop();
});

const INTEROP_JOBS = path.join(REPO_ROOT, 'tests', 'interop', 'jobs');

function run(action: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({ action, inputs, env: emu.env, workspace, timeoutMs: 300_000 });
}
const errors = (r: ActionRun) => r.annotations.filter((a) => a.level === 'error').map((a) => a.message);

suite('assets made by our actions, read by azure-ai-ml', () => {
  let model: ActionRun;

  it('models.get and models.download: a model registered by action-register', async () => {
    model = await run('action-register', { name: 'vad', path: 'models/silero_vad.onnx' });
    expect(errors(model)).toEqual([]);
    const since = await mark(emu);
    const got = await aml(emu, 'model-get', { name: 'vad', version: model.outputs.version });
    expect(got).toMatchObject({
      name: 'vad',
      version: '1',
      type: 'custom_model',
      path: model.outputs.uri,
      properties: { 'azureml-actions.content-hash': model.outputs['content-hash'] },
    });
    // Read at azure-ai-ml's own api-version.
    expect(summarise(await requests(emu, 'arm', since))).toContain('200 GET /models/vad/versions/1 2023-08-01-preview');

    const target = path.join(workspace, 'download');
    const downloaded = await aml<{ files: Array<{ path: string; size: number; sha256: string }> }>(
      emu,
      'model-download',
      { name: 'vad', version: '1', dir: target },
    );
    expect(downloaded.files).toEqual([
      { path: 'vad/silero_vad.onnx', size: readFileSync(SILERO).length, sha256: sha256(readFileSync(SILERO)) },
    ]);
  });

  it('data.get: a folder registered by action-register', async () => {
    const data = await run('action-register', { kind: 'data', name: 'clips', path: 'clips' });
    expect(errors(data)).toEqual([]);
    const got = await aml(emu, 'data-get', { name: 'clips', version: data.outputs.version });
    expect(got).toMatchObject({
      name: 'clips',
      version: data.outputs.version,
      type: 'uri_folder',
      path: data.outputs.uri,
      tags: { 'github.repository': 'octo-org/octo-repo' },
    });
  });

  it('online_endpoints.get / get_keys / invoke and online_deployments.get / get_logs: a deployment by action-deploy', async () => {
    const deployed = await run('action-deploy', {
      endpoint: 'interop-ep',
      model: model.outputs['asset-id'] ?? '',
      'expose-key': 'true',
      'smoke-test-payload': 'payload.json',
      'smoke-test-requests': '3',
    });
    expect(errors(deployed)).toEqual([]);
    const deployment = deployed.outputs['deployment-name'] ?? '';

    const endpoint = await aml(emu, 'endpoint-get', { name: 'interop-ep' });
    expect(endpoint).toMatchObject({
      name: 'interop-ep',
      auth_mode: 'key',
      scoring_uri: deployed.outputs['scoring-uri'],
      traffic: { [deployment]: 100 },
      provisioning_state: 'Succeeded',
    });
    const keys = await aml<{ kind: string; primary_sha256: string; secondary_sha256: string }>(emu, 'endpoint-keys', {
      name: 'interop-ep',
    });
    expect(keys.kind).toBe('keys');
    // The key action-deploy exposed is one of the two azure-ai-ml reads (compared by hash: no key in logs).
    expect([keys.primary_sha256, keys.secondary_sha256]).toContain(sha256(deployed.outputs.key ?? ''));

    // azure-ai-ml scores through the endpoint itself (key from listKeys, real ONNX inference).
    const scored = await aml<{ response: { outputs: { output: number[][] } } }>(emu, 'endpoint-invoke', {
      name: 'interop-ep',
      request_file: path.join(workspace, 'payload.json'),
      deployment,
    });
    expect(scored.response.outputs.output[0]?.[0]).toBeGreaterThanOrEqual(0);

    const got = await aml(emu, 'deployment-get', { name: deployment, endpoint: 'interop-ep' });
    expect(got).toMatchObject({ name: deployment, provisioning_state: 'Succeeded' });
    expect(String(got.model)).toContain('/models/vad/versions/1');
    const logs = await aml<{ logs: string }>(emu, 'deployment-logs', { name: deployment, endpoint: 'interop-ep' });
    expect(logs.logs.length).toBeGreaterThan(0);
    const storage = await aml<{ logs: string }>(emu, 'deployment-logs', {
      name: deployment,
      endpoint: 'interop-ep',
      container_type: 'storage-initializer',
    });
    expect(storage.logs).toMatch(/silero_vad\.onnx|model/i);
  });

  it('jobs.get and jobs.list: a run started by action-pipeline', async () => {
    const started = await run('action-pipeline', {
      job: 'command-basic.yml',
      compute: 'cpu-cluster',
      'create-compute': 'true',
      wait: 'true',
    });
    expect(errors(started)).toEqual([]);
    const runId = started.outputs['run-id'] ?? '';
    expect(runId).not.toBe('');
    const since = await mark(emu);
    const job = await aml(emu, 'jobs-get', { name: runId });
    expect(job).toMatchObject({ name: runId, type: 'command', status: 'Completed', compute: 'cpu-cluster' });
    expect(summarise(await requests(emu, 'arm', since))).toContain(`200 GET /jobs/${runId} 2024-01-01-preview`);
    const list = await aml<{ value: Array<{ name: string; status: string }> }>(emu, 'jobs-list');
    expect(list.value).toContainEqual(expect.objectContaining({ name: runId, status: 'Completed' }));
  });

  it('jobs.get and jobs.list(parent_job_name): a pipeline run by action-pipeline and its step runs', async () => {
    const started = await run('action-pipeline', { job: 'pipeline-literals.yml', wait: 'true' });
    expect(errors(started)).toEqual([]);
    const runId = started.outputs['run-id'] ?? '';
    const job = await aml(emu, 'jobs-get', { name: runId });
    expect(job).toMatchObject({
      name: runId,
      type: 'pipeline',
      class: 'PipelineJob',
      status: 'Completed',
      experiment_name: 'interop',
      jobs: ['prep', 'train'],
    });
    // The children come from run history (as azure-ai-ml's `az ml job list --parent-job-name`).
    const children = await aml<{ value: Array<{ name: string; status: string; display_name: string }> }>(
      emu,
      'jobs-list',
      { parent: runId },
    );
    expect(children.value.map((c) => [c.display_name, c.status])).toEqual([
      ['prep', 'Completed'],
      ['train', 'Completed'],
    ]);
  });
});
