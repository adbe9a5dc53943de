// Shared helpers of the emulator's tests: start an emulator, trust its CA in this process, get
// tokens the way the actions do (ClientAssertionCredential + core.getIDToken).
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import {
  startEmulator,
  trustEmulatorCa,
  type RunningEmulator,
  type StartEmulatorOptions,
} from '../../emulator/index.js';

export async function start(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  // Tests normally run with NODE_EXTRA_CA_CERTS set (see emulator/README.md); this also covers a
  // runner started without it.
  trustEmulatorCa();
  const emu = await startEmulator({
    azurite: false,
    ...options,
    settings: { retryAfterSeconds: 0, lroStepMs: 60, specValidation: 'strict', ...options.settings },
  });
  process.env.ACTIONS_ID_TOKEN_REQUEST_URL = emu.oidcRequestUrl;
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = emu.oidcRequestToken;
  return emu;
}

export async function admin(
  emu: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emu.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The credential action code uses: a fresh GitHub ID token for every Entra token request. */
export async function oidcCredential(
  emu: RunningEmulator,
  clientId = emu.clientId,
  audience = emu.audience,
): Promise<ClientAssertionCredential> {
  const core = await import('@actions/core');
  return new ClientAssertionCredential(emu.tenantId, clientId, () => core.getIDToken(audience), {
    authorityHost: emu.authorityHost,
    disableInstanceDiscovery: true,
  });
}

export function secretCredential(emu: RunningEmulator, clientId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(emu.tenantId, clientId, secret, {
    authorityHost: emu.authorityHost,
    disableInstanceDiscovery: true,
  });
}

export function mlClient(
  emu: RunningEmulator,
  credential: ClientAssertionCredential | ClientSecretCredential,
): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credential, emu.subscriptionId, {
    endpoint: emu.armUrl,
    credentialScopes: ['https://management.azure.com/.default'],
    retryOptions: { retryDelayInMs: 50, maxRetryDelayInMs: 500 },
  });
}

export const ARM_SCOPE = 'https://management.azure.com/.default';
