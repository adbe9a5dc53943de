// How to call an online endpoint: its scoring URI and a credential fetched by its auth mode, as
// Azure hands them out (DESIGN.md): Key → listKeys, AMLToken → getToken, AADToken → an Entra
// token for https://ml.azure.com. Every key and token is masked the moment it is fetched.

import type { Logger } from '../logger.js';
import type { CredentialKind } from '../smoke/index.js';
import { UserError } from '../errors.js';
import { explainArmError } from './armError.js';
import { POLL_INTERVAL_MS, retryWhileBusy, waitForOperation } from './lro.js';
import type { MlClient } from './client.js';
import type { LoginSession } from './login.js';
import type { AzureSettings } from './settings.js';

export interface EndpointAccess {
  scoringUri: string;
  authMode: 'Key' | 'AMLToken' | 'AADToken';
  credential: { kind: CredentialKind; value: string };
}

export const ML_DATA_PLANE_SCOPE = 'https://ml.azure.com/.default';

export async function endpointAccess(options: {
  client: MlClient;
  settings: AzureSettings;
  session: LoginSession;
  endpoint: string;
  log: Logger;
}): Promise<EndpointAccess> {
  const { client, settings, session, endpoint, log } = options;
  const { resourceGroup: rg, workspace: ws } = settings;
  const found = await client.onlineEndpoints.get(rg, ws, endpoint).catch((error: unknown) => {
    throw explainArmError(error, `reading online endpoint '${endpoint}'`);
  });
  const scoringUri = found.properties.scoringUri;
  if (!scoringUri) {
    throw new UserError(
      `Online endpoint '${endpoint}' has no scoring URI yet (provisioning state ${found.properties.provisioningState ?? 'unknown'}).`,
    );
  }
  const authMode = found.properties.authMode as EndpointAccess['authMode'];
  switch (authMode) {
    case 'Key': {
      const keys = await client.onlineEndpoints.listKeys(rg, ws, endpoint).catch((error: unknown) => {
        throw explainArmError(error, `listing the keys of endpoint '${endpoint}'`);
      });
      const key = keys.primaryKey ?? keys.secondaryKey;
      if (!key) throw new UserError(`Online endpoint '${endpoint}' returned no key.`);
      log.setSecret(key);
      if (keys.secondaryKey) log.setSecret(keys.secondaryKey);
      return { scoringUri, authMode, credential: { kind: 'key', value: key } };
    }
    case 'AMLToken': {
      const token = await client.onlineEndpoints.getToken(rg, ws, endpoint).catch((error: unknown) => {
        throw explainArmError(error, `getting a token for endpoint '${endpoint}'`);
      });
      if (!token.accessToken) throw new UserError(`Online endpoint '${endpoint}' returned no token.`);
      log.setSecret(token.accessToken);
      return { scoringUri, authMode, credential: { kind: 'aml-token', value: token.accessToken } };
    }
    case 'AADToken': {
      const token = await session.credential.getToken(ML_DATA_PLANE_SCOPE);
      if (!token)
        throw new UserError(
          `No Entra token for ${ML_DATA_PLANE_SCOPE} could be obtained to call endpoint '${endpoint}'.`,
        );
      return { scoringUri, authMode, credential: { kind: 'aad-token', value: token.token } };
    }
    default:
      throw new UserError(
        `Online endpoint '${endpoint}' has auth mode '${String(authMode)}', which this action does not know how to call.`,
      );
  }
}

/** Sets an endpoint's traffic split, keeping everything else about it; waits out a busy endpoint. */
export async function setEndpointTraffic(options: {
  client: MlClient;
  settings: AzureSettings;
  log: Logger;
  endpoint: string;
  traffic: Record<string, number>;
  what: string;
  timeoutMs: number;
  /** Changes the endpoint's tags in the same update (e.g. to record a release with its traffic). */
  tags?: (current: Record<string, string> | undefined) => Record<string, string>;
  /** Called with the traffic read just before the update; throwing stops the update (a changed endpoint). */
  guard?: (current: Record<string, number>) => void;
}): Promise<void> {
  const { client, settings, log, endpoint, traffic, what, timeoutMs } = options;
  const { resourceGroup: rg, workspace: ws } = settings;
  await retryWhileBusy(log, async () => {
    const current = await client.onlineEndpoints.get(rg, ws, endpoint);
    options.guard?.(current.properties.traffic ?? {});
    // `keys` is create-only (x-ms-mutability ["create"] in the spec's EndpointPropertiesBase): an
    // update never sends it, not even as the null a GET answers.
    const { keys: _createOnly, ...updatable } = current.properties;
    await waitForOperation(
      () =>
        client.onlineEndpoints.beginCreateOrUpdate(
          rg,
          ws,
          endpoint,
          {
            location: current.location,
            ...(options.tags ? { tags: options.tags(current.tags) } : current.tags ? { tags: current.tags } : {}),
            properties: { ...updatable, traffic },
          },
          { updateIntervalInMs: POLL_INTERVAL_MS },
        ),
      { log, what, timeoutMs },
    );
  });
}
