// Where an upload lives in the datastore container and what its completion record says.
// Content-addressed at azure-ai-ml's key (`LocalUpload/<hash>/<name>`), our record keyed by our content hash.

import { createHash } from 'node:crypto';
import type { Snapshot, SnapshotFile } from './snapshot.js';

/** The folder azure-ai-ml and the Azure ML studio put local uploads in. */
export const UPLOAD_ROOT = 'LocalUpload';
/**
 * Completion records live in this folder under the content-hash key (`LocalUpload/<content hash>/.azureml-actions/`),
 * never inside an asset's own folder, so a `uri_folder` asset holds exactly the user's files.
 */
export const RECORD_FOLDER = '.azureml-actions';
export const RECORD_FORMAT = 'azureml-actions/upload-record@1';
export const LINEAGE_FORMAT = 'azureml-actions/upload-lineage@1';
/** Blob metadata key that carries each blob's SHA-256 (metadata keys must be C# identifiers). */
export const SHA256_METADATA_KEY = 'sha256';
/** Hex characters of our content hash used in the path: 128 bits, as long as azure-ai-ml 1.4's MD5 ids. */
export const PATH_HASH_LENGTH = 32;

/** The part of an asset that decides where its content-hash-keyed blobs and record go. */
export interface AssetIdentity {
  kind: Snapshot['kind'];
  name: string;
  contentHash: string;
}

/** Where an upload's blobs are: `assetPath` is the blob itself for a file, the folder for a folder. */
export interface UploadLocation {
  kind: Snapshot['kind'];
  assetPath: string;
}

/** Hex characters of azure-ai-ml's object hash (SHA-256) in its upload folders. */
export const OBJECT_HASH_LENGTH = 64;

/** `LocalUpload/<key>`: the key is azure-ai-ml's object hash as is, or a content-hash folder key. */
export function uploadPrefix(key: string): string {
  return `${UPLOAD_ROOT}/${key}`;
}

/** The folder key of our content hash: its first PATH_HASH_LENGTH hex characters. */
function contentHashKey(contentHash: string): string {
  return contentHash.slice(0, PATH_HASH_LENGTH);
}

/** `LocalUpload/<key>/<name>` */
export function assetPathAt(key: string, name: string): string {
  return `${uploadPrefix(key)}/${name}`;
}

/**
 * The asset's path keyed by our content hash: where uploads went before they met azure-ai-ml's key
 * (their records still point there), and the fallback when azure-ai-ml's folder holds other files.
 */
export function contentHashAssetPath(asset: AssetIdentity): string {
  return assetPathAt(contentHashKey(asset.contentHash), asset.name);
}

/** Blob name of one file of an upload. */
export function blobNameOf(location: UploadLocation, file: Pick<SnapshotFile, 'relPath'>): string {
  return location.kind === 'file' ? location.assetPath : `${location.assetPath}/${file.relPath}`;
}

/**
 * Blob name of the completion record of an asset: always keyed by the content hash (found without
 * reading azure-ai-ml's key), whichever folder the record's `assetPath` names. Several names with one
 * content hash each get their own.
 */
export function recordBlobName(asset: Pick<AssetIdentity, 'name' | 'contentHash'>): string {
  return `${recordFolderOf(asset.contentHash)}${asset.name}.json`;
}

/** Folder (with trailing '/') holding every completion record for one content hash. */
export function recordFolderOf(contentHash: string): string {
  return `${uploadPrefix(contentHashKey(contentHash))}/${RECORD_FOLDER}/`;
}

/**
 * Blob name of a lineage index: the last few uploads made under one lineage key (by default the
 * asset's kind and name), so a changed folder finds its previous upload without being told.
 */
export function lineageBlobName(lineage: string): string {
  const key = createHash('sha256').update(lineage).digest('hex').slice(0, PATH_HASH_LENGTH);
  return `${UPLOAD_ROOT}/${RECORD_FOLDER}/lineage/${key}.json`;
}

/**
 * Written last, once every blob of the asset is present with the right size and SHA-256 metadata:
 * its presence is what "this content hash is complete" means.
 */
export interface CompletionRecord {
  format: typeof RECORD_FORMAT;
  contentHash: string;
  kind: Snapshot['kind'];
  name: string;
  /** Where the files are: `LocalUpload/<azure-ai-ml's object hash>/<name>` (64 hex; 32 for its MD5
   * keys of before), or `LocalUpload/<contentHash[0:32]>/<name>`. */
  assetPath: string;
  totalBytes: number;
  fileCount: number;
  files: { path: string; size: number; sha256: string }[];
  completedAt: string;
}

export interface LineageIndex {
  format: typeof LINEAGE_FORMAT;
  recent: { contentHash: string; name: string; kind: Snapshot['kind']; completedAt: string }[];
}

export function buildCompletionRecord(snapshot: Snapshot, assetPath: string, completedAt: Date): CompletionRecord {
  return {
    format: RECORD_FORMAT,
    contentHash: snapshot.contentHash,
    kind: snapshot.kind,
    name: snapshot.name,
    assetPath,
    totalBytes: snapshot.totalBytes,
    fileCount: snapshot.files.length,
    files: snapshot.files.map((file) => ({ path: file.relPath, size: file.size, sha256: file.sha256 })),
    completedAt: completedAt.toISOString(),
  };
}

/** Parses a record, or returns undefined when the text is not one (foreign or damaged blob). */
export function parseCompletionRecord(text: string): CompletionRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<CompletionRecord>;
  if (record.format !== RECORD_FORMAT) return undefined;
  if (typeof record.contentHash !== 'string' || !/^[0-9a-f]{64}$/.test(record.contentHash)) return undefined;
  if (record.kind !== 'file' && record.kind !== 'folder') return undefined;
  if (typeof record.name !== 'string' || !Array.isArray(record.files)) return undefined;
  const folder = typeof record.assetPath === 'string' ? record.assetPath.slice(0, -record.name.length - 1) : '';
  if (!new RegExp(`^${UPLOAD_ROOT}/([0-9a-f]{${OBJECT_HASH_LENGTH}}|[0-9a-f]{${PATH_HASH_LENGTH}})$`).test(folder))
    return undefined;
  if (record.assetPath !== `${folder}/${record.name}`) return undefined;
  const filesValid = record.files.every(
    (file) =>
      typeof file === 'object' &&
      file !== null &&
      typeof file.path === 'string' &&
      typeof file.size === 'number' &&
      typeof file.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(file.sha256),
  );
  return filesValid ? (record as CompletionRecord) : undefined;
}

export function parseLineageIndex(text: string): LineageIndex | undefined {
  try {
    const value = JSON.parse(text) as Partial<LineageIndex>;
    if (value.format !== LINEAGE_FORMAT || !Array.isArray(value.recent)) return undefined;
    return { format: LINEAGE_FORMAT, recent: value.recent.filter((entry) => typeof entry?.contentHash === 'string') };
  } catch {
    return undefined;
  }
}
