// Online deployments (Managed and Kubernetes). PUT: 201 Creating / 200 Updating +
// Azure-AsyncOperation; PATCH (tags, sku → Scaling): 202 + Location; DELETE: 202 + Location.
// Provisioning runs a storage initializer (the model's files must exist in the datastore) and an
// inference server start; fault rules can make it fail or crash-loop with given log lines. getLogs
// returns those containers' logs.
import type { EmulatorContext } from '../context.js';
import { ArmError, isRecord, json } from '../http.js';
import { listBlobs, parseDatastoreUri } from '../blob.js';
import { needsPython, provisionPythonServer, stopPythonServer } from '../pythonScoring.js';
import { asyncOperationReply, locationReply, startOperation } from './lro.js';
import { getEndpoint, isKubernetesEndpoint, requireEndpointIdle } from './onlineEndpoints.js';
import {
  containerOutput,
  deploymentId,
  deploymentLogs,
  endpointId,
  endpointRuntime,
  logLine,
  setProvisioningState,
} from './onlineState.js';
import { ML, WS, type ArmCall, type ArmRoute } from './router.js';
import { deleteResource, getResource, listChildren, page, putResource, view } from './store.js';
import { requireWorkspace } from './workspaces.js';

const NAME = /^[a-zA-Z][a-zA-Z0-9-]{0,31}$/;
const DEP = `${WS}/onlineEndpoints/{endpointName}/deployments`;
const act = `${ML}/workspaces/onlineEndpoints/deployments`;

function bad(message: string): ArmError {
  return new ArmError(400, 'BadArgument', message);
}

/**
 * Resolves an asset reference (ARM id, `azureml:name:version`, or `azureml:name@latest`) of the
 * workspace to its resource. `@latest` is what azure-ai-ml 1.35 sends unresolved as a job's
 * environmentId for `environment: azureml:NAME@latest` (captured against this emulator for the
 * corpus's tensorflow, pytorch and lightgbm samples; tests/corpus/RESULTS.md), which Azure resolves.
 */
export function resolveAsset(
  ctx: EmulatorContext,
  ref: string,
  collection: string,
): Record<string, unknown> | undefined {
  const label = /^azureml:([^:/@]+)@latest$/.exec(ref);
  if (label) return listChildren(ctx, `${ctx.workspaceId}/${collection}/${label[1]}`, 'versions').at(-1)?.body;
  const short = /^azureml:([^:/]+):([^:/]+)$/.exec(ref);
  const id = short ? `${ctx.workspaceId}/${collection}/${short[1]}/versions/${short[2]}` : ref.replace(/^azureml:/, '');
  if (!id.toLowerCase().startsWith(`${ctx.workspaceId.toLowerCase()}/${collection.toLowerCase()}/`)) return undefined;
  return getResource(ctx, id)?.body;
}

function modelTypeOf(model: Record<string, unknown> | undefined): string {
  const t = model && isRecord(model.properties) ? String(model.properties.modelType ?? 'custom_model') : '';
  return t.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

function validateDeployment(
  call: ArmCall,
  endpoint: Record<string, unknown>,
  p: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const { ctx } = call;
  const k8s = isKubernetesEndpoint(endpoint);
  const type = p.endpointComputeType;
  if (type !== 'Managed' && type !== 'Kubernetes')
    throw bad("'endpointComputeType' is required: Managed or Kubernetes.");
  // Managed online deployments scale by instance count only: "Currently only the default scale type
  // is supported" (CLI v2 managed online deployment YAML reference, scale_settings); autoscale is
  // Azure Monitor's, outside the deployment. Kubernetes deployments take TargetUtilization.
  if (type === 'Managed' && isRecord(p.scaleSettings) && p.scaleSettings.scaleType === 'TargetUtilization')
    throw bad(
      "Managed online deployments support only 'Default' scale settings; TargetUtilization is for Kubernetes deployments.",
    );
  if ((type === 'Kubernetes') !== k8s) {
    throw bad(`A ${type} deployment cannot be added to ${k8s ? 'a Kubernetes' : 'a managed'} online endpoint.`);
  }
  if (type === 'Managed' && (typeof p.instanceType !== 'string' || !/^standard_/i.test(p.instanceType))) {
    throw bad("A managed deployment needs 'instanceType' (an Azure VM size such as Standard_DS3_v2).");
  }
  let model: Record<string, unknown> | undefined;
  if (p.model !== undefined && p.model !== null) {
    if (typeof p.model !== 'string') throw bad("'model' must be the ARM id of a model version.");
    model = resolveAsset(ctx, p.model, 'models');
    if (!model) throw bad(`Model '${p.model}' was not found in the workspace.`);
  }
  const code = isRecord(p.codeConfiguration) ? p.codeConfiguration : undefined;
  if (code) {
    if (typeof code.scoringScript !== 'string' || code.scoringScript === '')
      throw bad("codeConfiguration needs 'scoringScript'.");
    if (typeof code.codeId !== 'string' || !resolveAsset(ctx, code.codeId, 'codes')) {
      throw bad(`codeConfiguration.codeId '${String(code.codeId)}' is not a code version of the workspace.`);
    }
  }
  if (
    typeof p.environmentId === 'string' &&
    p.environmentId !== '' &&
    !p.environmentId.startsWith('azureml://registries/')
  ) {
    // An environment container is not something a deployment can run in: the spec's environmentId is
    // an "ARM resource ID or AssetId of the environment specification", and azure-ai-ml always sends
    // a version (it resolves `@latest` to the newest one first: _get_latest in _asset_utils.py).
    if (!/\/versions\/[^/]+$/i.test(p.environmentId) && !/^azureml:[^:/]+:[^:/]+$/.test(p.environmentId))
      throw bad(
        `Environment '${p.environmentId}' names no version: a deployment needs an environment version (…/environments/NAME/versions/VERSION).`,
      );
    if (!resolveAsset(ctx, p.environmentId, 'environments'))
      throw bad(`Environment '${p.environmentId}' was not found in the workspace.`);
  }
  const mt = modelTypeOf(model);
  const noCode = mt === 'triton_model' || mt === 'mlflow_model';
  if (!noCode && (!code || typeof p.environmentId !== 'string' || p.environmentId === '')) {
    throw bad(
      `${model ? `Model type '${mt}'` : 'A deployment without a no-code model (triton_model, mlflow_model)'} needs a scoring script (codeConfiguration) and an environment (environmentId).`,
    );
  }
  return model;
}

async function provision(
  ctx: EmulatorContext,
  id: string,
  model: Record<string, unknown> | undefined,
  crash: { logs: string[] } | undefined,
): Promise<void | { code: string; message: string }> {
  const logs = deploymentLogs(ctx, id);
  const uri = model && isRecord(model.properties) ? String(model.properties.modelUri ?? '') : '';
  if (model) {
    const name = String(String(model.id).split('/models/')[1]?.split('/versions/')[0]);
    const version = String(model.name);
    logLine(logs.StorageInitializer, `Downloading model ${uri} to /var/azureml-app/azureml-models/${name}/${version}`);
    const loc = parseDatastoreUri(ctx, uri);
    if (loc && ctx.blobUrl) {
      let blobs: string[] = [];
      try {
        blobs = await listBlobs(ctx, loc);
      } catch (error) {
        logLine(
          logs.StorageInitializer,
          `Error: cannot list ${loc.container}/${loc.path}: ${(error as Error).message}`,
        );
      }
      if (blobs.length === 0) {
        logLine(
          logs.StorageInitializer,
          `Error: no blob found under container '${loc.container}', path '${loc.path}' of datastore '${loc.datastore}'. Model download failed.`,
        );
        return {
          code: 'ResourceNotReady',
          message: `Storage initializer failed: the files of model ${name}:${version} were not found at ${uri}. Check the model's path (see the StorageInitializer logs).`,
        };
      }
      logLine(logs.StorageInitializer, `Downloaded ${blobs.length} file(s): ${blobs.slice(0, 10).join(', ')}`);
    } else if (loc) {
      logLine(
        logs.StorageInitializer,
        'Blob storage is not running in this emulator instance: model files not checked.',
      );
    } else {
      logLine(
        logs.StorageInitializer,
        `Model URI ${uri} is outside the workspace datastores: not downloaded by the emulator.`,
      );
    }
    logLine(logs.StorageInitializer, 'Storage initializer completed.');
  }
  if (crash) {
    logLine(logs.InferenceServer, 'Starting AzureML Inference Server (emulated)');
    for (const line of crash.logs) containerOutput(logs.InferenceServer, line);
    logLine(logs.InferenceServer, 'Container exited with code 1; restarting (CrashLoopBackOff)');
    return {
      code: 'ResourceNotReady',
      message:
        'User container has crashed or terminated. Please see troubleshooting guide, available here: https://aka.ms/oe-tsg#error-resourcenotready',
    };
  }
  const body = getResource(ctx, id)?.body;
  const properties = body && isRecord(body.properties) ? body.properties : {};
  const python = await needsPython(ctx, properties, model);
  if (body && python) return provisionPythonServer(ctx, id, body, model, python, logs.InferenceServer);
  await stopPythonServer(ctx, id);
  logLine(logs.InferenceServer, 'Starting AzureML Inference Server (emulated)');
  logLine(logs.InferenceServer, 'Server is ready: listening on 0.0.0.0:31311');
}

function requireDeploymentFree(call: ArmCall, id: string): void {
  requireEndpointIdle(call.ctx, call.params.endpointName ?? '');
  void id;
}

export const onlineDeploymentRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: DEP,
    action: `${act}/read`,
    operationId: 'OnlineDeployments_List',
    handler: (call) => {
      requireWorkspace(call);
      const ep = getEndpoint(call);
      return json(200, page(listChildren(call.ctx, String(ep.id), 'deployments').map(view), call.req.query, call.url));
    },
  },
  {
    method: 'GET',
    path: `${DEP}/{deploymentName}`,
    action: `${act}/read`,
    operationId: 'OnlineDeployments_Get',
    handler: (call) => {
      requireWorkspace(call);
      getEndpoint(call);
      const r = getResource(
        call.ctx,
        deploymentId(call.ctx, call.params.endpointName ?? '', call.params.deploymentName ?? ''),
      );
      if (!r)
        throw new ArmError(
          404,
          'NotFound',
          `Deployment '${call.params.deploymentName ?? ''}' was not found on online endpoint '${call.params.endpointName ?? ''}'.`,
        );
      return json(200, view(r));
    },
  },
  {
    method: 'PUT',
    path: `${DEP}/{deploymentName}`,
    action: `${act}/write`,
    operationId: 'OnlineDeployments_CreateOrUpdate',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const epName = call.params.endpointName ?? '';
      const name = call.params.deploymentName ?? '';
      const endpoint = getEndpoint(call);
      if (!NAME.test(name))
        throw bad(
          `Deployment name '${name}' is invalid: at most 32 characters, starting with a letter, letters, digits and '-' only.`,
        );
      const input = call.body();
      if (!isRecord(input) || !isRecord(input.properties))
        throw bad("The request body needs 'location' and 'properties'.");
      if (typeof input.location !== 'string')
        throw new ArmError(400, 'LocationRequired', "The request body needs 'location'.");
      const id = deploymentId(ctx, epName, name);
      const existing = getResource(ctx, id);
      requireDeploymentFree(call, id);
      const p = input.properties;
      if (
        existing &&
        (existing.body.properties as Record<string, unknown>).endpointComputeType !== p.endpointComputeType
      ) {
        throw bad(`The endpointComputeType of deployment '${name}' cannot be changed.`);
      }
      const model = validateDeployment(call, endpoint, p);
      const sku = isRecord(input.sku) ? input.sku : { name: 'Default', capacity: 1 };
      const body: Record<string, unknown> = {
        id,
        name: existing ? existing.body.name : name,
        type: `${ML}/workspaces/onlineEndpoints/deployments`,
        location: ctx.settings.location,
        tags: input.tags ?? {},
        kind: input.kind ?? (p.endpointComputeType === 'Kubernetes' ? 'Kubernetes' : 'Managed'),
        sku,
        ...(input.identity ? { identity: input.identity } : {}),
        properties: {
          description: p.description ?? null,
          properties: p.properties ?? {},
          codeConfiguration: p.codeConfiguration ?? null,
          environmentId: p.environmentId ?? null,
          environmentVariables: p.environmentVariables ?? {},
          endpointComputeType: p.endpointComputeType,
          model: p.model ?? null,
          modelMountPath: p.modelMountPath ?? null,
          instanceType: p.instanceType ?? (p.endpointComputeType === 'Kubernetes' ? 'defaultinstancetype' : null),
          scaleSettings: p.scaleSettings ?? { scaleType: 'Default' },
          requestSettings: p.requestSettings ?? {
            maxConcurrentRequestsPerInstance: 1,
            requestTimeout: 'PT5S',
            maxQueueWait: 'PT0.5S',
          },
          livenessProbe: p.livenessProbe ?? {
            failureThreshold: 30,
            successThreshold: 1,
            timeout: 'PT2S',
            period: 'PT10S',
            initialDelay: 'PT10S',
          },
          readinessProbe: p.readinessProbe ?? {
            failureThreshold: 30,
            successThreshold: 1,
            timeout: 'PT2S',
            period: 'PT10S',
            initialDelay: 'PT10S',
          },
          appInsightsEnabled: p.appInsightsEnabled ?? false,
          egressPublicNetworkAccess: p.egressPublicNetworkAccess ?? 'Enabled',
          ...(p.endpointComputeType === 'Kubernetes'
            ? { containerResourceRequirements: p.containerResourceRequirements ?? null }
            : {}),
          provisioningState: existing ? 'Updating' : 'Creating',
        },
      };
      const stored = putResource(ctx, id, body, call.principalName);
      const logs = deploymentLogs(ctx, id);
      logs.InferenceServer.length = 0;
      logs.StorageInitializer.length = 0;
      const crash = call.faults.find((f) => f.crashLoop)?.crashLoop;
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        steps: 4,
        complete: async () => {
          const error = await provision(ctx, id, model, crash);
          if (error) return error;
          setProvisioningState(ctx, id, 'Succeeded');
        },
        failed: (e) => {
          logLine(logs.InferenceServer, `Deployment failed: ${e.code}: ${e.message}`);
          setProvisioningState(ctx, id, 'Failed');
        },
      });
      return asyncOperationReply(ctx, op, call.apiVersion, existing ? 200 : 201, view(stored));
    },
  },
  {
    method: 'PATCH',
    path: `${DEP}/{deploymentName}`,
    action: `${act}/write`,
    operationId: 'OnlineDeployments_Update',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      getEndpoint(call);
      const id = deploymentId(ctx, call.params.endpointName ?? '', call.params.deploymentName ?? '');
      const r = getResource(ctx, id);
      if (!r) throw new ArmError(404, 'NotFound', `Deployment '${call.params.deploymentName ?? ''}' was not found.`);
      requireDeploymentFree(call, id);
      const input = call.body();
      if (!isRecord(input)) throw bad('The request body must be a JSON object (tags, sku).');
      for (const k of Object.keys(input)) {
        if (!['tags', 'sku'].includes(k))
          throw bad(`PATCH of a deployment changes only 'tags' and 'sku' (scale); '${k}' needs a PUT.`);
      }
      let state = 'Updating';
      if (isRecord(input.sku)) {
        const cap = input.sku.capacity;
        if (cap !== undefined && (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 0 || cap > 20)) {
          throw bad('sku.capacity must be an integer instance count between 0 and 20.');
        }
        r.body.sku = { ...(r.body.sku as object), ...input.sku };
        state = 'Scaling';
      }
      if (isRecord(input.tags)) r.body.tags = input.tags;
      (r.body.properties as Record<string, unknown>).provisioningState = state;
      putResource(ctx, id, r.body, call.principalName);
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => setProvisioningState(ctx, id, 'Succeeded'),
        failed: () => setProvisioningState(ctx, id, 'Failed'),
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
  {
    method: 'DELETE',
    path: `${DEP}/{deploymentName}`,
    action: `${act}/delete`,
    operationId: 'OnlineDeployments_Delete',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const epName = call.params.endpointName ?? '';
      const ep = getEndpoint(call);
      const name = call.params.deploymentName ?? '';
      const id = deploymentId(ctx, epName, name);
      const r = getResource(ctx, id);
      if (!r) return { status: 204 };
      requireDeploymentFree(call, id);
      const traffic = (ep.properties as Record<string, unknown>).traffic as Record<string, number> | undefined;
      const share = Object.entries(traffic ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] ?? 0;
      if (share > 0) {
        throw bad(
          `Deployment '${name}' receives ${share}% of the traffic of endpoint '${epName}': set its traffic to 0 before deleting it.`,
        );
      }
      setProvisioningState(ctx, id, 'Deleting');
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: async () => {
          await stopPythonServer(ctx, id);
          deleteResource(ctx, id);
          ctx.extra.delete(`logs:${id.toLowerCase()}`);
          const rt = endpointRuntime(ctx, endpointId(ctx, epName));
          delete rt.liveTraffic[String(r.body.name)];
          const t = (ep.properties as Record<string, unknown>).traffic as Record<string, number> | undefined;
          if (t) delete t[String(r.body.name)];
        },
        failed: () => setProvisioningState(ctx, id, 'Failed'),
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
  {
    method: 'POST',
    path: `${DEP}/{deploymentName}/getLogs`,
    action: `${act}/getlogs/action`,
    operationId: 'OnlineDeployments_GetLogs',
    handler: (call) => {
      requireWorkspace(call);
      getEndpoint(call);
      const id = deploymentId(call.ctx, call.params.endpointName ?? '', call.params.deploymentName ?? '');
      if (!getResource(call.ctx, id))
        throw new ArmError(404, 'NotFound', `Deployment '${call.params.deploymentName ?? ''}' was not found.`);
      const input = call.body();
      const req = isRecord(input) ? input : {};
      const container = req.containerType ?? 'InferenceServer';
      if (container !== 'InferenceServer' && container !== 'StorageInitializer') {
        throw bad('containerType must be InferenceServer or StorageInitializer.');
      }
      const tail = typeof req.tail === 'number' && req.tail > 0 ? Math.floor(req.tail) : undefined;
      const lines = deploymentLogs(call.ctx, id)[container];
      const shown = tail === undefined ? lines : lines.slice(-tail);
      return json(200, { content: shown.length > 0 ? `${shown.join('\n')}\n` : '' });
    },
  },
  {
    method: 'GET',
    path: `${DEP}/{deploymentName}/skus`,
    action: `${act}/skus/read`,
    operationId: 'OnlineDeployments_ListSkus',
    handler: (call) => {
      requireWorkspace(call);
      getEndpoint(call);
      return json(200, {
        value: [
          {
            resourceType: `${ML}/workspaces/onlineEndpoints/deployments`,
            sku: { name: 'Default', tier: 'Standard' },
            capacity: { minimum: 0, maximum: 20, default: 1, scaleType: 'Manual' },
          },
        ],
      });
    },
  },
];
