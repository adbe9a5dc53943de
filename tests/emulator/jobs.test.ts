// Jobs (command, pipeline, AutoML), cancel, schedules, and the run-history / MLflow data plane
// found through the workspace's discoveryUrl and mlFlowTrackingUri.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, oidcCredential, start } from './helpers.js';

let emu: RunningEmulator;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;
let envId: string;
let token: string;
const poll = { updateIntervalInMs: 20 };

beforeAll(async () => {
  emu = await start();
  const cred = await oidcCredential(emu);
  client = mlClient(emu, cred);
  rg = emu.resourceGroup;
  ws = emu.workspace;
  token = (await cred.getToken('https://ml.azure.com/.default')).token;
  envId = (
    await client.environmentVersions.createOrUpdate(rg, ws, 'train-env', '1', {
      properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' },
    })
  ).id!;
  await client.dataVersions.createOrUpdate(rg, ws, 'train', '1', {
    properties: { dataType: 'mltable', dataUri: 'azureml://datastores/workspaceblobstore/paths/data/train/' },
  });
});
afterAll(async () => {
  await emu?.stop();
});

async function until(name: string, states: string[]): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const s = (await client.jobs.get(rg, ws, name)).properties.status ?? '';
    if (states.includes(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${name} did not reach ${states.join('/')}`);
}

async function dataPlane(path: string): Promise<Response> {
  return fetch(`${emu.armUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

describe('jobs', () => {
  it('runs a command job through NotStarted → Queued → Running → Completed, answering the PUT at once', async () => {
    const job = await client.jobs.createOrUpdate(rg, ws, 'train-1', {
      properties: {
        jobType: 'Command',
        command: 'python train.py',
        environmentId: envId,
        computeId: `${emu.workspaceId}/computes/${emu.kubernetesCompute}`,
        experimentName: 'vad',
        outputs: { model: { jobOutputType: 'uri_folder' } },
      },
    });
    expect(job.properties.status).toBe('NotStarted');
    expect(((job.properties as { outputs?: Record<string, { uri?: string }> }).outputs ?? {}).model?.uri).toBe(
      'azureml://datastores/workspaceblobstore/paths/azureml/train-1/model/',
    );
    expect(await until('train-1', ['Completed', 'Failed'])).toBe('Completed');
    await expect(
      client.jobs.createOrUpdate(rg, ws, 'train-1', {
        properties: { jobType: 'Command', command: 'python other.py', environmentId: envId },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    await expect(
      client.jobs.createOrUpdate(rg, ws, 'bad-env', {
        properties: {
          jobType: 'Command',
          command: 'x',
          environmentId: `${emu.workspaceId}/environments/none/versions/1`,
        },
      }),
    ).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('runs a pipeline job with per-step child runs, logs and metrics in run history and MLflow', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'pipe-1', {
      properties: {
        jobType: 'Pipeline',
        experimentName: 'vad',
        jobs: { prep: { type: 'command' }, train: { type: 'command' } },
        settings: {},
      },
    });
    expect(await until('pipe-1', ['Completed', 'Failed'])).toBe('Completed');
    const w = await client.workspaces.get(rg, ws);
    const discovery = (await (await fetch(w.discoveryUrl!)).json()) as { history: string };
    const history = `${new URL(discovery.history).pathname.replace(/\/$/, '')}/history/v1.0${emu.workspaceId}`;
    const children = (await (await dataPlane(`${history}/runs/pipe-1/children`)).json()) as {
      value: { displayName: string; status: string }[];
    };
    expect(children.value.map((c) => [c.displayName, c.status])).toEqual([
      ['prep', 'Completed'],
      ['train', 'Completed'],
    ]);
    const details = (await (await dataPlane(`${history}/experiments/vad/runs/pipe-1/details`)).json()) as {
      logFiles: Record<string, string>;
    };
    const logUrl = Object.values(details.logFiles)[0]!;
    // Log files are pre-signed, as Azure's SAS URLs: read with no token; a token sent there is refused.
    const text = await (await fetch(logUrl)).text();
    expect(text).toContain('Job completed');
    expect((await fetch(logUrl, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await fetch(logUrl.replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(403);
    expect((await fetch(logUrl.replace('/pipe-1/logs/', '/pipe-1/children/'))).status).toBe(403);
    const tracking = w.mlFlowTrackingUri!.replace(/^azureml:\/\/[^/]+/, '');
    const mlflow = (await (await dataPlane(`${tracking}/api/2.0/mlflow/runs/get?run_id=pipe-1`)).json()) as {
      run: { info: { status: string } };
    };
    expect(mlflow.run.info.status).toBe('FINISHED');
    expect((await fetch(`${emu.armUrl}${history}/runs/pipe-1`)).status).toBe(401);
  });

  it('produces a best_model output and a primary metric for an AutoML job', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'automl-1', {
      properties: {
        jobType: 'AutoML',
        taskDetails: {
          taskType: 'Classification',
          trainingData: { jobInputType: 'mltable', uri: 'azureml:train:1' },
          targetColumnName: 'label',
          primaryMetric: 'Accuracy',
        },
      } as never,
    });
    expect(await until('automl-1', ['Completed', 'Failed'])).toBe('Completed');
    await expect(
      client.jobs.createOrUpdate(rg, ws, 'automl-2', {
        properties: {
          jobType: 'AutoML',
          taskDetails: {
            taskType: 'Classification',
            trainingData: { jobInputType: 'mltable', uri: 'azureml:missing:1' },
            targetColumnName: 'label',
          },
        } as never,
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    const job = await client.jobs.get(rg, ws, 'automl-1');
    const outputs =
      (job.properties as { outputs?: Record<string, { jobOutputType: string; uri: string }> }).outputs ?? {};
    expect(outputs.best_model?.jobOutputType).toBe('mlflow_model');
    const mlflow = (await (
      await dataPlane(
        `/mlflow/v1.0${emu.workspaceId}/api/2.0/mlflow/metrics/get-history?run_id=automl-1&metric_key=accuracy`,
      )
    ).json()) as { metrics: { value: number }[] };
    expect(mlflow.metrics[0]?.value).toBeGreaterThan(0.5);
  });

  it('fails a job when a fault rule says so, and cancels a running job (LRO)', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/doomed',
      lroFailed: { code: 'UserError', message: 'Exit code 1: ModuleNotFoundError' },
      count: 1,
    });
    await client.jobs.createOrUpdate(rg, ws, 'doomed', {
      properties: { jobType: 'Command', command: 'python x.py', environmentId: envId },
    });
    expect(await until('doomed', ['Completed', 'Failed'])).toBe('Failed');
    const run = (await (await dataPlane(`/history/v1.0${emu.workspaceId}/runs/doomed`)).json()) as {
      error: { error: { message: string } };
    };
    expect(run.error.error.message).toContain('ModuleNotFoundError');
    await client.jobs.createOrUpdate(rg, ws, 'long', {
      properties: { jobType: 'Pipeline', jobs: { a: {}, b: {}, c: {}, d: {} } },
    });
    await client.jobs.beginCancelAndWait(rg, ws, 'long', poll);
    expect((await client.jobs.get(rg, ws, 'long')).properties.status).toBe('Canceled');
    await expect(client.jobs.beginCancelAndWait(rg, ws, 'long', poll)).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('pipeline failures, published pipelines and models from job outputs', () => {
  it('fails the step a fault rule names, with a traceback in its log, and never starts the steps after it', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/jobs/broken-pipe',
      lroFailed: { code: 'UserError', message: 'ValueError: bad learning rate', step: 'train' },
      count: 1,
    });
    await client.jobs.createOrUpdate(rg, ws, 'broken-pipe', {
      properties: { jobType: 'Pipeline', jobs: { prep: {}, train: {}, score: {} } },
    });
    expect(await until('broken-pipe', ['Completed', 'Failed'])).toBe('Failed');
    const children = (await (await dataPlane(`/history/v1.0${emu.workspaceId}/runs/broken-pipe/children`)).json()) as {
      value: { displayName: string; status: string; error: { error: { message: string } } | null }[];
    };
    expect(children.value.map((c) => [c.displayName, c.status])).toEqual([
      ['prep', 'Completed'],
      ['train', 'Failed'],
      ['score', 'Canceled'],
    ]);
    expect(children.value[1]?.error?.error.message).toBe('ValueError: bad learning rate');
    const log = await (
      await dataPlane(`/history/v1.0${emu.workspaceId}/runs/broken-pipe_train/logs/std_log.txt`)
    ).text();
    expect(log).toContain('Traceback (most recent call last):');
    expect(log).toContain('UserError: ValueError: bad learning rate');
    const parent = (await (await dataPlane(`/history/v1.0${emu.workspaceId}/runs/broken-pipe`)).json()) as {
      error: { error: { message: string } };
    };
    expect(parent.error.error.message).toBe("Pipeline step 'train' failed: ValueError: bad learning rate");
  });

  it('runs the steps of a pipeline component a job was submitted from, on their computes', async () => {
    await client.componentVersions.createOrUpdate(rg, ws, 'train-pipeline', '1', {
      properties: {
        componentSpec: {
          type: 'pipeline',
          jobs: { prep: { type: 'command' }, fit: { type: 'command', computeId: 'gpu' } },
        },
      },
    });
    await client.jobs.createOrUpdate(rg, ws, 'from-component', {
      properties: {
        jobType: 'Pipeline',
        componentId: `${emu.workspaceId}/components/train-pipeline/versions/1`,
        settings: { default_compute: `${emu.workspaceId}/computes/${emu.kubernetesCompute}` },
        jobs: {},
      } as never,
    });
    expect(await until('from-component', ['Completed', 'Failed'])).toBe('Completed');
    const children = (await (
      await dataPlane(`/history/v1.0${emu.workspaceId}/runs/from-component/children`)
    ).json()) as {
      value: { displayName: string; status: string; target: string | null }[];
    };
    expect(children.value.map((c) => [c.displayName, c.status, c.target])).toEqual([
      ['prep', 'Completed', emu.kubernetesCompute],
      ['fit', 'Completed', 'gpu'],
    ]);
  });

  it('registers a model from a completed job output, and refuses one of a missing job or output', async () => {
    await client.jobs.createOrUpdate(rg, ws, 'automl-done', {
      properties: {
        jobType: 'AutoML',
        taskDetails: {
          taskType: 'Classification',
          trainingData: { jobInputType: 'mltable', uri: 'azureml:train:1' },
          targetColumnName: 'y',
        },
      } as never,
    });
    expect(await until('automl-done', ['Completed', 'Failed'])).toBe('Completed');
    const model = await client.modelVersions.createOrUpdate(rg, ws, 'best', '1', {
      properties: { modelUri: 'azureml://jobs/automl-done/outputs/best_model', modelType: 'mlflow_model' },
    });
    expect(model.properties.modelUri).toBe('azureml://jobs/automl-done/outputs/best_model');
    for (const uri of ['azureml://jobs/nope/outputs/best_model', 'azureml://jobs/automl-done/outputs/missing']) {
      await expect(
        client.modelVersions.createOrUpdate(rg, ws, 'best', '2', {
          properties: { modelUri: uri, modelType: 'mlflow_model' },
        }),
      ).rejects.toMatchObject({ statusCode: 400 });
    }
  });
});

describe('schedules', () => {
  it('creates a cron schedule through an LRO and refuses a bad cron expression', async () => {
    const action = {
      actionType: 'CreateJob',
      jobDefinition: { jobType: 'Command', command: 'python train.py', environmentId: envId },
    };
    const s = await client.schedules.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'nightly',
      { properties: { trigger: { triggerType: 'Cron', expression: '0 2 * * *' }, action } as never },
      poll,
    );
    expect(s.properties.provisioningState).toBe('Succeeded');
    await expect(
      client.schedules.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'broken',
        { properties: { trigger: { triggerType: 'Cron', expression: 'every night' }, action } as never },
        poll,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
    // The emulator never fires schedules on time; the admin API fires one now.
    const fired = await admin(emu, 'POST', '/schedules/nightly/trigger');
    expect(fired.status).toBe(201);
    const jobName = (fired.body as { job: string }).job;
    expect(await until(jobName, ['Completed', 'Failed'])).toBe('Completed');
    expect((await client.jobs.get(rg, ws, jobName)).properties.tags).toMatchObject({ 'azureml.schedule': 'nightly' });
    await client.schedules.beginDeleteAndWait(rg, ws, 'nightly', poll);
    await expect(client.schedules.get(rg, ws, 'nightly')).rejects.toMatchObject({ statusCode: 404 });
  });
});
