// The smoke test's "what to send, what must hold, how hard" inputs, read by the smoke-test
// sub-action as they are and by action-deploy under the `smoke-test-` prefix: one parser for both.

import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { InputReader } from './reader.js';

export const HTTP_METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const JSON_OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '~=', 'exists'] as const;
export type JsonOperator = (typeof JSON_OPERATORS)[number];

export interface JsonExpectation {
  /** The line as the user wrote it, for messages. */
  source: string;
  path: string;
  operator: JsonOperator;
  /** The right-hand side: a JSON value when it parses as one, else the raw text (regex for ~=). */
  expected: unknown;
}

export type PayloadSource =
  { kind: 'inline'; json: unknown } | { kind: 'file'; path: string } | { kind: 'directory'; path: string };

export type LoadSettings =
  | { mode: 'requests'; requests: number; concurrency: number }
  | { mode: 'duration'; durationMs: number; rate: number; concurrency: number };

export interface SmokeTestSettings {
  payload: PayloadSource;
  method: HttpMethod;
  headers: Record<string, string>;
  expectStatus: number;
  expectJson: JsonExpectation[];
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
const EXPECTATION = /^(\$\S*)\s+(==|!=|<=|>=|<|>|~=|exists)(?:\s+(.*))?$/;

/** Reads the smoke test inputs; undefined when `payload` is empty and `required` is false. */
export function readSmokeTestSettings(reader: InputReader, required: boolean): SmokeTestSettings | undefined {
  const payload = readPayload(reader, required);
  const method = reader.enumeration('method', HTTP_METHODS, 'POST');
  const headers = reader.keyValueMap('headers', {
    keyPattern: HEADER_NAME,
    allowedKeys: "header names may contain only letters, digits and !#$%&'*+.^_`|~-.",
  });
  const expectStatus = reader.integer('expect-status', { min: 100, max: 599 }, 200);
  const expectJson = reader.lines('expect-json').map((line) => parseExpectation(reader.nameOf('expect-json'), line));
  const expectBodySource = reader.optionalString('expect-body');
  const expectBody =
    expectBodySource === undefined ? undefined : compileRegex(reader.nameOf('expect-body'), expectBodySource);
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
      return { kind: 'inline', json: JSON.parse(raw) };
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

export function parseExpectation(input: string, line: string): JsonExpectation {
  const match = EXPECTATION.exec(line);
  if (!match) {
    throw new InputError(
      input,
      line,
      `each line must be 'JSONPATH OP VALUE' with a JSONPath starting with '$' and OP one of ${JSON_OPERATORS.join(' ')} (for example '$.outputs.output[0][0] < 1').`,
    );
  }
  const [, path = '$', operator = '==', rest] = match;
  const op = operator as JsonOperator;
  if (op === 'exists') {
    if (rest !== undefined && rest.trim() !== '') throw new InputError(input, line, "'exists' takes no value.");
    return { source: line, path, operator: op, expected: undefined };
  }
  if (rest === undefined || rest.trim() === '') throw new InputError(input, line, `'${op}' needs a value after it.`);
  if (op === '~=') return { source: line, path, operator: op, expected: compileRegex(input, rest.trim()) };
  const expected = parseJsonOrText(rest.trim());
  if (['<', '<=', '>', '>='].includes(op) && typeof expected !== 'number') {
    throw new InputError(input, line, `'${op}' compares numbers; the value must be a number.`);
  }
  return { source: line, path, operator: op, expected };
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function compileRegex(input: string, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new InputError(input, source, `it must be a valid regular expression (${(error as Error).message}).`);
  }
}
