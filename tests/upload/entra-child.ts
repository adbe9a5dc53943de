// Run by entra.test.ts in its own node process (NODE_EXTRA_CA_CERTS must be set at process start
// to trust the test's HTTPS Azurite): uploads a folder with an Entra bearer token, never a key.

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';
import { MemoryLogger } from '../../shared/logger.js';
import { uploadPath } from '../../shared/upload/index.js';

/** A token shaped like Entra's for storage; Azurite's basic OAuth checks issuer, audience and expiry only. */
function storageToken(): AccessToken {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    aud: 'https://storage.azure.com',
    iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/',
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3600,
    oid: '00000000-0000-0000-0000-000000000002',
  };
  return {
    token: `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`,
    expiresOnTimestamp: (now + 3600) * 1000,
  };
}

const credential: TokenCredential = { getToken: async () => storageToken() };
const { CONTAINER_URL, FOLDER } = process.env as Record<string, string>;
const container = new ContainerClient(CONTAINER_URL!, credential);
await container.createIfNotExists();

const first = await uploadPath(container, FOLDER!, { logger: new MemoryLogger() });
await writeFile(path.join(FOLDER!, 'file-7.bin'), randomBytes(2000));
const second = await uploadPath(container, FOLDER!, { logger: new MemoryLogger() });
const again = await uploadPath(container, FOLDER!, { logger: new MemoryLogger() });
console.log(`RESULT ${JSON.stringify({ first: first.result, second: second.result, again: again.result })}`);
