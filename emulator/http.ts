// Small HTTP vocabulary shared by every part of the emulator: a parsed request, a reply, and ARM's
// error body.
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface EmuRequest {
  method: string;
  /** Path without the query, percent-decoded per segment is left to the handlers. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** x-ms-request-id of this request (also sent back). */
  requestId: string;
  /** x-ms-correlation-request-id: the client's x-ms-client-request-id / correlation id, else new. */
  correlationId: string;
  /** Principal the request authenticated as (set by ARM/scoring authentication). */
  principal?: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless a Buffer or string. */
  body?: unknown;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** An ARM error: `{"error":{"code","message","details"}}` with the given status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ArmErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toReply(): Reply {
    return {
      status: this.status,
      headers: this.headers,
      body: {
        error: {
          code: this.code,
          message: this.message,
          ...(this.details.length > 0 ? { details: this.details.map((d) => ({ ...d, details: [] })) } : {}),
        },
      },
    };
  }
}

export function parseJsonBody(req: EmuRequest): unknown {
  if (req.body.length === 0) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8')) as unknown;
  } catch (error) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`,
    );
  }
}

export function requestIds(headers: IncomingMessage['headers']): { requestId: string; correlationId: string } {
  const requestId = randomUUID();
  const given = headers['x-ms-correlation-request-id'] ?? headers['x-ms-client-request-id'];
  const correlationId = typeof given === 'string' && given.length > 0 ? given : randomUUID();
  return { requestId, correlationId };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const secretKeys =
  /^(client_secret|client_assertion|assertion|key|keys|primarykey|secondarykey|accesstoken|access_token|token|password|secret|secrets|sastoken|sasuri|accountkey|connectionstring|authorization|refresh_token|id_token)$/i;
/** A JWT (GitHub ID token, Entra or AML token) wherever it appears, e.g. the `value` of an ID-token answer. */
const jwt = /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * Deep copy with every secret-looking field and every JWT replaced by "***" (for the request log).
 * `value` is not a secret name: job inputs, traffic and list answers use it for plain data that
 * tests compare (the interop parity tests read job bodies from the log).
 */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return jwt.test(value) ? '***' : value;
  if (Array.isArray(value)) return value.map(redact);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = secretKeys.test(k) && (typeof v === 'string' || isRecord(v)) ? '***' : redact(v);
    }
    return out;
  }
  return value;
}

/** Redacts a request body for the log: JSON or form bodies; anything else is summarised. */
export function redactBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) out[k] = secretKeys.test(k) || jwt.test(v) ? '***' : v;
    return out;
  }
  try {
    return redact(JSON.parse(text) as unknown);
  } catch {
    return `<${body.length} bytes>`;
  }
}
