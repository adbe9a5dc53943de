// One scoring request in, one response out, as a plain async function: the HTTP server below
// and the emulator's scoring URIs both call it, so the contracts behave the same everywhere.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { InferenceModel } from './inference.js';
import { scoreJsonContract } from './json-contract.js';
import type { KServeModelIdentity } from './kserve-contract.js';
import { kserveModelMetadata, scoreKServe } from './kserve-contract.js';
import { ScoringError } from './validate.js';

/**
 * `json`: the generic ONNX JSON contract at `POST /score` (custom_model).
 * `kserve-v2`: the KServe v2 / Triton routes under `/v2` (triton_model).
 */
export type ScoringContract = { kind: 'json' } | ({ kind: 'kserve-v2' } & KServeModelIdentity);

export type HeaderValues = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ScoringRequest {
  readonly method: string;
  /** The request target: path, optionally with a query string (ignored). */
  readonly path: string;
  /** Header names in lower case, as node:http gives them. Not read by handleScoringRequest. */
  readonly headers?: HeaderValues;
  /** The raw body (parsed here, once), or a body the caller has already parsed from JSON. */
  readonly body?: Uint8Array | string | { readonly parsed: unknown };
}

export interface ScoringResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** JSON text. */
  readonly body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

export function jsonResponse(status: number, body: string, headers: Record<string, string> = {}): ScoringResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body };
}

export function errorResponse(status: number, message: string, headers: Record<string, string> = {}): ScoringResponse {
  return jsonResponse(status, JSON.stringify({ error: message }), headers);
}

/** Paths that answer without a key: they reveal nothing but "the process is up". */
export function isLivenessPath(method: string, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const route = stripQuery(path);
  return route === '/' || route === '/v2/health/live' || route === '/v2/health/ready';
}

/**
 * Routes and answers one request for one model. No authentication here: the caller checks the
 * key or token first (see `checkBearerKey`), since the emulator also accepts AML tokens.
 */
export async function handleScoringRequest(
  model: InferenceModel,
  contract: ScoringContract,
  request: ScoringRequest,
): Promise<ScoringResponse> {
  const route = stripQuery(request.path);
  const method = request.method.toUpperCase();
  try {
    if (route === '/') return only(method, 'GET', () => jsonResponse(200, '{"status":"Healthy"}'));
    if (contract.kind === 'json') {
      if (route === '/score') {
        return await onlyAsync(method, 'POST', async () =>
          jsonResponse(200, await scoreJsonContract(model, parseBody(request.body))),
        );
      }
      return errorResponse(
        404,
        `No route ${method} ${route}: this endpoint serves POST /score (the ONNX JSON contract)`,
      );
    }
    return await routeKServe(model, contract, method, route, request);
  } catch (error) {
    if (!(error instanceof ScoringError)) throw error;
    if (contract.kind === 'kserve-v2') return errorResponse(error.status, error.message);
    return jsonResponse(error.status, JSON.stringify({ error: error.message, ...error.details }));
  }
}

async function routeKServe(
  model: InferenceModel,
  identity: KServeModelIdentity,
  method: string,
  route: string,
  request: ScoringRequest,
): Promise<ScoringResponse> {
  if (route === '/v2/health/live') return only(method, 'GET', () => jsonResponse(200, '{"live":true}'));
  if (route === '/v2/health/ready') return only(method, 'GET', () => jsonResponse(200, '{"ready":true}'));
  if (route === '/v2') {
    return only(method, 'GET', () =>
      jsonResponse(200, JSON.stringify({ name: 'azureml-actions-scoring', version: '1', extensions: [] })),
    );
  }
  const match = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/.exec(route);
  if (match === null) {
    return errorResponse(
      404,
      `No route ${method} ${route}: this endpoint serves the KServe v2 protocol (POST /v2/models/${identity.name}/infer)`,
    );
  }
  const name = decodeURIComponent(match[1] ?? '');
  const version = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
  const action = match[3];
  if (name !== identity.name) {
    return errorResponse(
      404,
      `Request for unknown model: '${name}' is not found (this endpoint serves '${identity.name}')`,
    );
  }
  if (version !== undefined && version !== identity.version) {
    return errorResponse(
      404,
      `Request for unknown model: '${name}' version ${version} is not found (this endpoint serves version ${identity.version})`,
    );
  }
  if (action === '/ready') return only(method, 'GET', () => jsonResponse(200, '{"ready":true}'));
  if (action === '/infer') {
    return onlyAsync(method, 'POST', async () =>
      jsonResponse(200, await scoreKServe(model, identity, parseBody(request.body))),
    );
  }
  return only(method, 'GET', () => jsonResponse(200, kserveModelMetadata(model, identity)));
}

function only(method: string, allowed: string, answer: () => ScoringResponse): ScoringResponse {
  if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return answer();
  return errorResponse(405, `Method ${method} is not allowed here; use ${allowed}`, { allow: allowed });
}

async function onlyAsync(
  method: string,
  allowed: string,
  answer: () => Promise<ScoringResponse>,
): Promise<ScoringResponse> {
  if (method === allowed) return answer();
  return errorResponse(405, `Method ${method} is not allowed here; use ${allowed}`, { allow: allowed });
}

function stripQuery(path: string): string {
  const query = path.indexOf('?');
  const route = query === -1 ? path : path.slice(0, query);
  return route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route;
}

function parseBody(body: ScoringRequest['body']): unknown {
  if (body === undefined) throw new ScoringError(400, 'The request has no body; send JSON');
  if (typeof body === 'object' && 'parsed' in body) return body.parsed;
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.length === 0) throw new ScoringError(400, 'The request body is empty; send JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ScoringError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Checks `Authorization: Bearer <key>` against the endpoint's keys in constant time. Returns the
 * 401 response to send, or undefined when a key matches. Messages never include what was sent.
 */
export function checkBearerKey(headers: HeaderValues, keys: readonly string[]): ScoringResponse | undefined {
  return bearerKeyChecker(keys)(headers);
}

/** `checkBearerKey` with the keys' digests computed once, for a server that checks every request. */
export function bearerKeyChecker(keys: readonly string[]): (headers: HeaderValues) => ScoringResponse | undefined {
  const keyDigests = keys.filter((key) => key !== '').map(digest);
  const challenge = { 'www-authenticate': 'Bearer' };
  return (headers) => {
    const header = headers.authorization;
    const value = Array.isArray(header) ? header[0] : (header as string | undefined);
    if (value === undefined || value === '') {
      return errorResponse(401, 'Missing Authorization header: send "Authorization: Bearer <endpoint key>"', challenge);
    }
    const space = value.indexOf(' ');
    if (space === -1 || value.slice(0, space).toLowerCase() !== 'bearer') {
      return errorResponse(401, 'The Authorization header must have the form "Bearer <endpoint key>"', challenge);
    }
    const presented = digest(value.slice(space + 1).trim());
    let matched = false;
    for (const keyDigest of keyDigests) if (timingSafeEqual(presented, keyDigest)) matched = true;
    if (!matched) {
      return errorResponse(401, 'The key in the Authorization header is not valid for this endpoint', challenge);
    }
    return undefined;
  };
}

/** Hashing first gives equal-length buffers for timingSafeEqual whatever the key lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
