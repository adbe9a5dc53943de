// The one factory for Azure ML's ARM client: custom endpoint and token scope for sovereign clouds
// and the emulator, and our user agent. Poll intervals are set per long-running call (lro.ts).

import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';
import type { AzureSettings } from './settings.js';

export type MlClient = AzureMachineLearningWorkspaces;

export function createMlClient(settings: AzureSettings, credential: TokenCredential): MlClient {
  return new AzureMachineLearningWorkspaces(credential, settings.subscriptionId, {
    endpoint: settings.cloud.armEndpoint,
    credentialScopes: [settings.cloud.armScope],
    userAgentOptions: { userAgentPrefix: 'azureml-actions' },
  });
}
