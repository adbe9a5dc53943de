// The engine with an Entra token instead of an account key: Azurite over HTTPS with basic OAuth.
// Uploads, the server-side copies of a delta upload and the 0-byte rerun must all work with it.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { UploadResult } from '../../shared/upload/index.js';
import { startAzurite, type Azurite } from '../support/azurite.js';

const run = promisify(execFile);
let azurite: Azurite;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'upload-entra-'));
  const certPath = path.join(workDir, 'cert.pem');
  const keyPath = path.join(workDir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  azurite = await startAzurite({ tls: { certPath, keyPath }, oauth: true });
});
afterAll(async () => {
  await azurite?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('upload with an Entra token', () => {
  it('uploads, copies unchanged files server-side and skips a complete asset, without any key', async () => {
    const folder = path.join(workDir, 'entra-data');
    await mkdir(folder);
    for (let index = 0; index < 10; index++) await writeFile(path.join(folder, `file-${index}.bin`), randomBytes(2000));

    const tsxLoader = createRequire(import.meta.url).resolve('tsx');
    const child = fileURLToPath(new URL('./entra-child.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', tsxLoader, child], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: path.join(workDir, 'cert.pem'),
        CONTAINER_URL: `${azurite.accountUrl}/entra-test`,
        FOLDER: folder,
      },
    });
    const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
    const results = JSON.parse(line!.slice('RESULT '.length)) as Record<'first' | 'second' | 'again', UploadResult>;
    expect(results.first).toMatchObject({ filesUploaded: 10, bytesUploaded: 20_000, reused: false });
    expect(results.second).toMatchObject({ filesUploaded: 1, filesCopied: 9, bytesUploaded: 2000, reused: false });
    expect(results.again).toMatchObject({ reused: true, bytesUploaded: 0 });
  });
});
