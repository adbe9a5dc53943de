// action-pipeline end to end for sweep and Spark jobs and for spark, parallel and sweep steps: the
// built bundle, run like the runner runs it, against the emulator (which checks each body against
// the 2024-04-01 spec) and Azurite. Each job is submitted, followed to Completed, and what reached
// ARM is read back from the emulator's request log.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { runAction, type ActionRun } from '../harness/runAction.js';
import { JOB_KIND_FILES } from '../support/jobKinds.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'pipeline-steps-ws-'));

const FILES = JOB_KIND_FILES;

beforeAll(async () => {
  emu = await start({ azurite: true, settings: { specValidation: 'strict' } });
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), text);
  }
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function pipeline(job: string): Promise<ActionRun> {
  return runAction({
    action: 'action-pipeline',
    inputs: { job, wait: 'true' },
    env: emu.env,
    workspace,
    timeoutMs: 180_000,
  });
}

function errorOf(run: ActionRun): string {
  return run.annotations.find((a) => a.level === 'error')?.message ?? `(no error; exit ${run.exitCode})`;
}

interface Logged {
  method: string;
  path: string;
  status: number;
  query: Record<string, string>;
  requestBody?: { properties?: Record<string, unknown> };
}

/** The PUTs that reached ARM under a path segment, in order. */
async function puts(segment: string): Promise<Logged[]> {
  const log = (await admin(emu, 'GET', '/requests')).body as { value: Logged[] };
  return log.value.filter((r) => r.method === 'PUT' && r.path.includes(segment));
}

describe('sweep and Spark jobs', () => {
  it('submits a sweep job as SweepJob at 2024-04-01 and follows it to Completed', async () => {
    const run = await pipeline('sweep.yml');
    expect(errorOf(run)).toBe('(no error; exit 0)');
    expect(run.outputs.status).toBe('Completed');
    const [job] = (await puts('/jobs/')).slice(-1);
    expect(job?.query['api-version']).toBe('2024-04-01');
    expect(job?.status).toBe(201);
    expect(job?.requestBody?.properties).toMatchObject({
      jobType: 'Sweep',
      searchSpace: { lr: ['loguniform', [-6, -1]] },
      earlyTermination: { policyType: 'MedianStopping', evaluationInterval: 2, delayEvaluation: 0 },
      limits: { jobLimitsType: 'Sweep', timeout: 'PT1H' },
    });
  }, 200_000);

  it('submits a serverless Spark job with its uploaded code and follows it to Completed', async () => {
    const run = await pipeline('spark.yml');
    expect(errorOf(run)).toBe('(no error; exit 0)');
    expect(run.outputs.status).toBe('Completed');
    const [job] = (await puts('/jobs/')).slice(-1);
    expect(job?.requestBody?.properties).toMatchObject({
      jobType: 'Spark',
      entry: { file: 'main.py', sparkJobEntryType: 'SparkJobPythonEntry' },
      conf: { 'spark.executor.instances': '2' },
      identity: { identityType: 'UserIdentity' },
    });
    expect(String(job?.requestBody?.properties?.codeId)).toMatch(/\/codes\/[^/]+\/versions\/\d+$/);
  }, 200_000);
});

describe('spark, parallel and sweep steps', () => {
  it('registers each step as azure-ai-ml does and runs the pipeline to Completed', async () => {
    const before = (await puts('/components/')).length;
    const run = await pipeline('pipeline.yml');
    expect(errorOf(run)).toBe('(no error; exit 0)');
    expect(run.outputs.status).toBe('Completed');
    const components = (await puts('/components/')).slice(before);
    const specs = components.map((c) => c.requestBody?.properties?.componentSpec as Record<string, unknown>);
    expect(specs.map((s) => s.type).sort()).toEqual(['command', 'parallel', 'spark']);
    expect(components.every((c) => c.status === 200 || c.status === 201)).toBe(true);
    const [job] = (await puts('/jobs/')).slice(-1);
    const jobs = job?.requestBody?.properties?.jobs as Record<string, Record<string, unknown>>;
    expect(jobs.wrangle).toMatchObject({ type: 'spark', identity: { identity_type: 'UserIdentity' } });
    expect(jobs.score).toMatchObject({ type: 'parallel', mini_batch_size: 1, task: { entry_script: 'main.py' } });
    expect(jobs.tune).toMatchObject({ type: 'sweep', sampling_algorithm: 'grid' });
    expect(String((jobs.tune?.trial as { componentId?: string }).componentId)).toContain(
      '/components/azureml_anonymous/',
    );
  }, 200_000);

  it('reports a step problem at its line before any request', async () => {
    writeFileSync(
      path.join(workspace, 'bad.yml'),
      FILES['pipeline.yml']!.replace('mini_batch_size: "1"', 'mini_batch_size: 1tb'),
    );
    const before = ((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value.length;
    const run = await pipeline('bad.yml');
    expect(run.exitCode).toBe(1);
    const lineOf = FILES['pipeline.yml']!.split('\n').findIndex((l) => l.includes('mini_batch_size')) + 1;
    expect(run.log).toContain(`::error file=bad.yml,line=${lineOf},`);
    expect(errorOf(run)).toContain("'mini_batch_size' must be a count of files or a size");
    // Only the login's requests: nothing was registered or submitted.
    const after = ((await admin(emu, 'GET', '/requests')).body as { value: Logged[] }).value.slice(before);
    expect(after.filter((r) => r.method === 'PUT')).toEqual([]);
  }, 200_000);
});
