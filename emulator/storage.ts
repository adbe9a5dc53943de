// The storage front: the HTTPS blob endpoint the actions reach through the custom cloud's
// storage-url-template (path-style, `https://127.0.0.1:PORT/{account}`), in front of Azurite.
// The key-based account (devstoreaccount1) passes through untouched. The identity-based datastore's
// account (devstoreidentity) behaves like an Azure account with Shared Key access disabled: only an
// Entra access token for https://storage.azure.com is accepted (signature, issuer, audience and
// lifetime checked), and its principal needs a data role (Storage Blob Data Reader to read,
// Contributor to write) at the account or container scope, with Azure Storage's error codes.

import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorContext } from './context.js';
import { accountKeys, identityAccount } from './azurite.js';
import { storageAudiences, verifyAccessToken } from './entra.js';
import { isAllowed, isDataActionAllowed } from './rbac.js';
import { requestIds } from './http.js';

const STORAGE = 'Microsoft.Storage/storageAccounts';
const CONTAINERS = `${STORAGE}/blobServices/containers`;

export interface StorageFront {
  /** `https://HOST:PORT`: the blob service of account A is `${url}/A`. */
  url: string;
  stop(): Promise<void>;
}

/** ARM id of an emulated storage account (in the workspace's resource group): the scope of data roles. */
export function storageAccountId(ctx: EmulatorContext, account: string): string {
  const s = ctx.settings;
  return `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/${STORAGE}/${account}`;
}

/** What Azure checks for a blob request authorised with Entra ID (learn.microsoft.com, "Authorize with Microsoft Entra ID", permissions per operation). */
export interface RequiredPermission {
  kind: 'action' | 'dataAction';
  name: string;
}

export function requiredPermission(
  method: string,
  container: string,
  blob: string,
  query: URLSearchParams,
): RequiredPermission {
  const comp = query.get('comp') ?? '';
  const read = method === 'GET' || method === 'HEAD';
  if (container === '') {
    if (comp === 'userdelegationkey')
      return { kind: 'action', name: `${STORAGE}/blobServices/generateUserDelegationKey/action` };
    return { kind: 'action', name: read ? `${CONTAINERS}/read` : `${STORAGE}/blobServices/write` };
  }
  if (blob === '') {
    if (comp === 'list') return { kind: 'dataAction', name: `${CONTAINERS}/blobs/read` };
    if (method === 'DELETE') return { kind: 'action', name: `${CONTAINERS}/delete` };
    return { kind: 'action', name: read ? `${CONTAINERS}/read` : `${CONTAINERS}/write` };
  }
  if (comp === 'tags') return { kind: 'dataAction', name: `${CONTAINERS}/blobs/tags/${read ? 'read' : 'write'}` };
  if (method === 'DELETE') return { kind: 'dataAction', name: `${CONTAINERS}/blobs/delete` };
  return { kind: 'dataAction', name: `${CONTAINERS}/blobs/${read ? 'read' : 'write'}` };
}

interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Azure's `AuthenticationErrorDetail` for refused tokens. */
  detail?: string;
  challenge?: boolean;
}

/** Azure Storage's messages for these codes. */
const MESSAGES = {
  unauthenticated:
    'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.',
  keyBased: 'Key based authentication is not permitted on this storage account.',
  mismatch: 'This request is not authorized to perform this operation using this permission.',
};

/** The Entra checks of the identity account; undefined when the request may go on, with its principal. */
export function authorizeIdentityRequest(
  ctx: EmulatorContext,
  request: {
    method: string;
    headers: http.IncomingHttpHeaders;
    container: string;
    blob: string;
    query: URLSearchParams;
  },
): { refusal?: Refusal; principal?: string } {
  const authorization = request.headers.authorization;
  // An account or service SAS is signed with an account key: refused like Shared Key.
  if (request.query.has('sig') || /^SharedKey(Lite)?\s/i.test(authorization ?? '')) {
    return { refusal: { status: 403, code: 'KeyBasedAuthenticationNotPermitted', message: MESSAGES.keyBased } };
  }
  if (!authorization) {
    return {
      refusal: { status: 401, code: 'NoAuthenticationInformation', message: MESSAGES.unauthenticated, challenge: true },
    };
  }
  const check = verifyAccessToken(ctx, authorization, storageAudiences);
  if (!check.ok) {
    const detail = {
      missing: 'No Authorization header.',
      malformed: 'Bearer token is malformed or not a JWT.',
      signature: 'Signature validation failed. The token signature was not issued by the tenant.',
      expired: 'Lifetime validation failed. The token is expired.',
      audience: 'Audience validation failed. Audience did not match.',
    }[check.reason];
    return {
      refusal: {
        status: 401,
        code: 'InvalidAuthenticationInfo',
        message: MESSAGES.unauthenticated,
        detail,
        challenge: true,
      },
    };
  }
  const tenant = ctx.settings.tenantId;
  if (check.claims.tid !== tenant || check.claims.iss !== `https://sts.windows.net/${tenant}/`) {
    return {
      refusal: {
        status: 401,
        code: 'InvalidAuthenticationInfo',
        message: MESSAGES.unauthenticated,
        detail: 'Issuer validation failed. Issuer did not match.',
        challenge: true,
      },
    };
  }
  const objectId = String(check.claims.oid ?? '');
  const principal = check.principal?.appId ?? objectId;
  const permission = requiredPermission(request.method, request.container, request.blob, request.query);
  const scope =
    storageAccountId(ctx, identityAccount) +
    (request.container ? `/blobServices/default/containers/${request.container}` : '');
  const allowed =
    permission.kind === 'dataAction'
      ? isDataActionAllowed(ctx, objectId, permission.name, scope)
      : isAllowed(ctx, objectId, permission.name, scope);
  if (!allowed) {
    return { refusal: { status: 403, code: 'AuthorizationPermissionMismatch', message: MESSAGES.mismatch }, principal };
  }
  return { principal };
}

/**
 * The emulator's own credential for the identity account in Azurite: an account SAS it signs with
 * the account's key and adds to the forwarded request (the caller's token means nothing to Azurite).
 * Service version 2019-12-12's string to sign: account, permissions, services, resource types,
 * start, expiry, IP, protocol, version.
 */
function internalSas(account: string): string {
  const fields = { sv: '2019-12-12', ss: 'b', srt: 'sco', sp: 'rwdlacup', se: '2099-12-31T00:00:00Z' };
  const toSign = [account, fields.sp, fields.ss, fields.srt, '', fields.se, '', '', fields.sv, ''].join('\n');
  const sig = createHmac('sha256', Buffer.from(accountKeys[account] ?? '', 'base64'))
    .update(toSign, 'utf8')
    .digest('base64');
  return new URLSearchParams({ ...fields, sig }).toString();
}

function errorXml(refusal: Refusal, requestId: string): string {
  const message = `${refusal.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  const detail = refusal.detail ? `<AuthenticationErrorDetail>${refusal.detail}</AuthenticationErrorDetail>` : '';
  return `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${refusal.code}</Code><Message>${message}</Message>${detail}</Error>`;
}

export async function startStorageFront(
  ctx: EmulatorContext,
  azuriteUrl: string,
  options: { host: string; cert: string; key: string },
): Promise<StorageFront> {
  const upstream = new URL(azuriteUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sas = internalSas(identityAccount);
  const sockets = new Set<Socket>();

  const server = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://storage.invalid');
    const [, account = '', container = '', ...rest] = url.pathname.split('/');
    const blob = rest.join('/');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = { ...req.headers, host: upstream.host };
    let path = req.url ?? '/';
    let principal: string | undefined;

    if (account === identityAccount) {
      const { requestId } = requestIds(req.headers);
      const verdict = authorizeIdentityRequest(ctx, {
        method,
        headers: req.headers,
        container,
        blob,
        query: url.searchParams,
      });
      principal = verdict.principal;
      const record = (status: number): void => {
        ctx.requests.push({
          id: ctx.nextRequestNumber(),
          time: new Date(started).toISOString(),
          service: 'storage',
          method,
          path: url.pathname,
          query: Object.fromEntries([...url.searchParams].map(([k, v]) => [k, k === 'sig' ? '***' : v])),
          status,
          ...(principal !== undefined ? { principal } : {}),
          durationMs: Date.now() - started,
          requestId,
        });
      };
      if (verdict.refusal) {
        const refusal = verdict.refusal;
        const body = errorXml(refusal, requestId);
        req.resume();
        res.writeHead(refusal.status, {
          'content-type': 'application/xml',
          'x-ms-error-code': refusal.code,
          'x-ms-request-id': requestId,
          'x-ms-version': String(req.headers['x-ms-version'] ?? '2021-12-02'),
          ...(refusal.challenge
            ? {
                'www-authenticate': `Bearer authorization_uri=${ctx.baseUrl}/${ctx.settings.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`,
              }
            : {}),
          'content-length': String(Buffer.byteLength(body)),
        });
        res.end(method === 'HEAD' ? undefined : body);
        record(refusal.status);
        return;
      }
      delete headers.authorization;
      path += `${url.search ? '&' : '?'}${sas}`;
      res.once('finish', () => record(res.statusCode));
    }

    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method, path, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // A caller that goes away mid-request (a cut upload) ends the request to Azurite too.
    res.once('close', () => {
      if (!res.writableFinished) forward.destroy();
    });
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`Storage front: Azurite did not answer (${error.message}).`);
    });
    req.pipe(forward);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${options.host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      }),
  };
}
