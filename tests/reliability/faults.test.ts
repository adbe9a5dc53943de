/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Reliability, faults and races (issue #12): the emulator's fault rules on the Azure calls each
// action makes (429 with Retry-After, 500, 503, dropped connections, 409 while busy, slow and Failed
// long-running operations, crash-looping deployments, scoring 502 during the smoke test) and a blob
// upload cut midway (a TCP relay in front of Azurite, which the emulator's faults do not reach).
// Every run must end either succeeded with the right state or failed with a clear error, leaving no
// half-made asset: no version whose files are missing or partial, no traffic on a broken
// deployment, no orphan deployment. The races (below) share the emulator: every scenario has its
// own asset, endpoint or job name, so all run at once, after the faults on calls every run shares
// (workspace, permissions, datastore, token), which run first, one at a time.

import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { copyFileSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { mlClient, oidcCredential, start } from '../emulator/helpers.js';
import type { ActionRun } from '../harness/runAction.js';
import {
  act,
  admin,
  errorsOf,
  HOSTILE_LINES,
  injectionsOf,
  lastError,
  reliabilityCase,
  secretsScanCase,
  writeFigures,
} from './support.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

let emu: RunningEmulator;
let ml: AzureMachineLearningWorkspaces;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'reliability-faults-'));
mkdirSync(path.join(workspace, 'models'));
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const GATE = { 'smoke-test-payload': 'payload.json', 'smoke-test-requests': '4' };

// ---------------------------------------------------------------------------------------------
// Scenarios: each runs actions and returns what the assertions need.
// ---------------------------------------------------------------------------------------------

interface Outcome {
  runs: ActionRun[];
  /** Fault rules of the scenario, with the number of requests each affected. */
  hits: number[];
}

interface Scenario {
  name: string;
  /** The figures' category (default faults). */
  category?: 'faults' | 'races';
  /** Faults on calls every run makes: run alone, before the others. */
  shared?: boolean;
  work: () => Promise<Outcome>;
  check: (outcome: Outcome) => Promise<void>;
  bug?: string;
}

async function withFaults(rules: Array<Record<string, unknown>>, work: () => Promise<ActionRun[]>): Promise<Outcome> {
  const ids: string[] = [];
  for (const rule of rules) {
    const response = await admin(emu, 'POST', '/faults', rule);
    ids.push((response.body as { id: string }).id);
  }
  const runs = await work();
  const all = (await admin(emu, 'GET', '/faults')).body as { value: Array<{ id: string; hits: number }> };
  const hits = ids.map((id) => all.value.find((rule) => rule.id === id)?.hits ?? 0);
  for (const id of ids) await admin(emu, 'DELETE', `/faults/${id}`);
  return { runs, hits };
}

function run(label: string, action: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  return act(`faults: ${label}`, { action, inputs, env: { ...emu.env, ...env }, workspace, timeoutMs: 240_000 });
}

const WS = '/subscriptions/*/resourceGroups/*/providers/Microsoft.MachineLearningServices/workspaces/*';

function container(): ContainerClient {
  return new ContainerClient(
    `${emu.blobUrl}/devstoreaccount1/${emu.blobContainer}`,
    new StorageSharedKeyCredential('devstoreaccount1', DEV_KEY),
  );
}

/** Every version of a model: it must point at blobs that are all there, with the size of the local file. */
async function expectCompleteVersions(name: string, localFile: string): Promise<string[]> {
  const versions: string[] = [];
  for await (const version of ml.modelVersions.list(emu.resourceGroup, emu.workspace, name)) {
    versions.push(version.name ?? '');
    const uri = version.properties.modelUri ?? '';
    const blobPath = /\/paths\/(.+)$/.exec(uri)?.[1] ?? '(no path)';
    const blobs: Array<{ name: string; size: number }> = [];
    for await (const blob of container().listBlobsFlat({ prefix: blobPath }))
      blobs.push({ name: blob.name, size: blob.properties.contentLength ?? -1 });
    expect({ version: version.name, blobs }).toEqual({
      version: version.name,
      blobs: [{ name: blobPath, size: statSync(localFile).size }],
    });
  }
  return versions;
}

async function modelVersions(name: string): Promise<string[]> {
  const versions: string[] = [];
  try {
    for await (const version of ml.modelVersions.list(emu.resourceGroup, emu.workspace, name))
      versions.push(version.name ?? '');
  } catch {
    // no such model
  }
  return versions;
}

/** The endpoint's traffic and deployments; traffic may only point at Succeeded deployments. */
async function endpointState(endpoint: string): Promise<{ traffic: Record<string, number>; deployments: string[] }> {
  const ep = await ml.onlineEndpoints.get(emu.resourceGroup, emu.workspace, endpoint);
  const deployments: Array<{ name: string; state: string }> = [];
  for await (const d of ml.onlineDeployments.list(emu.resourceGroup, emu.workspace, endpoint))
    deployments.push({ name: d.name ?? '', state: d.properties.provisioningState ?? '' });
  const traffic = (ep.properties.traffic ?? {}) as Record<string, number>;
  for (const [name, percent] of Object.entries(traffic)) {
    if (percent > 0) expect(deployments).toContainEqual({ name, state: 'Succeeded' });
  }
  return { traffic, deployments: deployments.map((d) => d.name).sort() };
}

function succeeded(r: ActionRun | undefined): void {
  expect(r && lastError(r)).toContain('(no error; exit 0)');
}

/** Failed with one clear paragraph: no stack, no "unexpected error", a bounded message. */
function failedCleanly(r: ActionRun | undefined, message: RegExp): void {
  expect(r).toBeDefined();
  const run = r as ActionRun;
  expect(lastError(run)).toMatch(message);
  expect(run.exitCode).toBe(1);
  expect(errorsOf(run).join('\n')).not.toMatch(/hit an unexpected error|\n\s+at /);
}

/** A file of random bytes: every register scenario uploads content nobody uploaded before. */
function randomModel(name: string): string {
  const file = path.join(workspace, 'models', `${name}.bin`);
  writeFileSync(file, randomBytes(600_000));
  return `models/${name}.bin`;
}

function registerScenario(
  name: string,
  rules: Array<Record<string, unknown>>,
  expectSuccess: boolean,
  options: { shared?: boolean; message?: RegExp; env?: () => Record<string, string>; bug?: string } = {},
): Scenario {
  const model = `f-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 60);
  const file = randomModel(model);
  return {
    name: `action-register: ${name}`,
    ...(options.shared ? { shared: true } : {}),
    ...(options.bug ? { bug: options.bug } : {}),
    work: () =>
      withFaults(
        rules.map((rule) => ({ ...rule, path: String(rule.path).replace('{model}', model) })),
        async () => [await run(name, 'action-register', { name: model, path: file }, options.env?.())],
      ),
    check: async ({ runs, hits }) => {
      expect(hits.every((h) => h > 0)).toBe(true);
      const [r] = runs;
      if (expectSuccess) {
        succeeded(r);
        const versions = await expectCompleteVersions(model, path.join(workspace, file));
        expect(versions).toEqual([r?.outputs.version]);
      } else {
        failedCleanly(r, options.message ?? /./);
        expect(await modelVersions(model)).toEqual([]);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A relay in front of Azurite that cuts the first upload connections midway.
// ---------------------------------------------------------------------------------------------

async function cuttingRelay(targetPort: number, cuts: number, afterBytes: number) {
  let remaining = cuts;
  let cut = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    let sent = 0;
    const armed = remaining > 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (armed && sent > afterBytes && remaining > 0) {
        remaining--;
        cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cuts: () => cut,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Deploy scenarios.
// ---------------------------------------------------------------------------------------------

const EP = `${WS}/onlineEndpoints`;

function deployScenario(
  endpoint: string,
  name: string,
  rules: Array<Record<string, unknown>>,
  check: (runs: ActionRun[]) => Promise<void>,
  options: { base?: boolean; model?: string; extra?: Record<string, string>; bug?: string } = {},
): Scenario {
  return {
    name: `action-deploy: ${name}`,
    ...(options.bug ? { bug: options.bug } : {}),
    work: async () => {
      await modelsReady;
      const runs: ActionRun[] = [];
      if (options.base) runs.push(await run(`${name} (base)`, 'action-deploy', { endpoint, model: 'vad:1', ...GATE }));
      const outcome = await withFaults(
        rules.map((rule) => ({ ...rule, path: String(rule.path).replace('{ep}', endpoint) })),
        async () => [
          await run(name, 'action-deploy', { endpoint, model: options.model ?? 'vad:1', ...GATE, ...options.extra }),
        ],
      );
      return { runs: [...runs, ...outcome.runs], hits: outcome.hits };
    },
    check: async ({ runs, hits }) => {
      expect(hits.every((h) => h > 0)).toBe(true);
      if (options.base) succeeded(runs[0]);
      await check(runs);
    },
  };
}

async function expectServing(endpoint: string, deployment: string): Promise<void> {
  expect(await endpointState(endpoint)).toEqual({ traffic: { [deployment]: 100 }, deployments: [deployment] });
}

// ---------------------------------------------------------------------------------------------
// What the scenarios build on: the models vad:1 and vad:2, and the cluster f-cpu (created with a
// dropped connection on its PUT: a fault case of its own). Started once the shared faults are done.
// ---------------------------------------------------------------------------------------------

let markModelsReady: () => void = () => {};
const modelsReady = new Promise<void>((resolve) => (markModelsReady = resolve));
let markClusterReady: () => void = () => {};
const clusterReady = new Promise<void>((resolve) => (markClusterReady = resolve));

/** A command job on f-cpu whose display name (and so job name) is `name`, so its faults are its own. */
function pipelineScenario(what: string, name: string, rules: Array<Record<string, unknown>>): Scenario {
  return {
    name: `action-pipeline: ${what}`,
    work: async () => {
      await clusterReady;
      return withFaults(rules, async () => [
        await run(what, 'action-pipeline', { job: 'job.yml', 'display-name': name }),
      ]);
    },
    check: async ({ runs: [r], hits }) => {
      expect(hits.every((h) => h > 0)).toBe(true);
      succeeded(r);
      expect(r?.outputs.status).toBe('Completed');
      expect(r?.outputs['run-id']).toMatch(new RegExp(`^${name}_`));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

const MODEL_VERSION = `${WS}/models/{model}/versions/*`;

/**
 * action-pipeline creates a cluster whose provisioning ends Failed with QuotaExceeded after
 * `lroDurationMs`: at once (before the SDK's first poll) or later, the two timings core-lro handles
 * on different paths.
 */
function clusterQuotaScenario(compute: string, what: string, lroDurationMs: number): Scenario {
  return {
    name: `action-pipeline: creating the cluster ends Failed ${what}`,
    work: () =>
      withFaults(
        [
          {
            method: 'PUT',
            path: `${WS}/computes/${compute}`,
            lroFailed: { code: 'QuotaExceeded', message: 'Not enough quota for Standard_DS3_v2.' },
            lroDurationMs,
          },
        ],
        async () => [
          await run(`cluster ends Failed ${what}`, 'action-pipeline', { compute, 'create-compute': 'true' }),
        ],
      ),
    check: async ({ runs: [r], hits }) => {
      expect(hits).toEqual([1]);
      failedCleanly(r, new RegExp(`${compute}.*QuotaExceeded|QuotaExceeded.*${compute}`, 's'));
    },
  };
}

function scenarios(): Scenario[] {
  return [
    // Calls every run shares: one at a time, first.
    registerScenario(
      '429 with Retry-After on the permission pre-flight',
      [
        {
          method: 'GET',
          path: `${WS}/providers/Microsoft.Authorization/permissions`,
          status: 429,
          retryAfter: 1,
          count: 1,
        },
      ],
      true,
      { shared: true },
    ),
    registerScenario('500 on reading the workspace', [{ method: 'GET', path: WS, status: 500, count: 1 }], true, {
      shared: true,
    }),
    registerScenario(
      '503 on listSecrets of the datastore',
      [{ method: 'POST', path: `${WS}/datastores/workspaceblobstore/listSecrets`, status: 503, count: 1 }],
      true,
      { shared: true },
    ),
    registerScenario(
      'connection reset on the Entra token request',
      [{ method: 'POST', path: '/*/oauth2/v2.0/token', reset: true, count: 1 }],
      true,
      { shared: true },
    ),
    registerScenario(
      '500 on the datastore, every time',
      [{ method: 'GET', path: `${WS}/datastores/workspaceblobstore`, status: 500 }],
      false,
      { shared: true, message: /datastore|workspaceblobstore/i },
    ),
    // The asset's own calls: all at once.
    registerScenario(
      '429 with Retry-After on creating the version',
      [{ method: 'PUT', path: MODEL_VERSION, status: 429, retryAfter: 1, count: 1 }],
      true,
    ),
    registerScenario(
      '500 on creating the version',
      [{ method: 'PUT', path: MODEL_VERSION, status: 500, count: 1 }],
      true,
    ),
    registerScenario(
      '503 twice on listing the versions',
      [{ method: 'GET', path: `${WS}/models/{model}/versions`, status: 503, count: 2 }],
      true,
    ),
    registerScenario(
      'connection reset on creating the version',
      [{ method: 'PUT', path: MODEL_VERSION, reset: true, count: 1 }],
      true,
    ),
    registerScenario(
      '409 on creating the version (someone else took the number)',
      [{ method: 'PUT', path: MODEL_VERSION, status: 409, code: 'UserError', count: 1 }],
      true,
    ),
    registerScenario(
      'slow answers (3 s) on reading the versions',
      [{ method: 'GET', path: `${WS}/models/{model}/versions`, delayMs: 3000 }],
      true,
    ),
    registerScenario(
      '500 on creating the version, every time',
      [{ method: 'PUT', path: MODEL_VERSION, status: 500 }],
      false,
      { message: /HTTP 500|InternalServerError|500/ },
    ),
    {
      name: 'action-register: the blob upload is cut midway, twice',
      work: async () => {
        const file = randomModel('f-cut-upload');
        const relay = await cuttingRelay(Number(new URL(emu.blobUrl).port), 2, 200_000);
        try {
          const r = await run(
            'upload cut midway',
            'action-register',
            { name: 'f-cut-upload', path: file },
            {
              AZURE_STORAGE_URL_TEMPLATE: `http://127.0.0.1:${relay.port}/{account}`,
            },
          );
          return { runs: [r], hits: [relay.cuts()] };
        } finally {
          await relay.close();
        }
      },
      check: async ({ runs, hits }) => {
        expect(hits).toEqual([2]);
        succeeded(runs[0]);
        expect(
          await expectCompleteVersions('f-cut-upload', path.join(workspace, 'models', 'f-cut-upload.bin')),
        ).toEqual([runs[0]?.outputs.version]);
      },
    },

    {
      // Small files get through, the big one is cut on every attempt: the run must fail without a
      // data version whose folder is partial.
      name: 'action-register: a folder whose upload is cut midway on every attempt fails, and no data version is made',
      work: async () => {
        const folder = path.join(workspace, 'f-cut-folder');
        mkdirSync(folder, { recursive: true });
        for (const name of ['a.csv', 'b.csv', 'c.csv']) writeFileSync(path.join(folder, name), randomBytes(2_000));
        writeFileSync(path.join(folder, 'big.bin'), randomBytes(900_000));
        const relay = await cuttingRelay(Number(new URL(emu.blobUrl).port), Number.MAX_SAFE_INTEGER, 200_000);
        try {
          const r = await run(
            'folder upload cut on every attempt',
            'action-register',
            { kind: 'data', name: 'f-cut-folder', path: 'f-cut-folder' },
            { AZURE_STORAGE_URL_TEMPLATE: `http://127.0.0.1:${relay.port}/{account}` },
          );
          return { runs: [r], hits: [relay.cuts()] };
        } finally {
          await relay.close();
        }
      },
      check: async ({ runs, hits }) => {
        expect(hits[0]).toBeGreaterThan(1);
        failedCleanly(
          runs[0],
          /^The upload to the datastore.s storage account failed: the connection failed \(ECONNRESET\) on every retry/,
        );
        const versions: string[] = [];
        try {
          for await (const version of ml.dataVersions.list(emu.resourceGroup, emu.workspace, 'f-cut-folder'))
            versions.push(version.name ?? '');
        } catch {
          // no such data asset: nothing was made
        }
        expect(versions).toEqual([]);
      },
    },

    // action-deploy, each on its own endpoint.
    deployScenario(
      'f-d429',
      '429 with Retry-After on creating the endpoint',
      [{ method: 'PUT', path: `${EP}/{ep}`, status: 429, retryAfter: 1, count: 1 }],
      async ([r]) => {
        succeeded(r);
        await expectServing('f-d429', 'vad-v1');
      },
    ),
    deployScenario(
      'f-d500',
      '500 on creating the deployment',
      [{ method: 'PUT', path: `${EP}/{ep}/deployments/*`, status: 500, count: 1 }],
      async ([r]) => {
        succeeded(r);
        await expectServing('f-d500', 'vad-v1');
      },
    ),
    deployScenario(
      'f-d503',
      '503 twice on reading the deployment (aml-token endpoint)',
      [{ method: 'GET', path: `${EP}/{ep}/deployments/*`, status: 503, count: 2 }],
      async ([r]) => {
        succeeded(r);
        expect(r?.outputs['auth-mode']).toBe('aml-token');
        await expectServing('f-d503', 'vad-v1');
      },
      { extra: { 'auth-mode': 'aml-token' } },
    ),
    deployScenario(
      'f-dreset',
      'connection reset on listKeys for the smoke gate',
      [{ method: 'POST', path: `${EP}/{ep}/listKeys`, reset: true, count: 1 }],
      async ([r]) => {
        succeeded(r);
        await expectServing('f-dreset', 'vad-v1');
      },
    ),
    deployScenario(
      'f-d409',
      '409 while the endpoint is busy, twice',
      [
        {
          method: 'PUT',
          path: `${EP}/{ep}/deployments/*`,
          status: 409,
          code: 'Conflict',
          message: 'The endpoint is busy: an operation is in progress.',
          count: 2,
        },
      ],
      async ([r]) => {
        succeeded(r);
        expect(r?.log).toContain('The endpoint is busy with another operation; waiting');
        await expectServing('f-d409', 'vad-v1');
      },
    ),
    deployScenario(
      'f-dslow',
      'a slow deployment (7 s)',
      [{ method: 'PUT', path: `${EP}/{ep}/deployments/*`, lroDurationMs: 7000, count: 1 }],
      async ([r]) => {
        succeeded(r);
        await expectServing('f-dslow', 'vad-v1');
      },
    ),
    deployScenario(
      'f-dfail',
      'the first deployment ends Failed after 3 s',
      [
        {
          method: 'PUT',
          path: `${EP}/{ep}/deployments/*`,
          lroFailed: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' },
          lroDurationMs: 3000,
        },
      ],
      async ([r]) => {
        failedCleanly(r, /vad-v1.*ResourceNotReady/s);
        expect(r?.outputs['rolled-back']).toBe('true');
        expect(await endpointState('f-dfail')).toEqual({ traffic: {}, deployments: [] });
      },
    ),
    deployScenario(
      'f-dfail0',
      'the first deployment ends Failed at once (before the first poll)',
      [
        {
          method: 'PUT',
          path: `${EP}/{ep}/deployments/*`,
          lroFailed: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' },
          lroDurationMs: 1,
        },
      ],
      async ([r]) => {
        failedCleanly(r, /vad-v1.*ResourceNotReady/s);
        expect(r?.outputs['rolled-back']).toBe('true');
        expect(await endpointState('f-dfail0')).toEqual({ traffic: {}, deployments: [] });
      },
    ),
    deployScenario(
      'f-dtraffic',
      'the traffic shift to v2 ends Failed: v1 keeps serving, v2 is removed',
      [
        {
          method: 'PUT',
          path: `${EP}/{ep}`,
          lroFailed: { code: 'InternalServerError', message: 'The traffic update failed.' },
          count: 1,
        },
      ],
      async ([, r]) => {
        failedCleanly(r, /traffic/i);
        expect(r?.outputs['rolled-back']).toBe('true');
        await expectServing('f-dtraffic', 'vad-v1');
      },
      { base: true, model: 'vad:2' },
    ),
    deployScenario(
      'f-dcrash',
      'v2 crash-loops (its log carries workflow commands): v1 keeps serving, v2 is removed, the log is shown inert',
      [
        {
          method: 'PUT',
          path: `${EP}/{ep}/deployments/*`,
          crashLoop: { logs: ['Traceback (most recent call last):', ...HOSTILE_LINES, 'RuntimeError: boom'] },
        },
      ],
      async ([, r]) => {
        failedCleanly(r, /vad-v2/);
        expect(r?.log).toContain('RuntimeError: boom');
        expect(r?.outputs['rolled-back']).toBe('true');
        await expectServing('f-dcrash', 'vad-v1');
        expect(injectionsOf(r as ActionRun)).toEqual([]);
      },
      { base: true, model: 'vad:2' },
    ),
    deployScenario(
      'f-d502',
      'scoring answers 502 during the smoke test: v1 keeps serving, v2 is removed',
      [{ method: 'POST', path: '/inference/{ep}/**', status: 502 }],
      async ([, r]) => {
        failedCleanly(r, /^Smoke test failed against https:\/\/127\.0\.0\.1:\d+\/inference\/f-d502\/score/);
        expect(r?.log).toContain('502');
        expect(r?.outputs).toMatchObject({ 'rolled-back': 'true', 'smoke-test': 'failed' });
        await expectServing('f-d502', 'vad-v1');
      },
      { base: true, model: 'vad:2', extra: { 'smoke-test-wait-ready': '3s' } },
    ),
    deployScenario(
      'f-d502t',
      'scoring answers 502 three times while the deployment warms up',
      [{ method: 'POST', path: '/inference/{ep}/**', status: 502, count: 3 }],
      async ([r]) => {
        succeeded(r);
        expect(r?.outputs['smoke-test']).toBe('passed');
        await expectServing('f-d502t', 'vad-v1');
      },
    ),

    // The smoke-test sub-action on an endpoint of its own.
    {
      name: 'smoke-test: 429 on listKeys, then 502 from scoring every time',
      work: async () => {
        await modelsReady;
        const base = await run('smoke-test endpoint (base)', 'action-deploy', { endpoint: 'f-smoke', model: 'vad:1' });
        const first = await withFaults(
          [{ method: 'POST', path: `${EP}/f-smoke/listKeys`, status: 429, retryAfter: 1, count: 1 }],
          async () => [
            await run('smoke-test with 429', 'action-deploy/smoke-test', {
              endpoint: 'f-smoke',
              payload: 'payload.json',
              requests: '4',
            }),
          ],
        );
        const second = await withFaults([{ method: 'POST', path: '/inference/f-smoke/**', status: 502 }], async () => [
          await run('smoke-test with 502', 'action-deploy/smoke-test', {
            endpoint: 'f-smoke',
            payload: 'payload.json',
            requests: '4',
            'wait-ready': '2s',
          }),
        ]);
        return { runs: [base, ...first.runs, ...second.runs], hits: [...first.hits, ...second.hits] };
      },
      check: async ({ runs: [base, ok, bad], hits }) => {
        expect(hits.every((h) => h > 0)).toBe(true);
        succeeded(base);
        succeeded(ok);
        expect(ok?.outputs.passed).toBe('true');
        failedCleanly(bad, /^Smoke test failed against .*\/inference\/f-smoke\/score/);
        expect(bad?.log).toContain('502');
        expect(bad?.outputs.passed).toBe('false');
      },
    },

    // action-pipeline: one after another (job names are generated, so faults on jobs/* are shared).
    pipelineScenario('429 with Retry-After on submitting the job', 'p429', [
      { method: 'PUT', path: `${WS}/jobs/p429_*`, status: 429, retryAfter: 1, count: 1 },
    ]),
    pipelineScenario('500 twice on reading the job', 'p500', [
      { method: 'GET', path: `${WS}/jobs/p500_*`, status: 500, count: 2 },
    ]),
    pipelineScenario('503 twice from MLflow (metrics)', 'pmlflow', [
      { method: 'GET', path: '/mlflow/**', status: 503, count: 2 },
    ]),
    {
      name: 'action-pipeline: a job fails with workflow commands in its error and log',
      work: () =>
        withFaults(
          [
            {
              method: 'PUT',
              path: `${WS}/jobs/phostile_*`,
              lroFailed: { code: 'UserError', message: ['ValueError: bad data', ...HOSTILE_LINES].join('\n') },
              count: 1,
            },
          ],
          async () => {
            await clusterReady;
            return [
              await run('job fails with hostile message', 'action-pipeline', {
                job: 'job.yml',
                'display-name': 'phostile',
              }),
            ];
          },
        ),
      check: async ({ runs: [r], hits }) => {
        expect(hits).toEqual([1]);
        failedCleanly(r, /ValueError: bad data/);
        expect(r?.outputs.status).toBe('Failed');
        expect(injectionsOf(r as ActionRun)).toEqual([]);
      },
    },
    clusterQuotaScenario('f-cpu-bad', 'after 3 s (QuotaExceeded)', 3000),
    clusterQuotaScenario('f-cpu-bad0', 'at once (QuotaExceeded, before the first poll)', 1),
  ];
}

// ---------------------------------------------------------------------------------------------
// Races (issue #12), run together with the fault scenarios on the same emulator:
//   - 20 registrations of one name at once, half with the same content and half each with its own
//     (tests/e2e/register.test.ts has the all-same and all-different cases): the same content ends
//     on one version, every other on a version of its own, numbers 1..11, every version complete;
//   - two deploys to one endpoint at once: both end cleanly, traffic only on a ready deployment, no
//     orphan deployment;
//   - a cancelled action-pipeline run (the runner stops the main step while it waits, then runs the
//     post step) and its rerun: the first job ends Canceled, the rerun's Completed, nothing running.
// ---------------------------------------------------------------------------------------------

const SAME = 10;
const DIFFERENT = 10;

function raceScenarios(): Scenario[] {
  return [
    {
      name: '20 registrations of one name at once (10 same content, 10 different)',
      category: 'races',
      work: async () => {
        const dirs: string[] = [];
        for (let i = 0; i < SAME + DIFFERENT; i++) {
          const dir = `mixed-${i}`;
          mkdirSync(path.join(workspace, dir));
          const content = i < SAME ? 'label,value\nsame,1\n' : `label,value\nrun-${i},${i}\n`;
          writeFileSync(path.join(workspace, dir, 'part.csv'), content);
          dirs.push(dir);
        }
        const runs = await Promise.all(
          dirs.map((dir, i) =>
            run(`race: register ${i}`, 'action-register', { kind: 'data', name: 'race-mixed', path: dir }),
          ),
        );
        return { runs, hits: [] };
      },
      check: async ({ runs }) => {
        expect(runs.map(lastError).filter((e) => !e.includes('(no error; exit 0)'))).toEqual([]);
        const same = new Set(runs.slice(0, SAME).map((r) => r.outputs.version));
        const different = runs.slice(SAME).map((r) => r.outputs.version ?? '');
        expect(same.size).toBe(1);
        expect(new Set(different).size).toBe(DIFFERENT);
        expect(different).not.toContain([...same][0]);
        const versions: string[] = [];
        for await (const version of ml.dataVersions.list(emu.resourceGroup, emu.workspace, 'race-mixed')) {
          versions.push(version.name ?? '');
          const prefix = /\/paths\/(.+)$/.exec(version.properties.dataUri)?.[1] ?? '(none)';
          const sizes: number[] = [];
          for await (const blob of container().listBlobsFlat({ prefix }))
            sizes.push(blob.properties.contentLength ?? 0);
          expect({ version: version.name, files: sizes.length, empty: sizes.filter((b) => b === 0).length }).toEqual({
            version: version.name,
            files: 1,
            empty: 0,
          });
        }
        expect(versions.map(Number).sort((a, b) => a - b)).toEqual(
          Array.from({ length: DIFFERENT + 1 }, (_, i) => i + 1),
        );
      },
    },
    {
      name: 'two deploys to one endpoint at once: both end cleanly, traffic on a ready deployment, no orphan',
      category: 'races',
      work: async () => {
        await modelsReady;
        const runs = await Promise.all([
          run('race: deploy v1 at once', 'action-deploy', { endpoint: 'race-ep', model: 'vad:1', ...GATE }),
          run('race: deploy v2 at once', 'action-deploy', { endpoint: 'race-ep', model: 'vad:2', ...GATE }),
        ]);
        return { runs, hits: [] };
      },
      check: async ({ runs }) => {
        for (const r of runs) expect(errorsOf(r).join('\n')).not.toMatch(/hit an unexpected error|\n\s+at /);
        expect(runs.some((r) => r.exitCode === 0)).toBe(true);
        const { traffic, deployments } = await endpointState('race-ep');
        const serving = Object.entries(traffic).filter(([, percent]) => percent > 0);
        // One wins with all the traffic (endpointState checked it is a Succeeded deployment)...
        expect(serving.map(([, percent]) => percent)).toEqual([100]);
        // ...and nothing else is left: neither run asked to keep a deployment.
        expect(deployments).toEqual([serving[0]?.[0]]);
      },
    },
    {
      name: 'a cancelled action-pipeline run and its rerun',
      category: 'races',
      work: async () => {
        await clusterReady;
        // The job runs a minute unless cancelled; the runner stops the step while it waits.
        const inputs = { job: 'job.yml', 'display-name': 'cancel' };
        return withFaults(
          [{ method: 'PUT', path: `${WS}/jobs/cancel_*`, lroDurationMs: 60_000, count: 1 }],
          async () => {
            let main: ActionRun | undefined;
            for (const ms of [8_000, 16_000, 32_000]) {
              main = await act('faults: race: pipeline stopped while waiting', {
                action: 'action-pipeline',
                inputs,
                env: emu.env,
                workspace,
                timeoutMs: ms,
              });
              if (main.state['run-id']) break;
            }
            const done = main as ActionRun;
            const post = await act('faults: race: pipeline post step', {
              action: 'action-pipeline',
              inputs,
              env: emu.env,
              workspace,
              postState: done.state,
            });
            const rerun = await run('race: pipeline rerun', 'action-pipeline', inputs, { GITHUB_RUN_ATTEMPT: '2' });
            return [done, post, rerun];
          },
        );
      },
      check: async ({ runs: [main, post, rerun] }) => {
        const first = main?.state['run-id'] ?? '';
        expect(first).toMatch(/^cancel_/);
        expect(main?.exitCode).not.toBe(0);
        succeeded(post);
        expect(post?.log).toContain('cancelling it');
        succeeded(rerun);
        expect(rerun?.outputs.status).toBe('Completed');
        expect(rerun?.outputs['run-id']).not.toBe(first);
        expect((await ml.jobs.get(emu.resourceGroup, emu.workspace, first)).properties.status).toBe('Canceled');
        const active: string[] = [];
        for await (const job of ml.jobs.list(emu.resourceGroup, emu.workspace))
          if (
            job.name?.startsWith('cancel_') &&
            !['Completed', 'Failed', 'Canceled'].includes(job.properties.status ?? '')
          )
            active.push(job.name ?? '');
        expect(active).toEqual([]);
      },
    },
  ];
}

const CLUSTER: Scenario = {
  name: 'action-pipeline: connection reset on creating the cluster',
  work: () =>
    withFaults([{ method: 'PUT', path: `${WS}/computes/f-cpu`, reset: true, count: 1 }], async () => [
      await run('cluster with reset', 'action-pipeline', { compute: 'f-cpu', 'create-compute': 'true' }),
    ]),
  check: async ({ runs: [r], hits }) => {
    expect(hits).toEqual([1]);
    succeeded(r);
    const compute = await ml.computeOperations.get(emu.resourceGroup, emu.workspace, 'f-cpu');
    expect(compute.properties?.provisioningState).toBe('Succeeded');
  },
};

const SCENARIOS = [CLUSTER, ...scenarios(), ...raceScenarios()];
const outcomes = new Map<string, Outcome | Error>();

beforeAll(async () => {
  emu = await start({ azurite: true, scoring: undefined });
  ml = mlClient(emu, await oidcCredential(emu));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad_v2.onnx'));
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(SILERO_PAYLOAD));
  writeFileSync(
    path.join(workspace, 'job.yml'),
    [
      'type: command',
      'command: python train.py',
      'environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
      'compute: azureml:f-cpu',
      '',
    ].join('\n'),
  );
  const settle = async (s: Scenario) => {
    outcomes.set(
      s.name,
      // Errors from node's own realm (fetch, sockets) are not instances of this realm's Error.
      await s.work().catch((error: unknown) => new Error(String((error as { stack?: unknown }).stack ?? error))),
    );
  };
  // Faults on calls every run makes: one at a time, alone.
  for (const s of SCENARIOS.filter((s) => s.shared)) await settle(s);
  // Then everything else at once: each scenario has its own asset, endpoint or job name.
  const models = (async () => {
    const v1 = await run('model vad v1', 'action-register', { name: 'vad', path: 'models/silero_vad.onnx' });
    const v2 = await run('model vad v2', 'action-register', { name: 'vad', path: 'models/silero_vad_v2.onnx' });
    expect([v1.outputs.version, v2.outputs.version]).toEqual(['1', '2']);
  })().finally(() => markModelsReady());
  const cluster = settle(CLUSTER).finally(() => markClusterReady());
  await Promise.all([models, cluster, ...SCENARIOS.filter((s) => !s.shared && s !== CLUSTER).map(settle)]);
}, 600_000);

afterAll(async () => {
  writeFigures('faults');
  await emu?.stop();
});

describe('faults on the Azure calls: succeeded with the right state, or failed cleanly with nothing half-made', () => {
  for (const s of SCENARIOS.filter((s) => s.category !== 'races')) caseOf(s);
});

describe('races', () => {
  for (const s of SCENARIOS.filter((s) => s.category === 'races')) caseOf(s);
});

function caseOf(s: Scenario): void {
  reliabilityCase(
    s.category ?? 'faults',
    s.name,
    async () => {
      const outcome = outcomes.get(s.name);
      if (outcome instanceof Error) throw outcome;
      expect(outcome).toBeDefined();
      await s.check(outcome as Outcome);
      for (const r of (outcome as Outcome).runs) {
        if (!s.bug) expect(injectionsOf(r)).toEqual([]);
      }
    },
    { timeout: 60_000, ...(s.bug ? { bug: s.bug } : {}) },
  );
}

describe('secrets', () => {
  secretsScanCase(
    () => emu,
    ['GitHub ID token', 'Entra access token', 'endpoint key', 'AML token', 'storage account key'],
  );
});
