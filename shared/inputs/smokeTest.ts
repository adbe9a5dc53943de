// The smoke test's "what to send, what must hold, how hard" inputs, read by the smoke-test
// sub-action as they are and by action-deploy under the `smoke-test-` prefix: one parser for both.

import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { parseJsonAssertion, parseRegex, type JsonAssertion } from '../smoke/expectations.js';
import type { PayloadSource } from '../smoke/cases.js';
import type { InputReader } from './reader.js';

export const HTTP_METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type LoadSettings =
  | { mode: 'requests'; requests: number; concurrency: number }
  | { mode: 'duration'; durationMs: number; rate: number; concurrency: number };

export interface SmokeTestSettings {
  payload: PayloadSource;
  method: HttpMethod;
  headers: Record<string, string>;
  expectStatus: number;
  expectJson: JsonAssertion[];
  expectBody: RegExp | undefined;
  p95Ms: number | undefined;
  p99Ms: number | undefined;
  maxErrorRate: number;
  load: LoadSettings;
  requestTimeoutMs: number;
  warmup: number;
  waitReadyMs: number;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Reads the smoke test inputs; undefined when `payload` is empty and `required` is false. */
export function readSmokeTestSettings(reader: InputReader, required: boolean): SmokeTestSettings | undefined {
  const payload = readPayload(reader, required);
  const method = reader.enumeration('method', HTTP_METHODS, 'POST');
  const headers = reader.keyValueMap('headers', {
    keyPattern: HEADER_NAME,
    allowedKeys: "header names may contain only letters, digits and !#$%&'*+.^_`|~-.",
  });
  // Header values often are API keys: masked like the key input. A line break in a value would
  // split the request's headers (HTTP forbids it); JSON input can carry one.
  for (const [name, value] of Object.entries(headers)) {
    reader.maskSecret(value);
    if (/[\r\n\0]/.test(value))
      throw new InputError(reader.nameOf('headers'), name, 'header values must not contain line breaks or NUL.');
  }
  const expectStatus = reader.integer('expect-status', { min: 100, max: 599 }, 200);
  // The engine's own parsers (shared/smoke), so what is accepted here is exactly what it evaluates.
  const expectJson = reader
    .lines('expect-json')
    .map((line) => parsedOrInputError(reader.nameOf('expect-json'), line, parseJsonAssertion));
  const expectBodySource = reader.optionalString('expect-body');
  const expectBody =
    expectBodySource === undefined
      ? undefined
      : parsedOrInputError(reader.nameOf('expect-body'), expectBodySource, parseRegex);
  const p95Ms = reader.number('p95-ms', { min: 0.001, max: 3_600_000 });
  const p99Ms = reader.number('p99-ms', { min: 0.001, max: 3_600_000 });
  const maxErrorRate = reader.number('max-error-rate', { min: 0, max: 1 }, 0);
  const requests = reader.integer('requests', { min: 1, max: 1_000_000 }, 20);
  const concurrency = reader.integer('concurrency', { min: 1, max: 1024 }, 4);
  const durationMs = reader.duration('duration', { minMs: 100, maxMs: 3_600_000 });
  const rate = reader.number('rate', { min: 0.01, max: 100_000 });
  const requestTimeoutMs = reader.duration('request-timeout', { minMs: 1, maxMs: 600_000 }, '30s');
  const warmup = reader.integer('warmup', { min: 0, max: 100_000 }, 0);
  const waitReadyMs = reader.duration('wait-ready', { minMs: 0, maxMs: 3_600_000 }, '2m');
  if (payload === undefined) return undefined;

  if ((durationMs === undefined) !== (rate === undefined)) {
    const missing = durationMs === undefined ? 'duration' : 'rate';
    throw new InputError(
      reader.nameOf(missing),
      '',
      `it is required together with '${reader.nameOf(missing === 'rate' ? 'duration' : 'rate')}'.`,
    );
  }
  const load: LoadSettings =
    durationMs !== undefined && rate !== undefined
      ? { mode: 'duration', durationMs, rate, concurrency }
      : { mode: 'requests', requests, concurrency };
  return {
    payload,
    method,
    headers,
    expectStatus,
    expectJson,
    expectBody,
    p95Ms,
    p99Ms,
    maxErrorRate,
    load,
    requestTimeoutMs,
    warmup,
    waitReadyMs,
  };
}

function readPayload(reader: InputReader, required: boolean): PayloadSource | undefined {
  const raw = required ? reader.requiredString('payload') : reader.optionalString('payload');
  if (raw === undefined) return undefined;
  if (raw.startsWith('{') || raw.startsWith('[')) {
    try {
      JSON.parse(raw);
      return { kind: 'inline-text', text: raw };
    } catch (error) {
      throw new InputError(
        reader.nameOf('payload'),
        raw,
        `it looks like inline JSON but does not parse (${(error as Error).message}).`,
      );
    }
  }
  const resolved = reader.path('payload', { required: true, kind: 'file-or-directory' });
  return raw.endsWith('.json') || !isDirectory(resolved)
    ? { kind: 'file', path: resolved }
    : { kind: 'directory', path: resolved };
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Runs one of the engine's parsers, turning its complaint into an error that names the input. */
function parsedOrInputError<T>(input: string, value: string, parse: (text: string) => T): T {
  try {
    return parse(value);
  } catch (error) {
    throw new InputError(input, value, (error as Error).message);
  }
}
