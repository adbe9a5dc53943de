// The in-process ring for action-pipeline's job kinds beyond command jobs: sweep and Spark jobs, a
// pipeline with spark, parallel and sweep steps, AutoML image and text jobs on local MLTable
// folders and an AutoML step in a pipeline, each read, uploaded and submitted by `pipeline` with an
// in-memory context against the emulator (which checks every body against the 2024-04-01 spec).
// The built bundle runs the same files in tests/e2e/pipelineSteps.test.ts.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from '../../action-pipeline/src/main.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { runInProcess } from '../harness/inProcess.js';
import { JOB_KIND_FILES } from '../support/jobKinds.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ring-job-kinds-'));

beforeAll(async () => {
  emu = await start({ azurite: true, settings: { specValidation: 'strict' } });
  for (const [name, text] of Object.entries(JOB_KIND_FILES)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), text);
  }
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

interface Logged {
  method: string;
  path: string;
  status: number;
  requestBody?: { properties?: Record<string, unknown> };
}

describe('action-pipeline in process: job kinds beyond command jobs', () => {
  it.each([
    ['sweep.yml', 'Sweep'],
    ['spark.yml', 'Spark'],
    ['pipeline.yml', 'Pipeline'],
    ['automl-image.yml', 'AutoML'],
    ['automl-text.yml', 'AutoML'],
    ['automl-pipeline.yml', 'Pipeline'],
  ])('%s is read, submitted as a %s job and followed to Completed', async (job, jobType) => {
    const run = await runInProcess(pipeline, {
      action: 'action-pipeline',
      inputs: { job, wait: 'true' },
      env: emu.env,
      workspace,
    });
    expect(run.failure).toBe('');
    expect(run.outputs.status).toBe('Completed');
    const runId = run.outputs['run-id'] ?? '';
    const log = ((await admin(emu, 'GET', '/requests?service=arm')).body as { value: Logged[] }).value;
    const put = log.find((r) => r.method === 'PUT' && r.path.endsWith(`/jobs/${runId}`));
    expect(put?.status).toBe(201);
    expect(put?.requestBody?.properties?.jobType).toBe(jobType);
  });
});
