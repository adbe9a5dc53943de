// Every workspace holds Azure's curated environments (emulator/arm/curated.ts): they can be read and
// referenced at @latest, and a name with a dot, as theirs have, cannot be created by a user.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { RunningEmulator } from '../../emulator/index.js';
import { ARM_SCOPE, oidcCredential, start } from './helpers.js';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await start();
});
afterAll(async () => {
  await emu?.stop();
});

async function arm(method: string, path: string, body?: unknown) {
  const token = (await (await oidcCredential(emu)).getToken(ARM_SCOPE)).token;
  const res = await fetch(`${emu.armUrl}${emu.workspaceId}${path}?api-version=2022-10-01`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { properties?: Record<string, unknown> } };
}

it('serves the curated environments with a latest version, as every workspace does', async () => {
  const container = await arm('GET', '/environments/AzureML-acpt-pytorch-2.8-cuda12.6');
  expect(container.status).toBe(200);
  expect(container.body.properties?.latestVersion).toBe('1');
  const version = await arm('GET', '/environments/AzureML-sklearn-1.5/versions/1');
  expect(version.body.properties).toMatchObject({
    image: 'mcr.microsoft.com/azureml/curated/sklearn-1.5:1',
    environmentType: 'Curated',
  });
});

it('refuses a user environment whose name has a dot, as curated ones have', async () => {
  const created = await arm('PUT', '/environments/my.env/versions/1', { properties: { image: 'python:3.11' } });
  expect(created.status).toBe(400);
});
