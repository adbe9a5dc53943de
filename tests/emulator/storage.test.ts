// The storage front of the emulator (emulator/storage.ts) with the real @azure/storage-blob client:
// the identity datastore's account accepts only a valid Entra storage token whose principal holds a
// data role, with Azure Storage's codes; the key-based account passes through to Azurite.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ContainerClient,
  StorageSharedKeyCredential,
  type StorageSharedKeyCredential as KeyCredential,
} from '@azure/storage-blob';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import { devAccount, devAccountKey, identityAccount } from '../../emulator/azurite.js';
import { issueAccessToken } from '../../emulator/entra.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { newSigningKey, signJwt } from '../../emulator/jwt.js';
import { storageAccountId } from '../../emulator/storage.js';
import { admin, secretCredential, start } from './helpers.js';

let emu: RunningEmulator;
const clientId = randomUUID();
const secret = `secret-${randomUUID()}`;

beforeAll(async () => {
  emu = await start({ azurite: true });
  expect((await admin(emu, 'POST', '/principals', { clientId, secret })).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function identityContainer(credential: TokenCredential | KeyCredential): ContainerClient {
  return new ContainerClient(`${emu.storageUrl}/${identityAccount}/${emu.blobContainer}`, credential, {
    retryOptions: { maxTries: 1 },
  });
}

/** A credential that always hands out the given token. */
function fixedToken(token: string): TokenCredential {
  return { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

async function failureOf(work: () => Promise<unknown>): Promise<{ status: number; code: string; detail?: string }> {
  try {
    await work();
  } catch (error) {
    const e = error as { statusCode: number; details?: { errorCode?: string; authenticationErrorDetail?: string } };
    return {
      status: e.statusCode,
      code: e.details?.errorCode ?? '',
      ...(e.details?.authenticationErrorDetail ? { detail: e.details.authenticationErrorDetail } : {}),
    };
  }
  throw new Error('the request succeeded');
}

async function listNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

describe('identity-based account', () => {
  it('refuses a request without credentials with 401 NoAuthenticationInformation and a bearer challenge', async () => {
    const res = await fetch(`${emu.storageUrl}/${identityAccount}/${emu.blobContainer}?restype=container&comp=list`);
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ms-error-code')).toBe('NoAuthenticationInformation');
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer authorization_uri=${emu.authorityHost}/${emu.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`,
    );
    expect(await res.text()).toContain('<Code>NoAuthenticationInformation</Code>');
  });

  it.each([
    ['Shared Key', () => identityContainer(new StorageSharedKeyCredential(identityAccount, devAccountKey))],
    [
      'an account SAS',
      () => new ContainerClient(`${emu.storageUrl}/${identityAccount}/${emu.blobContainer}?sv=2019-12-12&sig=abc`),
    ],
  ])('refuses %s with 403 KeyBasedAuthenticationNotPermitted', async (_name, client) => {
    expect(await failureOf(() => client().getProperties())).toEqual({
      status: 403,
      code: 'KeyBasedAuthenticationNotPermitted',
    });
  });

  it.each([
    [
      'a token for another audience (ARM)',
      async () =>
        (await secretCredential(emu, clientId, secret).getToken('https://management.azure.com/.default'))!.token,
      'Audience validation failed. Audience did not match.',
    ],
    [
      'an expired storage token',
      async () =>
        issueAccessToken(emu.context, emu.context.principals.get(clientId)!, 'https://storage.azure.com', -60),
      'Lifetime validation failed. The token is expired.',
    ],
    [
      'a storage token signed by another key',
      async () =>
        signJwt(newSigningKey(), {
          aud: 'https://storage.azure.com/',
          iss: `https://sts.windows.net/${emu.tenantId}/`,
          tid: emu.tenantId,
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
      'Signature validation failed. The token signature was not issued by the tenant.',
    ],
  ])('refuses %s with 401 InvalidAuthenticationInfo', async (_name, token, detail) => {
    const container = identityContainer(fixedToken(await token()));
    expect(await failureOf(() => listNames(container))).toEqual({
      status: 401,
      code: 'InvalidAuthenticationInfo',
      detail,
    });
  });

  it('checks the data role: none, then Reader (reads only), then Contributor on the container (writes)', async () => {
    const container = identityContainer(secretCredential(emu, clientId, secret));
    const blob = container.getBlockBlobClient('roles/check.txt');
    const mismatch = { status: 403, code: 'AuthorizationPermissionMismatch' };
    // Contributor on the workspace is not a data role.
    await admin(emu, 'POST', '/principals', { clientId, roles: ['Contributor'] });
    expect(await failureOf(() => listNames(container))).toEqual(mismatch);

    const account = storageAccountId(emu.context, identityAccount);
    await admin(emu, 'POST', '/principals', {
      clientId,
      roles: [{ role: 'Storage Blob Data Reader', scope: account }],
    });
    expect(await listNames(container)).toEqual([]);
    expect(await failureOf(() => blob.upload('x', 1))).toEqual(mismatch);

    await admin(emu, 'POST', '/principals', {
      clientId,
      roles: [
        {
          role: 'Storage Blob Data Contributor',
          scope: `${account}/blobServices/default/containers/${emu.blobContainer}`,
        },
      ],
    });
    await blob.upload('x', 1);
    const copy = container.getBlockBlobClient('roles/copy.txt');
    await (await copy.beginCopyFromURL(blob.url)).pollUntilDone();
    expect((await copy.downloadToBuffer()).toString()).toBe('x');
    expect(await listNames(container)).toEqual(['roles/check.txt', 'roles/copy.txt']);
    // A role on one container grants nothing on another.
    const other = new ContainerClient(
      `${emu.storageUrl}/${identityAccount}/other-container`,
      secretCredential(emu, clientId, secret),
      { retryOptions: { maxTries: 1 } },
    );
    expect(await failureOf(() => other.getBlockBlobClient('x').upload('x', 1))).toEqual(mismatch);
  });

  it('logs each request with its principal and status (service storage)', async () => {
    const log = (await admin(emu, 'GET', '/requests?service=storage')).body as {
      value: Array<{ status: number; principal?: string; path: string }>;
    };
    expect(log.value.some((r) => r.status === 403 && r.principal === clientId)).toBe(true);
    expect(
      log.value.some((r) => r.status === 201 && r.principal === clientId && r.path.endsWith('/roles/check.txt')),
    ).toBe(true);
  });
});

describe('key-based account', () => {
  it('passes Shared Key requests through to Azurite over HTTPS', async () => {
    const container = new ContainerClient(
      `${emu.storageUrl}/${devAccount}/${emu.blobContainer}`,
      new StorageSharedKeyCredential(devAccount, devAccountKey),
    );
    await container.getBlockBlobClient('front/check.txt').upload('hello', 5);
    const direct = new ContainerClient(
      `${emu.blobUrl}/${devAccount}/${emu.blobContainer}`,
      new StorageSharedKeyCredential(devAccount, devAccountKey),
    );
    expect((await direct.getBlobClient('front/check.txt').downloadToBuffer()).toString()).toBe('hello');
  });
});
