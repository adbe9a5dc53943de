// The ARM front door: authentication (Entra access token for the ARM audience), subscription and
// resource-group checks, RBAC on the route's action, api-version, then the route's handler. Routes
// come from the table in ./routes.ts; each resource type lives in its own file.
import type { EmulatorContext, Principal } from '../context.js';
import type { FaultRule } from '../faults.js';
import { ArmError, parseJsonBody, type EmuRequest, type Reply } from '../http.js';
import { armAudiences, verifyAccessToken } from '../entra.js';
import { isAllowed, rolesGranting } from '../rbac.js';
import { apiVersionsOf, armApiVersions } from './apiVersions.js';
import { SPEC_VERSIONS, specValidator, withoutNewerFields } from '../spec.js';

/** The validation mode in force: AZUREML_EMULATOR_SPEC_VALIDATION, else the settings'. */
export function validationMode(settings: EmulatorContext['settings']): 'off' | 'requests' | 'strict' {
  const env = process.env.AZUREML_EMULATOR_SPEC_VALIDATION;
  return env === 'off' || env === 'requests' || env === 'strict' ? env : settings.specValidation;
}

export const ML = 'Microsoft.MachineLearningServices';
/** Path template of the workspace: route paths start with it. */
export const WS =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}';

export interface ArmCall {
  ctx: EmulatorContext;
  req: EmuRequest;
  params: Record<string, string>;
  apiVersion: string;
  principal: Principal;
  /** Display name used in systemData and the request log. */
  principalName: string;
  /** Fault rules that matched this request and act on the operation it starts (LRO, crash loop). */
  faults: FaultRule[];
  /** The request's JSON body (400 when it does not parse). */
  body(): unknown;
  /** `https://host:port` + path, for nextLinks and LRO URLs. */
  url: string;
}

export interface ArmRoute {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST' | 'HEAD';
  /** Path template; `{name}` segments are parameters, literal segments match case-insensitively. */
  path: string;
  /** RBAC action checked on the request's scope, e.g. `Microsoft.MachineLearningServices/workspaces/models/read`. */
  action: string;
  /** The swagger operationId (for spec validation and logs). */
  operationId: string;
  /** api-versions served (default: the versions in apiVersions.ts that serve this operationId). */
  apiVersions?: string[];
  /** Skip RBAC (operation-status polling: ARM checks those at subscription scope). */
  noRbac?: boolean;
  handler(call: ArmCall): Reply | Promise<Reply>;
}

interface CompiledRoute {
  route: ArmRoute;
  segments: string[];
}

export class ArmRouter {
  private readonly compiled: CompiledRoute[] = [];

  constructor(routes: ArmRoute[]) {
    for (const route of routes) this.compiled.push({ route, segments: route.path.split('/').filter(Boolean) });
  }

  match(method: string, path: string): { route: ArmRoute; params: Record<string, string> } | 'method' | undefined {
    const segs = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const c of this.compiled) {
      if (c.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const t = c.segments[i] as string;
        const s = segs[i] as string;
        if (t.startsWith('{') && t.endsWith('}')) params[t.slice(1, -1)] = decodeURIComponent(s);
        else ok = t.toLowerCase() === s.toLowerCase();
      }
      if (!ok) continue;
      pathMatched = true;
      if (c.route.method === method) return { route: c.route, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

function authFailure(status: number, code: string, message: string, description: string): ArmError {
  return new ArmError(status, code, message, [], {
    'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${description}"`,
  });
}

export async function handleArm(
  ctx: EmulatorContext,
  router: ArmRouter,
  req: EmuRequest,
  faults: FaultRule[],
): Promise<Reply> {
  // 1. Authentication.
  const check = verifyAccessToken(ctx, req.headers.authorization, armAudiences);
  if (!check.ok) {
    switch (check.reason) {
      case 'missing':
        throw authFailure(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is missing.",
          "The authentication failed because of missing 'Authorization' header.",
        );
      case 'expired':
        throw authFailure(
          401,
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time is earlier than current UTC time '${new Date().toISOString()}'. ${check.message}`,
          'The access token has expired.',
        );
      case 'audience':
        throw authFailure(
          401,
          'InvalidAuthenticationTokenAudience',
          `${check.message} It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
          'The access token has been obtained for wrong audience or resource.',
        );
      default:
        throw authFailure(
          401,
          'InvalidAuthenticationToken',
          `The access token is invalid. ${check.message}`,
          'The access token is invalid.',
        );
    }
  }
  const principal = check.principal;
  if (!principal) {
    throw authFailure(
      401,
      'InvalidAuthenticationToken',
      'The access token names a principal that no longer exists.',
      'The access token is invalid.',
    );
  }
  req.principal = principal.appId;
  const s = ctx.settings;
  const segs = req.path.split('/').filter(Boolean);

  // 2. Subscription and resource group exist.
  if (segs[0]?.toLowerCase() === 'subscriptions' && segs[1] !== undefined) {
    if (segs[1].toLowerCase() !== s.subscriptionId.toLowerCase()) {
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${segs[1]}' could not be found.`);
    }
    if (
      segs[2]?.toLowerCase() === 'resourcegroups' &&
      segs[3] !== undefined &&
      segs[3].toLowerCase() !== s.resourceGroup.toLowerCase()
    ) {
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${segs[3]}' could not be found.`);
    }
  }

  // 3. Route.
  const m = router.match(req.method, req.path);
  if (m === 'method') {
    throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`);
  }
  if (m === undefined) {
    const typeIdx = segs.findIndex((x) => x.toLowerCase() === 'providers');
    const ns = segs[typeIdx + 1] ?? '';
    throw new ArmError(
      404,
      'InvalidResourceType',
      `The resource type '${segs
        .slice(typeIdx + 2)
        .filter((_, i) => i % 2 === 0)
        .join(
          '/',
        )}' could not be found in the namespace '${ns}' for api version '${req.query.get('api-version') ?? ''}'.`,
    );
  }
  const { route, params } = m;

  // 4. RBAC on the request's scope.
  if (!route.noRbac && !isAllowed(ctx, principal.objectId, route.action, req.path)) {
    const roles = rolesGranting(route.action);
    throw new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action '${route.action}' over scope '${req.path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      roles.length > 0
        ? [{ code: 'RolesThatGrantTheAction', message: `Built-in roles that grant it: ${roles.join(', ')}.` }]
        : [],
    );
  }

  // 5. api-version.
  const apiVersion = req.query.get('api-version');
  if (!apiVersion) {
    throw new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  const served = route.apiVersions ?? apiVersionsOf(route.operationId);
  if (!served.includes(apiVersion)) {
    // The resource type as ARM names it: the segments after the provider namespace that are types,
    // not names (`workspaces/models` for …/workspaces/{workspaceName}/models).
    const type =
      route.path
        .split('/providers/')[1]
        ?.split('/')
        .slice(1)
        .filter((_, i) => i % 2 === 0)
        .join('/') ?? '';
    throw new ArmError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${s.location}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${served.join(', ')}'. The supported locations are '${s.location}'.`,
    );
  }

  let parsed: { value: unknown } | undefined;
  const call: ArmCall = {
    ctx,
    req,
    params,
    apiVersion,
    principal,
    principalName: principal.displayName,
    faults,
    url: `${ctx.baseUrl}${req.path}`,
    body: () => {
      if (!parsed) {
        const raw = parseJsonBody(req);
        const adapter = armApiVersions[apiVersion];
        parsed = { value: adapter?.request ? adapter.request(route.operationId, raw) : raw };
      }
      return parsed.value;
    },
  };
  // A request is validated against the swagger of its own api-version where the lock pins it
  // (2022-10-01, 2024-04-01), else the nearest pinned one, after the version's adapter removed the
  // listed differences (apiVersions.ts); the response before the adapter, in strict mode.
  const mode = validationMode(ctx.settings);
  const spec = mode === 'off' ? null : specValidator(apiVersion);
  const op = spec?.operations.get(route.operationId);
  const against = spec && spec.version !== apiVersion ? ` (validated against the ${spec.version} spec)` : '';
  if (spec && op?.requestSchema && req.body.length > 0) {
    const problems = spec.validate(op.requestSchema, call.body(), '$', 'request');
    if (problems.length > 0) {
      throw new ArmError(
        400,
        'UserError',
        `The request body does not match the ${route.operationId} schema of api-version ${apiVersion}${against}: ${problems.slice(0, 5).join('; ')}`,
        problems.slice(0, 20).map((p) => ({ code: 'ValidationError', message: p, target: p.split(':')[0] ?? '' })),
      );
    }
  }
  let reply: Reply;
  try {
    reply = await route.handler(call);
  } catch (error) {
    if (!(error instanceof ArmError)) throw error;
    reply = error.toReply();
  }
  const newest = SPEC_VERSIONS[SPEC_VERSIONS.length - 1]!;
  if (spec && op && spec.version !== newest && reply.body !== undefined && !Buffer.isBuffer(reply.body)) {
    const newer = specValidator(newest);
    if (newer) withoutNewerFields(spec, newer, route.operationId, reply.status, reply.body);
  }
  if (spec && op && mode === 'strict') {
    const schema = op.responses[String(reply.status)] ?? (reply.status >= 400 ? op.responses.default : undefined);
    const listed = String(reply.status) in op.responses || (reply.status >= 400 && 'default' in op.responses);
    const problems = !listed
      ? [`status ${reply.status} is not a response of ${route.operationId}`]
      : schema && reply.body !== undefined && !Buffer.isBuffer(reply.body)
        ? spec.validate(schema, reply.body)
        : [];
    if (problems.length > 0) {
      process.stderr.write(`emulator: response of ${route.operationId} violates the spec: ${problems.join('; ')}\n`);
      throw new ArmError(
        500,
        'EmulatorSpecViolation',
        `The emulator's response to ${route.operationId} (${reply.status}) does not match the ${spec.version} spec: ${problems.slice(0, 10).join('; ')}`,
      );
    }
  }
  const adapter = armApiVersions[apiVersion];
  if (adapter?.response && reply.body !== undefined && !Buffer.isBuffer(reply.body)) {
    reply.body = adapter.response(route.operationId, reply.body);
  }
  return reply;
}
