// azure-ai-ml's side of content addressing (README.md, "azure-ai-ml interop"): the folder key it
// uploads a local path under (`get_object_hash`), the blob that marks its upload complete, and the
// `LocalUpload` URIs it registers. Uploads meet at that key, so neither tool repeats the other's.

import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { UPLOAD_ROOT } from './layout.js';
import { localPathOf, type Snapshot, type SnapshotFile } from './snapshot.js';

/** The seed azure-ai-ml 1.x feeds its MD5 before any content (azure/ai/ml/_utils/_asset_utils.py). */
const OBJECT_HASH_SEED = 'Initialize for october 2021 AML CLI version';
/** azure-ai-ml's completion marker on the indicator blob (`UPLOAD_CONFIRMATION`), with `name` and `version`. */
export const UPLOAD_STATUS_METADATA_KEY = 'upload_status';
export const UPLOAD_STATUS_COMPLETED = 'completed';

/** Pieces read ahead of the hash, each at most this size: 16 MiB of file data in memory at most. */
const READ_CHUNK = 2 * 1024 * 1024;
const READS_AHEAD = 8;

/**
 * azure-ai-ml's object hash of the snapshot's content: the 32-hex folder it uploads this content to
 * (`LocalUpload/<hash>/<name>`). MD5 seeded with OBJECT_HASH_SEED, then for a file its bytes; for a
 * folder, level by level, each entry sorted by lower-cased name (ties in code-unit order, which
 * azure-ai-ml leaves to the file system): the name's UTF-8 bytes, then the file's bytes or the
 * sub-folder's entries. A snapshot lists no empty folders, which azure-ai-ml hashes by name: for such
 * a folder the keys differ (its content is then uploaded again, never mixed up).
 *
 * One sequential MD5 over everything, so it is a pass of its own (a few files read ahead, bounded
 * memory): callers compute it only when an upload may be needed.
 */
export async function azureAiMlObjectHash(snapshot: Snapshot, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5').update(OBJECT_HASH_SEED);
  await feedInOrder(hash, hashOrder(snapshot), signal);
  return hash.digest('hex');
}

/** Base64 MD5 of one snapshot file, as storage keeps it in a blob's Content-MD5. */
export async function contentMd5Of(snapshot: Snapshot, file: SnapshotFile, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  await feedInOrder(hash, [{ path: localPathOf(snapshot, file), size: file.size }], signal);
  return hash.digest('base64');
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
 * The datastore, folder key and name of a `LocalUpload` asset URI, in the long
 * (`azureml://subscriptions/…/workspaces/…/datastores/D/paths/…`) or short (`azureml://datastores/D/paths/…`)
 * form, with or without a trailing `/`; undefined for any other URI.
 */
export function parseLocalUploadUri(uri: string): { datastore: string; key: string; name: string } | undefined {
  const match = new RegExp(
    '^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/(?:providers/Microsoft\\.MachineLearningServices/)?workspaces/[^/]+/)?' +
      `datastores/([^/]+)/paths/${UPLOAD_ROOT}/([0-9a-f]{32})/([^/]+)/?$`,
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
 * Feeds names and file bytes to `hash` strictly in order while up to READS_AHEAD pieces of the next
 * files are read in parallel into reused buffers (thousands of small files would otherwise wait on
 * one open/read/close round trip each).
 */
async function feedInOrder(hash: Hash, steps: readonly HashStep[], signal: AbortSignal | undefined): Promise<void> {
  interface Piece {
    file: { path: string; size: number; handle?: Promise<FileHandle>; unread: number };
    offset: number;
    length: number;
  }
  const pieces = function* (): Generator<string | Piece> {
    for (const step of steps) {
      if (typeof step === 'string') {
        yield step;
        continue;
      }
      const file = { ...step, unread: Math.ceil(step.size / READ_CHUNK) };
      for (let offset = 0; offset < step.size; offset += READ_CHUNK) {
        yield { file, offset, length: Math.min(READ_CHUNK, step.size - offset) };
      }
    }
  };
  const spare: Buffer[] = [];
  const stillOpen = new Set<Promise<FileHandle>>();
  const read = async (piece: Piece): Promise<Buffer> => {
    const buffer = spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
    const { file } = piece;
    if (!file.handle) stillOpen.add((file.handle = open(file.path, 'r')));
    const handle = await file.handle;
    const { bytesRead } = await handle.read(buffer, 0, piece.length, piece.offset);
    if (--file.unread === 0) {
      stillOpen.delete(file.handle);
      await handle.close();
    }
    if (bytesRead !== piece.length) {
      throw new UserError(`The file '${file.path}' changed while it was being hashed; run the step again.`);
    }
    return buffer;
  };

  const queue: Array<{ name: string } | { piece: Piece; buffer: Promise<Buffer> }> = [];
  const source = pieces();
  let next = source.next();
  let reading = 0;
  try {
    for (;;) {
      while (!next.done && (typeof next.value === 'string' || reading < READS_AHEAD)) {
        const value = next.value;
        if (typeof value === 'string') queue.push({ name: value });
        else {
          reading++;
          queue.push({ piece: value, buffer: read(value) });
        }
        next = source.next();
      }
      const item = queue.shift();
      if (!item) break;
      signal?.throwIfAborted();
      if ('name' in item) {
        hash.update(item.name, 'utf8');
        continue;
      }
      const buffer = await item.buffer;
      hash.update(item.piece.length === buffer.length ? buffer : buffer.subarray(0, item.piece.length));
      spare.push(buffer);
      reading--;
    }
  } finally {
    // After a failure: let reads in flight settle, then close every file still open.
    await Promise.allSettled(queue.flatMap((item) => ('buffer' in item ? [item.buffer] : [])));
    await Promise.allSettled(
      [...stillOpen].map(async (handle) => {
        await (await handle).close().catch(() => undefined);
      }),
    );
  }
}
