// Computes: AmlCompute clusters (create/update/get/delete, min/max nodes) and attached Kubernetes
// computes. Create/update/delete are long-running (PUT 201/200 + Azure-AsyncOperation; PATCH 200 +
// Azure-AsyncOperation, as the spec gives PATCH only a 200; DELETE 202 + Location + Retry-After).
import type { EmulatorContext } from '../context.js';
import { ArmError, isRecord, json } from '../http.js';
import { asyncOperationReply, locationReply, startOperation } from './lro.js';
import { ML, WS, type ArmCall, type ArmRoute } from './router.js';
import { deleteResource, getResource, listChildren, page, putResource, view } from './store.js';
import { requireWorkspace } from './workspaces.js';

const NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
const terminal = ['Succeeded', 'Failed', 'Canceled'];

export function computeId(ctx: EmulatorContext, name: string): string {
  return `${ctx.workspaceId}/computes/${name}`;
}

/** Finds a compute by name or ARM id (as endpoints reference it). */
export function findCompute(ctx: EmulatorContext, ref: string): Record<string, unknown> | undefined {
  const name = ref.includes('/') ? (ref.split('/').pop() ?? '') : ref;
  if (ref.includes('/') && !ref.toLowerCase().startsWith(`${ctx.workspaceId.toLowerCase()}/computes/`))
    return undefined;
  return getResource(ctx, computeId(ctx, name))?.body;
}

function bad(message: string): ArmError {
  return new ArmError(400, 'BadRequest', message);
}

function computeNotFound(name: string): ArmError {
  return new ArmError(404, 'NotFound', `Compute '${name}' was not found in the workspace.`);
}

function scaleSettings(input: unknown, current?: Record<string, unknown>): Record<string, unknown> {
  const s = isRecord(input) ? input : {};
  const max = s.maxNodeCount ?? current?.maxNodeCount;
  const min = s.minNodeCount ?? current?.minNodeCount ?? 0;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    throw bad('scaleSettings.maxNodeCount is required and must be an integer of at least 1.');
  }
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > max) {
    throw bad(`scaleSettings.minNodeCount must be an integer between 0 and maxNodeCount (${max}).`);
  }
  const idle = s.nodeIdleTimeBeforeScaleDown ?? current?.nodeIdleTimeBeforeScaleDown ?? 'PT120S';
  if (typeof idle !== 'string' || !/^P(T(\d+H)?(\d+M)?(\d+S)?)$/.test(idle)) {
    throw bad('scaleSettings.nodeIdleTimeBeforeScaleDown must be an ISO 8601 duration such as PT120S.');
  }
  return { maxNodeCount: max, minNodeCount: min, nodeIdleTimeBeforeScaleDown: idle };
}

function amlProperties(input: Record<string, unknown>, existing?: Record<string, unknown>): Record<string, unknown> {
  const vmSize = input.vmSize ?? existing?.vmSize;
  if (typeof vmSize !== 'string' || !/^standard_/i.test(vmSize))
    throw bad("AmlCompute needs 'vmSize' (an Azure VM size such as STANDARD_DS3_V2).");
  if (existing && String(existing.vmSize).toLowerCase() !== vmSize.toLowerCase()) {
    throw new ArmError(
      409,
      'Conflict',
      'The vmSize of an existing AmlCompute cannot be changed; create a new compute.',
    );
  }
  if (existing && input.vmPriority !== undefined && input.vmPriority !== existing.vmPriority) {
    throw new ArmError(
      409,
      'Conflict',
      `The vmPriority of an existing AmlCompute cannot be changed (it is ${String(existing.vmPriority)}); create a new compute.`,
    );
  }
  const scale = scaleSettings(input.scaleSettings, existing?.scaleSettings as Record<string, unknown> | undefined);
  return {
    osType: input.osType ?? existing?.osType ?? 'Linux',
    vmSize,
    vmPriority: input.vmPriority ?? existing?.vmPriority ?? 'Dedicated',
    virtualMachineImage: null,
    isolatedNetwork: false,
    scaleSettings: scale,
    subnet: input.subnet ?? null,
    remoteLoginPortPublicAccess: input.remoteLoginPortPublicAccess ?? 'NotSpecified',
    allocationState: 'Steady',
    allocationStateTransitionTime: new Date().toISOString(),
    errors: null,
    currentNodeCount: scale.minNodeCount,
    targetNodeCount: scale.minNodeCount,
    nodeStateCounts: {
      preparingNodeCount: 0,
      runningNodeCount: 0,
      idleNodeCount: scale.minNodeCount,
      unusableNodeCount: 0,
      leavingNodeCount: 0,
      preemptedNodeCount: 0,
    },
    enableNodePublicIp: input.enableNodePublicIp ?? true,
    propertyBag: input.propertyBag ?? null,
  };
}

function kubernetesProperties(input: Record<string, unknown>): Record<string, unknown> {
  return {
    relayConnectionString: null,
    serviceBusConnectionString: null,
    extensionPrincipalId: null,
    extensionInstanceReleaseTrain: input.extensionInstanceReleaseTrain ?? 'stable',
    vcName: null,
    namespace: input.namespace ?? 'default',
    defaultInstanceType: input.defaultInstanceType ?? 'defaultinstancetype',
    instanceTypes: input.instanceTypes ?? {
      defaultinstancetype: {
        nodeSelector: null,
        resources: { requests: { cpu: '100m', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } },
      },
    },
  };
}

/** Builds a compute resource body (seed and PUT). */
export function computeBody(
  ctx: EmulatorContext,
  name: string,
  input: Record<string, unknown>,
  existing?: Record<string, unknown>,
  state = 'Creating',
): Record<string, unknown> {
  const p = isRecord(input.properties) ? input.properties : {};
  const type = p.computeType;
  const oldProps = existing && isRecord(existing.properties) ? existing.properties : undefined;
  if (oldProps && oldProps.computeType !== type) {
    throw new ArmError(
      409,
      'Conflict',
      `Compute '${name}' exists with computeType '${String(oldProps.computeType)}'; it cannot become '${String(type)}'.`,
    );
  }
  const now = new Date().toISOString();
  let inner: Record<string, unknown>;
  let resourceId: unknown = null;
  let attached = false;
  if (type === 'AmlCompute')
    inner = amlProperties(
      isRecord(p.properties) ? p.properties : {},
      oldProps?.properties as Record<string, unknown> | undefined,
    );
  else if (type === 'Kubernetes') {
    resourceId = p.resourceId;
    if (
      typeof resourceId !== 'string' ||
      !/\/providers\/(Microsoft\.ContainerService\/managedClusters|Microsoft\.Kubernetes\/connectedClusters)\//i.test(
        resourceId,
      )
    ) {
      throw bad(
        "A Kubernetes compute needs 'resourceId': the ARM id of an AKS cluster (Microsoft.ContainerService/managedClusters) or an Arc cluster (Microsoft.Kubernetes/connectedClusters).",
      );
    }
    inner = kubernetesProperties(isRecord(p.properties) ? p.properties : {});
    attached = true;
  } else throw bad(`computeType '${String(type)}' is not supported by the emulator (AmlCompute, Kubernetes).`);
  return {
    id: computeId(ctx, name),
    name,
    type: `${ML}/workspaces/computes`,
    location: input.location ?? ctx.settings.location,
    tags: input.tags ?? {},
    ...(input.identity ? { identity: input.identity } : {}),
    properties: {
      computeType: type,
      computeLocation: ctx.settings.location,
      provisioningState: state,
      description: p.description ?? null,
      createdOn: oldProps?.createdOn ?? now,
      modifiedOn: now,
      resourceId,
      provisioningErrors: null,
      isAttachedCompute: attached,
      disableLocalAuth: p.disableLocalAuth ?? true,
      properties: inner,
    },
  };
}

export function seedKubernetesCompute(ctx: EmulatorContext): void {
  const s = ctx.settings;
  const body = computeBody(
    ctx,
    s.kubernetesCompute,
    {
      properties: {
        computeType: 'Kubernetes',
        description: 'Attached AKS cluster (emulated)',
        resourceId: `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${s.kubernetesCompute}-cluster`,
        properties: { namespace: 'azureml' },
      },
    },
    undefined,
    'Succeeded',
  );
  putResource(ctx, computeId(ctx, s.kubernetesCompute), body, 'emulator');
}

function setState(ctx: EmulatorContext, id: string, state: string, errors?: unknown): void {
  const r = getResource(ctx, id);
  if (!r) return;
  const props = r.body.properties as Record<string, unknown>;
  props.provisioningState = state;
  if (errors !== undefined) props.provisioningErrors = errors;
}

function requireIdle(call: ArmCall, name: string): Record<string, unknown> | undefined {
  const r = getResource(call.ctx, computeId(call.ctx, name));
  if (!r) return undefined;
  const state = String((r.body.properties as Record<string, unknown>).provisioningState);
  if (!terminal.includes(state)) {
    throw new ArmError(
      409,
      'Conflict',
      `Compute '${name}' is in state '${state}'; wait until its current operation completes.`,
    );
  }
  return r.body;
}

export const computeRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: `${WS}/computes`,
    action: `${ML}/workspaces/computes/read`,
    operationId: 'Compute_List',
    handler: (call) => {
      requireWorkspace(call);
      return json(
        200,
        page(listChildren(call.ctx, call.ctx.workspaceId, 'computes').map(view), call.req.query, call.url),
      );
    },
  },
  {
    method: 'GET',
    path: `${WS}/computes/{computeName}`,
    action: `${ML}/workspaces/computes/read`,
    operationId: 'Compute_Get',
    handler: (call) => {
      requireWorkspace(call);
      const r = getResource(call.ctx, computeId(call.ctx, call.params.computeName ?? ''));
      if (!r) throw computeNotFound(call.params.computeName ?? '');
      return json(200, view(r));
    },
  },
  {
    method: 'PUT',
    path: `${WS}/computes/{computeName}`,
    action: `${ML}/workspaces/computes/write`,
    operationId: 'Compute_CreateOrUpdate',
    handler: (call) => {
      requireWorkspace(call);
      const name = call.params.computeName ?? '';
      if (!NAME.test(name))
        throw bad(
          `Compute name '${name}' is invalid: 3 to 24 characters, starting with a letter, letters, digits and '-' only, not ending with '-'.`,
        );
      const input = call.body();
      if (!isRecord(input) || !isRecord(input.properties))
        throw bad("The request body needs 'properties' with 'computeType'.");
      const existing = requireIdle(call, name);
      const id = computeId(call.ctx, name);
      const body = computeBody(call.ctx, name, input, existing, existing ? 'Updating' : 'Creating');
      const stored = putResource(call.ctx, id, body, call.principalName);
      const op = startOperation({
        ctx: call.ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        steps: 3,
        complete: () => setState(call.ctx, id, 'Succeeded'),
        failed: (e) => setState(call.ctx, id, 'Failed', [{ error: { code: e.code, message: e.message } }]),
      });
      return asyncOperationReply(call.ctx, op, call.apiVersion, existing ? 200 : 201, view(stored));
    },
  },
  {
    method: 'PATCH',
    path: `${WS}/computes/{computeName}`,
    action: `${ML}/workspaces/computes/write`,
    operationId: 'Compute_Update',
    handler: (call) => {
      requireWorkspace(call);
      const name = call.params.computeName ?? '';
      const existing = requireIdle(call, name);
      if (!existing) throw computeNotFound(name);
      const props = existing.properties as Record<string, unknown>;
      if (props.computeType !== 'AmlCompute') throw bad('Only AmlCompute scale settings can be updated.');
      const input = call.body();
      const settings =
        isRecord(input) && isRecord(input.properties) && isRecord(input.properties.properties)
          ? input.properties.properties.scaleSettings
          : undefined;
      if (!isRecord(settings)) throw bad('The request body needs properties.properties.scaleSettings.');
      const inner = props.properties as Record<string, unknown>;
      const scale = scaleSettings(settings, inner.scaleSettings as Record<string, unknown>);
      const id = computeId(call.ctx, name);
      inner.scaleSettings = scale;
      inner.targetNodeCount = scale.minNodeCount;
      props.provisioningState = 'Updating';
      props.modifiedOn = new Date().toISOString();
      const stored = putResource(call.ctx, id, existing, call.principalName);
      const op = startOperation({
        ctx: call.ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => {
          inner.currentNodeCount = scale.minNodeCount;
          setState(call.ctx, id, 'Succeeded');
        },
        failed: (e) => setState(call.ctx, id, 'Failed', [{ error: e }]),
      });
      return asyncOperationReply(call.ctx, op, call.apiVersion, 200, view(stored));
    },
  },
  {
    method: 'DELETE',
    path: `${WS}/computes/{computeName}`,
    action: `${ML}/workspaces/computes/delete`,
    operationId: 'Compute_Delete',
    handler: (call) => {
      requireWorkspace(call);
      const name = call.params.computeName ?? '';
      const action = call.req.query.get('underlyingResourceAction');
      if (action !== 'Delete' && action !== 'Detach') {
        throw bad("The query parameter 'underlyingResourceAction' is required: Delete or Detach.");
      }
      const existing = requireIdle(call, name);
      if (!existing) return { status: 204 };
      const props = existing.properties as Record<string, unknown>;
      if (props.isAttachedCompute === true && action === 'Delete') {
        throw bad(
          `Compute '${name}' is attached: use underlyingResourceAction=Detach (the cluster itself is not managed by the workspace).`,
        );
      }
      const id = computeId(call.ctx, name);
      props.provisioningState = 'Deleting';
      const op = startOperation({
        ctx: call.ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => {
          deleteResource(call.ctx, id);
        },
        failed: () => setState(call.ctx, id, 'Failed'),
      });
      return locationReply(call.ctx, op, call.apiVersion);
    },
  },
];
