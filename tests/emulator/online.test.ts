// Online endpoints and deployments through the real SDK: LROs, auth modes, traffic, scoring front
// end (with a test scoring hook), logs, faults, 409 while busy, and computes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, mlClient, oidcCredential, secretCredential, start } from './helpers.js';

let emu: RunningEmulator;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;
const poll = { updateIntervalInMs: 20 };
let modelId: string;
let missingModelId: string;
let codeId: string;
let envId: string;

async function upload(path: string, content: Buffer): Promise<void> {
  const key = (await client.datastores.listSecrets(rg, ws, 'workspaceblobstore')) as { key?: string };
  const ds = await client.datastores.get(rg, ws, 'workspaceblobstore');
  const props = ds.properties as { accountName: string; containerName: string };
  const url = emu.storageUrlTemplate.replace('{account}', props.accountName);
  const svc = new BlobServiceClient(url, new StorageSharedKeyCredential(props.accountName, key.key!));
  await svc.getContainerClient(props.containerName).getBlockBlobClient(path).uploadData(content);
}

const dsUri = (p: string): string =>
  `azureml://subscriptions/${emu.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/${p}`;

beforeAll(async () => {
  // The front end's own rules, with scoring answered by the handlers these tests plug in.
  emu = await start({ azurite: true, scoring: null, settings: { pythonScoring: 'off' } });
  client = mlClient(emu, await oidcCredential(emu));
  rg = emu.resourceGroup;
  ws = emu.workspace;
  await upload('LocalUpload/abc/model.onnx', Buffer.from('not really onnx, 30 bytes long'));
  modelId = (
    await client.modelVersions.createOrUpdate(rg, ws, 'm', '1', {
      properties: { modelUri: dsUri('LocalUpload/abc/model.onnx'), modelType: 'custom_model' },
    })
  ).id!;
  missingModelId = (
    await client.modelVersions.createOrUpdate(rg, ws, 'm', '2', {
      properties: { modelUri: dsUri('LocalUpload/nothing-here/model.onnx') },
    })
  ).id!;
  codeId = (
    await client.codeVersions.createOrUpdate(rg, ws, 'score', '1', { properties: { codeUri: dsUri('code/score') } })
  ).id!;
  envId = (
    await client.environmentVersions.createOrUpdate(rg, ws, 'onnx-env', '1', {
      properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' },
    })
  ).id!;
});
afterAll(async () => {
  await emu?.stop();
});

function deployment(model = modelId) {
  return {
    location: emu.location,
    sku: { name: 'Default', capacity: 1 },
    properties: {
      endpointComputeType: 'Managed' as const,
      instanceType: 'Standard_DS3_v2',
      model,
      codeConfiguration: { codeId, scoringScript: 'score.py' },
      environmentId: envId,
    },
  };
}

async function score(name: string, key: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.armUrl}/inference/${name}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ input: [1, 2, 3] }),
  });
}

describe('managed online endpoint with key auth', () => {
  it('creates endpoint and deployment through LROs, routes traffic and scores with either key (401 without)', async () => {
    await admin(emu, 'DELETE', '/requests');
    const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'vad-ep',
      { location: emu.location, properties: { authMode: 'Key' } },
      poll,
    );
    expect(ep.properties.provisioningState).toBe('Succeeded');
    expect(ep.properties.scoringUri).toBe(`${emu.armUrl}/inference/vad-ep/score`);
    const log = (await admin(emu, 'GET', '/requests?service=arm')).body as {
      value: { method: string; path: string; status: number }[];
    };
    expect(log.value.find((r) => r.method === 'PUT' && r.path.endsWith('/onlineEndpoints/vad-ep'))?.status).toBe(201);
    expect(log.value.some((r) => r.path.includes('/mfeOperationsStatus/'))).toBe(true);

    const dep = await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'vad-ep', 'blue', deployment(), poll);
    expect(dep.properties.provisioningState).toBe('Succeeded');
    const storageLogs = await client.onlineDeployments.getLogs(rg, ws, 'vad-ep', 'blue', {
      containerType: 'StorageInitializer',
    });
    expect(storageLogs.content).toContain('Downloaded 1 file(s)');

    // No traffic yet: nothing to route to without the header.
    const keys = await client.onlineEndpoints.listKeys(rg, ws, 'vad-ep');
    expect((await score('vad-ep', keys.primaryKey)).status).toBe(404);

    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'vad-ep',
      { location: emu.location, properties: { authMode: 'Key', traffic: { blue: 100 } } },
      poll,
    );
    // Without a scoring handler: 502 with the reason, also in the logs.
    const noHandler = await score('vad-ep', keys.primaryKey);
    expect(noHandler.status).toBe(502);
    expect(((await noHandler.json()) as { message: string }).message).toContain('no scoring handler');

    emu.setScoring(async (r) => ({
      status: 200,
      body: { deployment: r.deploymentName, modelBytes: (await r.model!.readFile()).length, path: r.path },
    }));
    const ok = await score('vad-ep', keys.primaryKey);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('azureml-model-deployment')).toBe('blue');
    expect(await ok.json()).toEqual({ deployment: 'blue', modelBytes: 30, path: '/score' });
    expect((await score('vad-ep', keys.secondaryKey)).status).toBe(200);
    expect((await score('vad-ep', undefined)).status).toBe(401);
    expect((await score('vad-ep', 'wrong-key')).status).toBe(401);
    const serverLogs = await client.onlineDeployments.getLogs(rg, ws, 'vad-ep', 'blue', {
      containerType: 'InferenceServer',
      tail: 50,
    });
    expect(serverLogs.content).toContain('POST /score 200');
    expect(serverLogs.content).toContain('502: The emulator has no scoring handler');
  });

  it('splits traffic, honours the azureml-model-deployment header, and refuses deleting a deployment with traffic', async () => {
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'vad-ep', 'green', deployment(), poll);
    const keys = await client.onlineEndpoints.listKeys(rg, ws, 'vad-ep');
    const toGreen = await score('vad-ep', keys.primaryKey, { 'azureml-model-deployment': 'green' });
    expect(toGreen.headers.get('azureml-model-deployment')).toBe('green');
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'vad-ep',
      { location: emu.location, properties: { authMode: 'Key', traffic: { blue: 50, green: 50 } } },
      poll,
    );
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++)
      seen.add((await score('vad-ep', keys.primaryKey)).headers.get('azureml-model-deployment') ?? '');
    expect([...seen].sort()).toEqual(['blue', 'green']);
    await expect(
      client.onlineEndpoints.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'vad-ep',
        { location: emu.location, properties: { authMode: 'Key', traffic: { blue: 50, green: 40 } } },
        poll,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(client.onlineDeployments.beginDeleteAndWait(rg, ws, 'vad-ep', 'green', poll)).rejects.toMatchObject({
      statusCode: 400,
    });
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'vad-ep',
      { location: emu.location, properties: { authMode: 'Key', traffic: { blue: 100, green: 0 } } },
      poll,
    );
    await client.onlineDeployments.beginDeleteAndWait(rg, ws, 'vad-ep', 'green', poll);
    await expect(client.onlineDeployments.get(rg, ws, 'vad-ep', 'green')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('answers 409 while a deployment is being created', async () => {
    const poller = await client.onlineDeployments.beginCreateOrUpdate(rg, ws, 'vad-ep', 'busy', deployment(), poll);
    await expect(
      client.onlineEndpoints.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'vad-ep',
        { location: emu.location, properties: { authMode: 'Key', traffic: { blue: 100 } } },
        poll,
      ),
    ).rejects.toMatchObject({ statusCode: 409 });
    await poller.pollUntilDone();
  });

  it('regenerates keys (LRO): the old key stops working; getToken is refused for Key endpoints', async () => {
    const before = await client.onlineEndpoints.listKeys(rg, ws, 'vad-ep');
    await client.onlineEndpoints.beginRegenerateKeysAndWait(rg, ws, 'vad-ep', { keyType: 'Primary' }, poll);
    const after = await client.onlineEndpoints.listKeys(rg, ws, 'vad-ep');
    expect(after.primaryKey).not.toBe(before.primaryKey);
    expect(after.secondaryKey).toBe(before.secondaryKey);
    expect((await score('vad-ep', before.primaryKey)).status).toBe(401);
    expect((await score('vad-ep', after.primaryKey)).status).toBe(200);
    await expect(client.onlineEndpoints.getToken(rg, ws, 'vad-ep')).rejects.toMatchObject({ statusCode: 400 });
  });

  it('refuses TargetUtilization scaling on a managed deployment, and a model on a datastore that does not exist', async () => {
    const refused = await client.onlineDeployments
      .beginCreateOrUpdateAndWait(
        rg,
        ws,
        'vad-ep',
        'autoscaled',
        {
          ...deployment(),
          properties: {
            ...deployment().properties,
            scaleSettings: { scaleType: 'TargetUtilization', minInstances: 1, maxInstances: 2 },
          },
        },
        poll,
      )
      .catch((error: unknown) => error as { statusCode?: number; message: string });
    expect(refused).toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("only 'Default' scale settings"),
    });
    await expect(
      client.modelVersions.createOrUpdate(rg, ws, 'm', '9', {
        properties: { modelUri: 'azureml://datastores/nosuchstore/paths/model.onnx' },
      }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("datastore 'nosuchstore' does not exist"),
    });
  });

  it('refuses an environment id without a version (the container), naming it', async () => {
    const containerId = envId.replace(/\/versions\/[^/]+$/, '');
    const refused = await client.onlineDeployments
      .beginCreateOrUpdateAndWait(
        rg,
        ws,
        'vad-ep',
        'no-version',
        {
          ...deployment(),
          properties: { ...deployment().properties, environmentId: containerId },
        },
        poll,
      )
      .catch((error: unknown) => error as { statusCode?: number; message: string });
    expect(refused).toMatchObject({ statusCode: 400, message: expect.stringContaining('names no version') });
  });

  it('fails a deployment whose model files are missing, in its storage initializer', async () => {
    await expect(
      client.onlineDeployments.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'vad-ep',
        'nofiles',
        deployment(missingModelId),
        poll,
      ),
    ).rejects.toThrow(/ResourceNotReady. Storage initializer failed/);
    expect((await client.onlineDeployments.get(rg, ws, 'vad-ep', 'nofiles')).properties.provisioningState).toBe(
      'Failed',
    );
    const logs = await client.onlineDeployments.getLogs(rg, ws, 'vad-ep', 'nofiles', {
      containerType: 'StorageInitializer',
    });
    expect(logs.content).toContain('no blob found');
  });

  it('fault rules: LRO ends in Failed, container crash-loops with the given log lines', async () => {
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/deployments/failing',
      lroFailed: { code: 'QuotaExceeded', message: 'Not enough quota' },
      count: 1,
    });
    await expect(
      client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'vad-ep', 'failing', deployment(), poll),
    ).rejects.toThrow(/QuotaExceeded. Not enough quota/);
    await admin(emu, 'POST', '/faults', {
      method: 'PUT',
      path: '/subscriptions/**/deployments/crashing',
      crashLoop: { logs: ['ImportError: No module named onnxruntime', '  epoch 1 10%\r::set-output name=x::1'] },
      count: 1,
    });
    await expect(
      client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'vad-ep', 'crashing', deployment(), poll),
    ).rejects.toThrow(/ResourceNotReady. User container has crashed/);
    const logs = await client.onlineDeployments.getLogs(rg, ws, 'vad-ep', 'crashing', {});
    // What the container printed comes back as printed: no timestamp before it, a `\r` kept (as Azure).
    expect(logs.content?.split('\n')).toContain('ImportError: No module named onnxruntime');
    expect(logs.content?.split('\n')).toContain('  epoch 1 10%\r::set-output name=x::1');
  });
});

describe('token auth modes and Kubernetes', () => {
  it('AMLToken endpoints: getToken works and scores, listKeys is refused', async () => {
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'tok-ep',
      { location: emu.location, properties: { authMode: 'AMLToken' } },
      poll,
    );
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'tok-ep', 'blue', deployment(), poll);
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'tok-ep',
      { location: emu.location, properties: { authMode: 'AMLToken', traffic: { blue: 100 } } },
      poll,
    );
    await expect(client.onlineEndpoints.listKeys(rg, ws, 'tok-ep')).rejects.toMatchObject({ statusCode: 400 });
    const token = await client.onlineEndpoints.getToken(rg, ws, 'tok-ep');
    expect(token.expiryTimeUtc).toBeGreaterThan(Date.now() / 1000);
    expect((await score('tok-ep', token.accessToken)).status).toBe(200);
    // AML tokens expire: one issued already expired is refused.
    emu.context.settings.amlTokenLifetimeSeconds = -5;
    const expired = await client.onlineEndpoints.getToken(rg, ws, 'tok-ep');
    emu.context.settings.amlTokenLifetimeSeconds = 3600;
    const refused = await score('tok-ep', expired.accessToken);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toContain('expired');
    const other = await client.onlineEndpoints.listKeys(rg, ws, 'vad-ep');
    expect((await score('tok-ep', other.primaryKey)).status).toBe(401);
  });

  it('AADToken endpoints accept an Entra token for https://ml.azure.com from a principal with the score action', async () => {
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'aad-ep',
      { location: emu.location, properties: { authMode: 'AADToken' } },
      poll,
    );
    await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'aad-ep', 'blue', deployment(), poll);
    await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'aad-ep',
      { location: emu.location, properties: { authMode: 'AADToken', traffic: { blue: 100 } } },
      poll,
    );
    const mlToken = await (await oidcCredential(emu)).getToken('https://ml.azure.com/.default');
    expect((await score('aad-ep', mlToken.token)).status).toBe(200);
    const armToken = await (await oidcCredential(emu)).getToken('https://management.azure.com/.default');
    expect((await score('aad-ep', armToken.token)).status).toBe(401);
    const created = await admin(emu, 'POST', '/principals', { secret: 'reader-secret', roles: ['Reader'] });
    const readerToken = await secretCredential(
      emu,
      (created.body as { clientId: string }).clientId,
      'reader-secret',
    ).getToken('https://ml.azure.com/.default');
    expect((await score('aad-ep', readerToken.token)).status).toBe(403);
  });

  it('Kubernetes endpoints run on the seeded compute and refuse AADToken', async () => {
    const compute = `${emu.workspaceId}/computes/${emu.kubernetesCompute}`;
    await expect(
      client.onlineEndpoints.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'k8s-aad',
        { location: emu.location, properties: { authMode: 'AADToken', compute } },
        poll,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
    const ep = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'k8s-ep',
      { location: emu.location, properties: { authMode: 'Key', compute } },
      poll,
    );
    expect(ep.properties.compute).toBe(compute);
    await expect(
      client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'k8s-ep', 'blue', deployment(), poll),
    ).rejects.toMatchObject({ statusCode: 400 });
    const k8s = {
      ...deployment(),
      properties: {
        ...deployment().properties,
        endpointComputeType: 'Kubernetes' as const,
        instanceType: 'defaultinstancetype',
      },
    };
    const dep = await client.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, 'k8s-ep', 'blue', k8s, poll);
    expect(dep.properties.provisioningState).toBe('Succeeded');
    const scaled = await client.onlineDeployments.beginUpdateAndWait(
      rg,
      ws,
      'k8s-ep',
      'blue',
      { sku: { capacity: 3 } },
      poll,
    );
    void scaled;
    expect((await client.onlineDeployments.get(rg, ws, 'k8s-ep', 'blue')).sku?.capacity).toBe(3);
    // DELETE is 202 + Location + Retry-After, the operation result 202 until done.
    emu.context.settings.retryAfterSeconds = 1;
    const token = (await (await oidcCredential(emu)).getToken('https://management.azure.com/.default')).token;
    const del = await fetch(`${emu.armUrl}${emu.workspaceId}/onlineEndpoints/k8s-ep?api-version=2022-10-01`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    emu.context.settings.retryAfterSeconds = 0;
    expect(del.status).toBe(202);
    expect(del.headers.get('retry-after')).toBe('1');
    const location = del.headers.get('location')!;
    expect(location).toContain('/mfeOperationResults/');
    expect((await fetch(location, { headers: { authorization: `Bearer ${token}` } })).status).toBe(202);
    for (
      let i = 0;
      i < 100 && (await fetch(location, { headers: { authorization: `Bearer ${token}` } })).status === 202;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect(client.onlineEndpoints.get(rg, ws, 'k8s-ep')).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('computes', () => {
  it('creates, scales and deletes an AmlCompute; AzureML Data Scientist cannot create compute', async () => {
    const c = await client.computeOperations.beginCreateOrUpdateAndWait(
      rg,
      ws,
      'cpu-cluster',
      {
        properties: {
          computeType: 'AmlCompute',
          properties: { vmSize: 'STANDARD_DS3_V2', scaleSettings: { maxNodeCount: 4 } },
        },
      },
      poll,
    );
    expect(c.properties?.provisioningState).toBe('Succeeded');
    expect(
      (c.properties as { properties: { scaleSettings: { minNodeCount: number } } }).properties.scaleSettings
        .minNodeCount,
    ).toBe(0);
    await client.computeOperations.beginUpdateAndWait(
      rg,
      ws,
      'cpu-cluster',
      { properties: { scaleSettings: { maxNodeCount: 2, minNodeCount: 1 } } },
      poll,
    );
    const after = await client.computeOperations.get(rg, ws, 'cpu-cluster');
    expect(
      (after.properties as { properties: { scaleSettings: { maxNodeCount: number } } }).properties.scaleSettings
        .maxNodeCount,
    ).toBe(2);
    await expect(
      client.computeOperations.beginCreateOrUpdateAndWait(
        rg,
        ws,
        'bad',
        {
          properties: {
            computeType: 'AmlCompute',
            properties: { vmSize: 'STANDARD_DS3_V2', scaleSettings: { maxNodeCount: 1, minNodeCount: 3 } },
          },
        },
        poll,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
    const created = await admin(emu, 'POST', '/principals', { secret: 'ds-secret', roles: ['AzureML Data Scientist'] });
    const ds = mlClient(emu, secretCredential(emu, (created.body as { clientId: string }).clientId, 'ds-secret'));
    const err = (await ds.computeOperations
      .beginCreateOrUpdateAndWait(
        rg,
        ws,
        'ds-cluster',
        {
          properties: {
            computeType: 'AmlCompute',
            properties: { vmSize: 'STANDARD_DS3_V2', scaleSettings: { maxNodeCount: 1 } },
          },
        },
        poll,
      )
      .catch((e: unknown) => e)) as { statusCode: number; message: string };
    expect(err.statusCode).toBe(403);
    expect(err.message).toContain('Microsoft.MachineLearningServices/workspaces/computes/write');
    await client.computeOperations.beginDeleteAndWait(rg, ws, 'cpu-cluster', 'Delete', poll);
    await expect(client.computeOperations.get(rg, ws, 'cpu-cluster')).rejects.toMatchObject({ statusCode: 404 });
    const k8s = await client.computeOperations.get(rg, ws, emu.kubernetesCompute);
    expect(k8s.properties?.computeType).toBe('Kubernetes');
  });
});
