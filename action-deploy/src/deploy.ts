// Deploys a registered model to an online endpoint, blue/green: the new deployment is created at
// 0 % traffic, gated by the smoke test through the azureml-model-deployment header, then given
// 100 %; on any failure traffic stays exactly as it was, the logs are printed and the failed
// deployment is removed. DESIGN.md "Decisions" fixes naming, no-op reruns and auth modes.

import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionContext } from '../../shared/action/context.js';
import { escapeCell } from '../../shared/action/plan.js';
import { gateFailure, runSmokeGate } from '../../shared/action/smokeGate.js';
import { isNotFound, explainArmError } from '../../shared/azure/armError.js';
import { CONTENT_HASH_PROPERTY, registerVersion, versionStore } from '../../shared/azure/assets.js';
import { registerCodeFolder } from '../../shared/azure/code.js';
import { connectToWorkspace, type WorkspaceConnection } from '../../shared/azure/connect.js';
import { openDatastore, type OpenDatastore } from '../../shared/azure/datastore.js';
import { endpointAccess, setEndpointTraffic } from '../../shared/azure/endpoints.js';
import { deriveDeploymentName, workspaceResourceId } from '../../shared/azure/ids.js';
import { POLL_INTERVAL_MS, retryWhileBusy, waitForOperation } from '../../shared/azure/lro.js';
import { UserError } from '../../shared/errors.js';
import type { SmokeResult } from '../../shared/smoke/index.js';
import type { AuthMode, DeployInputs, DeploySettings, ModelReference } from './inputs.js';
import { previousRelease, readReleases, tagsWithRelease } from './releases.js';

type DeployRequest = Extract<DeployInputs, { operation: 'deploy' }>;
const ML = 'Microsoft.MachineLearningServices/workspaces';
const AUTH_MODE: Record<AuthMode, 'Key' | 'AMLToken' | 'AADToken'> = {
  key: 'Key',
  'aml-token': 'AMLToken',
  'aad-token': 'AADToken',
};
const ONE_GB = 1024 ** 3;
/** Our generic ONNX score.py and its conda environment, shipped beside the bundle (DESIGN.md). */
const GENERIC_ONNX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'onnx-generic');
const GENERIC_IMAGE = 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest';

interface ResolvedModel {
  name: string;
  version: string;
  id: string;
  modelType: string;
  modelUri: string;
}

export async function deployModel(context: ActionContext, request: DeployRequest): Promise<void> {
  const { deploy: d, endpoint } = request;
  if (request.target === 'local') return serveRegisteredModelLocally(context, request);
  if (d.model.kind === 'local')
    throw new UserError("A local model path can only be served with target 'local'.", { input: 'model' });
  const { log } = context;

  const connection = await connectToWorkspace(context, request.common.azure, [
    { action: `${ML}/onlineEndpoints/write`, purpose: `create or update endpoint ${endpoint}` },
    { action: `${ML}/onlineEndpoints/deployments/write`, purpose: 'create the new deployment' },
    { action: `${ML}/onlineEndpoints/deployments/delete`, purpose: 'remove the previous or a failed deployment' },
  ]);
  const { client, settings, workspace } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;
  const location = workspace.location ?? 'eastus';
  const existing = await client.onlineEndpoints.get(rg, ws, endpoint).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw explainArmError(error, `reading endpoint ${endpoint}`);
  });
  const trafficNow: Record<string, number> = { ...(existing?.properties.traffic ?? {}) };
  // The deployment serving most of the traffic: the one a release replaces (or updates in place).
  const serving = Object.entries(trafficNow).sort((a, b) => b[1] - a[1])[0]?.[0];
  const model = await resolveRequestedModel(context, connection, endpoint, existing, d.model);
  const target = await chooseTarget(context, connection, request, model);
  const deploymentName =
    d.deployment ??
    (d.strategy === 'replace' && serving !== undefined ? serving : deriveDeploymentName(model.name, model.version));
  log.info(
    `Deploying ${model.name}:${model.version} to ${endpoint}/${deploymentName} (target ${target.name}: ${target.reason}; strategy ${d.strategy === 'canary' ? `canary ${d.trafficSteps.join('/')} %` : d.strategy}).`,
  );

  // Endpoint: create, or update its auth mode (called out: old credentials stop working).
  const authMode = AUTH_MODE[d.authMode];
  const kubernetesCompute =
    target.name === 'aks' ? workspaceResourceId(settings, `computes/${d.compute ?? ''}`) : undefined;
  if (existing) checkEndpointKind(existing, target.name, endpoint);
  const trafficBefore = trafficNow;
  const notes: string[] = [];
  if (!existing || existing.properties.authMode !== authMode) {
    if (existing)
      notes.push(
        `The endpoint's auth mode changed from ${existing.properties.authMode} to ${authMode}: clients holding the old kind of credential stop working.`,
      );
    await retryWhileBusy(context.log, async () => {
      // Read again on every try: while this run waited, another may have created the endpoint or
      // shifted its traffic, and a PUT with what this run read at the start would undo that.
      const latest = await client.onlineEndpoints.get(rg, ws, endpoint).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw explainArmError(error, `reading endpoint ${endpoint}`);
      });
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
  }

  const previous = serving;
  const current =
    previous === undefined
      ? undefined
      : await client.onlineDeployments.get(rg, ws, endpoint, previous).catch(() => undefined);
  const isNoOp =
    previous === deploymentName && trafficBefore[deploymentName] === 100 && current?.properties.model === model.id;
  const inPlace = d.strategy === 'replace' && previous === deploymentName && current !== undefined;
  const release = {
    deployment: deploymentName,
    model: `${model.name}:${model.version}`,
    commit: (context.inputs.env('GITHUB_SHA') ?? '').slice(0, 7),
    time: new Date().toISOString(),
  };
  let smoke: SmokeResult | undefined;
  /** What a rollback restores: the traffic this run found, unless another run changed it meanwhile. */
  let trafficToRestore = trafficBefore;
  if (isNoOp) {
    log.info(
      `${deploymentName} already serves ${model.name}:${model.version} with 100 % of the traffic: nothing to deploy.`,
    );
    smoke = await gate(context, connection, request, deploymentName);
  } else {
    const body = await deploymentBody(context, connection, request, model, target.name, location);
    try {
      await retryWhileBusy(context.log, () =>
        waitForOperation(
          () =>
            client.onlineDeployments.beginCreateOrUpdate(rg, ws, endpoint, deploymentName, body, {
              updateIntervalInMs: POLL_INTERVAL_MS,
            }),
          {
            log,
            what: inPlace
              ? `Updating deployment ${deploymentName} in place (strategy replace: it keeps its ${trafficBefore[deploymentName] ?? 0} % of the traffic)`
              : `Creating deployment ${deploymentName} (0 % traffic)`,
            timeoutMs: d.timeoutMs,
          },
        ),
      );
      smoke = await gate(context, connection, request, deploymentName);
      // canary: the new deployment takes each step's share from the one serving before, gated at
      // each step; blue-green and replace go to 100 % at once. The last step records the release.
      const steps = d.strategy === 'canary' ? d.trafficSteps : [100];
      // Each shift checks, right before its update, that the traffic is still what this run last
      // saw: another run deploying to the endpoint at the same time fails one of the two cleanly.
      let expected = trafficBefore;
      for (const [index, percent] of steps.entries()) {
        const traffic = Object.fromEntries([
          ...Object.keys(trafficBefore).map((name) => [name, 0]),
          ...(previous !== undefined && previous !== deploymentName ? [[previous, 100 - percent]] : []),
          [deploymentName, percent],
        ]);
        const last = index === steps.length - 1;
        await setTraffic(
          context,
          connection,
          request,
          traffic,
          percent === 100
            ? `Shifting 100 % of the traffic to ${deploymentName}`
            : `Canary step ${index + 1}/${steps.length}: ${percent} % to ${deploymentName}, ${100 - percent} % to ${previous ?? '(none)'}`,
          last ? (tags) => tagsWithRelease(tags, release) : undefined,
          (now) => assertTrafficUnchanged(request.endpoint, deploymentName, expected, now),
        );
        expected = traffic;
        if (!last) smoke = await gate(context, connection, request, deploymentName);
      }
    } catch (error) {
      if (error instanceof ConcurrentChangeError) trafficToRestore = error.trafficNow;
      if (inPlace && current) await restoreInPlace(context, connection, request, deploymentName, current);
      else await rollBack(context, connection, request, deploymentName, trafficToRestore);
      context.outputs.set('rolled-back', true);
      context.outputs.set(
        'smoke-test',
        smoke ? (smoke.passed ? 'passed' : 'failed') : d.smokeTest ? 'failed' : 'skipped',
      );
      throw error;
    }
    if (!d.keepPrevious) {
      for (const old of Object.keys(trafficBefore).filter((name) => name !== deploymentName)) {
        await removeDeployment(context, connection, endpoint, old, {
          what: `Removing previous deployment ${old}`,
          timeoutMs: d.timeoutMs,
        });
      }
    }
  }

  const final = await client.onlineEndpoints.get(rg, ws, endpoint);
  const access =
    d.exposeKey || d.smokeTest
      ? await endpointAccess({ client, settings, session: connection.session, endpoint, log })
      : undefined;
  const outputs: Record<string, string | number | boolean> = {
    'endpoint-name': endpoint,
    'deployment-name': deploymentName,
    'scoring-uri': final.properties.scoringUri ?? '',
    'openapi-uri': final.properties.swaggerUri ?? '',
    url: studioUrl(settings.cloud.studioUrl, workspaceResourceId(settings, `onlineEndpoints/${endpoint}`)),
    target: target.name,
    'auth-mode': d.authMode,
    'previous-deployment': previous ?? '',
    traffic: JSON.stringify(final.properties.traffic ?? {}),
    'smoke-test': smoke ? (smoke.passed ? 'passed' : 'failed') : 'skipped',
    'p95-ms': smoke?.latency.p95 !== undefined ? smoke.latency.p95.toFixed(1) : '',
    'rolled-back': false,
  };
  if (d.exposeKey && access) outputs.key = access.credential.value; // masked in endpointAccess
  for (const [name, value] of Object.entries(outputs)) context.outputs.set(name, value);
  if (!smoke) notes.push('No smoke test ran (smoke-test-payload is not set): this release was not gated.');
  for (const note of notes) log.warning(note);
  context.summary.append(
    summary({
      endpoint,
      deploymentName,
      model,
      target,
      authMode,
      trafficBefore,
      trafficAfter: final.properties.traffic ?? {},
      smoke,
      notes,
      noOp: isNoOp,
    }),
  );
}

/**
 * target local with a registered model: download its files from the workspace datastore into
 * RUNNER_TEMP, then serve them like a model file from the repository (local.ts).
 */
async function serveRegisteredModelLocally(context: ActionContext, request: DeployRequest): Promise<void> {
  const d = request.deploy;
  const connection = await connectToWorkspace(context, request.common.azure, [
    { action: `${ML}/models/versions/read`, purpose: 'read the model to serve' },
    { action: `${ML}/datastores/listsecrets/action`, purpose: "download the model's files with the datastore key" },
  ]);
  const existing =
    d.model.kind === 'previous'
      ? await connection.client.onlineEndpoints
          .get(connection.settings.resourceGroup, connection.settings.workspace, request.endpoint)
          .catch(() => undefined)
      : undefined;
  const model = await resolveRequestedModel(context, connection, request.endpoint, existing, d.model);
  const modelPath = await context.log.group(`Download ${model.name}:${model.version}`, () =>
    downloadModel(context, connection, model),
  );
  const { deployLocal } = await import('./local.js');
  await deployLocal(context, {
    dryRun: false,
    endpoint: request.endpoint,
    target: 'local',
    operation: 'serve-local',
    deploy: { ...d, model: { kind: 'local', path: modelPath } },
  });
}

/** The model's blobs under its modelUri, written below RUNNER_TEMP; answers the file or folder to serve. */
async function downloadModel(
  context: ActionContext,
  connection: WorkspaceConnection,
  model: ResolvedModel,
): Promise<string> {
  const stored = await openModelFiles(context, connection, model);
  if (!stored) {
    throw new UserError(
      `Model ${model.name}:${model.version} points at '${model.modelUri}', not at a workspace datastore: target 'local' can serve only models whose files are in the workspace.`,
      { input: 'model' },
    );
  }
  const { datastore } = stored;
  const prefix = stored.path.replace(/\/$/, '');
  const root = path.join(
    context.inputs.env('RUNNER_TEMP') ?? os.tmpdir(),
    `azureml-model-${model.name}-${model.version}`.replace(/[^\w.-]/g, '-'),
  );
  let files = 0;
  let bytes = 0;
  for await (const blob of datastore.container.listBlobsFlat({ prefix })) {
    const relative = blob.name === prefix ? path.basename(prefix) : blob.name.slice(prefix.length).replace(/^\/+/, '');
    // Blob names come from the service: never write outside the download folder.
    const target = path.resolve(root, relative);
    if (relative === '' || !target.startsWith(root + path.sep)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    await datastore.container.getBlockBlobClient(blob.name).downloadToFile(target);
    files++;
    bytes += blob.properties.contentLength ?? 0;
  }
  if (files === 0) {
    throw new UserError(`Model ${model.name}:${model.version} has no files at ${model.modelUri}.`, { input: 'model' });
  }
  context.log.info(`Downloaded ${files} file(s), ${bytes} bytes, to ${root}.`);
  const entries = readdirSync(root);
  // One file (an .onnx): serve that file; otherwise the folder (a Triton model repository).
  return entries.length === 1 && entries[0] && statSync(path.join(root, entries[0])).isFile()
    ? path.join(root, entries[0])
    : root;
}

/** The model the step names: a version, the latest, or the previous release's (endpoint history). */
function resolveRequestedModel(
  context: ActionContext,
  connection: WorkspaceConnection,
  endpoint: string,
  existing: OnlineEndpoint | undefined,
  ref: ModelReference,
): Promise<ResolvedModel> {
  return ref.kind === 'previous'
    ? resolvePreviousModel(context, connection, endpoint, existing, ref.name)
    : resolveModel(connection, ref);
}

/** `model: previous`: the model of the release before the current one, from the endpoint's tags. */
async function resolvePreviousModel(
  context: ActionContext,
  connection: WorkspaceConnection,
  endpoint: string,
  existing: OnlineEndpoint | undefined,
  name: string | undefined,
): Promise<ResolvedModel> {
  if (!existing) {
    throw new UserError(`Endpoint '${endpoint}' does not exist, so it has no previous release to go back to.`, {
      input: 'model',
    });
  }
  const releases = readReleases(existing.tags);
  const target = previousRelease(endpoint, releases, name);
  const [current] = releases;
  context.log.info(
    `Rolling back ${endpoint} from ${current?.model ?? '?'} (released ${current?.time ?? '?'}) to ${target.model} (released ${target.time}${target.commit ? ` from commit ${target.commit}` : ''}).`,
  );
  const separator = target.model.lastIndexOf(':');
  return resolveModel(connection, {
    kind: 'version',
    name: target.model.slice(0, separator),
    version: target.model.slice(separator + 1),
  });
}

async function resolveModel({ client, settings }: WorkspaceConnection, ref: ModelReference): Promise<ResolvedModel> {
  const { resourceGroup: rg, workspace: ws } = settings;
  if (ref.kind !== 'version' && ref.kind !== 'latest')
    throw new UserError('Unsupported model reference.', { input: 'model' });
  let version = ref.kind === 'version' ? ref.version : undefined;
  if (version === undefined) {
    const container = await client.modelContainers.get(rg, ws, ref.name).catch((error: unknown) => {
      throw explainArmError(
        error,
        `reading model ${ref.name}`,
        isNotFound(error) ? `No model named '${ref.name}' is registered in workspace '${ws}'.` : undefined,
      );
    });
    version = container.properties.latestVersion ?? undefined;
    if (!version) throw new UserError(`Model '${ref.name}' has no versions.`, { input: 'model' });
  }
  const found = await client.modelVersions.get(rg, ws, ref.name, version).catch((error: unknown) => {
    throw explainArmError(
      error,
      `reading model ${ref.name}:${version}`,
      isNotFound(error) ? `Model '${ref.name}' has no version '${version}' in workspace '${ws}'.` : undefined,
    );
  });
  return {
    name: ref.name,
    version,
    id: found.id ?? workspaceResourceId(settings, `models/${ref.name}/versions/${version}`),
    modelType: found.properties.modelType ?? 'custom_model',
    modelUri: found.properties.modelUri ?? '',
  };
}

/** aci / aks as asked, or for `auto` by model size; aks needs an attached Kubernetes compute. */
async function chooseTarget(
  context: ActionContext,
  connection: WorkspaceConnection,
  request: DeployRequest,
  model: ResolvedModel,
): Promise<{ name: 'aci' | 'aks'; reason: string }> {
  const d = request.deploy;
  const { client, settings } = connection;
  let size: number | undefined;
  if (request.target !== 'aks') size = await modelSize(context, connection, model);
  if (request.target === 'aci' && size !== undefined && size >= ONE_GB) {
    context.log.warning(
      `The model is ${(size / ONE_GB).toFixed(1)} GB: managed endpoints (target 'aci') are meant for models under 1 GB; consider target 'aks'.`,
    );
  }
  let name: 'aci' | 'aks';
  let reason: string;
  if (request.target === 'auto') {
    name = size !== undefined && size >= ONE_GB && d.compute ? 'aks' : 'aci';
    reason = `auto: the model is ${size === undefined ? 'of unknown size' : `${(size / 1024 ** 2).toFixed(1)} MiB`}${name === 'aks' ? ' (1 GB or more) and a compute is given' : d.compute ? ' (under 1 GB)' : ' and no compute is given'}`;
  } else {
    name = request.target === 'aks' ? 'aks' : 'aci';
    reason = name === 'aks' ? 'Kubernetes online endpoint, as asked' : 'managed online endpoint, as asked';
  }
  if (name === 'aks') {
    const compute = await client.computeOperations
      .get(settings.resourceGroup, settings.workspace, d.compute ?? '')
      .catch((error: unknown) => {
        if (isNotFound(error)) {
          throw new UserError(
            `Compute '${d.compute ?? ''}' does not exist in workspace '${settings.workspace}': attach a Kubernetes cluster under that name first.`,
            { input: 'compute' },
          );
        }
        throw explainArmError(error, `reading compute ${d.compute ?? ''}`);
      });
    const type = compute.properties?.computeType;
    if (type !== 'Kubernetes') {
      throw new UserError(
        `Compute '${d.compute ?? ''}' is a ${type ?? 'compute of unknown type'}, not an attached Kubernetes compute; target 'aks' needs one.`,
        { input: 'compute' },
      );
    }
    if (compute.properties?.provisioningState && compute.properties.provisioningState !== 'Succeeded') {
      throw new UserError(
        `Compute '${d.compute ?? ''}' is not attached and ready (state ${compute.properties.provisioningState}).`,
        { input: 'compute' },
      );
    }
  }
  return { name, reason };
}

/** The model's size in bytes (sum of its blobs), or undefined when its files are not in a workspace datastore. */
async function modelSize(
  context: ActionContext,
  connection: WorkspaceConnection,
  model: ResolvedModel,
): Promise<number | undefined> {
  try {
    const files = await openModelFiles(context, connection, model);
    if (!files) return undefined;
    let total = 0;
    for await (const blob of files.datastore.container.listBlobsFlat({ prefix: files.path }))
      total += blob.properties.contentLength ?? 0;
    return total;
  } catch {
    return undefined;
  }
}

/** The datastore holding a model's files and their path in it, or undefined when its URI is not a workspace datastore's. */
async function openModelFiles(
  context: ActionContext,
  { client, settings, session }: WorkspaceConnection,
  model: ResolvedModel,
): Promise<{ datastore: OpenDatastore; path: string } | undefined> {
  const match = /\/datastores\/([^/]+)\/paths\/(.+)$/.exec(model.modelUri);
  if (!match?.[1] || !match[2]) return undefined;
  const datastore = await openDatastore({
    client,
    settings,
    credential: session.credential,
    log: context.log,
    name: match[1],
  });
  return { datastore, path: decodeURIComponent(match[2]) };
}

function checkEndpointKind(existing: OnlineEndpoint, target: 'aci' | 'aks', name: string) {
  const isKubernetes = Boolean((existing.properties as { compute?: string }).compute);
  if (isKubernetes !== (target === 'aks')) {
    throw new UserError(
      `Endpoint '${name}' already exists as a ${isKubernetes ? 'Kubernetes (aks)' : 'managed (aci)'} endpoint; it cannot serve target '${target}'. Use another endpoint name, or delete it first ('delete: endpoint').`,
      { input: 'target' },
    );
  }
}

async function deploymentBody(
  context: ActionContext,
  connection: WorkspaceConnection,
  request: DeployRequest,
  model: ResolvedModel,
  target: 'aci' | 'aks',
  location: string,
): Promise<OnlineDeployment> {
  const d = request.deploy;
  const scoring = model.modelType === 'custom_model' ? await scoringCode(context, connection, d) : {};
  const iso = (ms: number | undefined) =>
    ms === undefined ? undefined : `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;
  const probe = (p: DeploySettings['livenessProbe']) =>
    p && {
      initialDelay: iso(p.initialDelayMs),
      period: iso(p.periodMs),
      timeout: iso(p.timeoutMs),
      failureThreshold: p.failureThreshold,
      successThreshold: p.successThreshold,
    };
  const properties = {
    endpointComputeType: target === 'aks' ? 'Kubernetes' : 'Managed',
    model: model.id,
    instanceType: d.instanceType ?? (target === 'aci' ? 'Standard_DS3_v2' : undefined),
    appInsightsEnabled: d.appInsights,
    environmentVariables: d.environmentVariables,
    ...scoring,
    ...(d.requestTimeoutMs !== undefined || d.maxConcurrentRequests !== undefined
      ? {
          requestSettings: {
            requestTimeout: iso(d.requestTimeoutMs),
            maxConcurrentRequestsPerInstance: d.maxConcurrentRequests,
          },
        }
      : {}),
    ...(d.livenessProbe ? { livenessProbe: probe(d.livenessProbe) } : {}),
    ...(d.readinessProbe ? { readinessProbe: probe(d.readinessProbe) } : {}),
    ...(d.autoscale
      ? {
          scaleSettings: {
            scaleType: 'TargetUtilization',
            minInstances: d.autoscale.minInstances,
            maxInstances: d.autoscale.maxInstances,
            targetUtilizationPercentage: d.autoscale.targetUtilization,
          },
        }
      : {}),
  };
  return { location, sku: { name: 'Default', capacity: d.instanceCount }, properties } as OnlineDeployment;
}

/** Code and environment of a custom_model: the user's, or our generic ONNX score.py and environment. */
async function scoringCode(context: ActionContext, connection: WorkspaceConnection, d: DeploySettings) {
  const { client, settings } = connection;
  const code = await registerCodeFolder({
    connection,
    folder: d.codePath ?? GENERIC_ONNX,
    name: d.codePath
      ? `${path.basename(d.codePath)}-code`.replace(/[^a-zA-Z0-9_-]/g, '-')
      : 'azureml-actions-onnx-score',
    log: context.log,
    ...(d.codePath ? {} : { ignorePatterns: ['README.md', 'conda.yml'] }),
  });
  let environmentId = d.environment;
  if (!environmentId) {
    if (d.codePath)
      throw new UserError("A custom scoring script needs 'environment' (azureml:NAME:VERSION) to run in.", {
        input: 'environment',
      });
    const conda = readFileSync(path.join(GENERIC_ONNX, 'conda.yml'), 'utf8');
    const envHash = createHash('sha256').update(`${GENERIC_IMAGE}\n${conda}`).digest('hex');
    const env = await registerVersion({
      store: versionStore(client, settings, 'environments', 'azureml-actions-onnx'),
      version: 'auto',
      contentHash: envHash,
      dedupe: true,
      properties: {
        image: GENERIC_IMAGE,
        condaFile: conda,
        osType: 'Linux',
        properties: { [CONTENT_HASH_PROPERTY]: envHash },
      },
      log: context.log,
    });
    environmentId = workspaceResourceId(settings, `environments/azureml-actions-onnx/versions/${env.version}`);
  } else {
    const [, name, version] = /^azureml:([^:@]+)[:@](.+)$/.exec(environmentId) ?? [];
    environmentId = workspaceResourceId(
      settings,
      version === 'latest' ? `environments/${name}` : `environments/${name}/versions/${version}`,
    );
  }
  return {
    codeConfiguration: {
      codeId: code.codeId,
      scoringScript: d.scoringScript ?? 'score.py',
    },
    environmentId,
  };
}

async function gate(
  context: ActionContext,
  connection: WorkspaceConnection,
  request: DeployRequest,
  deployment: string,
): Promise<SmokeResult | undefined> {
  const settings = request.deploy.smokeTest;
  if (!settings) return undefined;
  const access = await endpointAccess({
    client: connection.client,
    settings: connection.settings,
    session: connection.session,
    endpoint: request.endpoint,
    log: context.log,
  });
  const result = await runSmokeGate(context, settings, {
    scoringUri: access.scoringUri,
    credential: access.credential,
    deployment,
  });
  context.outputs.set('smoke-test', result.passed ? 'passed' : 'failed');
  if (!result.passed) throw gateFailure(result);
  return result;
}

function setTraffic(
  context: ActionContext,
  { client, settings }: WorkspaceConnection,
  request: DeployRequest,
  traffic: Record<string, number>,
  what: string,
  tags?: (current: Record<string, string> | undefined) => Record<string, string>,
  guard?: (current: Record<string, number>) => void,
) {
  return setEndpointTraffic({
    client,
    settings,
    log: context.log,
    endpoint: request.endpoint,
    traffic,
    what,
    timeoutMs: request.deploy.timeoutMs,
    ...(tags ? { tags } : {}),
    ...(guard ? { guard } : {}),
  });
}

/**
 * The endpoint's traffic must still be what this run last saw (its own deployment's share aside
 * before the first shift). If another run changed it meanwhile (two deployments to one endpoint at
 * once), shifting would undo that run's release or strand its deployment: fail, leaving its
 * traffic alone (the rollback then only removes this run's new deployment).
 */
function assertTrafficUnchanged(
  endpoint: string,
  deployment: string,
  expected: Record<string, number>,
  now: Record<string, number>,
): void {
  const names = new Set([...Object.keys(expected), ...Object.keys(now)]);
  const changed = [...names].some(
    (name) => (expected[name] ?? 0) !== (now[name] ?? 0) && !(name === deployment && expected[name] === undefined),
  );
  if (!changed) return;
  const show = (t: Record<string, number>) => JSON.stringify(t);
  throw new ConcurrentChangeError(
    `Another run changed endpoint '${endpoint}''s traffic while this one was deploying (this run expected ${show(expected)}, it is ${show(now)}): this run stops without changing it, and ${deployment} is removed. Deploy to one endpoint one run at a time: give the job a 'concurrency:' group per endpoint.`,
    now,
  );
}

/** The endpoint's traffic changed under this run: the rollback must keep the traffic as it is now. */
class ConcurrentChangeError extends UserError {
  constructor(
    message: string,
    readonly trafficNow: Record<string, number>,
  ) {
    super(message);
  }
}

/** strategy replace: a failed in-place update is undone by updating the deployment back to what it was. */
async function restoreInPlace(
  context: ActionContext,
  { client, settings }: WorkspaceConnection,
  request: DeployRequest,
  deployment: string,
  before: OnlineDeployment,
) {
  const { log } = context;
  const { resourceGroup: rg, workspace: ws } = settings;
  await log.group(`Logs of the failed update of ${deployment}`, async () => {
    const logs = await client.onlineDeployments
      .getLogs(rg, ws, request.endpoint, deployment, {
        containerType: 'InferenceServer',
        tail: request.deploy.logLines,
      })
      .catch(() => undefined);
    log.info(logs?.content ?? '(no logs)');
  });
  if (!request.deploy.rollbackOnFailure) {
    log.warning(`rollback-on-failure is false: deployment ${deployment} is left with the failed update.`);
    return;
  }
  await waitForOperation(
    () =>
      client.onlineDeployments.beginCreateOrUpdate(
        rg,
        ws,
        request.endpoint,
        deployment,
        { location: before.location, sku: before.sku, properties: before.properties },
        { updateIntervalInMs: POLL_INTERVAL_MS },
      ),
    {
      log,
      what: `Updating ${deployment} back to ${before.properties.model ?? 'its previous model'}`,
      timeoutMs: request.deploy.timeoutMs,
    },
  );
}

/** Restores traffic exactly, prints the failed deployment's logs, and removes it unless asked to keep it. */
/**
 * Deletes one deployment of the endpoint. Another operation on the endpoint (a concurrent run's
 * traffic shift) answers 409: that is waited out.
 */
function removeDeployment(
  { log }: ActionContext,
  { client, settings }: WorkspaceConnection,
  endpoint: string,
  deployment: string,
  options: { what: string; timeoutMs: number },
): Promise<void> {
  return retryWhileBusy(log, () =>
    waitForOperation(
      () =>
        client.onlineDeployments.beginDelete(settings.resourceGroup, settings.workspace, endpoint, deployment, {
          updateIntervalInMs: POLL_INTERVAL_MS,
        }),
      { log, ...options },
    ),
  );
}

async function rollBack(
  context: ActionContext,
  connection: WorkspaceConnection,
  request: DeployRequest,
  deployment: string,
  trafficBefore: Record<string, number>,
) {
  const { client, settings } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;
  const d = request.deploy;
  const { log } = context;
  await log.group(`Logs of the failed deployment ${deployment}`, async () => {
    for (const containerType of ['StorageInitializer', 'InferenceServer'] as const) {
      const logs = await client.onlineDeployments
        .getLogs(rg, ws, request.endpoint, deployment, { containerType, tail: d.logLines })
        .catch(() => undefined);
      log.info(`--- ${containerType} (last ${d.logLines} lines) ---`);
      log.info(logs?.content ?? '(no logs: the deployment may not have started)');
    }
  });
  if (!d.rollbackOnFailure) {
    log.warning(
      `rollback-on-failure is false: the failed deployment ${deployment} and the endpoint are left as they are.`,
    );
    return;
  }
  const now = await client.onlineEndpoints.get(rg, ws, request.endpoint).catch(() => undefined);
  if (now && JSON.stringify(now.properties.traffic ?? {}) !== JSON.stringify(trafficBefore)) {
    await setTraffic(
      context,
      connection,
      request,
      { ...trafficBefore, [deployment]: 0 },
      'Restoring the traffic as it was',
    );
  }
  if (d.keepFailed) {
    log.warning(`keep-failed is true: the failed deployment ${deployment} is kept at 0 % traffic for debugging.`);
    return;
  }
  await removeDeployment(context, connection, request.endpoint, deployment, {
    what: `Removing the failed deployment ${deployment}`,
    timeoutMs: d.timeoutMs,
  }).catch((error: unknown) => {
    log.warning(
      `The failed deployment ${deployment} could not be removed and is left at 0 % traffic: ${(error as Error).message}`,
    );
  });
}

function studioUrl(studio: string | undefined, armId: string): string {
  return studio
    ? `${studio}/endpoints/realtime${armId.replace(/^.*\/onlineEndpoints\//, '/')}/detail?wsid=${armId.replace(/\/onlineEndpoints\/.*$/, '')}`
    : '';
}

function summary(r: {
  endpoint: string;
  deploymentName: string;
  model: ResolvedModel;
  target: { name: string; reason: string };
  authMode: string;
  trafficBefore: Record<string, number>;
  trafficAfter: Record<string, number>;
  smoke: SmokeResult | undefined;
  notes: string[];
  noOp: boolean;
}): string {
  const traffic = (t: Record<string, number>) =>
    Object.entries(t)
      .map(([k, v]) => `${k} ${v} %`)
      .join(', ') || '(none)';
  const rows: Array<[string, string]> = [
    ['endpoint', r.endpoint],
    ['deployment', `${r.deploymentName}${r.noOp ? ' (already serving this model: no change)' : ''}`],
    ['model', `${r.model.name}:${r.model.version} (${r.model.modelType})`],
    ['target', `${r.target.name}: ${r.target.reason}`],
    ['auth mode', r.authMode],
    ['traffic before', traffic(r.trafficBefore)],
    ['traffic after', traffic(r.trafficAfter)],
    [
      'smoke test',
      r.smoke
        ? r.smoke.passed
          ? `passed (p95 ${r.smoke.latency.p95?.toFixed(1) ?? '?'} ms)`
          : 'failed'
        : 'skipped: not gated',
    ],
  ];
  return [
    `### Deployed ${r.model.name}:${r.model.version} to ${r.endpoint}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${escapeCell(v)} |`),
    '',
    ...r.notes.map((n) => `> ${n}`),
    '',
  ].join('\n');
}
