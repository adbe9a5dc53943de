// The api-versions of Microsoft's Python SDK v2 (azure-ai-ml 1.4): each served for the operations
// azure-ai-ml sends it with, its bodies validated against the 2022-10-01 swagger after the version's
// adapter (emulator/arm/apiVersions.ts; differences in emulator/README.md, "azure-ai-ml"). The
// interop suites (tests/interop) drive the real SDK; these tests pin the emulator's side alone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunningEmulator } from '../../emulator/index.js';
import { itWithSpec } from '../support/spec.js';
import { ARM_SCOPE, admin, oidcCredential, start } from './helpers.js';

let emu: RunningEmulator;
let wsPath: string;

beforeAll(async () => {
  emu = await start();
  wsPath = `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${emu.workspace}`;
});
afterAll(async () => {
  await emu?.stop();
});

async function arm(
  method: string,
  path: string,
  apiVersion: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = await (await oidcCredential(emu)).getToken(ARM_SCOPE);
  const res = await fetch(`${emu.armUrl}${wsPath}${path}?api-version=${apiVersion}`, {
    method,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const errorOf = (r: { body: Record<string, unknown> }) => (r.body.error ?? {}) as { code?: string; message?: string };

describe('api-versions of azure-ai-ml', () => {
  it('serves each version for the operations azure-ai-ml sends it with, and refuses it elsewhere', async () => {
    expect((await arm('GET', '', '2022-10-01-preview')).status).toBe(200); // workspaces
    expect((await arm('GET', '/computes', '2022-10-01-preview')).status).toBe(200);
    expect((await arm('GET', '/jobs', '2022-10-01-preview')).status).toBe(200);
    expect((await arm('GET', '/models', '2022-05-01')).status).toBe(200);
    expect((await arm('GET', '/codes', '2022-05-01')).status).toBe(200);
    expect((await arm('GET', '/environments', '2022-05-01')).status).toBe(200);
    expect((await arm('GET', '/onlineEndpoints', '2022-02-01-preview')).status).toBe(200);
    expect((await arm('GET', '/data', '2022-10-01')).status).toBe(200);

    const refused = await arm('GET', '/jobs', '2022-05-01');
    expect(refused.status).toBe(400);
    expect(errorOf(refused).code).toBe('NoRegisteredProviderFound');
    expect(errorOf(refused).message).toContain(
      "The supported api-versions are '2022-10-01, 2024-04-01, 2022-10-01-preview'",
    );
    expect((await arm('GET', '/models', '2022-02-01-preview')).status).toBe(400);
    expect((await arm('GET', '/onlineEndpoints', '2022-05-01')).status).toBe(400);
  });

  it('2022-05-01 model versions always carry flavors as an object (azure-ai-ml iterates it)', async () => {
    const put = await arm('PUT', '/models/flavorless/versions/1', '2022-05-01', {
      properties: { modelType: 'custom_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/m/model.onnx' },
    });
    expect(put.status).toBe(201);
    expect((put.body.properties as Record<string, unknown>).flavors).toEqual({});
    const list = await arm('GET', '/models/flavorless/versions', '2022-05-01');
    const value = list.body.value as Array<{ properties: Record<string, unknown> }>;
    expect(value.map((v) => v.properties.flavors)).toEqual([{}]);
  });

  itWithSpec('validates another version against the 2022-10-01 swagger, naming that version', async () => {
    const bad = await arm('PUT', '/models/typo/versions/1', '2022-05-01', {
      properties: { modelType: 'custom_model', modelUri: 'azureml://x', modelUrl: 'typo' },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toContain('schema of api-version 2022-05-01');
    expect(errorOf(bad).message).toContain('$.properties.modelUrl: not a property of this schema');
  });

  itWithSpec("accepts 2022-10-01-preview's AutoML sweep limits (not in 2022-10-01, which refuses them)", async () => {
    await arm('PUT', '/computes/cpu', '2022-10-01-preview', {
      location: emu.location,
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'Standard_DS3_v2', scaleSettings: { maxNodeCount: 1, minNodeCount: 0 } },
      },
    });
    await arm('PUT', '/data/iris/versions/1', '2022-10-01', {
      properties: { dataType: 'mltable', dataUri: 'azureml://datastores/workspaceblobstore/paths/iris/' },
    });
    const job = (limitSettings: Record<string, unknown>) => ({
      properties: {
        jobType: 'AutoML',
        computeId: `${wsPath}/computes/cpu`,
        experimentName: 'e',
        outputs: {},
        taskDetails: {
          taskType: 'Classification',
          targetColumnName: 'species',
          primaryMetric: 'Accuracy',
          trainingData: { jobInputType: 'mltable', uri: `${wsPath}/data/iris/versions/1` },
          limitSettings,
        },
      },
    });
    const preview = await arm(
      'PUT',
      '/jobs/automl-preview',
      '2022-10-01-preview',
      job({ maxTrials: 2, sweepTrials: 0 }),
    );
    expect(preview.status).toBe(201);
    const ga = await arm('PUT', '/jobs/automl-ga', '2022-10-01', job({ maxTrials: 2, sweepTrials: 0 }));
    expect(ga.status).toBe(400);
    expect(errorOf(ga).message).toContain('sweepTrials: not a property of this schema');
  });

  itWithSpec("accepts 2022-02-01-preview's mirrorTraffic on an endpoint (not in 2022-10-01)", async () => {
    const body = {
      location: emu.location,
      identity: { type: 'SystemAssigned' },
      properties: { authMode: 'Key', mirrorTraffic: {}, traffic: {} },
    };
    expect((await arm('PUT', '/onlineEndpoints/mirrored', '2022-02-01-preview', body)).status).toBe(201);
    const ga = await arm('PUT', '/onlineEndpoints/mirrored-ga', '2022-10-01', body);
    expect(ga.status).toBe(400);
    expect(errorOf(ga).message).toContain('mirrorTraffic: not a property of this schema');
  });

  it("takes azure-ai-ml's anonymous environment versions (32 hex digits) beyond the 30-character rule", async () => {
    const anonymous = await arm(
      'PUT',
      `/environments/CliV2AnonymousEnvironment/versions/${'ab'.repeat(16)}`,
      '2022-05-01',
      {
        properties: { isAnonymous: true, image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04' },
      },
    );
    expect(anonymous.status).toBe(201);
    const named = await arm('PUT', `/environments/named/versions/${'ab'.repeat(16)}`, '2022-05-01', {
      properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04' },
    });
    expect(named.status).toBe(400);
  });

  it('logs job input values, and masks JWTs wherever they appear', async () => {
    // Refused (no environment), but logged with its literal input.
    await arm('PUT', '/jobs/literal', '2022-10-01-preview', {
      properties: {
        jobType: 'Command',
        command: 'python train.py',
        environmentId: 'azureml:missing:1',
        inputs: { lr: { jobInputType: 'literal', value: '0.01' } },
      },
    });
    const res = await fetch(`${emu.oidcRequestUrl}&audience=api://AzureADTokenExchange`, {
      headers: { authorization: `Bearer ${emu.oidcRequestToken}` },
    });
    expect(res.status).toBe(200);
    const log = (await admin(emu, 'GET', '/requests')).body as {
      value: Array<{ service: string; requestBody?: unknown; responseBody?: unknown }>;
    };
    const text = JSON.stringify(log.value);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
    const oidc = log.value.find((r) => r.service === 'oidc');
    expect(oidc?.responseBody).toMatchObject({ value: '***' });
    expect(text).toContain('"inputs":{"lr":{"jobInputType":"literal","value":"0.01"}}');
  });
});
