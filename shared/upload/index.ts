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
  assetPath,
  blobNameOf,
  recordBlobName,
  uploadPrefix,
  parseCompletionRecord,
  type CompletionRecord,
} from './layout.js';
