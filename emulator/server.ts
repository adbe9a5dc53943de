// The emulator's one HTTPS listener: dispatches by path to the GitHub OIDC issuer (/oidc), the admin
// API (/admin), ARM (/subscriptions, /providers), scoring (/inference), the workspace data plane
// (/discovery, /history, /mlflow) and otherwise Entra (/{tenant}/...). Every request except the admin
// API's is logged (bodies redacted) and subject to fault rules.
import https from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { hostCertificate } from './ca.js';
import { ENTRA_HOSTS } from './entraProxy.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EmulatorContext } from './context.js';
import { handleAdmin } from './admin.js';
import { handleArm, type ArmRouter } from './arm/router.js';
import { handleEntra } from './entra.js';
import { faultError, takeFaults, type FaultRule } from './faults.js';
import { ArmError, json, redact, redactBody, requestIds, type EmuRequest, type Reply } from './http.js';
import { handleOidc } from './oidc.js';
import { handleScoring } from './scoring.js';
import { handleDataPlane } from './dataplane.js';

function serviceOf(path: string): string {
  const first = (path.split('/')[1] ?? '').toLowerCase();
  if (first === 'admin') return 'admin';
  if (first === 'oidc') return 'oidc';
  if (first === 'subscriptions' || first === 'providers') return 'arm';
  if (first === 'inference') return 'scoring';
  if (first === 'discovery' || first === 'history' || first === 'mlflow') return 'dataplane';
  return 'entra';
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, req: EmuRequest, reply: Reply): void {
  const headers: Record<string, string> = {
    'x-ms-request-id': req.requestId,
    'x-ms-correlation-request-id': req.correlationId,
    ...(typeof req.headers['x-ms-client-request-id'] === 'string'
      ? { 'x-ms-client-request-id': req.headers['x-ms-client-request-id'] }
      : {}),
    ...(reply.headers ?? {}),
  };
  let payload: Buffer | undefined;
  if (reply.body === undefined) payload = undefined;
  else if (Buffer.isBuffer(reply.body)) payload = reply.body;
  else if (typeof reply.body === 'string') {
    payload = Buffer.from(reply.body);
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(reply.body));
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

export function createServer(
  ctx: EmulatorContext,
  router: ArmRouter,
  tls: { cert: string; key: string },
): https.Server {
  const sockets = new Set<Socket>();
  const hostContexts = new Map<string, SecureContext>();
  const server = https.createServer(
    {
      cert: tls.cert,
      key: tls.key,
      // Entra's real host, reached through the Entra proxy (entraProxy.ts): its own certificate.
      SNICallback: (servername, done) => {
        const name = servername.toLowerCase();
        if (!ENTRA_HOSTS.includes(name)) {
          done(null, undefined);
          return;
        }
        let context = hostContexts.get(name);
        if (!context) hostContexts.set(name, (context = createSecureContext(hostCertificate(name))));
        done(null, context);
      },
    },
    (rawReq, res) => {
      void serve(ctx, router, rawReq, res);
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  (server as https.Server & { destroyAll?: () => void }).destroyAll = () => {
    for (const s of sockets) s.destroy();
  };
  return server;
}

async function serve(
  ctx: EmulatorContext,
  router: ArmRouter,
  raw: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = Date.now();
  const url = new URL(raw.url ?? '/', 'https://emulator.invalid');
  const { requestId, correlationId } = requestIds(raw.headers);
  let body: Buffer;
  try {
    body = await readBody(raw);
  } catch {
    return;
  }
  const req: EmuRequest = {
    method: (raw.method ?? 'GET').toUpperCase(),
    path: url.pathname.replace(/\/+$/, '') || '/',
    query: url.searchParams,
    headers: raw.headers,
    body,
    requestId,
    correlationId,
  };
  const service = serviceOf(req.path);
  if (service === 'admin') {
    let reply: Reply;
    try {
      reply = await handleAdmin(ctx, req);
    } catch (error) {
      reply =
        error instanceof ArmError
          ? error.toReply()
          : json(500, { error: { code: 'AdminError', message: String(error) } });
    }
    send(res, req, reply);
    return;
  }

  const hits = takeFaults(ctx.faults, req.method, req.path);
  const front = hits.filter((r) => r.status !== undefined || r.reset === true || r.delayMs !== undefined);
  const later: FaultRule[] = hits.filter(
    (r) => r.lroFailed || r.lroDurationMs !== undefined || r.crashLoop || r.jobStall,
  );
  const delay = front.reduce((ms, r) => ms + (r.delayMs ?? 0), 0);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

  let reply: Reply;
  let faultName: string | undefined;
  const reset = front.find((r) => r.reset);
  const status = front.find((r) => r.status !== undefined);
  if (reset) {
    log(ctx, service, req, 0, started, undefined, 'reset');
    raw.socket.destroy();
    return;
  }
  if (status) {
    reply = faultError(status).toReply();
    faultName = `status ${status.status}`;
  } else {
    try {
      switch (service) {
        case 'oidc':
          reply = handleOidc(ctx, req);
          break;
        case 'arm':
          reply = await handleArm(ctx, router, req, later);
          break;
        case 'scoring':
          reply = await handleScoring(ctx, req, later);
          break;
        case 'dataplane':
          reply = await handleDataPlane(ctx, req);
          break;
        default:
          reply = handleEntra(ctx, req);
      }
    } catch (error) {
      if (error instanceof ArmError) reply = error.toReply();
      else {
        reply = new ArmError(500, 'InternalServerError', `Emulator bug: ${(error as Error).message}`).toReply();
        process.stderr.write(`emulator: ${(error as Error).stack ?? String(error)}\n`);
      }
    }
  }
  log(ctx, service, req, reply.status, started, reply.body, faultName);
  send(res, req, reply);
}

function log(
  ctx: EmulatorContext,
  service: string,
  req: EmuRequest,
  status: number,
  started: number,
  responseBody: unknown,
  fault?: string,
): void {
  const query: Record<string, string> = {};
  for (const [k, v] of req.query) query[k] = /token|sig|key|secret/i.test(k) && k !== 'api-version' ? '***' : v;
  ctx.requests.push({
    id: ctx.nextRequestNumber(),
    time: new Date(started).toISOString(),
    service,
    method: req.method,
    path: req.path,
    query,
    status,
    ...(req.principal !== undefined ? { principal: req.principal } : {}),
    durationMs: Date.now() - started,
    requestId: req.requestId,
    ...(req.body.length > 0 ? { requestBody: redactBody(req.body, req.headers['content-type']) } : {}),
    ...(responseBody !== undefined && !Buffer.isBuffer(responseBody) ? { responseBody: redact(responseBody) } : {}),
    ...(fault !== undefined ? { fault } : {}),
  });
  if (ctx.requests.length > 20000) ctx.requests.splice(0, ctx.requests.length - 20000);
}
