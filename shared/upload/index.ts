// The upload engine's public surface: snapshot a file or folder, upload it content-addressed.
// Callers build the ContainerClient (account key or Entra token); nothing here depends on which.

export {
  createSnapshot,
  computeContentHash,
  hashFile,
  type Snapshot,
  type SnapshotFile,
  type SnapshotOptions,
} from './snapshot.js';
export {
  uploadPath,
  uploadSnapshot,
  findCompletedUpload,
  explainStorageError,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
} from './upload.js';
export {
  UPLOAD_ROOT,
  RECORD_FOLDER,
  RECORD_FORMAT,
  SHA256_METADATA_KEY,
  assetPathAt,
  contentHashAssetPath,
  blobNameOf,
  recordBlobName,
  uploadPrefix,
  parseCompletionRecord,
  type CompletionRecord,
  type UploadLocation,
} from './layout.js';
export {
  azureAiMlObjectHash,
  azureAiMlContentHash,
  CONTENT_HASH_VERSION,
  azureAiMlIndicatorFile,
  parseLocalUploadUri,
  UPLOAD_STATUS_METADATA_KEY,
  UPLOAD_STATUS_COMPLETED,
} from './azureAiMl.js';
