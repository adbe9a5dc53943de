// azure-ai-ml's side of content addressing (README.md, "azure-ai-ml interop"): the folder key it
// uploads a local path under (`get_object_hash`), the blob that marks its upload complete, and the
// `LocalUpload` URIs it registers. Uploads meet at that key, so neither tool repeats the other's.

import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { UPLOAD_ROOT } from './layout.js';
import { localPathOf, type Snapshot, type SnapshotFile } from './snapshot.js';

/** The seed azure-ai-ml feeds its object hash before any content (azure/ai/ml/_utils/_asset_utils.py). */
const OBJECT_HASH_SEED = 'Initialize for october 2021 AML CLI version';
/** azure-ai-ml's completion marker on the indicator blob (`UPLOAD_CONFIRMATION`), with `name` and `version`. */
export const UPLOAD_STATUS_METADATA_KEY = 'upload_status';
export const UPLOAD_STATUS_COMPLETED = 'completed';

/**
 * azure-ai-ml's object hash of the snapshot's content: the 64-hex folder it uploads this content to
 * (`LocalUpload/<hash>/<name>`). SHA-256 (MD5, 32 hex, in azure-ai-ml 1.4 and its time; the current
 * releases use SHA-256: `get_object_hash` in 1.35) seeded with OBJECT_HASH_SEED, then for a file its bytes; for a
 * folder, level by level, each entry sorted by lower-cased name (ties in code-unit order, which
 * azure-ai-ml leaves to the file system): the name's UTF-8 bytes, then the file's bytes or the
 * sub-folder's entries. A snapshot lists no empty folders, which azure-ai-ml hashes by name: for such
 * a folder the keys differ (its content is then uploaded again, never mixed up).
 *
 * One sequential hash over everything, so it is a pass of its own (on a worker thread, flat memory):
 * callers compute it only when an upload may be needed.
 */
export async function azureAiMlObjectHash(snapshot: Snapshot, signal?: AbortSignal): Promise<string> {
  const [digest] = await hashInWorker(
    [{ seed: OBJECT_HASH_SEED, steps: hashOrder(snapshot) }],
    { algorithm: 'sha256', encoding: 'hex' },
    signal,
  );
  return digest!;
}

/** The version of azure-ai-ml's content hash (`get_content_hash_version()`), sent beside it as `hash_version`. */
export const CONTENT_HASH_VERSION = '202208';

/**
 * azure-ai-ml's content hash of a code snapshot (`get_content_hash`, azure/ai/ml/_utils/_asset_utils.py),
 * which it sends as the code version's `hash_sha256` property and looks code up by before uploading
 * (CodeVersions_List `hash`): SHA-256 over the file count, then for each file sorted by lower-cased
 * relative path `#<path>#` and its size in decimal, then every file's bytes in the same order. A single
 * file counts as one file named by its base name.
 */
export async function azureAiMlContentHash(snapshot: Snapshot, signal?: AbortSignal): Promise<string> {
  const named = snapshot.files.map((file) => ({ file, name: snapshot.kind === 'file' ? snapshot.name : file.relPath }));
  named.sort((a, b) => byLowerCaseName(a.name, b.name));
  const steps: HashStep[] = [
    ...named.flatMap(({ file, name }) => [`#${name}#`, String(file.size)]),
    ...named.map(({ file }) => ({ path: localPathOf(snapshot, file), size: file.size })),
  ];
  const [digest] = await hashInWorker(
    [{ seed: String(named.length), steps }],
    { algorithm: 'sha256', encoding: 'hex' },
    signal,
  );
  return digest!;
}

/** Base64 MD5 of each of some snapshot files, as storage keeps it in a blob's Content-MD5. */
export function contentMd5sOf(
  snapshot: Snapshot,
  files: readonly SnapshotFile[],
  signal?: AbortSignal,
): Promise<string[]> {
  const jobs = files.map((file) => ({ seed: '', steps: [{ path: localPathOf(snapshot, file), size: file.size }] }));
  return jobs.length === 0 ? Promise.resolve([]) : hashInWorker(jobs, { algorithm: 'md5', encoding: 'base64' }, signal);
}

/**
 * The file whose blob azure-ai-ml marks complete: the upload itself for a file, else the first of its
 * sorted upload paths (local paths in code-point order; on POSIX the snapshot's own first file).
 */
export function azureAiMlIndicatorFile(snapshot: Snapshot): SnapshotFile {
  return snapshot.files[0]!;
}

/** `upload_status=completed` and the asset azure-ai-ml links the upload to (it reuses them for anonymous code). */
export function completedUploadMetadata(linkedAsset: { name: string; version: string }): Record<string, string> {
  return {
    [UPLOAD_STATUS_METADATA_KEY]: UPLOAD_STATUS_COMPLETED,
    name: linkedAsset.name,
    version: linkedAsset.version,
  };
}

export function isCompletedUploadMetadata(metadata: Record<string, string> | undefined): boolean {
  return metadata?.[UPLOAD_STATUS_METADATA_KEY] === UPLOAD_STATUS_COMPLETED;
}

/**
 * The datastore, folder key (64 hex: azure-ai-ml today; 32: azure-ai-ml 1.4's MD5 and our content-hash
 * folders) and name of a `LocalUpload` asset URI, in the long
 * (`azureml://subscriptions/…/workspaces/…/datastores/D/paths/…`) or short (`azureml://datastores/D/paths/…`)
 * form, with or without a trailing `/`; undefined for any other URI.
 */
export function parseLocalUploadUri(uri: string): { datastore: string; key: string; name: string } | undefined {
  const match = new RegExp(
    '^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/(?:providers/Microsoft\\.MachineLearningServices/)?workspaces/[^/]+/)?' +
      `datastores/([^/]+)/paths/${UPLOAD_ROOT}/([0-9a-f]{64}|[0-9a-f]{32})/([^/]+)/?$`,
    'i',
  ).exec(uri);
  if (!match) return undefined;
  return { datastore: match[1]!, key: match[2]!.toLowerCase(), name: decodeURIComponent(match[3]!) };
}

type HashStep = string | { path: string; size: number };

interface Tree {
  files: Map<string, SnapshotFile>;
  dirs: Map<string, Tree>;
}

/** Names and files in the order azure-ai-ml feeds them to its hash. */
function hashOrder(snapshot: Snapshot): HashStep[] {
  const fileStep = (file: SnapshotFile) => ({ path: localPathOf(snapshot, file), size: file.size });
  if (snapshot.kind === 'file') return snapshot.files.map(fileStep);
  const root: Tree = { files: new Map(), dirs: new Map() };
  for (const file of snapshot.files) {
    const parts = file.relPath.split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (!next) node.dirs.set(dir, (next = { files: new Map(), dirs: new Map() }));
      node = next;
    }
    node.files.set(parts.at(-1)!, file);
  }
  const steps: HashStep[] = [];
  const walk = (tree: Tree): void => {
    const names = [...tree.files.keys(), ...tree.dirs.keys()].sort(byLowerCaseName);
    for (const name of names) {
      steps.push(name);
      const file = tree.files.get(name);
      if (file) steps.push(fileStep(file));
      else walk(tree.dirs.get(name)!);
    }
  };
  walk(root);
  return steps;
}

function byLowerCaseName(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The worker's code, evaluated as a CommonJS script (`eval: true`, as hashPool.ts's) so the bundles
 * need no extra file: names and file bytes into one hash, strictly in order, files read with
 * synchronous calls into one reused 4 MiB buffer (no libuv round trip per small file, flat memory).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const { jobs, algorithm, encoding, readChunk } = workerData;
const buffer = Buffer.allocUnsafe(readChunk);
let answer;
try {
  const digests = [];
  for (const { seed, steps } of jobs) {
    const hash = createHash(algorithm).update(seed);
    for (const step of steps) {
      if (typeof step === 'string') {
        hash.update(step, 'utf8');
        continue;
      }
      const fd = openSync(step.path, 'r');
      let offset = 0;
      try {
        while (offset < step.size) {
          const bytesRead = readSync(fd, buffer, 0, Math.min(buffer.length, step.size - offset), offset);
          if (bytesRead === 0) break;
          hash.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
          offset += bytesRead;
        }
      } finally {
        closeSync(fd);
      }
      if (offset !== step.size) {
        answer = { changed: step.path };
        break;
      }
    }
    if (answer) break;
    digests.push(hash.digest(encoding));
  }
  answer = answer || { digests };
} catch (error) {
  answer = { error: { message: String(error && error.message), code: error && error.code, path: error && error.path } };
}
parentPort.postMessage(answer);
`;

/** Read size of the worker: a large file streams through one buffer of this size. */
const READ_CHUNK = 4 * 1024 * 1024;

type WorkerAnswer =
  { digests: string[] } | { changed: string } | { error: { message: string; code?: string; path?: string } };

/** Hashes (each over a seed and steps) on one worker thread: the main thread stays free for network work. */
function hashInWorker(
  jobs: ReadonlyArray<{ seed: string; steps: readonly HashStep[] }>,
  { algorithm, encoding }: { algorithm: 'md5' | 'sha256'; encoding: 'hex' | 'base64' },
  signal: AbortSignal | undefined,
): Promise<string[]> {
  signal?.throwIfAborted();
  return new Promise<string[]>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { jobs, algorithm, encoding, readChunk: READ_CHUNK },
    });
    const finish = (settle: () => void): void => {
      signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      void worker.terminate();
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason as Error));
    const onError = (error: Error): void => finish(() => reject(error));
    const onMessage = (answer: WorkerAnswer): void =>
      finish(() => {
        if ('digests' in answer) resolve(answer.digests);
        else if ('changed' in answer) {
          reject(new UserError(`The file '${answer.changed}' changed while it was being hashed; run the step again.`));
        } else {
          const failure: NodeJS.ErrnoException = new Error(answer.error.message);
          if (answer.error.code) failure.code = answer.error.code;
          if (answer.error.path) failure.path = answer.error.path;
          reject(failure);
        }
      });
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}
