// The emulator's view of its Azurite blob store: resolves `azureml://.../datastores/{ds}/paths/{p}`
// URIs of the workspace to blobs, for the storage initializer of deployments and for scoring.
import type { EmulatorContext } from './context.js';
import { devAccount, devAccountKey } from './azurite.js';
import { getResource } from './arm/store.js';

export interface BlobLocation {
  datastore: string;
  container: string;
  path: string;
}

/**
 * Parses the long and short forms of azureml datastore URIs, and blob URLs in the emulator's own
 * storage account (azure-ai-ml registers code with `codeUri` = `{account url}/{container}/LocalUpload/…`);
 * undefined for other URIs.
 */
export function parseDatastoreUri(ctx: EmulatorContext, uri: string): BlobLocation | undefined {
  const account = ctx.blobUrl ? `${ctx.blobUrl}/${devAccount}/` : undefined;
  if (account && uri.startsWith(account)) {
    const [container = '', ...rest] = uri.slice(account.length).split('/');
    const store = getResource(ctx, `${ctx.workspaceId}/datastores/workspaceblobstore`);
    const named = store && (store.body.properties as Record<string, unknown>).containerName === container;
    return { datastore: named ? 'workspaceblobstore' : container, container, path: decodeURIComponent(rest.join('/')) };
  }
  const m =
    /^azureml:\/\/(?:subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.*)$/i.exec(
      uri,
    );
  if (!m) return undefined;
  const datastore = m[1] as string;
  const ds = getResource(ctx, `${ctx.workspaceId}/datastores/${datastore}`);
  if (!ds) return undefined;
  const container = String((ds.body.properties as Record<string, unknown>).containerName);
  return { datastore, container, path: decodeURIComponent(m[2] as string) };
}

async function containerClient(ctx: EmulatorContext, container: string) {
  const { BlobServiceClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
  const svc = new BlobServiceClient(
    `${ctx.blobUrl}/${devAccount}`,
    new StorageSharedKeyCredential(devAccount, devAccountKey),
  );
  return svc.getContainerClient(container);
}

/** Blob names under the location (the file itself, or everything below a folder). */
export async function listBlobs(ctx: EmulatorContext, loc: BlobLocation): Promise<string[]> {
  const c = await containerClient(ctx, loc.container);
  const prefix = loc.path.replace(/^\/+/, '');
  const out: string[] = [];
  for await (const b of c.listBlobsFlat({ prefix })) {
    if (b.name === prefix || prefix === '' || prefix.endsWith('/') || b.name.startsWith(`${prefix}/`)) out.push(b.name);
  }
  return out;
}

export async function readBlob(ctx: EmulatorContext, container: string, name: string): Promise<Buffer> {
  const c = await containerClient(ctx, container);
  return c.getBlobClient(name).downloadToBuffer();
}
