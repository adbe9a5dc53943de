// Online endpoints (managed, and Kubernetes when `compute` names an attached Kubernetes compute).
// PUT: 201 Creating / 200 Updating + Azure-AsyncOperation; PATCH (tags, identity) and DELETE: 202 +
// Location + Retry-After; regenerateKeys: 202 + Location. While the endpoint or one of its
// deployments is in a non-terminal state, mutating calls get 409 (DESIGN.md "Decisions").
// Credentials by auth mode: Key → listKeys/regenerateKeys; AMLToken → getToken; AADToken (managed
// only) → an Entra token for https://ml.azure.com.
import type { EmulatorContext } from '../context.js';
import { ArmError, isRecord, json } from '../http.js';
import { nowSeconds, signJwt } from '../jwt.js';
import { findCompute } from './computes.js';
import { asyncOperationReply, locationReply, startOperation } from './lro.js';
import {
  dropRuntime,
  endpointId,
  endpointRuntime,
  newKey,
  provisioningState,
  setProvisioningState,
  terminalStates,
} from './onlineState.js';
import { ML, WS, type ArmCall, type ArmRoute } from './router.js';
import { stopPythonServer } from '../pythonScoring.js';
import { deleteResource, getResource, listChildren, page, putResource, view } from './store.js';
import { requireWorkspace } from './workspaces.js';

const NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
const authModes = ['Key', 'AMLToken', 'AADToken'];
const EP = `${WS}/onlineEndpoints`;
const act = `${ML}/workspaces/onlineEndpoints`;

function bad(message: string, code = 'BadArgument'): ArmError {
  return new ArmError(400, code, message);
}

export function endpointNotFound(name: string): ArmError {
  return new ArmError(404, 'NotFound', `Online endpoint '${name}' was not found in the workspace.`);
}

export function getEndpoint(call: ArmCall, name = call.params.endpointName ?? ''): Record<string, unknown> {
  const r = getResource(call.ctx, endpointId(call.ctx, name));
  if (!r) throw endpointNotFound(name);
  return r.body;
}

/** 409 when the endpoint or any of its deployments is still in a non-terminal state. */
export function requireEndpointIdle(ctx: EmulatorContext, name: string): void {
  const id = endpointId(ctx, name);
  const state = provisioningState(ctx, id);
  if (state !== undefined && !terminalStates.includes(state)) {
    throw new ArmError(
      409,
      'Conflict',
      `Online endpoint '${name}' is in state '${state}'. Wait until its current operation completes, then retry.`,
    );
  }
  for (const d of listChildren(ctx, id, 'deployments')) {
    const s = String((d.body.properties as Record<string, unknown>).provisioningState);
    if (!terminalStates.includes(s)) {
      throw new ArmError(
        409,
        'Conflict',
        `Deployment '${String(d.body.name)}' of online endpoint '${name}' is in state '${s}'. Wait until its current operation completes, then retry.`,
      );
    }
  }
}

function validateTraffic(ctx: EmulatorContext, name: string, traffic: unknown): Record<string, number> {
  if (traffic === undefined || traffic === null) return {};
  if (!isRecord(traffic)) throw bad("'traffic' must be an object of deployment name → percent.");
  const out: Record<string, number> = {};
  let sum = 0;
  for (const [dep, v] of Object.entries(traffic)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
      throw bad(`Traffic for deployment '${dep}' must be an integer between 0 and 100.`);
    }
    const d = getResource(ctx, `${endpointId(ctx, name)}/deployments/${dep}`);
    if (!d) throw bad(`Traffic cannot be set for deployment '${dep}': it does not exist on endpoint '${name}'.`);
    const state = String((d.body.properties as Record<string, unknown>).provisioningState);
    if (v > 0 && state !== 'Succeeded') {
      throw bad(`Traffic cannot be routed to deployment '${dep}': its provisioning state is '${state}'.`);
    }
    out[String(d.body.name)] = v;
    sum += v;
  }
  if (sum !== 0 && sum !== 100) throw bad(`Traffic values must add up to 100 (or all be 0); they add up to ${sum}.`);
  return out;
}

export function isKubernetesEndpoint(body: Record<string, unknown>): boolean {
  const p = body.properties as Record<string, unknown>;
  return typeof p.compute === 'string' && p.compute !== '';
}

function publicView(ctx: EmulatorContext, id: string): Record<string, unknown> {
  const r = getResource(ctx, id);
  if (!r) throw new ArmError(404, 'NotFound', 'gone');
  const v = view(r);
  v.properties = { ...(v.properties as Record<string, unknown>), keys: null };
  return v;
}

export const onlineEndpointRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: EP,
    action: `${act}/read`,
    operationId: 'OnlineEndpoints_List',
    handler: (call) => {
      requireWorkspace(call);
      const items = listChildren(call.ctx, call.ctx.workspaceId, 'onlineEndpoints').map((r) =>
        publicView(call.ctx, r.id),
      );
      return json(200, page(items, call.req.query, call.url));
    },
  },
  {
    method: 'GET',
    path: `${EP}/{endpointName}`,
    action: `${act}/read`,
    operationId: 'OnlineEndpoints_Get',
    handler: (call) => {
      requireWorkspace(call);
      getEndpoint(call);
      return json(200, publicView(call.ctx, endpointId(call.ctx, call.params.endpointName ?? '')));
    },
  },
  {
    method: 'PUT',
    path: `${EP}/{endpointName}`,
    action: `${act}/write`,
    operationId: 'OnlineEndpoints_CreateOrUpdate',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.endpointName ?? '';
      if (!NAME.test(name)) {
        throw bad(
          `Endpoint name '${name}' is invalid: 3 to 32 characters, starting with a letter, letters, digits and '-' only, ending with a letter or digit.`,
        );
      }
      const input = call.body();
      if (!isRecord(input) || !isRecord(input.properties))
        throw bad("The request body needs 'location' and 'properties'.");
      if (typeof input.location !== 'string') throw bad("The request body needs 'location'.", 'LocationRequired');
      if (input.location.replace(/\s/g, '').toLowerCase() !== ctx.settings.location) {
        throw bad(
          `The endpoint location '${input.location}' must be the workspace's location '${ctx.settings.location}'.`,
        );
      }
      const p = input.properties;
      if (typeof p.authMode !== 'string' || !authModes.includes(p.authMode)) {
        throw bad(
          `'authMode' is required and must be one of ${authModes.join(', ')} (anonymous endpoints are not offered).`,
        );
      }
      const id = endpointId(ctx, name);
      const existing = getResource(ctx, id);
      if (existing) requireEndpointIdle(ctx, name);
      // Endpoint names are unique per region, across subscriptions: Azure's answer, as quoted in
      // Azure/azureml-examples#1931 (an ASP.NET validation problem, hence 400; no public report shows
      // the status itself).
      if (!existing && ctx.takenEndpointNames.has(name.toLowerCase())) {
        throw new ArmError(
          400,
          'BadRequest',
          JSON.stringify({
            errors: {
              '': [
                'There is already an endpoint with this name, Endpoint name needs to be unique within a region. Try some other name.',
              ],
            },
            title: 'One or more validation errors occurred.',
          }),
        );
      }
      let compute: string | null = null;
      if (typeof p.compute === 'string' && p.compute !== '') {
        const c = findCompute(ctx, p.compute);
        const cp = c && isRecord(c.properties) ? c.properties : undefined;
        if (!cp) throw bad(`Compute '${p.compute}' was not found in the workspace.`);
        if (cp.computeType !== 'Kubernetes')
          throw bad(
            `Compute '${p.compute}' is a ${String(cp.computeType)}; online endpoints run on Kubernetes computes or on managed compute (no 'compute').`,
          );
        if (cp.provisioningState !== 'Succeeded')
          throw bad(`Compute '${p.compute}' is not ready (state '${String(cp.provisioningState)}').`);
        compute = String(c?.id);
        if (p.authMode === 'AADToken')
          throw bad(
            "authMode 'AADToken' is supported on managed online endpoints only; Kubernetes endpoints support Key and AMLToken.",
          );
      }
      if (existing) {
        const old = existing.body.properties as Record<string, unknown>;
        if (String(old.compute ?? '').toLowerCase() !== String(compute ?? '').toLowerCase()) {
          throw bad(`The compute of online endpoint '${name}' cannot be changed.`);
        }
      }
      const traffic = validateTraffic(ctx, name, p.traffic);
      const rt = endpointRuntime(ctx, id);
      if (!existing && isRecord(p.keys)) {
        if (typeof p.keys.primaryKey === 'string') rt.primaryKey = p.keys.primaryKey;
        if (typeof p.keys.secondaryKey === 'string') rt.secondaryKey = p.keys.secondaryKey;
        ctx.issueSecret('endpoint key', rt.primaryKey);
        ctx.issueSecret('endpoint key', rt.secondaryKey);
      }
      const base = `${ctx.baseUrl}/inference/${name}`;
      const body: Record<string, unknown> = {
        id,
        name: existing ? existing.body.name : name,
        type: `${ML}/workspaces/onlineEndpoints`,
        location: ctx.settings.location,
        tags: input.tags ?? (existing ? existing.body.tags : {}),
        kind: input.kind ?? (compute ? 'K8S' : 'Managed'),
        identity: input.identity ?? {
          type: 'SystemAssigned',
          principalId: '7f3c9a1e-0b2d-4e6f-8a9b-0c1d2e3f4a5b',
          tenantId: ctx.settings.tenantId,
        },
        properties: {
          description: p.description ?? null,
          properties: p.properties ?? {},
          authMode: p.authMode,
          scoringUri: `${base}/score`,
          swaggerUri: `${base}/swagger.json`,
          compute,
          publicNetworkAccess: p.publicNetworkAccess ?? 'Enabled',
          traffic,
          provisioningState: existing ? 'Updating' : 'Creating',
        },
      };
      const stored = putResource(ctx, id, body, call.principalName);
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        steps: existing ? 2 : 3,
        complete: () => {
          rt.liveTraffic = { ...traffic };
          setProvisioningState(ctx, id, 'Succeeded');
        },
        failed: () => setProvisioningState(ctx, id, 'Failed'),
      });
      return asyncOperationReply(ctx, op, call.apiVersion, existing ? 200 : 201, {
        ...view(stored),
        properties: { ...(stored.body.properties as object), keys: null },
      });
    },
  },
  {
    method: 'PATCH',
    path: `${EP}/{endpointName}`,
    action: `${act}/write`,
    operationId: 'OnlineEndpoints_Update',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.endpointName ?? '';
      const ep = getEndpoint(call);
      requireEndpointIdle(ctx, name);
      const input = call.body();
      if (!isRecord(input)) throw bad('The request body must be a JSON object (tags, identity).');
      for (const k of Object.keys(input)) {
        if (!['tags', 'identity'].includes(k))
          throw bad(`PATCH of an online endpoint changes only 'tags' and 'identity'; '${k}' needs a PUT.`);
      }
      const id = endpointId(ctx, name);
      if (isRecord(input.tags)) ep.tags = input.tags;
      if (isRecord(input.identity)) ep.identity = { ...(ep.identity as object), ...input.identity };
      (ep.properties as Record<string, unknown>).provisioningState = 'Updating';
      putResource(ctx, id, ep, call.principalName);
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
    path: `${EP}/{endpointName}`,
    action: `${act}/delete`,
    operationId: 'OnlineEndpoints_Delete',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.endpointName ?? '';
      const id = endpointId(ctx, name);
      if (!getResource(ctx, id)) return { status: 204 };
      requireEndpointIdle(ctx, name);
      setProvisioningState(ctx, id, 'Deleting');
      for (const d of listChildren(ctx, id, 'deployments'))
        (d.body.properties as Record<string, unknown>).provisioningState = 'Deleting';
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        steps: 3,
        complete: async () => {
          for (const d of listChildren(ctx, id, 'deployments')) await stopPythonServer(ctx, d.id);
          deleteResource(ctx, id);
          dropRuntime(ctx, id);
        },
        failed: () => setProvisioningState(ctx, id, 'Failed'),
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
  {
    method: 'POST',
    path: `${EP}/{endpointName}/listKeys`,
    action: `${act}/listKeys/action`,
    operationId: 'OnlineEndpoints_ListKeys',
    handler: (call) => {
      requireWorkspace(call);
      const ep = getEndpoint(call);
      const mode = String((ep.properties as Record<string, unknown>).authMode);
      if (mode !== 'Key') {
        throw bad(
          `Online endpoint '${call.params.endpointName ?? ''}' uses authMode '${mode}': keys exist only for authMode 'Key'${mode === 'AMLToken' ? '; use getToken (POST .../token)' : '; callers use an Entra token for https://ml.azure.com'}.`,
        );
      }
      const rt = endpointRuntime(call.ctx, String(ep.id));
      return json(200, { primaryKey: rt.primaryKey, secondaryKey: rt.secondaryKey });
    },
  },
  {
    method: 'POST',
    path: `${EP}/{endpointName}/regenerateKeys`,
    action: `${act}/regenerateKeys/action`,
    operationId: 'OnlineEndpoints_RegenerateKeys',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.endpointName ?? '';
      const ep = getEndpoint(call);
      const mode = String((ep.properties as Record<string, unknown>).authMode);
      if (mode !== 'Key')
        throw bad(
          `Online endpoint '${name}' uses authMode '${mode}': keys can be regenerated only for authMode 'Key'.`,
        );
      const input = call.body();
      if (!isRecord(input) || (input.keyType !== 'Primary' && input.keyType !== 'Secondary')) {
        throw bad("'keyType' is required: Primary or Secondary.");
      }
      if (input.keyValue !== undefined && (typeof input.keyValue !== 'string' || input.keyValue.length < 16)) {
        throw bad("'keyValue', when given, must be a string of at least 16 characters.");
      }
      requireEndpointIdle(ctx, name);
      const id = String(ep.id);
      setProvisioningState(ctx, id, 'Updating');
      const which = input.keyType;
      const value = typeof input.keyValue === 'string' ? input.keyValue : newKey();
      ctx.issueSecret('endpoint key', value);
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => {
          const rt = endpointRuntime(ctx, id);
          if (which === 'Primary') rt.primaryKey = value;
          else rt.secondaryKey = value;
          setProvisioningState(ctx, id, 'Succeeded');
        },
        failed: () => setProvisioningState(ctx, id, 'Succeeded'),
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
  {
    method: 'POST',
    path: `${EP}/{endpointName}/token`,
    action: `${act}/token/action`,
    operationId: 'OnlineEndpoints_GetToken',
    handler: (call) => {
      requireWorkspace(call);
      const ep = getEndpoint(call);
      const mode = String((ep.properties as Record<string, unknown>).authMode);
      if (mode !== 'AMLToken') {
        throw bad(
          `Online endpoint '${call.params.endpointName ?? ''}' uses authMode '${mode}': getToken serves only authMode 'AMLToken'${mode === 'Key' ? '; use listKeys' : ''}.`,
        );
      }
      const now = nowSeconds();
      const life = call.ctx.settings.amlTokenLifetimeSeconds;
      const token = signJwt(call.ctx.amlTokenKey, {
        aud: String(ep.id).toLowerCase(),
        iss: `${call.ctx.baseUrl}/inference`,
        sub: call.principal.objectId,
        appid: call.principal.appId,
        iat: now,
        nbf: now,
        exp: now + life,
      });
      call.ctx.issueSecret('AML token', token);
      return json(200, {
        accessToken: token,
        tokenType: 'Bearer',
        expiryTimeUtc: now + life,
        refreshAfterTimeUtc: now + Math.floor(life / 2),
      });
    },
  },
];
