// The online endpoint a release goes to: read it, check it can serve the target, and create it or
// update its auth mode, without undoing what another run changed on it meanwhile.

import type { OnlineEndpoint } from '@azure/arm-machinelearning';
import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import { workspaceResourceId } from '../../shared/azure/ids.js';
import { POLL_INTERVAL_MS, retryWhileBusy, waitForOperation } from '../../shared/azure/lro.js';
import { UserError } from '../../shared/errors.js';
import type { DeployTarget } from './deployment.js';
import type { AuthMode } from './inputs.js';
import type { DeployRun } from './run.js';

const AUTH_MODE: Record<AuthMode, 'Key' | 'AMLToken' | 'AADToken'> = {
  key: 'Key',
  'aml-token': 'AMLToken',
  'aad-token': 'AADToken',
};

/** Azure's name of the auth mode the step asks for. */
export function azureAuthMode(run: DeployRun): 'Key' | 'AMLToken' | 'AADToken' {
  return AUTH_MODE[run.deploy.authMode];
}

/** The endpoint as it is now, or undefined when it does not exist. */
export function readEndpoint({ connection, endpoint }: DeployRun): Promise<OnlineEndpoint | undefined> {
  const { client, settings } = connection;
  return client.onlineEndpoints.get(settings.resourceGroup, settings.workspace, endpoint).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw explainArmError(error, `reading endpoint ${endpoint}`);
  });
}

/**
 * Makes the endpoint ready for the new deployment: refuses one of the other kind (managed vs
 * Kubernetes), creates a missing one, updates a changed auth mode (called out in the notes it
 * returns: old credentials stop working).
 */
export async function prepareEndpoint(
  run: DeployRun,
  existing: OnlineEndpoint | undefined,
  target: DeployTarget,
  location: string,
): Promise<string[]> {
  const { connection, endpoint, log, deploy: d } = run;
  const { client, settings } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;
  const authMode = azureAuthMode(run);
  const kubernetesCompute =
    target.name === 'aks' ? workspaceResourceId(settings, `computes/${d.compute ?? ''}`) : undefined;
  if (existing) checkEndpointKind(existing, target.name, endpoint);
  const notes: string[] = [];
  if (existing && existing.properties.authMode === authMode) return notes;
  if (existing)
    notes.push(
      `The endpoint's auth mode changed from ${existing.properties.authMode} to ${authMode}: clients holding the old kind of credential stop working.`,
    );
  await retryWhileBusy(log, async () => {
    // Read again on every try: while this run waited, another may have created the endpoint or
    // shifted its traffic, and a PUT with what this run read at the start would undo that.
    const latest = await readEndpoint(run);
    if (latest && latest.properties.authMode === authMode) return;
    await waitForOperation(
      () =>
        client.onlineEndpoints.beginCreateOrUpdate(
          rg,
          ws,
          endpoint,
          {
            location,
            ...(latest?.tags ? { tags: latest.tags } : {}),
            properties: {
              authMode,
              traffic: latest?.properties.traffic ?? {},
              ...(kubernetesCompute ? { compute: kubernetesCompute } : {}),
            },
          },
          { updateIntervalInMs: POLL_INTERVAL_MS },
        ),
      { log, what: `${latest ? 'Updating' : 'Creating'} endpoint ${endpoint}`, timeoutMs: d.timeoutMs },
    );
  });
  return notes;
}

function checkEndpointKind(existing: OnlineEndpoint, target: DeployTarget['name'], name: string) {
  const isKubernetes = Boolean((existing.properties as { compute?: string }).compute);
  if (isKubernetes !== (target === 'aks')) {
    throw new UserError(
      `Endpoint '${name}' already exists as a ${isKubernetes ? 'Kubernetes (aks)' : 'managed (aci)'} endpoint; it cannot serve target '${target}'. Use another endpoint name, or delete it first ('delete: endpoint').`,
      { input: 'target' },
    );
  }
}
