// The emulator's view of its Azurite blob store: resolves `azureml://.../datastores/{ds}/paths/{p}`
// URIs of the workspace to blobs, for the storage initializer of deployments and for scoring.
import type { EmulatorContext } from './context.js';
import { accountKeys } from './azurite.js';
import { getResource, listChildren } from './arm/store.js';

export interface BlobLocation {
  datastore: string;
  /** Storage account of the datastore (the identity-based datastore has its own). */
  account: string;
  container: string;
  path: string;
}

/**
 * Parses the long and short forms of azureml datastore URIs, and blob URLs in the emulator's own
 * storage accounts (azure-ai-ml registers code with `codeUri` = `{account url}/{container}/LocalUpload/…`);
 * undefined for other URIs.
 */
export function parseDatastoreUri(ctx: EmulatorContext, uri: string): BlobLocation | undefined {
  // Azurite itself (what azure-ai-ml is pointed at in older setups) or the storage front.
  const base = [ctx.blobUrl, ctx.storageUrl].find((url) => url !== '' && uri.startsWith(`${url}/`));
  if (base) {
    const [account = '', container = '', ...rest] = uri.slice(base.length + 1).split('/');
    const store = datastores(ctx).find((d) => d.account === account && d.container === container);
    return {
      datastore: store?.name ?? container,
      account,
      container,
      path: decodeURIComponent(rest.join('/')),
    };
  }
  const m =
    /^azureml:\/\/(?:subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.*)$/i.exec(
      uri,
    );
  if (!m) return undefined;
  const datastore = m[1] as string;
  const ds = getResource(ctx, `${ctx.workspaceId}/datastores/${datastore}`);
  if (!ds) return undefined;
  const properties = ds.body.properties as Record<string, unknown>;
  const container = String(properties.containerName);
  const account = String(properties.accountName);
  return { datastore, account, container, path: decodeURIComponent(m[2] as string) };
}

function datastores(ctx: EmulatorContext): Array<{ name: string; account: string; container: string }> {
  return listChildren(ctx, ctx.workspaceId, 'datastores').map((d) => {
    const properties = d.body.properties as Record<string, unknown>;
    return {
      name: String(d.body.name),
      account: String(properties.accountName),
      container: String(properties.containerName),
    };
  });
}

/** Azurite straight, with the account's key: the emulator itself reads blobs like Azure ML's own services. */
async function containerClient(ctx: EmulatorContext, loc: Pick<BlobLocation, 'account' | 'container'>) {
  const { BlobServiceClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
  const key = accountKeys[loc.account];
  if (!key) throw new Error(`The emulator has no storage account '${loc.account}'.`);
  const svc = new BlobServiceClient(`${ctx.blobUrl}/${loc.account}`, new StorageSharedKeyCredential(loc.account, key));
  return svc.getContainerClient(loc.container);
}

/** Blob names under the location (the file itself, or everything below a folder). */
export async function listBlobs(ctx: EmulatorContext, loc: BlobLocation): Promise<string[]> {
  const c = await containerClient(ctx, loc);
  const prefix = loc.path.replace(/^\/+/, '');
  const out: string[] = [];
  for await (const b of c.listBlobsFlat({ prefix })) {
    if (b.name === prefix || prefix === '' || prefix.endsWith('/') || b.name.startsWith(`${prefix}/`)) out.push(b.name);
  }
  return out;
}

export async function readBlob(
  ctx: EmulatorContext,
  loc: Pick<BlobLocation, 'account' | 'container'>,
  name: string,
): Promise<Buffer> {
  const c = await containerClient(ctx, loc);
  return c.getBlobClient(name).downloadToBuffer();
}
