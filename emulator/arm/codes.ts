// Code containers and versions (snapshots of scoring scripts and training code), and the temporary
// upload location Azure hands out for a code snapshot.
import { randomUUID } from 'node:crypto';
import { accountKeys, createContainer, devAccount } from '../azurite.js';
import { ArmError, isRecord, json } from '../http.js';
import { storageAccountId } from '../storage.js';
import { assetRoutes, isAssetUri } from './assets.js';
import { ML, WS, type ArmCall, type ArmRoute } from './router.js';
import { requireWorkspace } from './workspaces.js';

/**
 * How long the upload SAS stays valid. Azure does not document the lifetime it gives; an hour covers
 * any snapshot a test uploads and still expires within a run.
 */
const PENDING_UPLOAD_SAS_LIFETIME_MS = 60 * 60 * 1000;

export const codeRoutes: ArmRoute[] = [
  ...assetRoutes({
    collection: 'codes',
    opName: 'Code',
    noun: 'code asset',
    validate: (p) => (isAssetUri(p.codeUri) ? [] : ["A code version needs 'codeUri' (the folder holding the code)."]),
    // azure-ai-ml 1.35 (CodeOperations.create_or_update) first lists code versions by the snapshot's
    // content hash (`hash`, `hashVersion` = 202208) and reuses one it finds; it sends the hash in the
    // version's `properties` as `hash_sha256` and `hash_version` (entities/_assets/_artifacts/code.py).
    contentHash: { hash: 'hash_sha256', hashVersion: 'hash_version' },
  }),
  {
    method: 'POST',
    path: `${WS}/codes/{name}/versions/{version}/startPendingUpload`,
    action: `${ML}/workspaces/codes/versions/write`,
    operationId: 'CodeVersions_CreateOrGetStartPendingUpload',
    handler: startPendingUpload,
  },
];

/**
 * CodeVersions_CreateOrGetStartPendingUpload (2024-04-01 mfe.json): a container-level read, write,
 * list SAS for the client to upload a code snapshot to. azure-ai-ml (since 1.5, Azure/azure-sdk-for-
 * python#28509: "a write SAS ... to a temporarily created container") uploads the snapshot to the
 * container's root and registers `codeUri` = `{blobUri}/{snapshot name}`. The container is created
 * here in the workspace's key-based storage account, named by the pending upload id.
 */
async function startPendingUpload(call: ArmCall) {
  requireWorkspace(call);
  const body = call.body();
  const request = isRecord(body) ? body : {};
  const type = request.pendingUploadType ?? 'TemporaryBlobReference';
  if (type !== 'TemporaryBlobReference') {
    // The spec: "TemporaryBlobReference is the only supported type".
    throw new ArmError(
      400,
      'UserError',
      `pendingUploadType '${String(type)}' is not supported: TemporaryBlobReference is the only supported type.`,
    );
  }
  const pendingUploadId =
    typeof request.pendingUploadId === 'string' && request.pendingUploadId !== ''
      ? request.pendingUploadId
      : randomUUID();
  // Container names: 3-63 lower-case letters, digits and single hyphens (Azure Storage naming rules).
  const container = pendingUploadId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw new ArmError(400, 'UserError', `pendingUploadId '${pendingUploadId}' cannot name a blob container.`);
  }
  const { ctx } = call;
  if (!ctx.blobUrl || !ctx.storageUrl) {
    throw new ArmError(
      503,
      'ServiceUnavailable',
      'The emulator runs without blob storage: it cannot hand out uploads.',
    );
  }
  await createContainer(ctx.blobUrl, container, devAccount);
  const sas = await containerSas(container, new Date(Date.now() + PENDING_UPLOAD_SAS_LIFETIME_MS));
  const blobUri = `${ctx.storageUrl}/${devAccount}/${container}`;
  const sasUri = `${blobUri}?${sas}`;
  ctx.issueSecret('SAS URL', sasUri);
  return json(200, {
    blobReferenceForConsumption: {
      blobUri,
      storageAccountArmId: storageAccountId(ctx, devAccount),
      credential: { credentialType: 'SAS', sasUri },
    },
    pendingUploadId,
    pendingUploadType: 'TemporaryBlobReference',
  });
}

/** A service SAS on one container (read, add, create, write, list), signed with the account key. */
async function containerSas(container: string, expiresOn: Date): Promise<string> {
  const { ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } =
    await import('@azure/storage-blob');
  const credential = new StorageSharedKeyCredential(devAccount, accountKeys[devAccount] ?? '');
  return generateBlobSASQueryParameters(
    { containerName: container, permissions: ContainerSASPermissions.parse('racwl'), expiresOn },
    credential,
  ).toString();
}
