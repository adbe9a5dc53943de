// The api-versions of Microsoft's Python SDK v2 (azure-ai-ml 1.35, python/requirements.lock, and 1.4,
// still in Debian): each served for the operations azure-ai-ml sends it with, its bodies validated
// against the first pinned swagger at or after it (2022-10-01, 2024-04-01) after the version's
// adapter (emulator/arm/apiVersions.ts; differences in emulator/README.md, "azure-ai-ml"). The
// interop suites (tests/interop) drive the real SDK; these tests pin the emulator's side alone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ContainerClient } from '@azure/storage-blob';
import type { RunningEmulator } from '../../emulator/index.js';
import { itWithSpec } from '../support/spec.js';
import { ARM_SCOPE, admin, oidcCredential, start } from './helpers.js';

let emu: RunningEmulator;
let wsPath: string;

beforeAll(async () => {
  // With Azurite: code uploads (startPendingUpload) hand out a container of the workspace's storage.
  emu = await start({ azurite: true });
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
  it("serves azure-ai-ml 1.35's versions for the operations it sends them with (azure/ai/ml/_ml_client.py)", async () => {
    const served: Array<[string, string]> = [
      ['', '2024-10-01-preview'], // WorkspaceOperations
      ['/datastores', '2024-10-01-preview'],
      ['/computes', '2023-08-01-preview'],
      ['/models', '2023-08-01-preview'],
      ['/codes', '2023-04-01'],
      ['/data', '2023-04-01-preview'],
      ['/environments', '2023-04-01-preview'],
      ['/components', '2024-01-01-preview'],
      ['/jobs', '2024-01-01-preview'],
      ['/schedules', '2023-06-01-preview'],
      ['/onlineEndpoints', '2022-02-01-preview'],
    ];
    for (const [path, version] of served) {
      expect({ path, version, status: (await arm('GET', path, version)).status }).toEqual({
        path,
        version,
        status: 200,
      });
    }
    // Command jobs are created at 2025-01-01-preview; nothing else is served there.
    expect((await arm('GET', '/jobs', '2025-01-01-preview')).status).toBe(400);
    expect((await arm('GET', '/models', '2023-04-01')).status).toBe(400);
  });

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
      "The supported api-versions are '2022-10-01, 2024-04-01, 2024-01-01-preview, 2022-10-01-preview'",
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

  it("takes azure-ai-ml 1.35's code content hash (a number where the spec has strings) and finds code by it", async () => {
    const codeUri = 'azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/src';
    const put = await arm('PUT', '/codes/first-name/versions/1', '2023-04-01', {
      properties: { codeUri, isAnonymous: true, properties: { hash_sha256: 'f'.repeat(64), hash_version: 202208 } },
    });
    expect(put.status).toBe(201);
    expect((put.body.properties as Record<string, unknown>).properties).toEqual({
      hash_sha256: 'f'.repeat(64),
      hash_version: '202208',
    });
    // "return CodeVersion assets with specified content hash value, regardless of name" (the spec).
    const found = await arm('GET', `/codes/any-name/versions`, '2023-04-01');
    expect(found.body.value).toEqual([]);
    const byHash = await fetchList(
      `/codes/any-name/versions`,
      '2023-04-01',
      `hash=${'f'.repeat(64)}&hashVersion=202208`,
    );
    expect(byHash.map((v) => v.id)).toEqual([expect.stringMatching(/\/codes\/first-name\/versions\/1$/)]);
    expect(await fetchList('/codes/any-name/versions', '2023-04-01', `hash=${'e'.repeat(64)}`)).toEqual([]);
    expect(await fetchList('/codes/any-name/versions', '2023-04-01', `hash=${'f'.repeat(64)}&hashVersion=1`)).toEqual(
      [],
    );
  });

  it('hands out a temporary container with a SAS for a code upload (startPendingUpload), never logged', async () => {
    const started = await arm('POST', '/codes/snap/versions/1/startPendingUpload', '2023-04-01', {
      pendingUploadType: 'TemporaryBlobReference',
    });
    expect(started.status).toBe(200);
    const reference = started.body.blobReferenceForConsumption as {
      blobUri: string;
      storageAccountArmId: string;
      credential: { credentialType: string; sasUri: string };
    };
    expect(started.body).toMatchObject({ pendingUploadType: 'TemporaryBlobReference' });
    expect(reference.blobUri).toBe(`${emu.storageUrl}/devstoreaccount1/${String(started.body.pendingUploadId)}`);
    expect(reference.credential.credentialType).toBe('SAS');
    expect(reference.credential.sasUri.startsWith(`${reference.blobUri}?`)).toBe(true);
    expect(reference.storageAccountArmId).toMatch(
      /\/providers\/Microsoft\.Storage\/storageAccounts\/devstoreaccount1$/,
    );

    // The SAS writes and lists that container, as azure-ai-ml's upload does, and nothing else.
    const container = new ContainerClient(reference.credential.sasUri);
    await container.getBlockBlobClient('src/train.py').upload('print(1)\n', 9);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual(['src/train.py']);
    const other = new ContainerClient(
      reference.credential.sasUri.replace(`/${String(started.body.pendingUploadId)}?`, `/${emu.blobContainer}?`),
    );
    await expect(other.getBlockBlobClient('x').upload('x', 1)).rejects.toMatchObject({ statusCode: 403 });

    // The code version then points at the uploaded folder by its https URL.
    const put = await arm('PUT', '/codes/snap/versions/1', '2023-04-01', {
      properties: { codeUri: `${reference.blobUri}/src`, isAnonymous: true },
    });
    expect(put.status).toBe(201);

    const log = JSON.stringify((await admin(emu, 'GET', '/requests')).body);
    expect(log).not.toContain(reference.credential.sasUri);
    expect(log).not.toMatch(/[?&]sig=[^&"*]/);

    const refused = await arm('POST', '/codes/snap/versions/2/startPendingUpload', '2023-04-01', {
      pendingUploadType: 'None',
    });
    expect(refused.status).toBe(400);
    expect(errorOf(refused).message).toContain('TemporaryBlobReference is the only supported type');
  });
});

async function fetchList(path: string, apiVersion: string, query: string): Promise<Array<{ id: string }>> {
  const token = await (await oidcCredential(emu)).getToken(ARM_SCOPE);
  const res = await fetch(`${emu.armUrl}${wsPath}${path}?api-version=${apiVersion}&${query}`, {
    headers: { authorization: `Bearer ${token.token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: Array<{ id: string }> }).value;
}
