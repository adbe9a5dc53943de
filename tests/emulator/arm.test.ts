// The ARM API of the emulator through the real @azure/arm-machinelearning client over HTTPS.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { RunningEmulator } from '../../emulator/index.js';
import { ARM_SCOPE, admin, mlClient, oidcCredential, secretCredential, start } from './helpers.js';

let emu: RunningEmulator;
let client: AzureMachineLearningWorkspaces;
let rg: string;
let ws: string;

beforeAll(async () => {
  emu = await start();
  client = mlClient(emu, await oidcCredential(emu));
  rg = emu.resourceGroup;
  ws = emu.workspace;
});
afterAll(async () => {
  await emu?.stop();
});

async function principalWith(role: string): Promise<AzureMachineLearningWorkspaces> {
  const secret = `secret-${role.replace(/\W/g, '')}`;
  const res = await admin(emu, 'POST', '/principals', { secret, roles: [role], displayName: role });
  return mlClient(emu, secretCredential(emu, (res.body as { clientId: string }).clientId, secret));
}

async function armFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const token = await (await oidcCredential(emu)).getToken(ARM_SCOPE);
  return fetch(`${emu.armUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

describe('workspace and datastores', () => {
  it('gets the workspace with discoveryUrl and mlFlowTrackingUri', async () => {
    const w = await client.workspaces.get(rg, ws);
    expect(w.name).toBe(ws);
    expect(w.discoveryUrl).toBe(`${emu.armUrl}/discovery`);
    expect(w.mlFlowTrackingUri).toMatch(/^azureml:\/\/127\.0\.0\.1:\d+\/mlflow\/v1\.0\/subscriptions\//);
    const discovery = (await (await fetch(w.discoveryUrl!)).json()) as Record<string, string>;
    expect(discovery.history).toBe(emu.armUrl);
  });

  it('lists the workspaces of the resource group the caller may read', async () => {
    const names: string[] = [];
    for await (const w of client.workspaces.listByResourceGroup(rg)) names.push(w.name!);
    expect(names).toEqual([ws]);
    const all: string[] = [];
    for await (const w of client.workspaces.listBySubscription()) all.push(w.name!);
    expect(all).toEqual([ws]);
  });

  it('gets, lists and reads the secrets of workspaceblobstore', async () => {
    const d = await client.datastores.get(rg, ws, 'workspaceblobstore');
    expect(d.properties).toMatchObject({
      datastoreType: 'AzureBlob',
      accountName: 'devstoreaccount1',
      endpoint: 'core.windows.net',
      protocol: 'https',
      isDefault: true,
    });
    const names: string[] = [];
    for await (const x of client.datastores.list(rg, ws)) names.push(x.name!);
    expect(names).toEqual(expect.arrayContaining(['workspaceblobstore', 'workspaceidentitystore']));
    const secrets = await client.datastores.listSecrets(rg, ws, 'workspaceblobstore');
    expect(secrets.secretsType).toBe('AccountKey');
    const log = JSON.stringify((await admin(emu, 'GET', '/requests?service=arm')).body);
    expect(log).not.toContain('Eby8vdM02x');
  });

  it('answers 403 for another workspace outside the role scope, 404 within it', async () => {
    await expect(client.workspaces.get(rg, 'nope')).rejects.toMatchObject({
      statusCode: 403,
      code: 'AuthorizationFailed',
    });
    const secret = 'rg-contributor-secret';
    const res = await admin(emu, 'POST', '/principals', {
      secret,
      roles: [{ role: 'Contributor', scope: `/subscriptions/${emu.subscriptionId}/resourceGroups/${rg}` }],
    });
    const rgClient = mlClient(emu, secretCredential(emu, (res.body as { clientId: string }).clientId, secret));
    await expect(rgClient.workspaces.get(rg, 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });
});

describe('asset versions', () => {
  const uri = (p: string): string =>
    `azureml://subscriptions/${emu.subscriptionId}/resourcegroups/${rg}/workspaces/${ws}/datastores/workspaceblobstore/paths/${p}`;

  it('creates model versions, keeps them immutable (409) and tracks nextVersion/latestVersion', async () => {
    const v1 = await client.modelVersions.createOrUpdate(rg, ws, 'vad', '1', {
      properties: { modelUri: uri('m/1/model.onnx'), modelType: 'custom_model', description: 'first' },
    });
    expect(v1.id).toBe(`${emu.workspaceId}/models/vad/versions/1`);
    expect(v1.properties.modelUri).toBe(uri('m/1/model.onnx'));
    // Same content again: fine; metadata may change.
    const again = await client.modelVersions.createOrUpdate(rg, ws, 'vad', '1', {
      properties: {
        modelUri: uri('m/1/model.onnx'),
        modelType: 'custom_model',
        description: 'changed',
        tags: { a: 'b' },
      },
    });
    expect(again.properties.description).toBe('changed');
    // Different content on an existing version: 409.
    await expect(
      client.modelVersions.createOrUpdate(rg, ws, 'vad', '1', {
        properties: { modelUri: uri('m/other/model.onnx'), modelType: 'custom_model' },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    await client.modelVersions.createOrUpdate(rg, ws, 'vad', '2', { properties: { modelUri: uri('m/2/model.onnx') } });
    const container = await client.modelContainers.get(rg, ws, 'vad');
    expect(container.properties).toMatchObject({ latestVersion: '2', nextVersion: '3' });
    const versions: string[] = [];
    for await (const v of client.modelVersions.list(rg, ws, 'vad')) versions.push(v.name!);
    expect(versions).toEqual(['2', '1']);
    await expect(client.modelVersions.get(rg, ws, 'vad', '9')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('validates data versions and keeps their dataUri immutable', async () => {
    await expect(
      client.dataVersions.createOrUpdate(rg, ws, 'ds', '1', {
        properties: { dataType: 'uri_file', dataUri: 'not a uri' } as never,
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    const d = await client.dataVersions.createOrUpdate(rg, ws, 'ds', '1', {
      properties: { dataType: 'uri_folder', dataUri: uri('data/ds/') },
    });
    expect(d.properties.dataType).toBe('uri_folder');
    await expect(
      client.dataVersions.createOrUpdate(rg, ws, 'ds', '1', {
        properties: { dataType: 'uri_folder', dataUri: uri('data/other/') },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    const c = await client.dataContainers.get(rg, ws, 'ds');
    expect(c.properties.dataType).toBe('uri_folder');
  });

  it('serves environments, code and components', async () => {
    await client.environmentVersions.createOrUpdate(rg, ws, 'env', '1', {
      properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' },
    });
    await expect(
      client.environmentVersions.createOrUpdate(rg, ws, 'env', '2', { properties: {} }),
    ).rejects.toMatchObject({ statusCode: 400 });
    // A build context is a blob URI (the spec's BuildContext.contextUri), not a datastore URI.
    await expect(
      client.environmentVersions.createOrUpdate(rg, ws, 'env', '3', {
        properties: { build: { contextUri: `${uri('ctx/1')}/`, dockerfilePath: 'Dockerfile' } },
      }),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('is not a blob URI') });
    await client.environmentVersions.createOrUpdate(rg, ws, 'env', '3', {
      properties: {
        build: {
          contextUri: `${emu.storageUrl || 'https://acct.blob.core.windows.net'}/c/ctx/1/`,
          dockerfilePath: 'Dockerfile',
        },
      },
    });
    await client.codeVersions.createOrUpdate(rg, ws, 'code', '1', { properties: { codeUri: uri('code/1') } });
    await client.componentVersions.createOrUpdate(rg, ws, 'comp', '1', {
      properties: { componentSpec: { name: 'comp', type: 'command' } },
    });
    expect((await client.componentContainers.get(rg, ws, 'comp')).properties.latestVersion).toBe('1');
  });
});

describe('RBAC, errors and faults', () => {
  it('refuses a Reader writing a model with 403 AuthorizationFailed naming the action and scope', async () => {
    const reader = await principalWith('Reader');
    await expect(reader.modelContainers.get(rg, ws, 'vad')).resolves.toBeDefined();
    const error = (await reader.modelVersions
      .createOrUpdate(rg, ws, 'vad', '7', { properties: { modelUri: 'azureml://x/y' } })
      .catch((e: unknown) => e)) as { statusCode: number; code: string; message: string };
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.message).toContain("'Microsoft.MachineLearningServices/workspaces/models/versions/write'");
    expect(error.message).toContain(`over scope '${emu.workspaceId}/models/vad/versions/7'`);
  });

  it('refuses a principal without any role', async () => {
    const nobody = await principalWith('Reader');
    const principals = (await admin(emu, 'GET', '/principals')).body as {
      value: { clientId: string; displayName: string }[];
    };
    const last = principals.value.at(-1)!;
    await admin(emu, 'DELETE', `/roleAssignments?principal=${last.clientId}`);
    await expect(nobody.workspaces.get(rg, ws)).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
  });

  it('lists the caller permissions at workspace scope (Microsoft.Authorization/permissions)', async () => {
    const res = await armFetch(
      `${emu.workspaceId}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: { actions: string[]; notActions: string[] }[] };
    expect(body.value[0]?.actions).toEqual(['*']);
    expect(body.value[0]?.notActions).toContain('Microsoft.Authorization/*/Write');
  });

  it('refuses other api-versions and requests without a token, with ARM error bodies and request ids', async () => {
    const res = await armFetch(`${emu.workspaceId}/models?api-version=2099-01-01`);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-ms-correlation-request-id')).toBeTruthy();
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('NoRegisteredProviderFound');
    expect(body.error.message).toContain("for type 'workspaces/models'");
    expect(body.error.message).toContain('2022-10-01');
    const anon = await fetch(`${emu.armUrl}${emu.workspaceId}?api-version=2022-10-01`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('AuthenticationFailed');
  });

  it('survives a fault rule of 3 x 429 with Retry-After through the SDK retry policy', async () => {
    await admin(emu, 'DELETE', '/requests');
    const rule = await admin(emu, 'POST', '/faults', {
      method: 'GET',
      path: '/subscriptions/**/models/vad',
      status: 429,
      retryAfter: 0,
      count: 3,
    });
    expect(rule.status).toBe(201);
    const c = await client.modelContainers.get(rg, ws, 'vad');
    expect(c.name).toBe('vad');
    const log = (await admin(emu, 'GET', '/requests?service=arm')).body as {
      value: { path: string; status: number }[];
    };
    const hits = log.value.filter((r) => r.path.endsWith('/models/vad')).map((r) => r.status);
    expect(hits).toEqual([429, 429, 429, 200]);
    await admin(emu, 'DELETE', '/faults');
  });

  it('injects 500, dropped connections and delays', async () => {
    await admin(emu, 'POST', '/faults', [
      { method: 'GET', path: '/subscriptions/**/datastores/workspaceblobstore', reset: true, count: 1 },
      { method: 'GET', path: '/subscriptions/**/datastores/workspaceblobstore', status: 500, count: 1 },
      { method: 'GET', path: '/subscriptions/**/datastores/workspaceblobstore', delayMs: 300, count: 1 },
    ]);
    const t0 = Date.now();
    await expect(client.datastores.get(rg, ws, 'workspaceblobstore')).resolves.toBeDefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await admin(emu, 'DELETE', '/faults');
  });
});
