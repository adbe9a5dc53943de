// Microsoft Entra ID, as far as service principals need it: the tenant's openid-configuration and
// keys, and the v2.0 token endpoint for client credentials with a client secret or a client assertion
// (workload identity federation). Assertions are checked the way Entra checks them, with its AADSTS
// codes; access tokens are RS256 JWTs (v1 shape, like ARM's) that ARM, scoring and storage verify.
import { randomUUID } from 'node:crypto';
import type { EmulatorContext, Principal } from './context.js';
import { json, type EmuRequest, type Reply } from './http.js';
import { decodeJwt, jwk, nowSeconds, signJwt, verifySignature, type Claims } from './jwt.js';

export const armAudiences = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];
export const mlAudiences = ['https://ml.azure.com', 'https://ml.azure.com/'];
export const storageAudiences = ['https://storage.azure.com', 'https://storage.azure.com/'];
const knownResources = [...armAudiences, ...mlAudiences, ...storageAudiences];
const fedDocs = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';

function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** Entra's OAuth error body: `AADSTS<code>: <message>` plus trace/correlation ids and `error_codes`. */
export function aadError(req: EmuRequest, status: number, error: string, code: number, message: string): Reply {
  const traceId = randomUUID();
  const ts = timestamp();
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${req.correlationId} Timestamp: ${ts}`,
    error_codes: [code],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: req.correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

function tenantNotFound(ctx: EmulatorContext, req: EmuRequest, tenant: string): Reply {
  return aadError(
    req,
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

/** Entra's aliases of its public-cloud host, as instance discovery lists them. */
const publicCloudAliases = ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'];

/**
 * Instance discovery (`/common/discovery/instance`), what MSAL asks to validate an authority host and
 * to find a host's aliases in its token cache: Entra knows its own hosts, and answers any other host
 * (a custom authority) with `invalid_instance`.
 */
function instanceDiscovery(req: EmuRequest): Reply {
  const endpoint = req.query.get('authorization_endpoint') ?? '';
  let host = '';
  try {
    host = new URL(endpoint).host.toLowerCase();
  } catch {
    // not a URL: refused below
  }
  if (!publicCloudAliases.includes(host)) {
    return aadError(req, 400, 'invalid_instance', 50049, 'Unknown or invalid instance.');
  }
  const tenant = /^\/([^/]+)\//.exec(new URL(endpoint).pathname)?.[1] ?? 'common';
  return json(200, {
    tenant_discovery_endpoint: `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [
      {
        preferred_network: 'login.microsoftonline.com',
        preferred_cache: 'login.windows.net',
        aliases: publicCloudAliases,
      },
    ],
  });
}

export function handleEntra(ctx: EmulatorContext, req: EmuRequest): Reply {
  const segments = req.path.split('/').filter(Boolean);
  const tenant = segments[0] ?? '';
  const rest = `/${segments.slice(1).join('/')}`;
  if (req.method === 'GET' && req.path === '/common/discovery/instance') return instanceDiscovery(req);
  if (tenant.toLowerCase() !== ctx.settings.tenantId.toLowerCase()) {
    return tenantNotFound(ctx, req, tenant);
  }
  const authority = `${ctx.baseUrl}/${ctx.settings.tenantId}`;
  if (req.method === 'GET' && rest === '/v2.0/.well-known/openid-configuration') {
    return json(200, {
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${authority}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${authority}/openid/userinfo`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
    });
  }
  if (req.method === 'GET' && rest === '/discovery/v2.0/keys') {
    return json(200, { keys: [jwk(ctx.entraKey)] });
  }
  if (req.method === 'POST' && (rest === '/oauth2/v2.0/token' || rest === '/oauth2/token')) {
    return token(ctx, req);
  }
  return aadError(req, 404, 'invalid_request', 900561, `The endpoint '${req.path}' is not served by this emulator.`);
}

function token(ctx: EmulatorContext, req: EmuRequest): Reply {
  const form = new URLSearchParams(req.body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (grantType !== 'client_credentials') {
    return aadError(
      req,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType ?? ''}'. This emulator serves client_credentials only.`,
    );
  }
  const clientId = form.get('client_id') ?? '';
  if (!clientId) {
    return aadError(
      req,
      400,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'client_id'.",
    );
  }
  const app = ctx.principals.get(clientId.toLowerCase());
  if (!app) {
    return aadError(
      req,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${ctx.settings.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const scope = form.get('scope') ?? '';
  const resource = scopeResource(scope);
  if (resource === undefined) {
    return aadError(
      req,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  if (!knownResources.includes(resource)) {
    return aadError(
      req,
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${ctx.settings.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  let appidacr: string;
  if (secret !== null) {
    if (!app.secrets.includes(secret)) {
      return aadError(
        req,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
      );
    }
    const endDate = app.secretEndDates?.[secret];
    if (endDate !== undefined && Date.parse(endDate) <= Date.now()) {
      return aadError(
        req,
        401,
        'invalid_client',
        7000222,
        `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      );
    }
    appidacr = '1';
  } else if (assertion !== null) {
    const type = form.get('client_assertion_type');
    if (type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return aadError(
        req,
        400,
        'invalid_request',
        50027,
        `client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', got '${type ?? ''}'.`,
      );
    }
    const refused = checkAssertion(ctx, req, app, assertion);
    if (refused) return refused;
    appidacr = '2';
  } else {
    return aadError(
      req,
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  req.principal = app.appId;
  const lifetime = ctx.settings.accessTokenLifetimeSeconds;
  const accessToken = issueAccessToken(ctx, app, resource, lifetime, appidacr);
  ctx.issueSecret('Entra access token', accessToken);
  return json(200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
}

function scopeResource(scope: string): string | undefined {
  const scopes = scope.split(' ').filter(Boolean);
  if (scopes.length !== 1) return undefined;
  const s = scopes[0] as string;
  if (!s.endsWith('/.default')) return undefined;
  const resource = s.slice(0, -'/.default'.length);
  return resource === '' ? undefined : resource;
}

export function issueAccessToken(
  ctx: EmulatorContext,
  app: Principal,
  resource: string,
  lifetime: number,
  appidacr = '1',
): string {
  const now = nowSeconds();
  const tid = ctx.settings.tenantId;
  // Azure ML's resource has no trailing slash in its tokens: azure-ai-ml checks `aud` against
  // 'https://ml.azure.com' exactly before it submits a job with a user identity.
  const aud =
    resource.endsWith('/') || resource.includes('management.core') || /^https:\/\/ml\.azure\.com$/i.test(resource)
      ? resource
      : `${resource}/`;
  return signJwt(ctx.entraKey, {
    aud,
    iss: `https://sts.windows.net/${tid}/`,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    aio: randomUUID(),
    appid: app.appId,
    appidacr,
    idp: `https://sts.windows.net/${tid}/`,
    idtyp: 'app',
    oid: app.objectId,
    sub: app.objectId,
    tid,
    uti: randomUUID().replace(/-/g, '').slice(0, 22),
    ver: '1.0',
  });
}

function assertionMismatch(req: EmuRequest, code: number, what: string, value: string): Reply {
  return aadError(
    req,
    400,
    'invalid_client',
    code,
    `No matching federated identity record found for presented assertion ${what} '${value}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${fedDocs}`,
  );
}

/** Entra's checks of a federated client assertion; undefined when it passes. */
function checkAssertion(ctx: EmulatorContext, req: EmuRequest, app: Principal, assertion: string): Reply | undefined {
  const decoded = decodeJwt(assertion);
  if (!decoded) {
    return aadError(req, 400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  }
  const c: Claims = decoded.claims;
  const iss = typeof c.iss === 'string' ? c.iss : '';
  const sub = typeof c.sub === 'string' ? c.sub : '';
  const auds = Array.isArray(c.aud) ? c.aud.map(String) : typeof c.aud === 'string' ? [c.aud] : [];
  const fics = app.federatedCredentials;
  if (fics.length === 0) {
    return aadError(
      req,
      400,
      'invalid_client',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${auds.join(',')}'. ${fedDocs}`,
    );
  }
  const byIssuer = fics.filter((f) => f.issuer === iss);
  if (byIssuer.length === 0) return assertionMismatch(req, 700211, 'issuer', iss);
  // Entra fetches the issuer's keys through its openid-configuration: only the emulator's own issuer
  // is reachable here.
  if (iss !== ctx.oidcIssuer || !verifySignature(decoded, [ctx.oidcKey])) {
    return aadError(
      req,
      400,
      'invalid_client',
      700027,
      `Client assertion failed signature validation. (The signing key was not found among the keys published by issuer '${iss}'.)`,
    );
  }
  const now = nowSeconds();
  const exp = typeof c.exp === 'number' ? c.exp : 0;
  const nbf = typeof c.nbf === 'number' ? c.nbf : 0;
  const skew = 300; // Entra allows five minutes of clock skew
  if (now > exp + skew || now + skew < nbf) {
    return aadError(
      req,
      400,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${new Date(nbf * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
  }
  const byAudience = byIssuer.filter((f) => f.audiences.some((a) => auds.includes(a)));
  if (byAudience.length === 0) return assertionMismatch(req, 700212, 'audience', auds.join(','));
  if (byAudience.some((f) => f.subject === sub)) return undefined;
  if (byAudience.some((f) => f.subject.toLowerCase() === sub.toLowerCase())) {
    return aadError(
      req,
      400,
      'invalid_client',
      7002138,
      `No matching federated identity record found for presented assertion subject '${sub}'. The subject matches a federated identity credential only when compared case-insensitively; subjects are matched case-sensitively. ${fedDocs}`,
    );
  }
  return assertionMismatch(req, 700213, 'subject', sub);
}

export type TokenCheck =
  | { ok: true; claims: Claims; principal: Principal | undefined }
  | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' | 'audience'; message: string };

/** Verifies a bearer access token issued by this emulator's Entra for one of `audiences`. */
export function verifyAccessToken(
  ctx: EmulatorContext,
  authorization: string | undefined,
  audiences: string[],
): TokenCheck {
  if (!authorization)
    return { ok: false, reason: 'missing', message: "The request doesn't contain an Authorization header." };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m) return { ok: false, reason: 'malformed', message: "The 'Authorization' header is not a Bearer token." };
  const decoded = decodeJwt(m[1] as string);
  if (!decoded) return { ok: false, reason: 'malformed', message: 'The access token is not a valid JWT.' };
  if (!verifySignature(decoded, [ctx.entraKey])) {
    return { ok: false, reason: 'signature', message: 'The access token signature is invalid.' };
  }
  const c = decoded.claims;
  if (typeof c.exp !== 'number' || c.exp < nowSeconds()) {
    return {
      ok: false,
      reason: 'expired',
      message: `The access token expired at '${new Date(Number(c.exp) * 1000).toISOString()}'.`,
    };
  }
  if (typeof c.aud !== 'string' || !audiences.includes(c.aud)) {
    return {
      ok: false,
      reason: 'audience',
      message: `The access token has an invalid audience '${String(c.aud)}'; expected one of ${audiences.filter((a) => !a.endsWith('/')).join(', ')}.`,
    };
  }
  const principal = typeof c.oid === 'string' ? ctx.principalByObjectId(c.oid) : undefined;
  return { ok: true, claims: c, principal };
}
