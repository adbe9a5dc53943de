// `delete: endpoint | deployment`: removes what a pull-request workflow made. A deployment's traffic
// is moved first (to the deployment with the most remaining traffic), so the endpoint never routes
// to something that no longer exists.

import type { ActionContext } from '../../shared/action/context.js';
import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import { connectToWorkspace } from '../../shared/azure/connect.js';
import { setEndpointTraffic } from '../../shared/azure/endpoints.js';
import { POLL_INTERVAL_MS, waitForOperation } from '../../shared/azure/lro.js';
import type { DeployInputs } from './inputs.js';

type RemoveRequest = Extract<DeployInputs, { operation: 'delete-endpoint' | 'delete-deployment' }>;
const ML = 'Microsoft.MachineLearningServices/workspaces';
const TIMEOUT_MS = 30 * 60_000;

export async function removeFromEndpoint(context: ActionContext, request: RemoveRequest): Promise<void> {
  const { log } = context;
  const what =
    request.operation === 'delete-endpoint'
      ? `endpoint ${request.endpoint}`
      : `deployment ${request.endpoint}/${request.deployment}`;
  const { client, settings } = await connectToWorkspace(context, request.common.azure, [
    {
      action: `${ML}/onlineEndpoints/${request.operation === 'delete-endpoint' ? 'delete' : 'deployments/delete'}`,
      purpose: `delete ${what}`,
    },
  ]);
  const { resourceGroup: rg, workspace: ws } = settings;
  const endpoint = await client.onlineEndpoints.get(rg, ws, request.endpoint).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw explainArmError(error, `reading endpoint ${request.endpoint}`);
  });
  context.outputs.set('endpoint-name', request.endpoint);
  if (!endpoint) {
    log.info(`Endpoint ${request.endpoint} does not exist: nothing to delete.`);
    context.summary.append(`### Nothing to delete\n\nEndpoint \`${request.endpoint}\` does not exist.\n`);
    return;
  }
  if (request.operation === 'delete-endpoint') {
    await waitForOperation(
      () => client.onlineEndpoints.beginDelete(rg, ws, request.endpoint, { updateIntervalInMs: POLL_INTERVAL_MS }),
      {
        log,
        what: `Deleting endpoint ${request.endpoint} and its deployments`,
        timeoutMs: TIMEOUT_MS,
      },
    );
    context.summary.append(`### Deleted endpoint ${request.endpoint}\n\nWith all its deployments.\n`);
    return;
  }

  const traffic = { ...(endpoint.properties.traffic ?? {}) };
  const share = traffic[request.deployment] ?? 0;
  if (share > 0) {
    const heir = Object.entries(traffic)
      .filter(([name]) => name !== request.deployment)
      .sort((a, b) => b[1] - a[1])[0]?.[0];
    traffic[request.deployment] = 0;
    if (heir) traffic[heir] = (traffic[heir] ?? 0) + share;
    log.info(
      heir
        ? `Moving ${share} % of the traffic from ${request.deployment} to ${heir}.`
        : `Taking ${request.deployment}'s ${share} % of the traffic away: no other deployment remains.`,
    );
    await setEndpointTraffic({
      client,
      settings,
      log,
      endpoint: request.endpoint,
      traffic,
      what: `Moving traffic away from ${request.deployment}`,
      timeoutMs: TIMEOUT_MS,
    });
  }
  const exists = await client.onlineDeployments.get(rg, ws, request.endpoint, request.deployment).then(
    () => true,
    (error: unknown) => {
      if (isNotFound(error)) return false;
      throw explainArmError(error, `reading deployment ${request.deployment}`);
    },
  );
  if (exists) {
    await waitForOperation(
      () =>
        client.onlineDeployments.beginDelete(rg, ws, request.endpoint, request.deployment, {
          updateIntervalInMs: POLL_INTERVAL_MS,
        }),
      {
        log,
        what: `Deleting deployment ${request.deployment}`,
        timeoutMs: TIMEOUT_MS,
      },
    );
  } else {
    log.info(`Deployment ${request.deployment} does not exist: nothing to delete.`);
  }
  const after = Object.fromEntries(Object.entries(traffic).filter(([name]) => name !== request.deployment));
  context.outputs.set('traffic', JSON.stringify(after));
  context.summary.append(
    `### Deleted deployment ${request.endpoint}/${request.deployment}\n\nTraffic after: \`${JSON.stringify(after)}\`\n`,
  );
}
