// Upload engine against a real Azurite: content-addressed layout, no re-upload of complete assets,
// deltas by server-side copy, resuming after an abort, and the bytes that really cross the wire.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { UserError } from '../../shared/errors.js';
import { MemoryLogger } from '../../shared/logger.js';
import {
  azureAiMlObjectHash,
  azureAiMlContentHash,
  contentHashAssetPath,
  createSnapshot,
  explainStorageError,
  findCompletedUpload,
  parseCompletionRecord,
  parseLocalUploadUri,
  recordBlobName,
  uploadPath,
  uploadSnapshot,
  type UploadOptions,
} from '../../shared/upload/index.js';
import { buildCompletionRecord } from '../../shared/upload/layout.js';
import { startAzurite, startCountingRelay, type Azurite, type CountingRelay } from '../support/azurite.js';

let azurite: Azurite;
let relay: CountingRelay;
let workDir: string;
let containerCount = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  relay = await startCountingRelay(azurite.port);
  workDir = await mkdtemp(path.join(os.tmpdir(), 'upload-azurite-'));
});
afterAll(async () => {
  await relay?.stop();
  await azurite?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/** A fresh container per test (through the counting relay), so tests never see each other's uploads. */
async function freshContainer(): Promise<ContainerClient> {
  return azurite.container(`upload-test-${++containerCount}`, relay.port);
}

/** Writes `count` files of `size` random bytes (plus a nested one) into a new folder `name`. */
async function makeFolder(name: string, count: number, size: number): Promise<string> {
  const root = path.join(workDir, name);
  for (let index = 0; index < count; index++) {
    const relDir = index % 10 === 0 ? path.join(root, 'nested', `d${index}`) : root;
    await mkdir(relDir, { recursive: true });
    await writeFile(path.join(relDir, `file-${String(index).padStart(3, '0')}.bin`), randomBytes(size));
  }
  return root;
}

async function listWithMetadata(container: ContainerClient, prefix: string): Promise<Map<string, string | undefined>> {
  const blobs = new Map<string, string | undefined>();
  for await (const item of container.listBlobsFlat({ prefix, includeMetadata: true })) {
    blobs.set(item.name, item.metadata?.sha256);
  }
  return blobs;
}

const quiet = (extra: Partial<UploadOptions> = {}): UploadOptions => ({ logger: new MemoryLogger(), ...extra });
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('upload layout', () => {
  it("puts a folder under LocalUpload/<azure-ai-ml's key>/<name>/ with sha256 metadata, the record under the content hash", async () => {
    const container = await freshContainer();
    const root = await makeFolder('layout', 12, 1000);
    const logger = new MemoryLogger();
    const { snapshot, result } = await uploadPath(container, root, { logger });

    expect(result.prefix).toBe(`LocalUpload/${await azureAiMlObjectHash(snapshot)}`);
    expect(result.assetPath).toBe(`${result.prefix}/layout`);
    expect(result).toMatchObject({ filesUploaded: 12, filesCopied: 0, filesSkipped: 0, reused: false });
    expect(result.bytesUploaded).toBe(12_000);

    // The asset folder holds exactly the user's files, each with its SHA-256 in metadata.
    const inAsset = await listWithMetadata(container, `${result.assetPath}/`);
    expect(new Map([...inAsset].map(([name, hash]) => [name.slice(result.assetPath.length + 1), hash]))).toEqual(
      new Map(snapshot.files.map((file) => [file.relPath, file.sha256])),
    );
    const nested = snapshot.files.find((file) => file.relPath.startsWith('nested/'))!;
    const downloaded = await container.getBlobClient(`${result.assetPath}/${nested.relPath}`).downloadToBuffer();
    expect(sha256(downloaded)).toBe(nested.sha256);

    // The completion record sits outside the asset folder, keyed by the content hash, and lists every file.
    const recordName = recordBlobName(snapshot);
    expect(recordName).toBe(`LocalUpload/${snapshot.contentHash.slice(0, 32)}/.azureml-actions/layout.json`);
    const record = parseCompletionRecord((await container.getBlobClient(recordName).downloadToBuffer()).toString());
    expect(record).toMatchObject({ contentHash: snapshot.contentHash, kind: 'folder', name: 'layout', fileCount: 12 });
    expect(record?.assetPath).toBe(result.assetPath);
    expect(logger.lines.some((line) => /Uploaded 11\.\d+ KiB of 11\.\d+ KiB, 12\/12 files/.test(line))).toBe(true);
  });

  it('uploads a single file as LocalUpload/<hash>/<file name>', async () => {
    const container = await freshContainer();
    const file = path.join(workDir, 'model.onnx');
    const data = randomBytes(5000);
    await writeFile(file, data);
    const { result } = await uploadPath(container, file, quiet());
    expect(result.kind).toBe('file');
    expect(result.assetPath).toMatch(/^LocalUpload\/[0-9a-f]{64}\/model\.onnx$/);
    const properties = await container.getBlobClient(result.assetPath).getProperties();
    expect(properties.contentLength).toBe(5000);
    expect(properties.metadata?.sha256).toBe(sha256(data));
  });
});

describe('refusals and progress', () => {
  it('refuses an empty folder (also when ignore rules left nothing) and a reserved name', async () => {
    const container = await freshContainer();
    const empty = path.join(workDir, 'all-ignored');
    await mkdir(empty);
    await writeFile(path.join(empty, '.amlignore'), '*\n');
    await expect(uploadPath(container, empty, quiet())).rejects.toThrow(
      /has no files to upload \(after applying .amlignore and the ignore patterns\)/,
    );
    const reserved = path.join(workDir, '.azureml-actions');
    await mkdir(reserved);
    await writeFile(path.join(reserved, 'x.txt'), 'x');
    await expect(uploadPath(container, reserved, quiet())).rejects.toThrow(UserError);
  });

  it('logs progress at most once per interval, plus the final line', async () => {
    const container = await freshContainer();
    const root = await makeFolder('progress', 30, 1000);
    const slow = new MemoryLogger();
    await uploadPath(container, root, { logger: slow, progressIntervalMs: 60_000, filesInFlight: 2 });
    expect(slow.lines.filter((line) => line.startsWith('Uploaded '))).toEqual([
      expect.stringMatching(/^Uploaded 29\.\d KiB of 29\.\d KiB, 30\/30 files, .*\/s$/),
    ]);
    await writeFile(path.join(root, 'file-001.bin'), randomBytes(1000));
    const chatty = new MemoryLogger();
    await uploadPath(await freshContainer(), root, { logger: chatty, progressIntervalMs: 0, filesInFlight: 2 });
    expect(chatty.lines.filter((line) => line.startsWith('Uploaded ')).length).toBeGreaterThan(30);
  });
});

describe('sending only what is needed', () => {
  it('sends 0 bytes for an unchanged folder', async () => {
    const container = await freshContainer();
    const root = await makeFolder('unchanged', 40, 4096);
    await uploadPath(container, root, quiet());

    relay.reset();
    const { result } = await uploadPath(container, root, quiet());
    expect(result).toMatchObject({
      reused: true,
      bytesUploaded: 0,
      filesUploaded: 0,
      filesCopied: 0,
      filesSkipped: 40,
    });
    // Measured on the wire: a record read and the lineage check, nowhere near the folder's 160 KiB.
    expect(relay.bytesFromClients()).toBeLessThan(4000);
  });

  it('tells without uploading whether a snapshot is already complete', async () => {
    const container = await freshContainer();
    const root = await makeFolder('dry-run', 3, 100);
    const before = await createSnapshot(root);
    expect(await findCompletedUpload(container, before)).toBeUndefined();
    expect(await container.getBlobClient(recordBlobName(before)).exists()).toBe(false);
    await uploadSnapshot(container, before, quiet());
    expect(await findCompletedUpload(container, before)).toMatchObject({
      contentHash: before.contentHash,
      fileCount: 3,
    });
    await writeFile(path.join(root, 'file-002.bin'), 'changed');
    expect(await findCompletedUpload(container, await createSnapshot(root))).toBeUndefined();
  });

  it('sends only the changed file of 100 and copies the other 99 server-side', async () => {
    const container = await freshContainer();
    const fileSize = 64 * 1024;
    const root = await makeFolder('delta', 100, fileSize);
    const first = await uploadPath(container, root, quiet());

    const changed = path.join(root, 'file-057.bin');
    await writeFile(changed, randomBytes(fileSize));
    relay.reset();
    const second = await uploadPath(container, root, quiet());

    expect(second.result.contentHash).not.toBe(first.result.contentHash);
    expect(second.result).toMatchObject({ filesUploaded: 1, filesCopied: 99, filesSkipped: 0, reused: false });
    expect(second.result.bytesUploaded).toBe(fileSize);
    // On the wire: the one file plus request headers (~100 copies, listings, the record), far below
    // the 6.4 MB a full upload would send.
    const onWire = relay.bytesFromClients();
    expect(onWire).toBeGreaterThan(fileSize);
    expect(onWire).toBeLessThan(fileSize + 250 * 1024);

    // All 100 files are in the new location with the right content hash each.
    const inNewAsset = await listWithMetadata(container, `${second.result.assetPath}/`);
    expect(inNewAsset.size).toBe(100);
    for (const file of second.snapshot.files) {
      expect(inNewAsset.get(`${second.result.assetPath}/${file.relPath}`)).toBe(file.sha256);
    }
    const copied = second.snapshot.files.find((file) => file.relPath === 'file-003.bin')!;
    const copiedBytes = await container.getBlobClient(`${second.result.assetPath}/file-003.bin`).downloadToBuffer();
    expect(sha256(copiedBytes)).toBe(copied.sha256);
  });

  it('finds copy sources from given previous content hashes when the lineage is off', async () => {
    const container = await freshContainer();
    const root = await makeFolder('given-hashes', 10, 2048);
    const first = await uploadPath(container, root, quiet({ lineage: null }));
    await writeFile(path.join(root, 'new.bin'), randomBytes(100));

    const withoutHint = await createSnapshot(root);
    const copiedWithHint = await uploadSnapshot(
      container,
      withoutHint,
      quiet({ lineage: null, previousContentHashes: [first.snapshot.contentHash] }),
    );
    expect(copiedWithHint).toMatchObject({ filesUploaded: 1, filesCopied: 10, bytesUploaded: 100 });
  });
});

describe('copy sources that changed', () => {
  it('sends a file whose copy source was deleted or overwritten since its upload completed', async () => {
    const container = await freshContainer();
    const root = await makeFolder('stale-sources', 20, 1500);
    const first = await uploadPath(container, root, quiet());
    await container.getBlobClient(`${first.result.assetPath}/file-003.bin`).delete();
    const overwritten = container.getBlockBlobClient(`${first.result.assetPath}/file-004.bin`);
    await overwritten.upload(Buffer.from('not the original'), 16);
    await writeFile(path.join(root, 'file-005.bin'), randomBytes(1500));

    const logger = new MemoryLogger();
    const second = await uploadPath(container, root, { logger });
    expect(second.result).toMatchObject({ filesUploaded: 3, filesCopied: 17, bytesUploaded: 3 * 1500 });
    expect(logger.lines.some((line) => line.startsWith('warning: 1 blob(s) did not have the expected'))).toBe(true);
    for (const name of ['file-003.bin', 'file-004.bin']) {
      const stored = await container.getBlobClient(`${second.result.assetPath}/${name}`).downloadToBuffer();
      expect(sha256(stored)).toBe(second.snapshot.files.find((file) => file.relPath === name)!.sha256);
    }
  });
});

describe('copies refused by the storage account', () => {
  /**
   * An HTTP relay that answers every Copy Blob request (it has x-ms-copy-source) with the 403 a
   * storage account restricting copy sources gives, and forwards everything else to Azurite.
   */
  async function startCopyRefusingRelay(): Promise<{
    port: number;
    copiesRefused: () => number;
    stop: () => Promise<void>;
  }> {
    let refused = 0;
    const server = http.createServer((request, response) => {
      if (request.headers['x-ms-copy-source']) {
        refused++;
        request.resume();
        response.writeHead(403, { 'x-ms-error-code': 'CannotVerifyCopySource', 'content-type': 'application/xml' });
        response.end(
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>CannotVerifyCopySource</Code><Message>Copy source not allowed.</Message></Error>',
        );
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: azurite.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    });
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    return {
      port,
      copiesRefused: () => refused,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('stops copying after the first refusal and sends the files, with one warning', async () => {
    const container = await freshContainer();
    const root = await makeFolder('copy-refused', 12, 700);
    await uploadPath(container, root, quiet());
    await writeFile(path.join(root, 'file-001.bin'), randomBytes(700));

    const refusing = await startCopyRefusingRelay();
    try {
      const throughRefusing = await azurite.container(container.containerName, refusing.port);
      const logger = new MemoryLogger();
      const { result } = await uploadPath(throughRefusing, root, { logger, filesInFlight: 1 });
      expect(result).toMatchObject({ filesCopied: 0, filesUploaded: 12, bytesUploaded: 12 * 700 });
      expect(refusing.copiesRefused()).toBe(1);
      expect(
        logger.lines.filter((line) => line.includes('refused a server-side copy (CannotVerifyCopySource)')),
      ).toHaveLength(1);
    } finally {
      await refusing.stop();
    }
  });
});

describe('credentials', () => {
  it('turns a refused account key into a user error that names the code and not the URL', async () => {
    const { ContainerClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
    const wrongKey = Buffer.alloc(64, 1).toString('base64');
    const container = new ContainerClient(
      `${azurite.accountUrl}/upload-test-wrong-key`,
      new StorageSharedKeyCredential('devstoreaccount1', wrongKey),
    );
    const root = await makeFolder('wrong-key', 1, 10);
    const failure = await uploadPath(container, root, quiet()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserError);
    // Azurite answers a wrong key with AuthorizationFailure (Azure says AuthenticationFailed).
    expect((failure as Error).message).toMatch(/storage account '\w+' refused the request \(AuthorizationFailure\)/);
    expect((failure as Error).message).not.toContain('127.0.0.1');
  });
});

describe('explainStorageError', () => {
  const refused = (code: string, inHeaderOnly = false): unknown =>
    Object.assign(new Error('refused'), {
      statusCode: 403,
      ...(inHeaderOnly
        ? { response: { headers: { get: (name: string) => (name === 'x-ms-error-code' ? code : undefined) } } }
        : { details: { errorCode: code } }),
    });

  it('names the missing data role for AuthorizationPermissionMismatch', () => {
    const explained = explainStorageError(refused('AuthorizationPermissionMismatch')) as Error;
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toContain("'Storage Blob Data Contributor'");
  });

  it('names the storage account and container as the scope of the missing role', () => {
    const explained = explainStorageError(refused('AuthorizationPermissionMismatch'), {
      account: 'mlstore',
      container: 'datasets',
    }) as Error;
    expect(explained.message).toContain(
      "needs 'Storage Blob Data Contributor' on the storage account 'mlstore' or its container 'datasets'",
    );
  });

  it('says an account that refuses key-based access needs an identity-based datastore', () => {
    const explained = explainStorageError(refused('KeyBasedAuthenticationNotPermitted')) as Error;
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toMatch(/accepts only Microsoft Entra ID.*identity-based datastore/);
  });

  it("explains a refused token (401) with Azure's detail", () => {
    const refusedToken = Object.assign(new Error('refused'), {
      statusCode: 401,
      details: {
        errorCode: 'InvalidAuthenticationInfo',
        authenticationErrorDetail: 'Audience validation failed. Audience did not match.',
      },
    });
    const explained = explainStorageError(refusedToken) as Error;
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toContain(
      'refused the credentials (InvalidAuthenticationInfo): Audience validation failed. Audience did not match.',
    );
  });

  it('blames the key or token for AuthenticationFailed, also when the code is only in a header', () => {
    const explained = explainStorageError(refused('AuthenticationFailed', true)) as Error;
    expect(explained.message).toMatch(/refused the credentials \(AuthenticationFailed\)/);
  });

  it('explains a connection that failed on every retry as the network, without the URL', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), {
      code: 'ECONNRESET',
      request: { url: 'https://a/b?sig=x' },
    });
    const explained = explainStorageError(reset) as Error;
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toMatch(/the connection failed \(ECONNRESET\) on every retry.*Run the step again/);
    expect(explained.message).not.toContain('sig=');
  });

  it('leaves other failures alone', () => {
    const notFound = Object.assign(new Error('gone'), { statusCode: 404 });
    expect(explainStorageError(notFound)).toBe(notFound);
    const bug = new TypeError('x is not a function');
    expect(explainStorageError(bug)).toBe(bug);
  });
});

describe('interrupted uploads', () => {
  it('resumes after an abort midway, sending only the files that are missing', async () => {
    const container = await freshContainer();
    const root = await makeFolder('interrupted', 30, 3000);
    const snapshot = await createSnapshot(root);
    const controller = new AbortController();
    await expect(
      uploadSnapshot(
        container,
        snapshot,
        quiet({
          signal: controller.signal,
          filesInFlight: 2,
          onProgress: (progress) => {
            if (progress.filesDone >= 10) controller.abort();
          },
        }),
      ),
    ).rejects.toThrow();
    expect(await container.getBlobClient(recordBlobName(snapshot)).exists()).toBe(false);
    const alreadyThere = (await listWithMetadata(container, 'LocalUpload/')).size;
    expect(alreadyThere).toBeGreaterThanOrEqual(10);
    expect(alreadyThere).toBeLessThan(30);

    // One blob that did arrive was since replaced by other bytes: the rerun must send it again.
    const [damagedName] = [...(await listWithMetadata(container, 'LocalUpload/')).keys()];
    await container
      .getBlockBlobClient(damagedName!)
      .upload(randomBytes(3000), 3000, { metadata: { sha256: 'f'.repeat(64) } });
    const intact = alreadyThere - 1;

    relay.reset();
    const resumed = await uploadSnapshot(container, snapshot, quiet());
    expect(resumed).toMatchObject({ filesSkipped: intact, filesUploaded: 30 - intact, filesCopied: 0 });
    expect(resumed.bytesUploaded).toBe((30 - intact) * 3000);
    expect(relay.bytesFromClients()).toBeLessThan((30 - intact) * 3000 + 30 * 1024);
    const repaired = await container.getBlobClient(damagedName!).downloadToBuffer();
    expect(snapshot.files.map((file) => file.sha256)).toContain(sha256(repaired));
    expect(await container.getBlobClient(recordBlobName(snapshot)).exists()).toBe(true);
  });

  it('resumes a large file from the blocks already staged', async () => {
    const container = await freshContainer();
    const blockSize = 256 * 1024;
    const data = randomBytes(16 * blockSize + 1234);
    const file = path.join(workDir, 'large.bin');
    await writeFile(file, data);
    const snapshot = await createSnapshot(file);
    const controller = new AbortController();
    const settings = { blockSize, singlePutMaxBytes: blockSize, blocksInFlightPerFile: 1, maxBufferedBytes: blockSize };
    await expect(
      uploadSnapshot(
        container,
        snapshot,
        quiet({
          ...settings,
          signal: controller.signal,
          onProgress: (progress) => {
            if (progress.bytesSent >= 6 * blockSize) controller.abort();
          },
        }),
      ),
    ).rejects.toThrow();

    const resumed = await uploadSnapshot(container, snapshot, quiet(settings));
    expect(resumed.filesUploaded).toBe(1);
    expect(resumed.bytesUploaded).toBeLessThanOrEqual(data.length - 6 * blockSize);
    expect(resumed.bytesUploaded).toBeGreaterThan(0);
    const stored = await container.getBlobClient(resumed.assetPath).downloadToBuffer();
    expect(stored.equals(data)).toBe(true);
  });

  it('streams a mid-size file as one Put Blob and marks it with its SHA-256 only after checking', async () => {
    const container = await freshContainer();
    const root = path.join(workDir, 'mid-size');
    await mkdir(root);
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(path.join(root, 'weights.bin'), data);
    const options = { blockSize: 1024 * 1024, singlePutMaxBytes: 16 * 1024 * 1024 };

    const changedSnapshot = await createSnapshot(root);
    await writeFile(path.join(root, 'weights.bin'), randomBytes(data.length));
    await expect(uploadSnapshot(container, changedSnapshot, quiet(options))).rejects.toThrow(
      /changed while it was being uploaded/,
    );
    const leftovers = [...(await listWithMetadata(container, 'LocalUpload/')).keys()];
    expect(leftovers.filter((name) => name.endsWith('/mid-size/weights.bin'))).toEqual([]);

    await writeFile(path.join(root, 'weights.bin'), data);
    const { result } = await uploadPath(container, root, quiet(options));
    expect(result).toMatchObject({ filesUploaded: 1, bytesUploaded: data.length });
    const stored = container.getBlobClient(`${result.assetPath}/weights.bin`);
    expect((await stored.getProperties()).metadata?.sha256).toBe(sha256(data));
    expect((await stored.downloadToBuffer()).equals(data)).toBe(true);
  });

  it('refuses to finish when a file changes after it was hashed', async () => {
    const container = await freshContainer();
    const root = await makeFolder('changing', 3, 500);
    const snapshot = await createSnapshot(root);
    await writeFile(path.join(root, 'file-001.bin'), randomBytes(500));
    await expect(uploadSnapshot(container, snapshot, quiet())).rejects.toThrow(UserError);
    await expect(uploadSnapshot(container, snapshot, quiet())).rejects.toThrow(/changed while it was being uploaded/);
    expect(await container.getBlobClient(recordBlobName(snapshot)).exists()).toBe(false);
  });
});

describe("azure-ai-ml's key: uploads either tool made are not repeated by the other", () => {
  /** A folder whose object hash azure-ai-ml 1.4 (`get_object_hash`) gives as below: mixed case, nested, an empty file. */
  async function makeHashFixture(): Promise<string> {
    const root = path.join(workDir, 'golden');
    const files: Record<string, string | Buffer> = {
      'B.txt': 'x',
      'a.txt': 'yy',
      empty: '',
      Zeta: 'Zz',
      'a/r': 'w',
      'a.b/q': 'z',
      'Nested/deep/c': 'c',
      // Two and a bit read pieces: the order of pieces across reads ahead matters.
      'Nested/big.bin': Buffer.from(Array.from({ length: 4 * 1024 * 1024 + 5 }, (_, i) => i % 251)),
    };
    for (const [relPath, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, relPath)), { recursive: true });
      await writeFile(path.join(root, relPath), content);
    }
    return root;
  }

  /** Uploads a folder the way azure-ai-ml does: Put Blob per file, then `upload_status=completed` on the first. */
  async function uploadLikeAzureAiMl(container: ContainerClient, root: string, complete = true): Promise<string> {
    const snapshot = await createSnapshot(root);
    const assetPath = `LocalUpload/${await azureAiMlObjectHash(snapshot)}/${snapshot.name}`;
    for (const file of snapshot.files) {
      const bytes = await readFile(path.join(root, file.relPath));
      await container.getBlockBlobClient(`${assetPath}/${file.relPath}`).upload(bytes, bytes.length);
    }
    if (complete) {
      await container
        .getBlobClient(`${assetPath}/${snapshot.files[0]!.relPath}`)
        .setMetadata({ upload_status: 'completed', name: 'their-data', version: '3' });
    }
    return assetPath;
  }

  // Values from azure-ai-ml 1.35.2's get_object_hash on the same files (SHA-256; 1.4's MD5 gave
  // c90d1e19493f0862d3d9b8f27119f2ac and 13de98847a13365857c421eb295190f9).
  it("computes azure-ai-ml's object hash (values from azure-ai-ml 1.35's get_object_hash)", async () => {
    const root = await makeHashFixture();
    expect(await azureAiMlObjectHash(await createSnapshot(root))).toBe(
      '8743c8c5772a8c8eedb1a30db57b47d9950f94e6a722f80ca35a1116697ba96a',
    );
    const single = await createSnapshot(path.join(root, 'Nested', 'big.bin'));
    expect(await azureAiMlObjectHash(single)).toBe('0e53d13ab466334592107965ed25e41386cdd21408e0aad2e462e38aa59e88a6');
  });

  // Values from azure-ai-ml 1.35.2's get_content_hash (the code version's hash_sha256) on the same files.
  it("computes azure-ai-ml's code content hash (values from azure-ai-ml 1.35's get_content_hash)", async () => {
    const root = path.join(workDir, 'content-hash');
    const files: Record<string, string> = { 'B.py': 'x', 'a.py': 'yy', 'Sub/c.py': 'z', 'a/empty': '' };
    for (const [relPath, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, relPath)), { recursive: true });
      await writeFile(path.join(root, relPath), content);
    }
    expect(await azureAiMlContentHash(await createSnapshot(root))).toBe(
      '86a18a2ee06bbe0138fbf3cca0641b76139b969fdeabd97db3c80e2da4f6d705',
    );
    expect(await azureAiMlContentHash(await createSnapshot(path.join(root, 'B.py')))).toBe(
      'ad2d7c583a698e27dfb3a44dbb105b5f5210180b0be320ea874b6f315b0ddae2',
    );
  });

  it('fails clearly when a file shrank or vanished since the snapshot, and stops when aborted', async () => {
    const root = await makeFolder('key-changing', 3, 300);
    const snapshot = await createSnapshot(root);
    await writeFile(path.join(root, 'file-001.bin'), randomBytes(100));
    await expect(azureAiMlObjectHash(snapshot)).rejects.toThrow(/file-001\.bin' changed while it was being hashed/);
    await rm(path.join(root, 'file-001.bin'));
    await expect(azureAiMlObjectHash(snapshot)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(azureAiMlObjectHash(snapshot, AbortSignal.abort())).rejects.toThrow();
  });

  it('reads datastore, key and name from LocalUpload URIs in the short and long azureml:// forms', () => {
    const key = '0123456789abcdef0123456789abcdef';
    // azure-ai-ml's SHA-256 keys today; 32-hex keys are its 1.4-era MD5 ones and our content-hash folders.
    const sha256Key = key.repeat(2);
    const long =
      'azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/LocalUpload';
    const cases: Array<[string, ReturnType<typeof parseLocalUploadUri>]> = [
      [
        `azureml://datastores/workspaceblobstore/paths/LocalUpload/${key}/clips/`,
        { datastore: 'workspaceblobstore', key, name: 'clips' },
      ],
      [
        `azureml://datastores/workspaceblobstore/paths/LocalUpload/${key}/clips`,
        { datastore: 'workspaceblobstore', key, name: 'clips' },
      ],
      [`${long}/${key.toUpperCase()}/model.onnx`, { datastore: 'workspaceblobstore', key, name: 'model.onnx' }],
      [
        `${long.replace('resourcegroups', 'resourceGroups')}/${key}/my%20data/`,
        { datastore: 'workspaceblobstore', key, name: 'my data' },
      ],
      [
        `azureml://datastores/workspaceblobstore/paths/LocalUpload/${sha256Key}/clips`,
        { datastore: 'workspaceblobstore', key: sha256Key, name: 'clips' },
      ],
      [`azureml://datastores/workspaceblobstore/paths/LocalUpload/${sha256Key.slice(1)}/clips`, undefined],
      [`azureml://datastores/workspaceblobstore/paths/LocalUpload/${key}/clips/part-1.csv`, undefined],
      [`azureml://datastores/workspaceblobstore/paths/shared/raw/`, undefined],
      [`azureml://datastores/workspaceblobstore/paths/LocalUpload/${key.slice(1)}/clips/`, undefined],
      [`https://account.blob.core.windows.net/c/LocalUpload/${key}/clips`, undefined],
    ];
    for (const [uri, expected] of cases)
      expect({ uri, parsed: parseLocalUploadUri(uri) }).toEqual({ uri, parsed: expected });
  });

  it('marks its upload complete for azure-ai-ml on the indicator blob, keeping the sha256', async () => {
    const container = await freshContainer();
    const root = await makeFolder('marked', 5, 300);
    const { snapshot, result } = await uploadPath(container, root, quiet({ linkedAsset: { name: 'clips' } }));
    const first = snapshot.files[0]!;
    const indicator = await container.getBlobClient(`${result.assetPath}/${first.relPath}`).getProperties();
    expect(indicator.metadata).toEqual({
      sha256: first.sha256,
      upload_status: 'completed',
      name: 'clips',
      version: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const other = await container.getBlobClient(`${result.assetPath}/${snapshot.files[1]!.relPath}`).getProperties();
    expect(other.metadata).toEqual({ sha256: snapshot.files[1]!.sha256 });

    // Without a linked asset: azure-ai-ml's anonymous form (random name, version 1).
    const file = path.join(workDir, 'anonymous.bin');
    await writeFile(file, randomBytes(100));
    const anonymous = await uploadPath(container, file, quiet());
    expect((await container.getBlobClient(anonymous.result.assetPath).getProperties()).metadata).toMatchObject({
      upload_status: 'completed',
      version: '1',
    });
  });

  it("sends nothing for azure-ai-ml's complete upload of the same content, then copies from it", async () => {
    const container = await freshContainer();
    const root = await makeFolder('theirs', 8, 700);
    const theirs = await uploadLikeAzureAiMl(container, root);

    relay.reset();
    const logger = new MemoryLogger();
    const { snapshot, result } = await uploadPath(container, root, { logger });
    expect(result).toMatchObject({
      assetPath: theirs,
      reused: true,
      reusedAzureAiMlUpload: true,
      bytesUploaded: 0,
      filesUploaded: 0,
    });
    expect(relay.bytesFromClients()).toBeLessThan(30 * 1024);
    expect(logger.lines.some((line) => line.includes('is already uploaded by azure-ai-ml'))).toBe(true);
    expect(await findCompletedUpload(container, snapshot)).toMatchObject({ assetPath: theirs });
    // Their blobs, checked by Content-MD5, now carry our sha256 too; their marker stays.
    const stored = await listWithMetadata(container, `${theirs}/`);
    for (const file of snapshot.files) expect(stored.get(`${theirs}/${file.relPath}`)).toBe(file.sha256);
    const indicator = await container.getBlobClient(`${theirs}/${snapshot.files[0]!.relPath}`).getProperties();
    expect(indicator.metadata).toMatchObject({ upload_status: 'completed', name: 'their-data', version: '3' });

    // The next version of the folder copies the unchanged files from azure-ai-ml's blobs.
    await writeFile(path.join(root, 'file-002.bin'), randomBytes(700));
    const next = await uploadPath(container, root, quiet());
    expect(next.result).toMatchObject({ filesUploaded: 1, filesCopied: 7, bytesUploaded: 700 });
  });

  it('finds its own upload complete by the marker when the step stopped before writing its record', async () => {
    const container = await freshContainer();
    const root = await makeFolder('no-record', 4, 300);
    const { snapshot, result } = await uploadPath(container, root, quiet());
    await container.getBlobClient(recordBlobName(snapshot)).delete();
    const logger = new MemoryLogger();
    const again = await uploadSnapshot(container, snapshot, { logger });
    expect(again).toMatchObject({
      assetPath: result.assetPath,
      reused: true,
      reusedAzureAiMlUpload: false,
      bytesUploaded: 0,
    });
    expect(logger.lines.some((line) => line.includes('its record was missing'))).toBe(true);
    expect(await findCompletedUpload(container, snapshot)).toMatchObject({ assetPath: result.assetPath });
  });

  it("uploads when azure-ai-ml's folder is incomplete, has other sizes or other bytes", async () => {
    const cases: Array<[string, (container: ContainerClient, assetPath: string) => Promise<void>]> = [
      ['not marked complete', async () => undefined],
      [
        'a file missing',
        async (container, assetPath) => void (await container.getBlobClient(`${assetPath}/file-003.bin`).delete()),
      ],
      [
        'same size, other bytes',
        async (container, assetPath) =>
          void (await container.getBlockBlobClient(`${assetPath}/file-003.bin`).upload(randomBytes(400), 400)),
      ],
    ];
    for (const [name, damage] of cases) {
      const container = await freshContainer();
      const root = await makeFolder(`partial-${cases.findIndex(([n]) => n === name)}`, 4, 400);
      const theirs = await uploadLikeAzureAiMl(container, root, name !== 'not marked complete');
      await damage(container, theirs);
      const { snapshot, result } = await uploadPath(container, root, quiet());
      expect({ name, assetPath: result.assetPath, reused: result.reused }).toEqual({
        name,
        assetPath: theirs,
        reused: false,
      });
      // Their blobs carry no sha256: all are sent again, into the same folder.
      expect(result.filesUploaded).toBe(4);
      const stored = await listWithMetadata(container, `${theirs}/`);
      for (const file of snapshot.files) expect(stored.get(`${theirs}/${file.relPath}`)).toBe(file.sha256);
    }
  });

  it("falls back to the content-hash path when azure-ai-ml's folder holds other files", async () => {
    const container = await freshContainer();
    const root = await makeFolder('crowded', 3, 200);
    const theirs = await uploadLikeAzureAiMl(container, root);
    await container.getBlockBlobClient(`${theirs}/extra.txt`).upload('extra', 5);
    const logger = new MemoryLogger();
    const { snapshot, result } = await uploadPath(container, root, { logger });
    expect(result).toMatchObject({ assetPath: contentHashAssetPath(snapshot), filesUploaded: 3, reused: false });
    expect(logger.lines.some((line) => line.includes("holds other files, such as '"))).toBe(true);
    // azure-ai-ml's marker is not written there (it never looks at that path).
    const indicator = await container
      .getBlobClient(`${result.assetPath}/${snapshot.files[0]!.relPath}`)
      .getProperties();
    expect(indicator.metadata).toEqual({ sha256: snapshot.files[0]!.sha256 });
  });

  it('keeps uploads made at the content-hash key valid: reused as they are, and copy sources', async () => {
    const container = await freshContainer();
    const root = await makeFolder('before-the-change', 6, 500);
    // What the engine wrote before uploads met azure-ai-ml's key.
    const old = await createSnapshot(root);
    const oldPath = contentHashAssetPath(old);
    for (const file of old.files) {
      const bytes = await readFile(path.join(root, file.relPath));
      await container
        .getBlockBlobClient(`${oldPath}/${file.relPath}`)
        .upload(bytes, bytes.length, { metadata: { sha256: file.sha256 } });
    }
    const record = Buffer.from(JSON.stringify(buildCompletionRecord(old, oldPath, new Date())));
    await container.getBlockBlobClient(recordBlobName(old)).upload(record, record.length);

    const again = await uploadSnapshot(container, old, quiet());
    expect(again).toMatchObject({ assetPath: oldPath, reused: true, bytesUploaded: 0 });

    await writeFile(path.join(root, 'file-001.bin'), randomBytes(500));
    const changed = await uploadSnapshot(
      container,
      await createSnapshot(root),
      quiet({ lineage: null, previousContentHashes: [old.contentHash] }),
    );
    expect(changed).toMatchObject({ filesUploaded: 1, filesCopied: 5, bytesUploaded: 500 });
    expect(changed.assetPath).not.toBe(oldPath);
  });
});
