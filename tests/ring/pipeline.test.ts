// The in-process ring for action-pipeline: its work function (`pipeline`) and post step
// (`cancelLeftoverJob`) with an in-memory context against the emulator, whose jobs really run:
// a min-0 cluster, a published two-step pipeline, a command job, failures, a timeout, a schedule,
// the post-step cancel, dry run and job-file errors reported with their place in the file.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cancelLeftoverJob, pipeline } from '../../action-pipeline/src/main.js';
import { register } from '../../action-register/src/main.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { runInProcess, type InProcessRun } from '../harness/inProcess.js';
import { REPO_ROOT } from '../harness/runAction.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ring-pipeline-'));

beforeAll(async () => {
  emu = await start({ azurite: true });
  cpSync(path.join(REPO_ROOT, 'examples', 'pipelines'), path.join(workspace, 'pipelines'), { recursive: true });
  writeFileSync(
    path.join(workspace, 'command.yml'),
    [
      'type: command',
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
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function run(inputs: Record<string, string>, state?: Record<string, string>): Promise<InProcessRun> {
  return runInProcess(state ? cancelLeftoverJob : pipeline, {
    action: 'action-pipeline',
    inputs,
    env: emu.env,
    workspace,
    ...(state ? { state } : {}),
  });
}
function slowJobs(count = 1): Promise<unknown> {
  return admin(emu, 'POST', '/faults', {
    method: 'PUT',
    path: '/subscriptions/**/jobs/*',
    lroDurationMs: 60_000,
    count,
  });
}

describe('action-pipeline in process', () => {
  it('creates a min-0 cluster, leaves it alone on a rerun, and refuses to shrink it', async () => {
    const inputs = { compute: 'cpu-cluster', 'create-compute': 'true', 'max-nodes': '4' };
    const first = await run(inputs);
    expect(first.failure).toBe('');
    expect(first.log).toContain('Compute cluster cpu-cluster: created');
    expect((await run(inputs)).log).toContain('Compute cluster cpu-cluster: unchanged');
    const shrink = await run({ ...inputs, 'max-nodes': '2' });
    expect(shrink.failure).toContain('has max-nodes 4; this step asks for 2');
  });

  it('publishes the two-step pipeline, runs it to Completed, then reuses the component unchanged', async () => {
    const published = await run({
      job: 'pipelines/train-pipeline.yml',
      publish: 'true',
      'component-name': 'ring-train',
    });
    expect(published.failure).toBe('');
    expect(published.outputs).toMatchObject({ status: 'Completed', 'component-id': 'azureml:ring-train:1' });
    expect(published.lines).toContain(`run-id: ${published.outputs['run-id'] ?? ''}`);
    expect(published.summary).toContain('| train | Completed |');
    const again = await run({
      job: 'pipelines/train-pipeline.yml',
      publish: 'true',
      'component-name': 'ring-train',
      run: 'false',
    });
    expect(again.log).toContain('Pipeline component ring-train:1 already holds this pipeline: reused.');
    expect(again.outputs['run-id']).toBeUndefined();
  });

  it("fails with the failing step's error and the tail of its log", async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/*',
      lroFailed: { code: 'UserError', message: 'ValueError: learning rate must be positive', step: 'prep' },
      count: 1,
    });
    const failed = await run({ job: 'pipelines/train-pipeline.yml' });
    expect(failed.isBug).toBe(false);
    expect(failed.outputs.status).toBe('Failed');
    expect(failed.log).toContain("The step 'prep' failed: UserError: ValueError: learning rate must be positive");
    expect(failed.log).toContain('Traceback (most recent call last):');
  });

  it('runs a command job with its local code and outputs; a job with overrides is submitted without waiting', async () => {
    const command = await run({ job: 'command.yml' });
    expect(command.failure).toBe('');
    expect(JSON.parse(command.outputs.outputs ?? '{}')).toEqual({
      prepared: `azureml://datastores/workspaceblobstore/paths/azureml/${command.outputs['run-id'] ?? ''}/prepared/`,
    });
    const submitted = await run({
      job: 'pipelines/train-pipeline.yml',
      set: 'inputs.learning_rate=0.05',
      wait: 'false',
    });
    expect(submitted.failure).toBe('');
    expect(submitted.outputs.status).toBe('Submitted');
  });

  it('cancels a job past its timeout, and the post step cancels the job a cancelled workflow left', async () => {
    await slowJobs();
    const late = await run({ job: 'pipelines/train-pipeline.yml', timeout: '1s' });
    expect(late.failure).toContain("did not finish within 1.0s ('timeout') and was cancelled");
    await slowJobs();
    const submitted = await run({ job: 'pipelines/train-pipeline.yml', wait: 'false' });
    const runId = submitted.outputs['run-id'] ?? '';
    const post = await run({ job: 'pipelines/train-pipeline.yml' }, { 'run-id': runId, 'cancel-in-post': 'true' });
    expect(post.failure).toBe('');
    expect(post.log).toContain('cancelling it');
  });

  it('creates a schedule for the published pipeline', async () => {
    const scheduled = await run({
      job: 'pipelines/train-pipeline.yml',
      publish: 'true',
      'component-name': 'ring-train',
      schedule: '0 2 * * *',
      'schedule-time-zone': 'Europe/Berlin',
      run: 'false',
    });
    expect(scheduled.failure).toBe('');
    expect(scheduled.outputs['schedule-id']).toBe(`${emu.workspaceId}/schedules/ring-train-schedule`);
  });

  it('trains an AutoML classification on a registered tabular dataset and registers the best model', async () => {
    const data = await runInProcess(register, {
      action: 'action-register',
      inputs: {
        kind: 'data',
        name: 'iris',
        path: 'azureml://datastores/workspaceblobstore/paths/data/iris/',
        'data-type': 'mltable',
      },
      env: emu.env,
      workspace,
    });
    expect(data.failure).toBe('');
    writeFileSync(
      path.join(workspace, 'automl.yml'),
      [
        'type: automl',
        'task: classification',
        'compute: azureml:cpu-cluster',
        'training_data:',
        '  type: mltable',
        `  path: ${data.outputs['asset-id'] ?? ''}`,
        'target_column_name: species',
        'primary_metric: accuracy',
        'limits:',
        '  max_trials: 3',
        '',
      ].join('\n'),
    );
    const automl = await run({ job: 'automl.yml', 'register-best-model-as': 'iris-best' });
    expect(automl.failure).toBe('');
    expect(automl.outputs['best-model']).toBe('azureml:iris-best:1');
    expect(JSON.parse(automl.outputs.metrics ?? '{}')).toMatchObject({ accuracy: expect.any(Number) });
  });

  it('registers an inline environment once by content, with set overrides on any path', async () => {
    writeFileSync(path.join(workspace, 'ring-conda.yml'), 'channels: [conda-forge]\ndependencies:\n  - python=3.11\n');
    writeFileSync(
      path.join(workspace, 'inline-env.yml'),
      [
        'command: echo ${{inputs.greeting}}',
        'inputs:',
        '  greeting:',
        '    value: hello',
        'environment:',
        '  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
        '  conda_file: ring-conda.yml',
        '  os_type: linux',
        '  description: ring',
        '  tags: {origin: ring}',
        '',
      ].join('\n'),
    );
    const inputs = {
      job: 'inline-env.yml',
      wait: 'false',
      set: 'compute=azureml:cpu-cluster\nresources.instance_count=1',
    };
    const plan = await run({ ...inputs, 'dry-run': 'true' });
    expect(plan.failure).toBe('');
    expect(plan.summary).toContain('environments/CliV2AnonymousEnvironment/versions/');
    const first = await run(inputs);
    expect(first.failure).toBe('');
    expect(first.log).toMatch(/CliV2AnonymousEnvironment:[0-9a-f]{12}…, registered/);
    const again = await run(inputs);
    expect(again.log).toMatch(/CliV2AnonymousEnvironment:[0-9a-f]{12}…, already registered/);
    const refused = await run({ ...inputs, set: 'command.x=1' });
    expect(refused.failure).toContain('The job file has a problem, annotated above at its line');
  });

  it('dry run shows the plan, and job-file errors are reported at their line before any request', async () => {
    await admin(emu, 'DELETE', '/requests');
    const plan = await run({ job: 'pipelines/train-pipeline.yml', publish: 'true', 'dry-run': 'true' });
    expect(plan.failure).toBe('');
    expect(plan.summary).not.toBe('');
    writeFileSync(
      path.join(workspace, 'broken.yml'),
      'type: command\ncommand: python x.py\nenviroment: azureml:env:1\n',
    );
    const broken = await run({ job: 'broken.yml' });
    expect(broken.lines.some((line) => /^error: broken\.yml:3:1: .*unknown field 'enviroment'/.test(line))).toBe(true);
    expect(((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value).toEqual([]);
  });
});
