// A local folder of code (a scoring script, a training step) as a registered code asset: uploaded
// as a content-addressed snapshot (unchanged code is not sent again) and registered with its
// content hash, so the same folder always ends on the same code version.

import type { Logger } from '../logger.js';
import { azureAiMlContentHash, CONTENT_HASH_VERSION, createSnapshot, uploadSnapshot } from '../upload/index.js';
import { CONTENT_HASH_PROPERTY, registerVersion, versionStore } from './assets.js';
import type { WorkspaceConnection } from './connect.js';
import { openDatastore } from './datastore.js';
import { workspaceResourceId } from './ids.js';

export interface RegisteredCode {
  name: string;
  version: string;
  /** The ARM id jobs and deployments refer to. */
  codeId: string;
  contentHash: string;
  bytesUploaded: number;
}

export async function registerCodeFolder(options: {
  connection: Pick<WorkspaceConnection, 'client' | 'settings' | 'session'>;
  folder: string;
  name: string;
  log: Logger;
  ignorePatterns?: string[];
}): Promise<RegisteredCode> {
  const { connection, folder, name, log } = options;
  const { client, settings, session } = connection;
  const snapshot = await createSnapshot(folder, {
    logger: log,
    ...(options.ignorePatterns ? { ignorePatterns: options.ignorePatterns } : {}),
  });
  const datastore = await openDatastore({ client, settings, credential: session.credential, log });
  const [upload, aiMlHash] = await Promise.all([
    uploadSnapshot(datastore.container, snapshot, { logger: log }),
    azureAiMlContentHash(snapshot),
  ]);
  const code = await registerVersion({
    store: versionStore(client, settings, 'codes', name),
    version: 'auto',
    contentHash: snapshot.contentHash,
    dedupe: true,
    // As azure-ai-ml 1.35 registers code: the folder's https blob URL, and its content hash, by which
    // azure-ai-ml finds this version (CodeVersions_List `hash`) and reuses it instead of uploading.
    properties: {
      codeUri: datastore.blobUrlOf(upload.assetPath),
      properties: {
        [CONTENT_HASH_PROPERTY]: snapshot.contentHash,
        hash_sha256: aiMlHash,
        hash_version: CONTENT_HASH_VERSION,
      },
    },
    log,
  });
  return {
    name,
    version: code.version,
    codeId: workspaceResourceId(settings, `codes/${name}/versions/${code.version}`),
    contentHash: snapshot.contentHash,
    bytesUploaded: upload.bytesUploaded,
  };
}
