// Opens a workspace blob datastore for uploads: the one factory for blob clients. Key-based
// datastores use the account key from listSecrets (masked at once); identity-based ones use the
// caller's Entra token for storage, and a missing data role is explained.

import type { AzureBlobDatastore } from '@azure/arm-machinelearning';
import type { ContainerClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import { explainArmError } from './armError.js';
import type { MlClient } from './client.js';
import { blobServiceUrl } from './cloud.js';
import { DEFAULT_DATASTORE } from './names.js';
import type { AzureSettings } from './settings.js';

export { DEFAULT_DATASTORE };

export interface OpenDatastore {
  name: string;
  container: ContainerClient;
  /** 'key' (account key from listSecrets) or 'identity' (the caller's Entra token). */
  auth: 'key' | 'identity';
  /** The long-form azureml:// URI of a path in this datastore, as Azure ML stores asset URIs. */
  uriOf(path: string): string;
  /**
   * The https URL of a path in the datastore's container: what azure-ai-ml registers as a code
   * version's `codeUri` and an environment build's `contextUri` (the spec: build contexts take blob URIs).
   */
  blobUrlOf(path: string): string;
}

/** Datastores already opened by a client, by name: one step reads each datastore and key once. */
const opened = new WeakMap<MlClient, Map<string, Promise<OpenDatastore>>>();

export function openDatastore(options: {
  client: MlClient;
  settings: AzureSettings;
  credential: TokenCredential;
  log: Logger;
  name?: string;
}): Promise<OpenDatastore> {
  const name = options.name ?? DEFAULT_DATASTORE;
  let byName = opened.get(options.client);
  if (!byName) opened.set(options.client, (byName = new Map()));
  let datastore = byName.get(name);
  if (!datastore) {
    datastore = open(options, name);
    byName.set(name, datastore);
    // A failure is not kept: the next caller tries again and gets the error itself.
    datastore.catch(() => byName.delete(name));
  }
  return datastore;
}

async function open(
  options: { client: MlClient; settings: AzureSettings; credential: TokenCredential; log: Logger },
  name: string,
): Promise<OpenDatastore> {
  const { client, settings, credential, log } = options;
  // The storage SDK is the largest part of a bundle's start-up: only steps that open a datastore
  // (uploads, downloads) load it, as a separate chunk, while the datastore is being read.
  const storageSdk = import('@azure/storage-blob');
  storageSdk.catch(() => undefined);
  const datastore = await client.datastores
    .get(settings.resourceGroup, settings.workspace, name)
    .catch((error: unknown) => {
      throw explainArmError(error, `reading datastore '${name}' of workspace '${settings.workspace}'`);
    });
  const properties = datastore.properties as AzureBlobDatastore;
  if (properties.datastoreType !== 'AzureBlob' || !properties.accountName || !properties.containerName) {
    throw new UserError(
      `Datastore '${name}' is a ${properties.datastoreType} datastore; uploads need an Azure Blob datastore.`,
    );
  }
  // The cloud's template sets scheme and host form (path-style for Azurite in the emulator).
  const serviceUrl = blobServiceUrl(
    settings.cloud,
    properties.accountName,
    properties.endpoint ?? settings.cloud.storageSuffix,
  );
  const containerUrl = `${serviceUrl.replace(/\/+$/, '')}/${properties.containerName}`;
  const uriOf = (path: string) =>
    `azureml://subscriptions/${settings.subscriptionId}/resourcegroups/${settings.resourceGroup}/workspaces/${settings.workspace}/datastores/${name}/paths/${path}`;
  const blobUrlOf = (path: string) => `${containerUrl}/${path.split('/').map(encodeURIComponent).join('/')}`;

  if (properties.credentials.credentialsType === 'AccountKey') {
    const secrets = await client.datastores
      .listSecrets(settings.resourceGroup, settings.workspace, name)
      .catch((error: unknown) => {
        throw explainArmError(
          error,
          `reading the account key of datastore '${name}'`,
          "It needs the action 'Microsoft.MachineLearningServices/workspaces/datastores/listsecrets/action' (e.g. 'AzureML Data Scientist').",
        );
      });
    const key = (secrets as { key?: string }).key;
    if (!key) throw new UserError(`Datastore '${name}' returned no account key.`);
    log.setSecret(key);
    const { ContainerClient, StorageSharedKeyCredential } = await storageSdk;
    const container = new ContainerClient(containerUrl, new StorageSharedKeyCredential(properties.accountName, key));
    return { name, container, auth: 'key', uriOf, blobUrlOf };
  }
  // Identity-based (credential-less) datastore: blobs are read and written with the caller's token.
  const { ContainerClient } = await storageSdk;
  return { name, container: new ContainerClient(containerUrl, credential), auth: 'identity', uriOf, blobUrlOf };
}
