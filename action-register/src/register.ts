// Registers one model, data or environment version: hash the content, reuse an existing version with
// the same content (no upload, no new version), else upload only what the datastore lacks and then
// register, so no version ever points at missing or partial files.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ActionContext } from '../../shared/action/context.js';
import { lineageTags } from '../../shared/action/lineage.js';
import { escapeCell } from '../../shared/action/plan.js';
import {
  CONTENT_HASH_PROPERTY,
  registerVersion,
  versionStore,
  type VersionSummary,
} from '../../shared/azure/assets.js';
import type { MlClient } from '../../shared/azure/client.js';
import { connectToWorkspace } from '../../shared/azure/connect.js';
import type { AzureSettings } from '../../shared/azure/settings.js';
import { openDatastore, type OpenDatastore } from '../../shared/azure/datastore.js';
import { assetReference, workspaceResourceId } from '../../shared/azure/ids.js';
import { DEFAULT_DATASTORE } from '../../shared/azure/names.js';
import type { RequiredAction } from '../../shared/azure/preflight.js';
import { formatDuration } from '../../shared/inputs/duration.js';
import { readOnnxSignature as parseOnnxSignature } from '../../shared/onnx/signature.js';
import type { TensorInfo } from '../../shared/scoring/index.js';
import {
  assetPathAt,
  azureAiMlObjectHash,
  createSnapshot,
  findCompletedUpload,
  parseLocalUploadUri,
  uploadSnapshot,
  type Snapshot,
  type UploadResult,
} from '../../shared/upload/index.js';
import { formatBytes } from '../../shared/upload/upload.js';
import type { AssetSpec, RegisterInputs } from './inputs.js';

const COLLECTION = { model: 'models', data: 'data', environment: 'environments' } as const;
const ML = 'Microsoft.MachineLearningServices/workspaces';

interface OnnxSignature {
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
}

interface Content {
  contentHash: string;
  snapshot: Snapshot | undefined;
  totalBytes: number;
  fileCount: number;
}

export async function registerAsset(context: ActionContext, { common, asset }: RegisterInputs): Promise<void> {
  const { log, outputs } = context;
  const collection = COLLECTION[asset.kind];
  const content = await log.group('Hash the content', () => hashContent(asset, context));
  log.info(`Content hash ${content.contentHash} (${content.fileCount} files, ${formatBytes(content.totalBytes)}).`);

  const required: RequiredAction[] = [
    { action: `${ML}/${collection}/versions/write`, purpose: `register the ${asset.kind} version` },
  ];
  // The default datastore uses the account key. Another one may be identity-based (no key; its
  // storage account checks this step's token and data role): reading it is what is certain, and a
  // refused listSecrets of a key-based one is explained when it happens, still before any change.
  if (content.snapshot)
    required.push(
      asset.datastore === DEFAULT_DATASTORE
        ? { action: `${ML}/datastores/listsecrets/action`, purpose: 'upload the files with the datastore key' }
        : { action: `${ML}/datastores/read`, purpose: `read datastore '${asset.datastore}' to upload the files` },
    );
  const { client, session, settings } = await connectToWorkspace(context, common.azure, required);
  const store = versionStore(client, settings, collection, asset.name);

  // Same content already registered: nothing to upload and nothing to create.
  const versions = asset.dedupe && asset.version === 'auto' ? await store.list() : undefined;
  let existing = versions?.find((v) => v.contentHash === content.contentHash);
  let sameFolder: string | undefined;
  let upload: UploadResult | undefined;
  let uri: string | undefined;
  if (!existing && content.snapshot) {
    const snapshot = content.snapshot;
    const datastore = await openDatastore({
      client,
      settings,
      credential: session.credential,
      log,
      name: asset.datastore,
    });
    const other = versions ? await findVersionAtObjectHash(versions, snapshot, datastore) : undefined;
    upload = await log.group(`Upload to datastore ${datastore.name}`, () =>
      uploadSnapshot(datastore.container, snapshot, {
        logger: log,
        azureAiMlObjectHash: other?.objectHash,
        linkedAsset: { name: asset.name, ...(asset.version === 'auto' ? {} : { version: asset.version }) },
      }),
    );
    // A version found by its folder is this content only when the upload confirmed that folder holds
    // exactly these files (it sends nothing then, or completes what is missing).
    if (other?.version && upload.assetPath === other.folder) {
      existing = other.version;
      sameFolder = other.folder;
    }
    if (!existing)
      uri =
        asset.kind === 'environment'
          ? // A build context is a blob URI (the spec's BuildContext.contextUri), as azure-ai-ml sends it.
            `${datastore.blobUrlOf(upload.assetPath)}/`
          : datastore.uriOf(upload.assetPath) + (snapshot.kind === 'folder' ? '/' : '');
  } else if (asset.kind === 'data' && asset.source.kind === 'uri') {
    uri = asset.source.uri;
  }

  const signature = existing ? undefined : readOnnxSignature(asset, context);
  const result = existing
    ? { version: existing.version, reused: true, previousVersion: (await store.container())?.latestVersion }
    : await log.group(`Register ${collection}/${asset.name}`, () =>
        registerVersion({
          store,
          version: asset.version,
          contentHash: content.contentHash,
          dedupe: asset.dedupe,
          properties: versionProperties(asset, content.contentHash, uri, signature, context),
          log,
        }),
      );

  const armId = workspaceResourceId(settings, `${collection}/${asset.name}/versions/${result.version}`);
  const registeredUri = uri ?? (await versionUri(client, settings, asset, result.version));
  const assetId = assetReference(asset.name, result.version);
  log.info(
    !result.reused
      ? `Registered ${assetId}.`
      : sameFolder
        ? `Reused ${assetId}: its files at ${sameFolder} are this content (registered by azure-ai-ml or az ml, which name the folder by its content).`
        : `Reused ${assetId}: it already holds this content.`,
  );
  outputs.set('name', asset.name);
  outputs.set('version', result.version);
  outputs.set('asset-id', assetId);
  outputs.set('arm-id', armId);
  outputs.set('uri', registeredUri ?? '');
  outputs.set('content-hash', content.contentHash);
  outputs.set('reused', result.reused);
  outputs.set('bytes-uploaded', upload?.bytesUploaded ?? 0);
  outputs.set('files-uploaded', upload?.filesUploaded ?? 0);
  outputs.set('previous-version', result.previousVersion ?? '');
  context.summary.append(
    renderSummary({
      asset,
      assetId,
      armId,
      uri: registeredUri,
      content,
      upload,
      reused: result.reused,
      sameFolder,
      previous: result.previousVersion,
      signature,
      studioUrl: settings.cloud.studioUrl,
    }),
  );
}

async function hashContent(asset: AssetSpec, context: ActionContext): Promise<Content> {
  if (asset.kind === 'environment') {
    if (asset.buildContext) return fromSnapshot(await createSnapshot(asset.buildContext, { logger: context.log }));
    const definition = JSON.stringify({
      image: asset.image,
      conda: asset.condaFile ? readFileSync(asset.condaFile, 'utf8') : null,
    });
    return {
      contentHash: sha256(`azureml-actions/environment@1\n${definition}`),
      snapshot: undefined,
      totalBytes: definition.length,
      fileCount: 0,
    };
  }
  if (asset.source.kind === 'uri') {
    return {
      contentHash: sha256(`azureml-actions/uri@1\n${asset.source.uri}`),
      snapshot: undefined,
      totalBytes: 0,
      fileCount: 0,
    };
  }
  return fromSnapshot(await createSnapshot(asset.source.path, { logger: context.log }));
}

/**
 * A version registered without our content hash (by azure-ai-ml or `az ml`) whose files are
 * `LocalUpload/<azure-ai-ml's object hash of this content>/<name>` in this datastore: the same content.
 * The object hash is one more read of the files, so it is computed only when some version could
 * match, and not at all when our completion record of this content already names such a folder.
 */
async function findVersionAtObjectHash(
  versions: readonly VersionSummary[],
  snapshot: Snapshot,
  datastore: OpenDatastore,
): Promise<{ objectHash: string; version: VersionSummary | undefined; folder: string } | undefined> {
  const candidates = versions.flatMap((version) => {
    const at = version.contentHash === undefined && version.uri ? parseLocalUploadUri(version.uri) : undefined;
    const here = at && at.name === snapshot.name && at.datastore.toLowerCase() === datastore.name.toLowerCase();
    return here ? [{ version, key: at.key }] : [];
  });
  if (candidates.length === 0) return undefined;
  const record = await findCompletedUpload(datastore.container, snapshot);
  const recorded =
    record && candidates.find((candidate) => record.assetPath === assetPathAt(candidate.key, snapshot.name));
  const objectHash = recorded?.key ?? (await azureAiMlObjectHash(snapshot));
  return {
    objectHash,
    version: candidates.find((candidate) => candidate.key === objectHash)?.version,
    folder: assetPathAt(objectHash, snapshot.name),
  };
}

function fromSnapshot(snapshot: Snapshot): Content {
  return {
    contentHash: snapshot.contentHash,
    snapshot,
    totalBytes: snapshot.totalBytes,
    fileCount: snapshot.files.length,
  };
}

/** Inputs and outputs of an ONNX model (from its protobuf), recorded as properties and summarised. */
function readOnnxSignature(asset: AssetSpec, context: ActionContext): OnnxSignature | undefined {
  if (asset.kind !== 'model' || asset.source.isDirectory || !asset.source.path.toLowerCase().endsWith('.onnx'))
    return undefined;
  try {
    return parseOnnxSignature(readFileSync(asset.source.path));
  } catch (error) {
    context.log.warning(
      `The file ends in .onnx but its graph could not be read (${(error as Error).message}); registering it without a signature.`,
    );
    return undefined;
  }
}

function versionProperties(
  asset: AssetSpec,
  contentHash: string,
  uri: string | undefined,
  signature: OnnxSignature | undefined,
  context: ActionContext,
): Record<string, unknown> {
  const tags = { ...asset.tags, ...(asset.lineageTags ? lineageTags(context.inputs, contentHash) : {}) };
  const properties: Record<string, string> = { ...asset.properties, [CONTENT_HASH_PROPERTY]: contentHash };
  if (signature) {
    properties['onnx.inputs'] = JSON.stringify(signature.inputs);
    properties['onnx.outputs'] = JSON.stringify(signature.outputs);
  }
  const common = { description: asset.description, tags, properties };
  switch (asset.kind) {
    case 'model':
      return { ...common, modelUri: uri, modelType: asset.modelType };
    case 'data':
      return { ...common, dataType: asset.dataType, dataUri: uri };
    case 'environment':
      return {
        ...common,
        osType: 'Linux',
        ...(asset.image ? { image: asset.image } : {}),
        ...(asset.condaFile ? { condaFile: readFileSync(asset.condaFile, 'utf8') } : {}),
        ...(asset.buildContext && uri ? { build: { contextUri: uri, dockerfilePath: 'Dockerfile' } } : {}),
      };
  }
}

/** The storage URI of a reused version (models and data), read back from Azure. */
async function versionUri(
  client: MlClient,
  settings: AzureSettings,
  asset: AssetSpec,
  version: string,
): Promise<string | undefined> {
  if (asset.kind === 'model')
    return (await client.modelVersions.get(settings.resourceGroup, settings.workspace, asset.name, version)).properties
      .modelUri;
  if (asset.kind === 'data')
    return (await client.dataVersions.get(settings.resourceGroup, settings.workspace, asset.name, version)).properties
      .dataUri;
  return undefined;
}

function renderSummary(r: {
  asset: AssetSpec;
  assetId: string;
  armId: string;
  uri: string | undefined;
  content: Content;
  upload: UploadResult | undefined;
  reused: boolean;
  /** Set when the reused version was found by its folder (azure-ai-ml's key), not by our content hash. */
  sameFolder: string | undefined;
  previous: string | undefined;
  signature: OnnxSignature | undefined;
  studioUrl: string | undefined;
}): string {
  const link = r.studioUrl
    ? ` ([open in Azure ML studio](${r.studioUrl}/#/resource${r.armId.replace(/\/versions\/.*$/, '')}))`
    : '';
  const rows: Array<[string, string]> = [
    ['asset', `\`${r.assetId}\`${link}`],
    [
      'result',
      !r.reused
        ? 'new version'
        : r.sameFolder
          ? `reused an existing version with the same content (registered by azure-ai-ml or az ml: its files at \`${r.sameFolder}\`)`
          : 'reused an existing version with the same content',
    ],
    ['previous version', r.previous ?? '(none)'],
    ['content', `${r.content.fileCount} files, ${formatBytes(r.content.totalBytes)}`],
    ['content hash', `\`${r.content.contentHash}\``],
  ];
  if (r.upload?.reusedAzureAiMlUpload) {
    rows.push(['upload', `nothing sent: the files were already uploaded by azure-ai-ml (\`${r.upload.assetPath}\`)`]);
  } else if (r.upload) {
    rows.push([
      'upload',
      `${formatBytes(r.upload.bytesUploaded)} sent in ${r.upload.filesUploaded} files, ${r.upload.filesCopied} copied in storage, ${r.upload.filesSkipped} already there (${formatDuration(r.upload.durationMs)})`,
    ]);
  } else {
    rows.push(['upload', 'nothing sent']);
  }
  if (r.uri) rows.push(['uri', `\`${r.uri}\``]);
  const lines = [
    `### Registered ${r.asset.kind} ${r.asset.name}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${escapeCell(v)} |`),
    '',
  ];
  if (r.signature) {
    lines.push('| signature | name | type | shape |', '|---|---|---|---|');
    for (const [side, list] of [
      ['input', r.signature.inputs],
      ['output', r.signature.outputs],
    ] as const) {
      for (const t of list)
        lines.push(
          `| ${side} | \`${escapeCell(t.name)}\` | ${t.type} | ${t.shape ? `[${t.shape.map((d) => d ?? '?').join(', ')}]` : '?'} |`,
        );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
