// The front end of scoring URIs (https://127.0.0.1:PORT/inference/{endpoint}/...): authentication
// by the endpoint's auth mode (either key; an AML token from getToken, until it expires; an Entra
// token for https://ml.azure.com with the score action), deployment choice (`azureml-model-deployment`
// header, else traffic in force), then the pluggable ScoringHandler (see ../scoring.ts).
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { EmulatorContext } from '../context.js';
import type { FaultRule } from '../faults.js';
import { isRecord, json, type EmuRequest, type Reply } from '../http.js';
import { decodeJwt, nowSeconds, verifySignature } from '../jwt.js';
import { mlAudiences, verifyAccessToken } from '../entra.js';
import { isAllowed } from '../rbac.js';
import { listBlobs, parseDatastoreUri, readBlob } from '../blob.js';
import type { ScoringCode, ScoringModel } from '../scoring.js';
import { containerOutput, deploymentId, deploymentLogs, endpointId, endpointRuntime, logLine } from './onlineState.js';
import { getResource } from './store.js';
import { resolveAsset } from './onlineDeployments.js';
import { proxyToServer, pythonServerOf } from '../pythonScoring.js';

const scoreAction = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function unauthorized(message: string): Reply {
  return json(401, { message }, { 'www-authenticate': 'Bearer' });
}

function authenticate(ctx: EmulatorContext, req: EmuRequest, endpoint: Record<string, unknown>): Reply | undefined {
  const mode = String((endpoint.properties as Record<string, unknown>).authMode);
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m)
    return unauthorized(
      `Authorization header with a Bearer ${mode === 'Key' ? 'key' : 'token'} is required (endpoint auth mode ${mode}).`,
    );
  const presented = m[1] as string;
  if (mode === 'Key') {
    const rt = endpointRuntime(ctx, String(endpoint.id));
    if (same(presented, rt.primaryKey) || same(presented, rt.secondaryKey)) return undefined;
    return unauthorized('The key is not valid for this endpoint.');
  }
  if (mode === 'AMLToken') {
    const d = decodeJwt(presented);
    if (!d || !verifySignature(d, [ctx.amlTokenKey])) return unauthorized('The AML token is not valid.');
    if (d.claims.aud !== String(endpoint.id).toLowerCase())
      return unauthorized('The AML token was issued for another endpoint.');
    if (typeof d.claims.exp !== 'number' || d.claims.exp < nowSeconds())
      return unauthorized('The AML token has expired; get a new one (getToken).');
    req.principal = typeof d.claims.appid === 'string' ? d.claims.appid : undefined;
    return undefined;
  }
  const check = verifyAccessToken(ctx, header, mlAudiences);
  if (!check.ok) return unauthorized(`The Entra token is not valid for https://ml.azure.com: ${check.message}`);
  if (!check.principal) return unauthorized('The Entra token names an unknown principal.');
  req.principal = check.principal.appId;
  if (!isAllowed(ctx, check.principal.objectId, scoreAction, String(endpoint.id))) {
    return json(403, {
      message: `The principal '${check.principal.appId}' does not have authorization to perform action '${scoreAction}' over scope '${String(endpoint.id)}'.`,
    });
  }
  return undefined;
}

function pickDeployment(traffic: Record<string, number>): string | undefined {
  const entries = Object.entries(traffic).filter(([, v]) => v > 0);
  const total = entries.reduce((s, [, v]) => s + v, 0);
  if (total === 0) return undefined;
  let r = randomInt(total);
  for (const [name, v] of entries) {
    if (r < v) return name;
    r -= v;
  }
  return entries.at(-1)?.[0];
}

function scoringModel(ctx: EmulatorContext, model: Record<string, unknown>): ScoringModel {
  const props = model.properties as Record<string, unknown>;
  const uri = String(props.modelUri ?? '');
  const id = String(model.id);
  const name = id.split('/models/')[1]?.split('/versions/')[0] ?? '';
  const loc = parseDatastoreUri(ctx, uri);
  let files: Promise<string[]> | undefined;
  const list = (): Promise<string[]> => {
    if (!loc || !ctx.blobUrl)
      return Promise.reject(
        new Error(`The emulator cannot read ${uri} (not in a workspace datastore, or blob storage is off).`),
      );
    files ??= listBlobs(ctx, loc).then((names) =>
      names.map((n) => (n === loc.path ? '' : n.slice(loc.path.replace(/\/?$/, '/').length))),
    );
    return files;
  };
  return {
    id,
    name,
    version: String(model.name),
    modelType: String(props.modelType ?? 'custom_model'),
    modelUri: uri,
    listFiles: list,
    readFile: async (relative = '') => {
      await list();
      if (!loc) throw new Error('unreachable');
      const blob = relative === '' ? loc.path : `${loc.path.replace(/\/?$/, '/')}${relative}`;
      return readBlob(ctx, loc, blob);
    },
  };
}

function scoringCode(ctx: EmulatorContext, config: unknown): ScoringCode | undefined {
  if (!isRecord(config) || typeof config.codeId !== 'string' || typeof config.scoringScript !== 'string')
    return undefined;
  const code = resolveAsset(ctx, config.codeId, 'codes');
  const uri = code && isRecord(code.properties) ? String(code.properties.codeUri ?? '') : '';
  const loc = parseDatastoreUri(ctx, uri);
  return {
    scoringScript: config.scoringScript,
    readFile: (relative) => {
      if (!loc || !ctx.blobUrl) return Promise.reject(new Error(`The emulator cannot read code at '${uri}'.`));
      return readBlob(ctx, loc, `${loc.path.replace(/\/?$/, '/')}${relative.replace(/^\/+/, '')}`);
    },
  };
}

export async function scoreOnline(ctx: EmulatorContext, req: EmuRequest, _faults: FaultRule[]): Promise<Reply> {
  const segs = req.path.split('/').filter(Boolean); // inference, {endpoint}, ...rest
  const epName = decodeURIComponent(segs[1] ?? '');
  const rest = `/${segs.slice(2).join('/')}`;
  const ep = getResource(ctx, endpointId(ctx, epName));
  if (!ep) return json(404, { message: `No online endpoint named '${epName}' exists in this region.` });
  const props = ep.body.properties as Record<string, unknown>;
  if (props.provisioningState === 'Creating' || props.provisioningState === 'Deleting') {
    return json(404, { message: `Online endpoint '${epName}' is ${String(props.provisioningState).toLowerCase()}.` });
  }
  const denied = authenticate(ctx, req, ep.body);
  if (denied) return denied;

  const rt = endpointRuntime(ctx, ep.id);
  const headerValue = req.headers['azureml-model-deployment'];
  const requested = typeof headerValue === 'string' && headerValue !== '' ? headerValue : undefined;
  let depName: string | undefined = requested;
  if (!depName) {
    depName = pickDeployment(rt.liveTraffic);
    if (!depName) {
      return json(404, {
        message:
          'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.',
      });
    }
  }
  const dep = getResource(ctx, deploymentId(ctx, epName, depName));
  if (!dep) {
    return json(404, {
      message: `Deployment '${depName}' was not found on endpoint '${epName}' (azureml-model-deployment header).`,
    });
  }
  const dprops = dep.body.properties as Record<string, unknown>;
  const headers = { 'azureml-model-deployment': String(dep.body.name), 'x-request-id': req.requestId };
  if (
    dprops.provisioningState !== 'Succeeded' &&
    dprops.provisioningState !== 'Updating' &&
    dprops.provisioningState !== 'Scaling'
  ) {
    return json(
      503,
      { message: `Deployment '${depName}' is not ready (provisioning state ${String(dprops.provisioningState)}).` },
      headers,
    );
  }
  const sku = isRecord(dep.body.sku) ? dep.body.sku : {};
  if (sku.capacity === 0) return json(503, { message: `Deployment '${depName}' is scaled to 0 instances.` }, headers);

  const logs = deploymentLogs(ctx, dep.id);
  const model = typeof dprops.model === 'string' ? resolveAsset(ctx, dprops.model, 'models') : undefined;
  const why = (reason: string): Reply => {
    logLine(logs.InferenceServer, `${req.method} ${rest} 502: ${reason}`);
    return json(502, { message: reason }, headers);
  };
  const python = pythonServerOf(ctx, dep.id);
  if (python) {
    let proxied: Reply;
    try {
      proxied = await proxyToServer(python, { method: req.method, path: rest, headers: req.headers, body: req.body });
    } catch (error) {
      return why(`The deployment's inference server did not answer: ${(error as Error).message}`);
    }
    return { ...proxied, headers: { ...headers, ...(proxied.headers ?? {}) } };
  }
  if (!ctx.scoring) {
    return why(
      "The emulator has no scoring handler plugged in (startEmulator({ scoring }) / setScoring): it cannot run this deployment's model.",
    );
  }
  let reply: Reply | string | undefined;
  try {
    reply = await ctx.scoring({
      endpointName: String(ep.body.name),
      deploymentName: String(dep.body.name),
      deployment: dep.body,
      model: model ? scoringModel(ctx, model) : undefined,
      code: scoringCode(ctx, dprops.codeConfiguration),
      method: req.method,
      path: rest,
      headers: req.headers,
      body: req.body,
      log: (line) => containerOutput(logs.InferenceServer, line),
    });
  } catch (error) {
    logLine(logs.InferenceServer, `Exception while scoring: ${(error as Error).message}`);
    return json(500, { message: `An unexpected error occurred in scoring: ${(error as Error).message}` }, headers);
  }
  if (typeof reply === 'string') return why(reply);
  if (!reply) {
    const kind = model ? String((model.properties as Record<string, unknown>).modelType ?? 'custom_model') : 'no model';
    return why(
      `The emulator cannot serve this deployment (model type ${kind}${dprops.codeConfiguration ? ', custom scoring script' : ''}): it runs ONNX models only (triton_model, and custom_model with the generic ONNX score.py).`,
    );
  }
  logLine(logs.InferenceServer, `${req.method} ${rest} ${reply.status}`);
  return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
}
