// The Azure clouds the actions can log in to: the three public sovereign clouds, and `custom`
// for anything else (Azure Stack, private clouds, and the emulator used by tests and the demo).

export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud' | 'custom';
export const CLOUD_NAMES: readonly CloudName[] = ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud', 'custom'];

export interface Cloud {
  name: CloudName;
  /** Resource Manager, e.g. https://management.azure.com */
  armEndpoint: string;
  /** Entra ID, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** The scope ARM tokens are requested for. */
  armScope: string;
  /** Blob service URL with `{account}` and `{suffix}` placeholders. */
  storageUrlTemplate: string;
  /** Storage endpoint suffix, e.g. core.windows.net */
  storageSuffix: string;
  /** Azure ML studio, for links in summaries; absent for custom clouds. */
  studioUrl: string | undefined;
  /**
   * Hosts of the Azure ML data plane (run history, MLflow, discovery) that may receive the ARM
   * token: `.suffix` for any host ending so, else an exact `host[:port]`. A custom cloud trusts
   * its ARM endpoint's host only.
   */
  mlDataPlaneHosts: readonly string[];
}

export const DEFAULT_STORAGE_URL_TEMPLATE = 'https://{account}.blob.{suffix}';

export const KNOWN_CLOUDS: Record<Exclude<CloudName, 'custom'>, Cloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    armScope: 'https://management.azure.com/.default',
    storageUrlTemplate: DEFAULT_STORAGE_URL_TEMPLATE,
    storageSuffix: 'core.windows.net',
    studioUrl: 'https://ml.azure.com',
    mlDataPlaneHosts: ['.api.azureml.ms', '.experiments.azureml.net'],
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    armScope: 'https://management.usgovcloudapi.net/.default',
    storageUrlTemplate: DEFAULT_STORAGE_URL_TEMPLATE,
    storageSuffix: 'core.usgovcloudapi.net',
    studioUrl: 'https://ml.azure.us',
    mlDataPlaneHosts: ['.api.ml.azure.us'],
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    storageUrlTemplate: DEFAULT_STORAGE_URL_TEMPLATE,
    storageSuffix: 'core.chinacloudapi.cn',
    studioUrl: 'https://studio.ml.azure.cn',
    mlDataPlaneHosts: ['.api.ml.azure.cn'],
  },
};

/** The blob service URL of a storage account in this cloud. */
export function blobServiceUrl(cloud: Cloud, account: string, suffix = cloud.storageSuffix): string {
  return cloud.storageUrlTemplate.replaceAll('{account}', account).replaceAll('{suffix}', suffix);
}
