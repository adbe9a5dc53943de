// action-pipeline end to end: the built bundle, run like the runner runs it, against the emulator
// (Entra, GitHub OIDC, ARM, run history, MLflow) and Azurite. Covers issue 9's "done when": a
// min-0 cluster (and a rerun that changes nothing), a published two-step pipeline with a local code
// folder run to Completed with its run-id, a failing step, a timeout that cancels, a schedule, an
// AutoML job whose best model is registered, and YAML errors reported before any request.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, oidcCredential, start } from '../emulator/helpers.js';
import { REPO_ROOT, runAction, type ActionRun } from '../harness/runAction.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'pipeline-ws-'));

beforeAll(async () => {
  emu = await start({ azurite: true });
  cpSync(path.join(REPO_ROOT, 'examples', 'pipelines'), path.join(workspace, 'pipelines'), { recursive: true });
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function pipeline(
  inputs: Record<string, string>,
  extra: { postState?: Record<string, string> } = {},
): Promise<ActionRun> {
  return runAction({ action: 'action-pipeline', inputs, env: emu.env, workspace, timeoutMs: 180_000, ...extra });
}

function errorOf(run: ActionRun): string {
  return run.annotations.find((a) => a.level === 'error')?.message ?? `(no error; exit ${run.exitCode})\n${run.log}`;
}

async function requestCount(): Promise<number> {
  return ((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value.length;
}

async function client() {
  return mlClient(emu, await oidcCredential(emu));
}

describe('compute clusters', () => {
  it('creates a min-0 cluster, leaves it alone on a rerun, and refuses to shrink it', async () => {
    const inputs = { compute: 'cpu-cluster', 'create-compute': 'true', 'max-nodes': '4', 'vm-size': 'Standard_DS3_v2' };
    const first = await pipeline(inputs);
    expect(errorOf(first)).toContain('(no error; exit 0)');
    expect(first.log).toContain('Compute cluster cpu-cluster: created (Standard_DS3_v2, 0-4 nodes, dedicated');
    expect(first.annotations.filter((a) => a.level === 'warning')).toEqual([]);
    const again = await pipeline(inputs);
    expect(errorOf(again)).toContain('(no error; exit 0)');
    expect(again.log).toContain('Compute cluster cpu-cluster: unchanged');
    const shrink = await pipeline({ ...inputs, 'max-nodes': '2' });
    expect(shrink.exitCode).toBe(1);
    expect(errorOf(shrink)).toContain('has max-nodes 4; this step asks for 2. action-pipeline never shrinks a cluster');
    const compute = await (await client()).computeOperations.get(emu.resourceGroup, emu.workspace, 'cpu-cluster');
    expect(
      (compute.properties as { properties?: { scaleSettings?: { maxNodeCount?: number } } }).properties?.scaleSettings
        ?.maxNodeCount,
    ).toBe(4);
  });
});

describe('pipelines', () => {
  let published: ActionRun;

  // The example pipeline runs on cpu-cluster: create it when this block runs alone (idempotent).
  beforeAll(async () => {
    const run = await pipeline({ compute: 'cpu-cluster', 'create-compute': 'true', 'max-nodes': '4' });
    expect(errorOf(run)).toContain('(no error; exit 0)');
  }, 60_000);

  it('publishes the two-step pipeline with its local code folder, triggers it and waits for Completed', async () => {
    // Long enough (4 s) for the progress lines of each state to show.
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/*',
      lroDurationMs: 4000,
      count: 1,
    });
    published = await pipeline({ job: 'pipelines/train-pipeline.yml', publish: 'true', 'component-name': 'vad-train' });
    expect(errorOf(published)).toContain('(no error; exit 0)');
    const runId = published.outputs['run-id'] ?? '';
    expect(runId).toMatch(/^vad_train_0123456_[0-9a-f]{10}$/);
    // The run id on a line of its own, right after submission.
    expect(published.stdout.split('\n')).toContain(`run-id: ${runId}`);
    expect(published.outputs).toMatchObject({
      status: 'Completed',
      'component-version': '1',
      'component-id': 'azureml:vad-train:1',
    });
    expect(published.outputs['run-url']).toContain(runId);
    expect(JSON.parse(published.outputs.outputs ?? '{}')).toEqual({});
    expect(JSON.parse(published.outputs.metrics ?? '{}')).toMatchObject({ 'prep.duration_s': expect.any(Number) });
    // One line per state change (a short Running state may fall between two polls).
    expect(published.log).toMatch(/\[[\d.]+m?s\] step prep: (Running on cpu-cluster|Completed)/);
    expect(published.log).toMatch(/step train: Completed/);
    expect(published.summary).toMatch(/\| prep \| Completed \| [^|]* \| cpu-cluster \|/);
    expect(published.summary).toContain('| train | Completed |');
    const job = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, runId);
    expect(job.properties).toMatchObject({
      jobType: 'Pipeline',
      componentId: `${emu.workspaceId}/components/vad-train/versions/1`,
      experimentName: 'vad-training',
      displayName: 'vad-train @ 0123456',
    });
  });

  it('reruns without uploading the unchanged code and reuses the published component', async () => {
    const again = await pipeline({
      job: 'pipelines/train-pipeline.yml',
      publish: 'true',
      'component-name': 'vad-train',
      run: 'false',
    });
    expect(errorOf(again)).toContain('(no error; exit 0)');
    expect(again.outputs['component-version']).toBe('1');
    expect(again.log).toContain('unchanged, nothing uploaded');
    expect(again.log).toContain('Pipeline component vad-train:1 already holds this pipeline: reused.');
    expect(again.outputs['run-id']).toBeUndefined();
  });

  it('passes set overrides into the job', async () => {
    const run = await pipeline({
      job: 'pipelines/train-pipeline.yml',
      set: 'inputs.learning_rate=0.05',
      wait: 'false',
    });
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs.status).toBe('Submitted');
    const job = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, run.outputs['run-id'] ?? '');
    expect((job.properties as { inputs?: Record<string, { value?: string }> }).inputs?.learning_rate?.value).toBe(
      '0.05',
    );
  });

  it("fails with the failing step's error and the tail of its log", async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/*',
      lroFailed: { code: 'UserError', message: 'ValueError: learning rate must be positive', step: 'prep' },
      count: 1,
    });
    const run = await pipeline({ job: 'pipelines/train-pipeline.yml' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('Failed');
    expect(errorOf(run)).toContain("The step 'prep' failed: UserError: ValueError: learning rate must be positive");
    expect(run.log).toContain('Traceback (most recent call last):');
    expect(run.summary).toContain('| prep | Failed |');
    expect(run.summary).toContain('| train | Canceled |');
    expect(run.annotations.at(-1)?.message).toContain(`Job ${run.outputs['run-id'] ?? ''} ended Failed`);
  });

  it('cancels the job when it runs past the timeout', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/*',
      lroDurationMs: 60_000,
      count: 1,
    });
    const run = await pipeline({ job: 'pipelines/train-pipeline.yml', timeout: '2s' });
    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toContain("did not finish within 2.0s ('timeout') and was cancelled");
    const job = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, run.outputs['run-id'] ?? '');
    expect(job.properties.status).toBe('Canceled');
  });

  it('post step: cancels the job it was waiting for when the workflow was cancelled', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/*',
      lroDurationMs: 60_000,
      count: 1,
    });
    const submitted = await pipeline({ job: 'pipelines/train-pipeline.yml', wait: 'false' });
    const runId = submitted.outputs['run-id'] ?? '';
    // What the main step leaves when the runner stops it mid-wait.
    const post = await pipeline(
      { job: 'pipelines/train-pipeline.yml' },
      { postState: { isPost: 'true', 'run-id': runId, 'cancel-in-post': 'true' } },
    );
    expect(post.exitCode).toBe(0);
    expect(post.log).toContain(`cancelling it`);
    const job = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, runId);
    expect(job.properties.status).toBe('Canceled');
  });

  it('creates a schedule that triggers the published pipeline', async () => {
    const run = await pipeline({
      job: 'pipelines/train-pipeline.yml',
      publish: 'true',
      'component-name': 'vad-train',
      schedule: '0 2 * * *',
      'schedule-time-zone': 'Europe/Berlin',
      run: 'false',
    });
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs['schedule-id']).toBe(`${emu.workspaceId}/schedules/vad-train-schedule`);
    const schedule = await (await client()).schedules.get(emu.resourceGroup, emu.workspace, 'vad-train-schedule');
    expect(schedule.properties).toMatchObject({
      trigger: { triggerType: 'Cron', expression: '0 2 * * *', timeZone: 'W. Europe Standard Time' },
      action: {
        actionType: 'CreateJob',
        jobDefinition: { componentId: `${emu.workspaceId}/components/vad-train/versions/1` },
      },
    });
    // The schedule fires (the emulator's admin API does what the cron would): the job runs the
    // published component's two steps.
    const fired = (await admin(emu, 'POST', '/schedules/vad-train-schedule/trigger')).body as { job: string };
    const ml = await client();
    for (let i = 0; i < 100; i++) {
      const status = (await ml.jobs.get(emu.resourceGroup, emu.workspace, fired.job)).properties.status;
      if (status === 'Completed' || status === 'Failed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await ml.jobs.get(emu.resourceGroup, emu.workspace, fired.job)).properties.status).toBe('Completed');
  });
});

describe('command jobs', () => {
  it('runs a command job with its local code, and fails with the job error and log tail when it fails', async () => {
    writeFileSync(
      path.join(workspace, 'command.yml'),
      [
        'type: command',
        'display_name: prep only',
        'code: ./pipelines/src',
        'command: python prep.py --out ${{outputs.prepared}}',
        'environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
        'compute: azureml:cpu-cluster',
        'outputs:',
        '  prepared:',
        '    type: uri_folder',
        '',
      ].join('\n'),
    );
    const run = await pipeline({
      job: 'command.yml',
      'create-compute': 'true',
      compute: 'cpu-cluster',
      'max-nodes': '4',
    });
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(JSON.parse(run.outputs.outputs ?? '{}')).toEqual({
      prepared: `azureml://datastores/workspaceblobstore/paths/azureml/${run.outputs['run-id'] ?? ''}/prepared/`,
    });
    const job = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, run.outputs['run-id'] ?? '');
    expect(job.properties).toMatchObject({
      jobType: 'Command',
      codeId: expect.stringContaining('/codes/src-code/versions/'),
    });

    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/*',
      lroFailed: { code: 'UserError', message: 'FileNotFoundError: data.csv' },
      count: 1,
    });
    const failed = await pipeline({ job: 'command.yml' });
    expect(failed.exitCode).toBe(1);
    expect(errorOf(failed)).toContain(
      `The job ${failed.outputs['run-id'] ?? ''} failed: UserError: FileNotFoundError: data.csv`,
    );
    expect(failed.log).toContain('Traceback (most recent call last):');
  });

  it('says when a job log cannot be read instead of printing nothing, and still follows the job', async () => {
    await admin(emu, 'POST', '/faults', { path: '/history/**/logs/std_log.txt', status: 503 });
    try {
      const run = await pipeline({ job: 'command.yml', 'stream-logs': 'true' });
      expect(errorOf(run)).toContain('(no error; exit 0)');
      const warnings = run.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
      expect(warnings.filter((w) => /The log of .* could not be read: .*503/.test(w))).toHaveLength(1);
    } finally {
      await admin(emu, 'DELETE', '/faults');
    }
  });

  it('passes through the whole job lifecycle and waits out NotResponding and Paused (not terminal)', async () => {
    for (const stalled of ['NotResponding', 'Paused']) {
      await admin(emu, 'POST', '/faults', {
        method: 'PUT',
        path: '/subscriptions/**/jobs/*',
        jobStall: { status: stalled, ms: 1500 },
        count: 1,
      });
      const run = await pipeline({ job: 'command.yml' });
      expect(errorOf(run)).toContain('(no error; exit 0)');
      expect(run.outputs.status).toBe('Completed');
      const states = [...run.log.matchAll(/job \S+: ([A-Za-z]+)/g)].map((m) => m[1]);
      // Polls may skip a short state; the order and the stall must show.
      expect(states).toContain(stalled);
      expect(states.indexOf(stalled)).toBeLessThan(states.lastIndexOf('Completed'));
      expect(states.at(-1)).toBe('Completed');
      expect(run.log).toMatch(stalled === 'NotResponding' ? /lost contact with its node/ : /waiting for it to resume/);
    }
  });
});

describe('inline environments', () => {
  const ANONYMOUS = 'CliV2AnonymousEnvironment';
  const job = (conda: string) => {
    writeFileSync(path.join(workspace, 'inline-conda.yml'), conda);
    writeFileSync(
      path.join(workspace, 'inline-env.yml'),
      [
        'command: echo trained',
        'compute: azureml:cpu-cluster',
        'environment:',
        '  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
        '  conda_file: inline-conda.yml',
        '',
      ].join('\n'),
    );
  };
  const environmentPuts = async () =>
    ((await admin(emu, 'GET', '/requests')).body as { value: Array<{ method: string; path: string }> }).value.filter(
      (r) => r.method === 'PUT' && r.path.includes(`/environments/${ANONYMOUS}/versions/`),
    ).length;

  it('registers an inline image and conda file once, as azure-ai-ml names it, and a changed one anew', async () => {
    job('dependencies:\n  - python=3.10\n');
    const before = await environmentPuts();
    const plan = await pipeline({ job: 'inline-env.yml', 'dry-run': 'true' });
    expect(errorOf(plan)).toContain('(no error; exit 0)');
    const version = /environments\/CliV2AnonymousEnvironment\/versions\/([0-9a-f]{64})/.exec(plan.log)?.[1];
    expect(version).toBeDefined();
    expect(await environmentPuts()).toBe(before);

    const first = await pipeline({
      job: 'inline-env.yml',
      wait: 'false',
      'create-compute': 'true',
      compute: 'cpu-cluster',
      'max-nodes': '4',
    });
    expect(errorOf(first)).toContain('(no error; exit 0)');
    expect(first.log).toContain(
      `Environment (inline, inline-env.yml:4): ${ANONYMOUS}:${version!.slice(0, 12)}…, registered`,
    );
    const env = await (await client()).environmentVersions.get(emu.resourceGroup, emu.workspace, ANONYMOUS, version!);
    expect(env.properties).toMatchObject({
      isAnonymous: true,
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
      condaFile: 'dependencies:\n- python=3.10\n',
    });
    const submitted = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, first.outputs['run-id'] ?? '');
    expect((submitted.properties as { environmentId?: string }).environmentId).toMatch(
      new RegExp(`/environments/${ANONYMOUS}/versions/${version!}$`),
    );
    expect(await environmentPuts()).toBe(before + 1);

    const again = await pipeline({ job: 'inline-env.yml', wait: 'false' });
    expect(again.log).toContain(`${ANONYMOUS}:${version!.slice(0, 12)}…, already registered`);
    expect(await environmentPuts()).toBe(before + 1);

    job('dependencies:\n  - python=3.11\n');
    const changed = await pipeline({ job: 'inline-env.yml', wait: 'false' });
    expect(errorOf(changed)).toContain('(no error; exit 0)');
    expect(changed.log).toMatch(/CliV2AnonymousEnvironment:[0-9a-f]{12}…, registered/);
    expect(changed.log).not.toContain(version!.slice(0, 12));
    expect(await environmentPuts()).toBe(before + 2);
  });

  it('uploads a Docker build context where azure-ai-ml does and registers it once, at its version', async () => {
    mkdirSync(path.join(workspace, 'docker-context'), { recursive: true });
    writeFileSync(
      path.join(workspace, 'docker-context', 'Dockerfile'),
      'FROM python:3.11-slim\nRUN pip install mlflow\n',
    );
    writeFileSync(
      path.join(workspace, 'build-env.yml'),
      [
        'command: echo built',
        'compute: azureml:cpu-cluster',
        'environment:',
        '  build:',
        '    path: docker-context',
        '',
      ].join('\n'),
    );
    const before = await environmentPuts();
    const plan = await pipeline({ job: 'build-env.yml', 'dry-run': 'true' });
    expect(errorOf(plan)).toContain('(no error; exit 0)');
    expect(plan.log).toContain('(Docker build context docker-context)');
    expect(await environmentPuts()).toBe(before);

    const first = await pipeline({
      job: 'build-env.yml',
      wait: 'false',
      'create-compute': 'true',
      compute: 'cpu-cluster',
      'max-nodes': '4',
    });
    expect(errorOf(first)).toContain('(no error; exit 0)');
    const version = new RegExp(
      `Environment \\(inline, build-env.yml:4\\): ${ANONYMOUS}:([0-9a-f]{12})…, registered \\(Docker build context docker-context\\)`,
    ).exec(first.log)?.[1];
    expect(version).toBeDefined();
    const submitted = await (await client()).jobs.get(emu.resourceGroup, emu.workspace, first.outputs['run-id'] ?? '');
    const environmentId = String((submitted.properties as { environmentId?: string }).environmentId);
    const fullVersion = new RegExp(`/environments/${ANONYMOUS}/versions/(${version!}[0-9a-f]{52})$`).exec(
      environmentId,
    )?.[1];
    expect(fullVersion).toBeDefined();
    const env = await (
      await client()
    ).environmentVersions.get(emu.resourceGroup, emu.workspace, ANONYMOUS, fullVersion!);
    const contextUri = env.properties.build?.contextUri ?? '';
    // azure-ai-ml's folder for a build context: LocalUpload/<its object hash>/<folder name>/, over https.
    expect(contextUri).toMatch(/^https:\/\/.+\/LocalUpload\/[0-9a-f]{64}\/docker-context\/$/);
    expect(env.properties).toMatchObject({ isAnonymous: true });
    expect(env.properties.image).toBeUndefined();
    // The Dockerfile is really in the blob store at that folder (Azurite's well-known account key).
    const blobs = new ContainerClient(
      `${emu.blobUrl}/devstoreaccount1/${emu.blobContainer}`,
      new StorageSharedKeyCredential(
        'devstoreaccount1',
        'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      ),
    );
    const folder = /\/(LocalUpload\/.+)$/.exec(contextUri)?.[1] ?? '';
    const dockerfile = await blobs.getBlobClient(`${folder}Dockerfile`).downloadToBuffer();
    expect(dockerfile.toString()).toContain('RUN pip install mlflow');
    expect(await environmentPuts()).toBe(before + 1);

    const again = await pipeline({ job: 'build-env.yml', wait: 'false' });
    expect(errorOf(again)).toContain('(no error; exit 0)');
    expect(again.log).toContain(`${ANONYMOUS}:${version!}…, already registered`);
    expect(await environmentPuts()).toBe(before + 1);

    writeFileSync(path.join(workspace, 'docker-context', 'Dockerfile'), 'FROM python:3.12-slim\n');
    const changed = await pipeline({ job: 'build-env.yml', wait: 'false' });
    expect(errorOf(changed)).toContain('(no error; exit 0)');
    expect(changed.log).toMatch(/CliV2AnonymousEnvironment:[0-9a-f]{12}…, registered \(Docker build context/);
    expect(changed.log).not.toContain(version!);
    expect(await environmentPuts()).toBe(before + 2);
  });
});

describe('serverless compute', () => {
  it('submits a job with no compute, or compute serverless, at 2024-04-01 as azure-ai-ml sends them', async () => {
    const env = 'environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest';
    writeFileSync(path.join(workspace, 'serverless-none.yml'), `command: echo hi\n${env}\n`);
    writeFileSync(
      path.join(workspace, 'serverless-named.yml'),
      `command: echo hi\n${env}\ncompute: azureml:serverless\nresources:\n  instance_type: Standard_E4s_v3\n`,
    );
    writeFileSync(
      path.join(workspace, 'serverless-pipeline.yml'),
      [
        'type: pipeline',
        'settings:',
        '  default_compute: azureml:serverless',
        'jobs:',
        '  hello:',
        '    command: echo hello',
        `    ${env}`,
        '',
      ].join('\n'),
    );
    await admin(emu, 'DELETE', '/requests');
    const bodies: Record<string, Record<string, unknown>> = {};
    for (const file of ['serverless-none.yml', 'serverless-named.yml', 'serverless-pipeline.yml']) {
      const run = await pipeline({ job: file, wait: 'false' });
      expect([file, errorOf(run)]).toEqual([file, expect.stringContaining('(no error; exit 0)')]);
      const log = (await admin(emu, 'GET', '/requests')).body as {
        value: Array<{
          method: string;
          path: string;
          query?: Record<string, string>;
          requestBody?: { properties: Record<string, unknown> };
        }>;
      };
      const put = log.value
        .filter((r) => r.method === 'PUT' && r.path.endsWith(`/jobs/${run.outputs['run-id'] ?? ''}`))
        .at(-1);
      expect(put?.query?.['api-version']).toBe('2024-04-01');
      bodies[file] = put?.requestBody?.properties ?? {};
    }
    expect(bodies['serverless-none.yml']).not.toHaveProperty('computeId');
    expect(bodies['serverless-named.yml']).toMatchObject({
      computeId: `${emu.workspaceId}/computes/serverless`,
      resources: { instanceType: 'Standard_E4s_v3' },
    });
    expect(bodies['serverless-pipeline.yml']).toMatchObject({
      settings: { default_compute: `${emu.workspaceId}/computes/serverless` },
    });
  });
});

describe('AutoML', () => {
  it('trains a classification model on a registered tabular dataset and registers the best model', async () => {
    const ml = await client();
    await ml.dataVersions.createOrUpdate(emu.resourceGroup, emu.workspace, 'iris', '1', {
      properties: { dataType: 'mltable', dataUri: 'azureml://datastores/workspaceblobstore/paths/data/iris/' },
    });
    writeFileSync(
      path.join(workspace, 'automl.yml'),
      [
        'type: automl',
        'task: classification',
        'experiment_name: iris-automl',
        'compute: azureml:cpu-cluster',
        'training_data:',
        '  type: mltable',
        '  path: azureml:iris:1',
        'target_column_name: species',
        'primary_metric: accuracy',
        'limits:',
        '  max_trials: 5',
        '  timeout_minutes: 60',
        '',
      ].join('\n'),
    );
    const run = await pipeline({ job: 'automl.yml', 'register-best-model-as': 'iris-best' });
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs['best-model']).toBe('azureml:iris-best:1');
    expect(JSON.parse(run.outputs.metrics ?? '{}')).toMatchObject({ accuracy: expect.any(Number) });
    const model = await ml.modelVersions.get(emu.resourceGroup, emu.workspace, 'iris-best', '1');
    expect(model.properties).toMatchObject({
      modelType: 'mlflow_model',
      modelUri: `azureml://jobs/${run.outputs['run-id'] ?? ''}/outputs/best_model`,
    });
  });
});

describe('job file errors', () => {
  it('reports every problem with file:line:column as annotations before any request', async () => {
    writeFileSync(
      path.join(workspace, 'broken.yml'),
      [
        'type: pipeline',
        'inputs:',
        '  lr: 0.1',
        'jobs:',
        '  prep:',
        '    command: python prep.py',
        '    enviroment: azureml:env:1',
        '  train:',
        '    command: python train.py',
        '    environment: azureml:env:1',
        '    inputs:',
        '      lr: ${{parent.inputs.learning_rate}}',
        '',
      ].join('\n'),
    );
    await admin(emu, 'DELETE', '/requests');
    const run = await pipeline({ job: 'broken.yml' });
    expect(run.exitCode).toBe(1);
    const located = run.annotations.filter((a) => a.level === 'error' && a.properties.file === 'broken.yml');
    expect(located.map((a) => [a.properties.line, a.properties.col, a.message])).toEqual([
      ['7', '5', expect.stringContaining("unknown field 'enviroment'; did you mean 'environment'?")],
      ['6', '5', expect.stringContaining("Step 'prep' needs 'environment'")],
      ['12', '11', expect.stringContaining("names pipeline input 'learning_rate', but the pipeline's inputs are lr")],
    ]);
    expect(run.annotations.at(-1)?.message).toContain('The job file has 3 problems');
    expect(await requestCount()).toBe(0);
  });
});
