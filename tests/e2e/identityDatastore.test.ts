// action-register end to end with the identity-based datastore `workspaceidentitystore`: its storage
// account accepts only Entra tokens and checks the data role of the step's identity (emulator/storage.ts).
// Without 'Storage Blob Data Contributor' the step fails before registering anything and says which
// role is missing on which scope; with it the files go up with the step's own token and no key.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { identityAccount, identityAccountKey } from '../../emulator/azurite.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { storageAccountId } from '../../emulator/storage.js';
import { admin, start } from '../emulator/helpers.js';
import { runAction, type ActionRun } from '../harness/runAction.js';

interface LoggedRequest {
  service: string;
  method: string;
  path: string;
  status: number;
  principal?: string;
}

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'identity-ws-'));

beforeAll(async () => {
  emu = await start({ azurite: true });
  mkdirSync(path.join(workspace, 'clips'));
  for (let i = 0; i < 5; i++)
    writeFileSync(path.join(workspace, 'clips', `clip-${i}.csv`), `id,value\n${i},${i * 7}\n`);
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function register(): Promise<ActionRun> {
  return runAction({
    action: 'action-register',
    inputs: { kind: 'data', name: 'clips', path: 'clips', datastore: 'workspaceidentitystore' },
    env: emu.env,
    workspace,
  });
}

function errorOf(run: ActionRun): string {
  return run.annotations.find((a) => a.level === 'error')?.message ?? `(no error; exit ${run.exitCode})\n${run.log}`;
}

async function requestsSince(id: number): Promise<LoggedRequest[]> {
  return ((await admin(emu, 'GET', `/requests?since=${id}`)).body as { value: LoggedRequest[] }).value;
}

async function lastRequestId(): Promise<number> {
  const all = ((await admin(emu, 'GET', '/requests')).body as { value: Array<{ id: number }> }).value;
  return all.at(-1)?.id ?? 0;
}

async function grant(role: string, scope: string): Promise<void> {
  const answer = await admin(emu, 'POST', '/principals', { clientId: emu.clientId, roles: [{ role, scope }] });
  expect(answer.status).toBe(201);
}

/** The identity account's blobs as Azurite holds them (the test reads them with the emulator's own key). */
async function identityBlobs(): Promise<string[]> {
  const container = new ContainerClient(
    `${emu.blobUrl}/${identityAccount}/${emu.blobContainer}`,
    new StorageSharedKeyCredential(identityAccount, identityAccountKey),
  );
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

describe('identity-based datastore', () => {
  it('without a data role the step fails before registering anything, naming the role and the scope', async () => {
    const since = await lastRequestId();
    const run = await register();
    expect(run.exitCode).toBe(1);
    const message = errorOf(run);
    expect(message).toContain("'Storage Blob Data Contributor'");
    expect(message).toContain(`storage account '${identityAccount}' or its container '${emu.blobContainer}'`);
    expect(message).toContain('AuthorizationPermissionMismatch');

    const requests = await requestsSince(since);
    // The storage account saw the step's token (its principal) and refused it; ARM got no version.
    const storage = requests.filter((r) => r.service === 'storage');
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.every((r) => r.status === 403 && r.principal === emu.clientId)).toBe(true);
    expect(requests.filter((r) => r.method === 'PUT' && r.path.includes('/data/'))).toEqual([]);
    // An identity-based datastore has no key to hand out, and none was asked for.
    expect(requests.filter((r) => r.path.endsWith('/listSecrets'))).toEqual([]);
    expect(await identityBlobs()).toEqual([]);
  });

  it('Storage Blob Data Reader reads but cannot upload: the same explanation', async () => {
    await grant('Storage Blob Data Reader', storageAccountId(emu.context, identityAccount));
    const since = await lastRequestId();
    const run = await register();
    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toContain("needs 'Storage Blob Data Contributor'");
    const storage = (await requestsSince(since)).filter((r) => r.service === 'storage');
    expect(storage.some((r) => r.method === 'GET' && r.status < 400)).toBe(true);
    expect(storage.filter((r) => r.status === 403).every((r) => r.method === 'PUT')).toBe(true);
    expect(await identityBlobs()).toEqual([]);
  });

  it('with Storage Blob Data Contributor on the container it uploads with the token and registers', async () => {
    await grant(
      'Storage Blob Data Contributor',
      `${storageAccountId(emu.context, identityAccount)}/blobServices/default/containers/${emu.blobContainer}`,
    );
    const since = await lastRequestId();
    const run = await register();
    expect(errorOf(run)).toContain('(no error; exit 0)');
    expect(run.outputs).toMatchObject({ version: '1', reused: 'false', 'files-uploaded': '5' });
    expect(run.outputs.uri).toMatch(/\/datastores\/workspaceidentitystore\/paths\/LocalUpload\/[0-9a-f]{64}\/clips\/$/);
    const blobs = await identityBlobs();
    expect(blobs.filter((name) => /\/clips\/clip-\d\.csv$/.test(name))).toHaveLength(5);
    const storage = (await requestsSince(since)).filter((r) => r.service === 'storage');
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.every((r) => r.status !== 401 && r.status !== 403 && r.principal === emu.clientId)).toBe(true);

    const again = await register();
    expect(again.outputs).toMatchObject({ version: '1', reused: 'true', 'bytes-uploaded': '0' });
  });
});
