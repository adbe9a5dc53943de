// Library entry of the emulator: `startEmulator(options)` starts the HTTPS listener (Entra, GitHub
// OIDC, ARM, admin, scoring) and Azurite, seeds the workspace, writes the env file and returns the
// contract of issue 4 plus `stop()`. See emulator/README.md.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensureCa } from './ca.js';
import { defaultSettings, EmulatorContext, type EmulatorSettings } from './context.js';
import { addPrincipal, defaultAudience, parsePrincipalInput } from './admin.js';
import { createContainer, devAccountKey, identityAccount, startAzurite, type AzuriteProcess } from './azurite.js';
import { startStorageFront, type StorageFront } from './storage.js';
import { startEntraProxy } from './entraProxy.js';
import { ArmRouter, validationMode } from './arm/router.js';
import { warnSpecMissing } from './spec.js';
import { armRoutes } from './arm/routes.js';
import { seedWorkspace, blobContainerName } from './arm/workspaces.js';
import { loadState, saveState } from './persist.js';
import { seedKubernetesCompute } from './arm/computes.js';
import { seedCuratedEnvironments } from './arm/curated.js';
import { createServer } from './server.js';
import { onnxScoringHandler } from './onnxScoring.js';
import { stopAllPythonServers } from './pythonScoring.js';
import type { ScoringHandler } from './scoring.js';

export { ensureCa, trustEmulatorCa, caDir } from './ca.js';
export type { ScoringHandler, ScoringRequest, ScoringModel, ScoringCode } from './scoring.js';
export { onnxScoringHandler } from './onnxScoring.js';
export type { EmulatorSettings } from './context.js';
export type { FaultRule } from './faults.js';

export interface StartEmulatorOptions {
  /** HTTPS port (0 or absent: a free port). */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** JSON file of settings (see EmulatorSettings) and extra `principals`. */
  config?: string;
  /** Settings overriding the defaults and the config file. */
  settings?: Partial<EmulatorSettings>;
  /** Keep Azurite's data and the emulator's resources here across restarts (default: in memory). */
  stateDir?: string;
  /** Where to write the env file (default: stateDir/emulator.env or a temporary file). */
  envFile?: string;
  /** Start Azurite (default true). Tests that never touch blobs may skip it to start faster. */
  azurite?: boolean;
  /**
   * The inference hook for online deployments (see scoring.ts). Default: ONNX inference through
   * shared/scoring on onnxruntime-node (onnxScoring.ts); null: none (scoring answers 502).
   */
  scoring?: ScoringHandler | null;
  /** An Azurite already being started (the CLI starts it before loading the rest, to save time). */
  azuriteProcess?: Promise<AzuriteProcess>;
}

/** The contract of issue 4: what `npm run emulator` prints as its first stdout line. */
export interface EmulatorContract {
  armUrl: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  /** ARM id of the workspace. */
  workspaceId: string;
  /** App id of the seeded service principal (federated credentials for main, pull_request, environment:production; Contributor on the workspace). */
  clientId: string;
  /**
   * App id of the seeded pull-request app, as the docs advise (one app per trust level): a
   * federated credential for `pull_request` only, AzureML Data Scientist on the workspace.
   */
  pullRequestClientId: string;
  kubernetesCompute: string;
  oidcRequestUrl: string;
  oidcRequestToken: string;
  oidcIssuer: string;
  /** Audience the seeded federated credentials accept. */
  audience: string;
  caFile: string;
  /** Azurite base URL (path-style: `${blobUrl}/devstoreaccount1`), plain HTTP, no Entra checks; empty when Azurite is off. */
  blobUrl: string;
  /**
   * The storage front over HTTPS (`${storageUrl}/{account}`), what `storageUrlTemplate` names: the key
   * account passes through to Azurite, the identity datastore's account needs an Entra token and a data role.
   */
  storageUrl: string;
  /** Container of `workspaceblobstore` in Azurite (account devstoreaccount1). */
  blobContainer: string;
  storageUrlTemplate: string;
  adminUrl: string;
  /**
   * Plain HTTP proxy that tunnels only to login.microsoftonline.com, answered by the emulator's Entra:
   * for the Azure CLI (HTTPS_PROXY=proxyUrl, NO_PROXY=127.0.0.1; README "Azure CLI").
   */
  proxyUrl: string;
  envFile: string;
}

export interface RunningEmulator extends EmulatorContract {
  /** Replaces the scoring hook (e.g. once shared/scoring is loaded). */
  setScoring(handler: ScoringHandler | undefined): void;
  /** The emulator's state, for tests that need to look inside. */
  context: EmulatorContext;
  /** The environment variables of the env file, as an object. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function readConfig(file: string | undefined): { settings: Partial<EmulatorSettings>; principals: unknown[] } {
  if (!file) return { settings: {}, principals: [] };
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const { principals, ...settings } = raw;
  return { settings: settings as Partial<EmulatorSettings>, principals: Array.isArray(principals) ? principals : [] };
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const ca = ensureCa();
  const host = options.host ?? '127.0.0.1';
  const config = readConfig(options.config);
  const settings: EmulatorSettings = { ...defaultSettings, ...config.settings, ...options.settings };
  if (validationMode(settings) !== 'off') {
    try {
      warnSpecMissing();
    } catch (error) {
      await options.azuriteProcess?.then((a) => a.stop()).catch(() => undefined);
      throw error;
    }
  }
  const ctx = new EmulatorContext(settings);
  ctx.scoring = options.scoring === null ? undefined : (options.scoring ?? onnxScoringHandler());
  const router = new ArmRouter(armRoutes);

  const azuritePromise: Promise<AzuriteProcess | undefined> =
    options.azurite === false
      ? Promise.resolve(undefined)
      : (options.azuriteProcess ?? startAzurite({ host, ...(options.stateDir ? { stateDir: options.stateDir } : {}) }));
  // Don't leave an unhandled rejection while the HTTPS server starts.
  azuritePromise.catch(() => undefined);

  const tls = { cert: readFileSync(ca.certFile, 'utf8'), key: readFileSync(ca.keyFile, 'utf8') };
  const server = createServer(ctx, router, tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  ctx.baseUrl = `https://${host}:${port}`;
  const entraProxy = await startEntraProxy(server, host);

  let azurite: AzuriteProcess | undefined;
  try {
    azurite = await azuritePromise;
  } catch (error) {
    server.close();
    await entraProxy.stop();
    throw error;
  }
  ctx.blobUrl = azurite?.url ?? '';
  // Azurite's account key is well known, but in Azure it is a secret: listSecrets hands it out.
  if (azurite) ctx.issueSecret('storage account key', devAccountKey);

  const statePath = options.stateDir ? join(options.stateDir, 'emulator-state.json') : undefined;
  if (statePath && existsSync(statePath)) {
    loadState(ctx, statePath);
  } else {
    const subjects = ['ref:refs/heads/main', 'pull_request', 'environment:production'].map(
      (s) => `repo:${settings.repository}:${s}`,
    );
    addPrincipal(ctx, {
      clientId: settings.clientId,
      objectId: createHash('sha256')
        .update(`oid:${settings.clientId}`)
        .digest('hex')
        .replace(/^(.{8})(.{4})(.{3})(.{3})(.{12}).*$/, '$1-$2-4$3-a$4-$5'),
      displayName: 'github-actions-octo-repo',
      federatedCredentials: subjects.map((subject, i) => ({
        name: `github-${i + 1}`,
        subject,
        audiences: [defaultAudience],
      })),
      roles: [{ role: 'Contributor' }],
    });
    addPrincipal(ctx, {
      clientId: settings.pullRequestClientId,
      displayName: 'github-actions-octo-repo-pull-requests',
      federatedCredentials: [
        {
          name: 'github-pull-request',
          subject: `repo:${settings.repository}:pull_request`,
          audiences: [defaultAudience],
        },
      ],
      roles: [{ role: 'AzureML Data Scientist' }],
    });
    seedWorkspace(ctx);
    seedCuratedEnvironments(ctx);
    seedKubernetesCompute(ctx);
  }
  for (const p of config.principals) addPrincipal(ctx, parsePrincipalInput(p));

  let storageFront: StorageFront | undefined;
  if (azurite) {
    await Promise.all([
      createContainer(azurite.url, blobContainerName(ctx)),
      createContainer(azurite.url, blobContainerName(ctx), identityAccount),
    ]);
    storageFront = await startStorageFront(ctx, azurite.url, { host, ...tls });
    ctx.storageUrl = storageFront.url;
  }

  const storageUrlTemplate = storageFront ? `${storageFront.url}/{account}` : '';
  const contract: EmulatorContract = {
    armUrl: ctx.baseUrl,
    authorityHost: ctx.baseUrl,
    tenantId: settings.tenantId,
    subscriptionId: settings.subscriptionId,
    resourceGroup: settings.resourceGroup,
    workspace: settings.workspace,
    location: settings.location,
    workspaceId: ctx.workspaceId,
    clientId: settings.clientId,
    pullRequestClientId: settings.pullRequestClientId,
    kubernetesCompute: settings.kubernetesCompute,
    oidcRequestUrl: `${ctx.baseUrl}/oidc/idtoken?api-version=2.0`,
    oidcRequestToken: ctx.oidcRequestToken,
    oidcIssuer: ctx.oidcIssuer,
    audience: defaultAudience,
    caFile: ca.caFile,
    blobUrl: ctx.blobUrl,
    storageUrl: storageFront?.url ?? '',
    blobContainer: blobContainerName(ctx),
    storageUrlTemplate,
    adminUrl: `${ctx.baseUrl}/admin`,
    proxyUrl: entraProxy.url,
    envFile: '',
  };
  const env: Record<string, string> = {
    ACTIONS_ID_TOKEN_REQUEST_URL: contract.oidcRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: contract.oidcRequestToken,
    NODE_EXTRA_CA_CERTS: ca.caFile,
    AZURE_CLIENT_ID: contract.clientId,
    AZURE_TENANT_ID: contract.tenantId,
    AZURE_SUBSCRIPTION_ID: contract.subscriptionId,
    AZURE_RESOURCE_GROUP: contract.resourceGroup,
    AZUREML_WORKSPACE: contract.workspace,
    AZURE_CLOUD: 'custom',
    AZURE_ARM_ENDPOINT: contract.armUrl,
    AZURE_AUTHORITY_HOST: contract.authorityHost,
    AZURE_STORAGE_URL_TEMPLATE: storageUrlTemplate,
    // For Microsoft's Python SDK v2 as an independent client (see shared/FACTS.md).
    AZUREML_DEV_URL_MFE: contract.armUrl,
    REQUESTS_CA_BUNDLE: ca.caFile,
    AZUREML_EMULATOR_ADMIN_URL: contract.adminUrl,
  };
  let envFile = options.envFile;
  let ownEnvFile = false;
  if (!envFile) {
    if (options.stateDir) envFile = join(options.stateDir, 'emulator.env');
    else {
      const dir = join(tmpdir(), 'azureml-emulator');
      mkdirSync(dir, { recursive: true });
      envFile = join(dir, `emulator-${port}.env`);
      ownEnvFile = true;
    }
  }
  if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  contract.envFile = envFile;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const t of ctx.timers) clearTimeout(t);
      ctx.timers.clear();
      await stopAllPythonServers(ctx);
      if (statePath) saveState(ctx, statePath);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as typeof server & { destroyAll?: () => void }).destroyAll?.();
      });
      await entraProxy.stop();
      await storageFront?.stop();
      await azurite?.stop();
      if (ownEnvFile) rmSync(envFile, { force: true });
    })();
    return stopped;
  };
  return {
    ...contract,
    env,
    context: ctx,
    setScoring: (h) => {
      ctx.scoring = h;
    },
    stop,
  };
}
