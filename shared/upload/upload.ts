// Uploads a snapshot to its content-addressed place in a datastore container: nothing when it is
// already complete, only missing blobs after an interruption, server-side copies for unchanged files.

import { randomUUID } from 'node:crypto';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  azureAiMlIndicatorFile,
  azureAiMlObjectHash,
  completedUploadMetadata,
  contentMd5sOf,
  isCompletedUploadMetadata,
} from './azureAiMl.js';
import {
  assetPathAt,
  blobNameOf,
  buildCompletionRecord,
  contentHashAssetPath,
  lineageBlobName,
  OBJECT_HASH_LENGTH,
  LINEAGE_FORMAT,
  parseCompletionRecord,
  parseLineageIndex,
  RECORD_FOLDER,
  recordBlobName,
  recordFolderOf,
  SHA256_METADATA_KEY,
  type CompletionRecord,
  type LineageIndex,
  type UploadLocation,
} from './layout.js';
import {
  createSnapshot,
  forEachLimited,
  localPathOf,
  type Snapshot,
  type SnapshotFile,
  type SnapshotOptions,
} from './snapshot.js';
import { BufferBudget, sendFile } from './transfer.js';

export interface UploadOptions {
  logger: Logger;
  signal?: AbortSignal;
  /**
   * Content hashes (full or the 32-character path form) of earlier uploads of this asset, e.g. the
   * previous registered version: their completion records tell which blobs can be copied.
   */
  previousContentHashes?: readonly string[];
  /**
   * Key under which the engine remembers recent uploads, to find copy sources without being told.
   * Default `<kind>:<name>`; `null` turns the lookup and the bookkeeping off.
   */
  lineage?: string | null;
  /** Files transferred at once. Default 16 (fastest measured here for mixed folders). */
  filesInFlight?: number;
  /** Block size for files larger than one block. Default 8 MiB. */
  blockSize?: number;
  /**
   * Files larger than one block and up to this size are sent as one streamed Put Blob (no blocks,
   * no buffer); larger ones as blocks. Default 256 MiB, as `@azure/storage-blob`'s `uploadFile`.
   */
  singlePutMaxBytes?: number;
  /** Blocks of one large file staged at once. Default 4. */
  blocksInFlightPerFile?: number;
  /** File data held in memory by all transfers together. Default 64 MiB. */
  maxBufferedBytes?: number;
  /** Minimum time between progress lines in the log. Default 5000 ms. */
  progressIntervalMs?: number;
  /** Called after every block, file or copy: for callers that show their own progress. */
  onProgress?: (progress: UploadProgress) => void;
  /** azure-ai-ml's object hash of the snapshot when the caller already computed it (it is one more read of every file). */
  azureAiMlObjectHash?: string;
  /**
   * The asset the upload is for, written (as azure-ai-ml does) into the completion metadata of the
   * indicator blob; azure-ai-ml reuses them only for anonymous code. Default: a random name and
   * version 1, as azure-ai-ml's anonymous assets; without a version, a random one, as azure-ai-ml
   * writes for an auto-incremented version.
   */
  linkedAsset?: { name: string; version?: string };
}

export interface UploadProgress {
  bytesSent: number;
  /** Bytes of the files that have to be sent (not skipped, not copied). */
  bytesToSend: number;
  filesDone: number;
  fileCount: number;
  elapsedMs: number;
}

export interface UploadResult {
  contentHash: string;
  kind: Snapshot['kind'];
  /** `LocalUpload/<32 hex>`: the content-addressed folder. */
  prefix: string;
  /** `LocalUpload/<32 hex>/<name>`: the blob (file) or folder the asset's URI points at. */
  assetPath: string;
  totalBytes: number;
  fileCount: number;
  /** File bytes sent to the service (request bodies of blocks and blobs; not copies, not the record). */
  bytesUploaded: number;
  filesUploaded: number;
  /** Files copied server-side from an earlier upload holding the same SHA-256. */
  filesCopied: number;
  /** Files already present with the right SHA-256 (complete asset, or an interrupted earlier run). */
  filesSkipped: number;
  /** True when the content was already complete (our record, or azure-ai-ml's upload): nothing was transferred. */
  reused: boolean;
  /** True when the files are azure-ai-ml's complete upload of this content (found at its key): our record now points at it. */
  reusedAzureAiMlUpload: boolean;
  durationMs: number;
}

const MiB = 1024 * 1024;
const LINEAGE_KEEP = 5;
/** Files up to this size draw on the small-file share of the memory budget. */
const SMALL_FILE_BYTES = MiB;

interface BlobState {
  size: number;
  sha256: string | undefined;
  /** Base64 MD5 of the content when the service stored one (single-shot uploads). */
  contentMd5: string | undefined;
  metadata: Record<string, string>;
}

/** Snapshots `sourcePath` and uploads it. */
export async function uploadPath(
  container: ContainerClient,
  sourcePath: string,
  options: UploadOptions & Omit<SnapshotOptions, 'signal' | 'logger'>,
): Promise<{ snapshot: Snapshot; result: UploadResult }> {
  const snapshot = await createSnapshot(sourcePath, { ...options, signal: options.signal, logger: options.logger });
  const result = await uploadSnapshot(container, snapshot, options);
  return { snapshot, result };
}

export async function uploadSnapshot(
  container: ContainerClient,
  snapshot: Snapshot,
  options: UploadOptions,
): Promise<UploadResult> {
  try {
    return await uploadUnexplained(container, snapshot, options);
  } catch (error) {
    throw explainStorageError(error, targetOf(container));
  }
}

/**
 * The completion record of this snapshot's upload when one exists (the asset is complete), without
 * sending anything: for dry runs and for deciding whether a new asset version is needed.
 */
export async function findCompletedUpload(
  container: ContainerClient,
  snapshot: Pick<Snapshot, 'name' | 'contentHash' | 'files'>,
  signal?: AbortSignal,
): Promise<CompletionRecord | undefined> {
  try {
    const text = await readText(container, recordBlobName(snapshot), signal);
    const record = text === undefined ? undefined : parseCompletionRecord(text);
    const matches = record?.contentHash === snapshot.contentHash && record.fileCount === snapshot.files.length;
    return matches ? record : undefined;
  } catch (error) {
    throw explainStorageError(error, targetOf(container));
  }
}

function targetOf(container: ContainerClient): StorageTarget {
  return { account: container.accountName, container: container.containerName };
}

async function uploadUnexplained(
  container: ContainerClient,
  snapshot: Snapshot,
  options: UploadOptions,
): Promise<UploadResult> {
  const started = Date.now();
  const { logger, signal } = options;
  assertUploadable(snapshot);
  const lineage = options.lineage === undefined ? `${snapshot.kind}:${snapshot.name}` : options.lineage;
  const describeAt = (assetPath: string) => ({
    contentHash: snapshot.contentHash,
    kind: snapshot.kind,
    prefix: assetPath.slice(0, assetPath.length - snapshot.name.length - 1),
    assetPath,
    totalBytes: snapshot.totalBytes,
    fileCount: snapshot.files.length,
  });
  const nothingSent = (assetPath: string, reusedAzureAiMlUpload: boolean): UploadResult => ({
    ...describeAt(assetPath),
    bytesUploaded: 0,
    filesUploaded: 0,
    filesCopied: 0,
    filesSkipped: snapshot.files.length,
    reused: true,
    reusedAzureAiMlUpload,
    durationMs: Date.now() - started,
  });

  const record = await findCompletedUpload(container, snapshot, signal);
  if (record) {
    logger.info(`${record.assetPath} is already uploaded (content hash ${snapshot.contentHash}); nothing to send.`);
    if (lineage !== null) await rememberUpload(container, lineage, snapshot, signal, logger);
    return nothingSent(record.assetPath, false);
  }

  // An upload may be needed: find azure-ai-ml's key (one more read of the files) while the copy
  // sources of earlier uploads are looked up.
  const [objectHash, copySources] = await Promise.all([
    options.azureAiMlObjectHash ?? azureAiMlObjectHash(snapshot, signal),
    findCopySources(container, snapshot, options, lineage, signal),
  ]);
  let location: UploadLocation = { kind: snapshot.kind, assetPath: assetPathAt(objectHash, snapshot.name) };
  let present = await listAssetBlobs(container, location, signal);
  const expected = new Set(snapshot.files.map((file) => blobNameOf(location, file)));
  const foreign = [...present.keys()].filter((name) => !expected.has(name));
  const atAzureAiMlKey = foreign.length === 0;
  if (!atAzureAiMlKey) {
    // Not this content after all (files added by hand, or a hash collision): never mix the two.
    const fallback = contentHashAssetPath(snapshot);
    logger.warning(
      `${location.assetPath} (azure-ai-ml's folder for this content) holds other files, such as '${foreign[0]}'; ` +
        `uploading to ${fallback} instead.`,
    );
    location = { kind: snapshot.kind, assetPath: fallback };
    present = await listAssetBlobs(container, location, signal);
  } else if (await isCompleteAzureAiMlUpload(container, snapshot, location, present, signal, logger)) {
    // Every blob with our sha256: our own upload, stopped after the marker and before the record.
    const ours = snapshot.files.every((file) => present.get(blobNameOf(location, file))?.sha256 === file.sha256);
    logger.info(
      ours
        ? `${location.assetPath} is already uploaded and verified (its record was missing); nothing to send.`
        : `${location.assetPath} is already uploaded by azure-ai-ml (same content: its upload is complete, with the ` +
            'same paths and sizes); nothing to send.',
    );
    await writeJson(
      container,
      recordBlobName(snapshot),
      buildCompletionRecord(snapshot, location.assetPath, new Date()),
      signal,
    );
    if (lineage !== null) await rememberUpload(container, lineage, snapshot, signal, logger);
    return nothingSent(location.assetPath, !ours);
  }

  const pending = snapshot.files.filter((file) => {
    const state = present.get(blobNameOf(location, file));
    return !(state && state.size === file.size && state.sha256 === file.sha256);
  });
  const filesSkipped = snapshot.files.length - pending.length;
  // Files already in place under another name of this asset are sources too (duplicate files).
  for (const [blobName, state] of present) {
    if (state.sha256 && !copySources.has(state.sha256)) copySources.set(state.sha256, blobName);
  }
  const toCopy = pending.filter((file) => copySources.has(file.sha256));
  const toSend = pending.filter((file) => !copySources.has(file.sha256));
  // Largest first: big files start early and thousands of small ones fill the gaps at the end.
  toSend.sort((a, b) => b.size - a.size);

  const progress = new ProgressReporter(logger, options, {
    bytesToSend: toSend.reduce((sum, file) => sum + file.size, 0),
    fileCount: snapshot.files.length,
    filesDone: filesSkipped,
  });
  logger.info(
    `Uploading ${location.assetPath}: ${snapshot.files.length} files, ${formatBytes(snapshot.totalBytes)}; ` +
      `${filesSkipped} already there, ${toCopy.length} copied from an earlier upload, ` +
      `${toSend.length} to send (${formatBytes(progress.bytesToSend)}).`,
  );

  const blockSize = options.blockSize ?? 8 * MiB;
  // Small files get their own share of the memory budget: otherwise a few large files' blocks take
  // all of it and thousands of small files wait behind them (measured: the folder mix got slower).
  const maxBuffered = Math.max(options.maxBufferedBytes ?? 64 * MiB, blockSize + SMALL_FILE_BYTES);
  const smallFileBudget = new BufferBudget(Math.min(16 * MiB, Math.floor(maxBuffered / 4)), 0);
  const largeFileBudget = new BufferBudget(maxBuffered - smallFileBudget.limitBytes, blockSize);
  const filesInFlight = options.filesInFlight ?? 16;
  let bytesUploaded = 0;
  let filesUploaded = 0;
  let filesCopied = 0;
  const send = async (file: SnapshotFile): Promise<void> => {
    const blobName = blobNameOf(location, file);
    await sendFile(
      container.getBlockBlobClient(blobName),
      { localPath: localPathOf(snapshot, file), blobName, size: file.size, sha256: file.sha256 },
      {
        blockSize,
        singlePutMaxBytes: options.singlePutMaxBytes ?? 256 * MiB,
        blocksInFlightPerFile: options.blocksInFlightPerFile ?? 4,
        budget: file.size <= SMALL_FILE_BYTES ? smallFileBudget : largeFileBudget,
        signal,
        onBytesSent: (bytes) => {
          bytesUploaded += bytes;
          progress.bytesSent(bytes);
        },
      },
    );
    filesUploaded++;
  };
  const copiedFiles = new Set<SnapshotFile>();
  let copyRefusal: string | undefined;
  const work = [...toCopy.map((file) => ({ file, copy: true })), ...toSend.map((file) => ({ file, copy: false }))];
  await forEachLimited(work, filesInFlight, signal, async ({ file, copy }) => {
    if (copy && copyRefusal === undefined) {
      const target = container.getBlockBlobClient(blobNameOf(location, file));
      const { outcome, reason } = await copyBlob(container, target, copySources.get(file.sha256)!, signal);
      if (outcome === 'copied') {
        copiedFiles.add(file);
        filesCopied++;
        progress.fileDone();
        return;
      }
      if (outcome === 'refused' && copyRefusal === undefined) {
        copyRefusal = reason;
        logger.warning(
          `The storage account refused a server-side copy (${reason}); sending the remaining files instead ` +
            'of copying them. A storage account that restricts copy sources (AllowedCopyScope) can cause this.',
        );
      }
    }
    if (copy) progress.bytesToSend += file.size;
    await send(file);
    progress.fileDone();
  });

  // A copy carries its source's metadata: a source overwritten since its upload was recorded shows
  // up here as a wrong SHA-256 and is sent from disk instead (once; a second mismatch is a failure).
  // Without copies there is nothing to list: skipped blobs were checked by the first listing, and a
  // sent blob is acknowledged by the service with the metadata and bytes re-hashed as they left.
  const wrongAfterTransfer = copiedFiles.size > 0 ? await filesNotInPlace(container, snapshot, location, signal) : [];
  if (wrongAfterTransfer.length > 0) {
    logger.warning(
      `${wrongAfterTransfer.length} blob(s) did not have the expected size or SHA-256 after the transfer (a copy ` +
        'source changed since its upload completed, or another writer); sending those files from disk.',
    );
    for (const file of wrongAfterTransfer) progress.bytesToSend += file.size;
    await forEachLimited(wrongAfterTransfer, filesInFlight, signal, async (file) => {
      if (copiedFiles.delete(file)) filesCopied--;
      await send(file);
    });
    await verifyAsset(container, snapshot, location, signal);
  }
  // azure-ai-ml's completion marker first: should this step stop before its own record, a rerun finds
  // the folder complete by that marker and sends nothing.
  if (atAzureAiMlKey) await markCompleteForAzureAiMl(container, snapshot, location, options.linkedAsset, signal);
  const completion = buildCompletionRecord(snapshot, location.assetPath, new Date());
  await writeJson(container, recordBlobName(snapshot), completion, signal);
  if (lineage !== null) await rememberUpload(container, lineage, snapshot, signal, logger);
  progress.finish();
  return {
    ...describeAt(location.assetPath),
    bytesUploaded,
    filesUploaded,
    filesCopied,
    filesSkipped,
    reused: false,
    reusedAzureAiMlUpload: false,
    durationMs: Date.now() - started,
  };
}

/** Azure's limit on blob names, in characters. */
const MAX_BLOB_NAME_LENGTH = 1024;

/** Refuses what the service or Azure ML would refuse later, with the path the user can act on. */
function assertUploadable(snapshot: Snapshot): void {
  if (snapshot.name === RECORD_FOLDER) {
    throw new UserError(`A file or folder named '${RECORD_FOLDER}' cannot be uploaded: the name is reserved.`);
  }
  if (snapshot.files.length === 0) {
    const reason = snapshot.ignoreFile ? ` (after applying ${snapshot.ignoreFile} and the ignore patterns)` : '';
    throw new UserError(
      `The folder '${snapshot.localPath}' has no files to upload${reason}; Azure ML refuses empty assets.`,
    );
  }
  // The longest folder key is azure-ai-ml's (64 hex characters); the content-hash one is shorter.
  const anyLocation = { kind: snapshot.kind, assetPath: assetPathAt('0'.repeat(OBJECT_HASH_LENGTH), snapshot.name) };
  const tooLong = snapshot.files.find((file) => blobNameOf(anyLocation, file).length > MAX_BLOB_NAME_LENGTH);
  if (tooLong) {
    throw new UserError(
      `The path '${tooLong.relPath}' is too long for Azure Blob Storage: with the upload prefix it exceeds ` +
        `${MAX_BLOB_NAME_LENGTH} characters. Shorten it or exclude it with .amlignore.`,
    );
  }
}

/** Blobs already under the asset's path, with the SHA-256 each one's metadata claims. */
async function listAssetBlobs(
  container: ContainerClient,
  location: UploadLocation,
  signal: AbortSignal | undefined,
): Promise<Map<string, BlobState>> {
  const present = new Map<string, BlobState>();
  const stateOf = (size: number | undefined, metadata: Record<string, string> | undefined, md5?: Uint8Array) => ({
    size: size ?? -1,
    sha256: metadata?.[SHA256_METADATA_KEY],
    contentMd5: md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined,
    metadata: metadata ?? {},
  });
  if (location.kind === 'file') {
    try {
      const properties = await container.getBlobClient(location.assetPath).getProperties({ abortSignal: signal });
      present.set(location.assetPath, stateOf(properties.contentLength, properties.metadata, properties.contentMD5));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    return present;
  }
  for await (const item of container.listBlobsFlat({
    prefix: `${location.assetPath}/`,
    includeMetadata: true,
    abortSignal: signal,
  })) {
    present.set(item.name, stateOf(item.properties.contentLength, item.metadata, item.properties.contentMD5));
  }
  return present;
}

/**
 * azure-ai-ml's upload of this content is complete: its indicator blob says `upload_status=completed`
 * and the folder holds exactly the snapshot's paths with their sizes (the caller checked there is
 * nothing else), and every blob whose Content-MD5 the service stored has the local file's MD5. Those
 * blobs then get our `sha256` metadata (added to theirs), so later uploads can copy from them.
 */
async function isCompleteAzureAiMlUpload(
  container: ContainerClient,
  snapshot: Snapshot,
  location: UploadLocation,
  present: ReadonlyMap<string, BlobState>,
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<boolean> {
  const indicator = present.get(blobNameOf(location, azureAiMlIndicatorFile(snapshot)));
  if (!isCompletedUploadMetadata(indicator?.metadata)) return false;
  const sized = snapshot.files.every((file) => present.get(blobNameOf(location, file))?.size === file.size);
  if (!sized) return false;
  // Blobs the service stored a Content-MD5 for (and that do not carry our sha256 already): compare.
  const toCheck = snapshot.files.filter((file) => {
    const state = present.get(blobNameOf(location, file))!;
    return state.contentMd5 !== undefined && state.sha256 !== file.sha256;
  });
  const localMd5s = await contentMd5sOf(snapshot, toCheck, signal);
  const verified = toCheck.filter(
    (file, index) => present.get(blobNameOf(location, file))!.contentMd5 === localMd5s[index],
  );
  const verifiedSet = new Set(verified);
  const mismatch = toCheck.find((file) => !verifiedSet.has(file));
  if (mismatch) {
    logger.warning(
      `${location.assetPath} is marked complete by azure-ai-ml, but '${mismatch.relPath}' there has other bytes ` +
        'than the local file (Content-MD5); sending the files again.',
    );
    return false;
  }
  await forEachLimited(verified, 8, signal, async (file) => {
    const blobName = blobNameOf(location, file);
    const metadata = { ...present.get(blobName)!.metadata, [SHA256_METADATA_KEY]: file.sha256 };
    await container.getBlobClient(blobName).setMetadata(metadata, { abortSignal: signal });
  });
  return true;
}

/**
 * Marks the upload complete the way azure-ai-ml does (`upload_status=completed`, `name`, `version` on
 * its indicator blob), keeping the blob's `sha256`: azure-ai-ml then finds this content uploaded.
 */
async function markCompleteForAzureAiMl(
  container: ContainerClient,
  snapshot: Snapshot,
  location: UploadLocation,
  linkedAsset: UploadOptions['linkedAsset'],
  signal: AbortSignal | undefined,
): Promise<void> {
  const indicator = azureAiMlIndicatorFile(snapshot);
  const asset = {
    name: linkedAsset?.name ?? randomUUID(),
    version: linkedAsset ? (linkedAsset.version ?? randomUUID()) : '1',
  };
  await container
    .getBlobClient(blobNameOf(location, indicator))
    .setMetadata(
      { [SHA256_METADATA_KEY]: indicator.sha256, ...completedUploadMetadata(asset) },
      { abortSignal: signal },
    );
}

/**
 * Blobs of earlier uploads that hold a SHA-256 this snapshot needs: the completion records of the
 * given previous content hashes and of the lineage's recent uploads.
 */
async function findCopySources(
  container: ContainerClient,
  snapshot: Snapshot,
  options: UploadOptions,
  lineage: string | null,
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const previous = new Set(options.previousContentHashes ?? []);
  if (lineage !== null) for (const hash of await recentUploads(container, lineage, signal)) previous.add(hash);
  previous.delete(snapshot.contentHash);
  const sources = new Map<string, string>();
  await collectCopySources(container, previous, sources, signal, options.logger);
  return sources;
}

/**
 * Reads the completion records of earlier uploads and maps each SHA-256 they hold to one blob.
 * Only completed uploads are used: their blobs were verified before the record was written.
 */
async function collectCopySources(
  container: ContainerClient,
  contentHashes: Iterable<string>,
  sources: Map<string, string>,
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<void> {
  for (const contentHash of contentHashes) {
    if (!/^[0-9a-f]{32}([0-9a-f]{32})?$/.test(contentHash)) {
      logger.warning(`Ignoring '${contentHash}' as a previous content hash: expected 32 or 64 hex characters.`);
      continue;
    }
    for await (const item of container.listBlobsFlat({ prefix: recordFolderOf(contentHash), abortSignal: signal })) {
      const text = await readText(container, item.name, signal);
      const record = text === undefined ? undefined : parseCompletionRecord(text);
      if (!record || !record.contentHash.startsWith(contentHash)) continue;
      for (const file of record.files) {
        if (!sources.has(file.sha256)) sources.set(file.sha256, blobNameOf(record, { relPath: file.path }));
      }
    }
  }
}

type CopyOutcome = 'copied' | 'source-gone' | 'refused';

/**
 * Server-side Copy Blob inside the same account: the service reads the source itself, so no file
 * bytes cross the network, and the request's own credential (key or Entra token) authorises the
 * source. 'source-gone': that one source is missing or unusable, send the file. 'refused': the
 * service will not copy for this caller (policy such as AllowedCopyScope, or a credential that
 * cannot authorise the source): stop trying copies for this upload.
 */
async function copyBlob(
  container: ContainerClient,
  target: BlockBlobClient,
  sourceName: string,
  signal: AbortSignal | undefined,
): Promise<{ outcome: CopyOutcome; reason?: string }> {
  const sourceUrl = container.getBlobClient(sourceName).url;
  try {
    // No metadata given: the copy keeps the source's, whose sha256 verification then checks.
    const poller = await target.beginCopyFromURL(sourceUrl, {
      abortSignal: signal,
      intervalInMs: 250,
    });
    const done = await poller.pollUntilDone();
    const copied = done.copyStatus === undefined || done.copyStatus === 'success';
    return { outcome: copied ? 'copied' : 'source-gone' };
  } catch (error) {
    if (signal?.aborted) throw error;
    const status = statusOf(error) ?? 0;
    if (status === 404 || status === 409 || status === 412) return { outcome: 'source-gone' };
    if (status >= 400 && status < 500) {
      return { outcome: 'refused', reason: `${storageErrorCode(error) || `HTTP ${status}`}` };
    }
    throw error;
  }
}

/** Files of the asset whose blob is missing or has another size or SHA-256 metadata than the local file. */
async function filesNotInPlace(
  container: ContainerClient,
  snapshot: Snapshot,
  location: UploadLocation,
  signal: AbortSignal | undefined,
): Promise<SnapshotFile[]> {
  const present = await listAssetBlobs(container, location, signal);
  return snapshot.files.filter((file) => {
    const state = present.get(blobNameOf(location, file));
    return !(state && state.size === file.size && state.sha256 === file.sha256);
  });
}

/** Checks every file of the asset is present with its size and SHA-256 before the record is written. */
async function verifyAsset(
  container: ContainerClient,
  snapshot: Snapshot,
  location: UploadLocation,
  signal: AbortSignal | undefined,
): Promise<void> {
  const wrong = await filesNotInPlace(container, snapshot, location, signal);
  if (wrong.length > 0) {
    const names = wrong
      .slice(0, 5)
      .map((file) => `'${file.relPath}'`)
      .join(', ');
    throw new Error(
      `After the upload ${wrong.length} blob(s) of ${location.assetPath} are missing or have another size or ` +
        `SHA-256 than the local file: ${names}${wrong.length > 5 ? ', ...' : ''}. The upload is not marked complete.`,
    );
  }
}

async function recentUploads(
  container: ContainerClient,
  lineage: string,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const text = await readText(container, lineageBlobName(lineage), signal);
  const index = text === undefined ? undefined : parseLineageIndex(text);
  return index ? index.recent.map((entry) => entry.contentHash) : [];
}

/**
 * Puts this upload first in its lineage index. Losing a race with another run only drops a hint
 * (a later upload may copy less), so a failure here is a warning, never a failed upload.
 */
async function rememberUpload(
  container: ContainerClient,
  lineage: string,
  snapshot: Snapshot,
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<void> {
  try {
    const name = lineageBlobName(lineage);
    const text = await readText(container, name, signal);
    const index = (text === undefined ? undefined : parseLineageIndex(text)) ?? { format: LINEAGE_FORMAT, recent: [] };
    if (index.recent[0]?.contentHash === snapshot.contentHash) return;
    const updated: LineageIndex = {
      format: LINEAGE_FORMAT,
      recent: [
        {
          contentHash: snapshot.contentHash,
          name: snapshot.name,
          kind: snapshot.kind,
          completedAt: new Date().toISOString(),
        },
        ...index.recent.filter((entry) => entry.contentHash !== snapshot.contentHash),
      ].slice(0, LINEAGE_KEEP),
    };
    await writeJson(container, name, updated, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    logger.warning(`Could not update the upload lineage index (${describe(error)}); the upload itself is complete.`);
  }
}

async function readText(
  container: ContainerClient,
  blobName: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  try {
    const buffer = await container.getBlobClient(blobName).downloadToBuffer(0, undefined, { abortSignal: signal });
    return buffer.toString('utf8');
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

async function writeJson(
  container: ContainerClient,
  blobName: string,
  value: unknown,
  signal: AbortSignal | undefined,
): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(value, null, 1)}\n`);
  await container.getBlockBlobClient(blobName).upload(body, body.length, {
    blobHTTPHeaders: { blobContentType: 'application/json' },
    abortSignal: signal,
  });
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as { statusCode?: number }).statusCode : undefined;
}

/** The service's error code: in the body for most requests, only in a header for GET/HEAD of a blob. */
function storageErrorCode(error: unknown): string {
  const details = error as {
    code?: string;
    details?: { errorCode?: string };
    response?: { headers?: { get(name: string): string | undefined } };
  };
  return (
    details.details?.errorCode ??
    details.response?.headers?.get('x-ms-error-code') ??
    (details.code && details.code !== 'REQUEST_SEND_ERROR' ? details.code : '')
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** What Node calls a connection that failed (the storage SDK has retried it already when it reaches us). */
const CONNECTION_FAILURE = /\b(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|socket hang up)\b/;

/** The storage account and container a request went to, for messages that name the scope. */
export interface StorageTarget {
  account: string;
  container: string;
}

/**
 * Storage answers 403 for a wrong key, for an identity without a data role, for key-based access to
 * an account that allows only Entra ID, and for network rules; 401 for a missing or refused token.
 * The error code tells which. A connection that keeps failing is the network's, not a bug. Messages
 * never include request URLs (a SAS may be in them).
 */
export function explainStorageError(error: unknown, target?: StorageTarget): unknown {
  const connection = statusOf(error) === undefined ? CONNECTION_FAILURE.exec(describe(error))?.[1] : undefined;
  if (connection) {
    return new UserError(
      `The upload to the datastore's storage account failed: the connection failed (${connection}) on every retry, ` +
        'so the upload is incomplete and nothing was made from it. Run the step again (files already uploaded are not ' +
        'sent again); if it keeps failing, check the network between the runner and the storage account (proxy, firewall).',
      { cause: error },
    );
  }
  const status = statusOf(error);
  if (status !== 403 && status !== 401) return error;
  const code = storageErrorCode(error);
  const account = target ? `storage account '${target.account}'` : "datastore's storage account";
  const scope = target
    ? `storage account '${target.account}' or its container '${target.container}'`
    : 'the storage account or the container';
  if (code === 'AuthorizationPermissionMismatch') {
    return new UserError(
      `The ${account} refused the request (${code}): the identity running this step has no data role on it. ` +
        `An identity-based datastore needs 'Storage Blob Data Contributor' on the ${scope} to upload ` +
        "('Storage Blob Data Reader' only reads; Owner, Contributor or Reader on the account are not enough: they grant " +
        'no data access). Role assignments can take a few minutes to apply.',
      { cause: error },
    );
  }
  if (code === 'KeyBasedAuthenticationNotPermitted') {
    return new UserError(
      `The ${account} refused the request (${code}): it accepts only Microsoft Entra ID, not its account key. ` +
        "Use an identity-based datastore (credentials 'None') on it, whose blobs are written with this step's own " +
        `token and 'Storage Blob Data Contributor' on the ${scope}.`,
      { cause: error },
    );
  }
  if (status === 401 || code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo' || code === '') {
    const detail = authenticationDetail(error);
    return new UserError(
      `The ${account} refused the credentials (${code || `HTTP ${status}`})${detail ? `: ${detail}` : ''}. The account key or ` +
        'token is invalid or expired, or the clock of the runner is off; an Entra token must be for https://storage.azure.com ' +
        'in the tenant of the storage account.',
      { cause: error },
    );
  }
  return new UserError(
    `The ${account} refused the request (${code}). Check the storage account's network rules ` +
      '(firewall, private endpoints: the runner must be allowed), the permissions of a SAS if one is used, and ' +
      `for an identity-based datastore 'Storage Blob Data Contributor' on the ${scope}.`,
    { cause: error },
  );
}

/** Azure's `AuthenticationErrorDetail` of a refused token (in the error body; absent for HEAD). */
function authenticationDetail(error: unknown): string {
  const details = (error as { details?: Record<string, unknown> }).details ?? {};
  const value = details.authenticationErrorDetail ?? details.AuthenticationErrorDetail;
  return typeof value === 'string' ? value.trim() : '';
}

/** Logs bytes, files and rate at most once per interval, and always once at the end. */
class ProgressReporter {
  private sent = 0;
  private filesDone: number;
  private readonly started = Date.now();
  private lastLine = Date.now();
  bytesToSend: number;

  constructor(
    private readonly logger: Logger,
    private readonly options: Pick<UploadOptions, 'progressIntervalMs' | 'onProgress'>,
    private readonly totals: { bytesToSend: number; fileCount: number; filesDone: number },
  ) {
    this.bytesToSend = totals.bytesToSend;
    this.filesDone = totals.filesDone;
  }

  bytesSent(bytes: number): void {
    this.sent += bytes;
    this.update();
  }

  fileDone(): void {
    this.filesDone++;
    this.update();
  }

  finish(): void {
    this.logger.info(this.line());
  }

  private update(): void {
    const now = Date.now();
    this.options.onProgress?.({
      bytesSent: this.sent,
      bytesToSend: this.bytesToSend,
      filesDone: this.filesDone,
      fileCount: this.totals.fileCount,
      elapsedMs: now - this.started,
    });
    if (now - this.lastLine >= (this.options.progressIntervalMs ?? 5000)) {
      this.lastLine = now;
      this.logger.info(this.line());
    }
  }

  private line(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    return (
      `Uploaded ${formatBytes(this.sent)} of ${formatBytes(this.bytesToSend)}, ` +
      `${this.filesDone}/${this.totals.fileCount} files, ${formatBytes(this.sent / seconds)}/s`
    );
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
