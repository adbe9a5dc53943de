// The typed configuration the smoke-test engine runs from: what to call, what to send, what must
// hold and how hard to push. Action wrappers parse raw inputs into it; `resolveSmokeConfig` fills defaults.

import { UserError } from '../errors.js';
import type { JsonAssertion } from './expectations.js';
import type { Secret } from './secret.js';

/** How the endpoint authenticates the caller. Azure ML takes all three as `Authorization: Bearer …`. */
export type CredentialKind = 'key' | 'aml-token' | 'aad-token';

export interface SmokeCredential {
  kind: CredentialKind;
  /** Never printed: see Secret. */
  value: Secret;
}

export interface SmokeTarget {
  /** The scoring URI, `http:` or `https:`. Only its origin and path appear in logs and reports. */
  url: string;
  /** Default POST. */
  method?: string;
  /** Extra request headers. A `Secret` value is sent but redacted like the credential. */
  headers?: Readonly<Record<string, string | Secret>>;
  credential?: SmokeCredential;
  /** Sent as `azureml-model-deployment` so the endpoint routes to this deployment, whatever the traffic split. */
  deployment?: string;
}

/** What one response must satisfy. Every field is optional in a case's expectation file. */
export interface Expectations {
  /** Accepted status codes. Default [200]. */
  status: readonly number[];
  /** Assertions on the JSON body, all of which must hold. Parse them with `parseJsonAssertions`. */
  json: readonly JsonAssertion[];
  /** The raw body must match this. */
  body?: RegExp;
}

/** One request body to send, with the expectations that replace the run's defaults for it. */
export interface SmokeCase {
  /** File name without `.json`, or `inline`. */
  name: string;
  /** The exact bytes to send (UTF-8 JSON text). */
  body: string;
  /** Where it came from, for messages: a path or `inline`. */
  source: string;
  /** Fields given in the case's expectation file; unset fields fall back to the run's. */
  expect?: Partial<Expectations>;
}

/** Closed loop: `requests` in total, `concurrency` in flight at any time. */
export interface CountLoad {
  mode: 'requests';
  requests: number;
  concurrency: number;
}

/**
 * Open loop: requests start on a fixed schedule of `rate` per second for `durationMs`, whether or
 * not earlier ones have answered. At most `concurrency` connections; requests beyond that queue.
 */
export interface RateLoad {
  mode: 'duration';
  durationMs: number;
  rate: number;
  concurrency: number;
}

export type LoadPlan = CountLoad | RateLoad;

export interface SmokeBudgets {
  p95Ms?: number;
  p99Ms?: number;
  /** Fraction 0..1 of measured requests allowed to fail. Default 0. */
  maxErrorRate: number;
}

export interface SmokeConfig {
  target: SmokeTarget;
  cases: readonly SmokeCase[];
  expect: Expectations;
  budgets: SmokeBudgets;
  load: LoadPlan;
  /** Per request, from send (or scheduled send) to the last body byte. Default 30 s. */
  requestTimeoutMs: number;
  /** Requests sent before measuring, round-robin over the cases; not counted, not judged. Default 0. */
  warmup: number;
  /** Keep retrying while the endpoint answers 404/502/503 or refuses connections, up to this long. 0 = no wait. */
  waitReadyMs: number;
  /** Where to write the per-request JSON report; none when unset. */
  reportPath?: string;
}

/** What a caller must give; everything else has the defaults below. */
export interface SmokeSettings {
  target: SmokeTarget;
  cases: readonly SmokeCase[];
  expect?: Partial<Expectations>;
  budgets?: Partial<SmokeBudgets>;
  load?: Partial<CountLoad> | (Partial<RateLoad> & { mode: 'duration'; durationMs: number; rate: number });
  requestTimeoutMs?: number;
  warmup?: number;
  waitReadyMs?: number;
  reportPath?: string;
}

export const SMOKE_DEFAULTS = {
  method: 'POST',
  status: [200] as readonly number[],
  maxErrorRate: 0,
  requests: 20,
  concurrency: 4,
  /** Rate mode needs enough sockets for rate × latency; this bounds them against a dead server. */
  rateConcurrency: 64,
  requestTimeoutMs: 30_000,
  warmup: 0,
  waitReadyMs: 0,
} as const;

/** Fills defaults and checks ranges; a `UserError` names the setting that is out of range. */
export function resolveSmokeConfig(settings: SmokeSettings): SmokeConfig {
  const load: LoadPlan =
    settings.load?.mode === 'duration'
      ? {
          mode: 'duration',
          durationMs: settings.load.durationMs,
          rate: settings.load.rate,
          concurrency: settings.load.concurrency ?? SMOKE_DEFAULTS.rateConcurrency,
        }
      : {
          mode: 'requests',
          requests: settings.load?.requests ?? SMOKE_DEFAULTS.requests,
          concurrency: settings.load?.concurrency ?? SMOKE_DEFAULTS.concurrency,
        };
  const config: SmokeConfig = {
    target: { ...settings.target, method: (settings.target.method ?? SMOKE_DEFAULTS.method).toUpperCase() },
    cases: settings.cases,
    expect: {
      status: settings.expect?.status ?? SMOKE_DEFAULTS.status,
      json: settings.expect?.json ?? [],
      ...(settings.expect?.body ? { body: settings.expect.body } : {}),
    },
    budgets: {
      ...(settings.budgets?.p95Ms !== undefined ? { p95Ms: settings.budgets.p95Ms } : {}),
      ...(settings.budgets?.p99Ms !== undefined ? { p99Ms: settings.budgets.p99Ms } : {}),
      maxErrorRate: settings.budgets?.maxErrorRate ?? SMOKE_DEFAULTS.maxErrorRate,
    },
    load,
    requestTimeoutMs: settings.requestTimeoutMs ?? SMOKE_DEFAULTS.requestTimeoutMs,
    warmup: settings.warmup ?? SMOKE_DEFAULTS.warmup,
    waitReadyMs: settings.waitReadyMs ?? SMOKE_DEFAULTS.waitReadyMs,
    ...(settings.reportPath !== undefined ? { reportPath: settings.reportPath } : {}),
  };
  checkSmokeConfig(config);
  return config;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Throws a UserError naming the first setting that cannot work. */
export function checkSmokeConfig(config: SmokeConfig): void {
  let url: URL;
  try {
    url = new URL(config.target.url);
  } catch {
    throw new UserError('The scoring URI is not a valid URL.', { input: 'scoring-uri' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`The scoring URI must be http: or https:, not ${url.protocol}`, { input: 'scoring-uri' });
  }
  if (config.cases.length === 0) throw new UserError('There is no payload to send.', { input: 'payload' });
  for (const [name, value] of Object.entries(config.target.headers ?? {})) {
    if (!HEADER_NAME.test(name)) {
      throw new UserError(`The header name '${name}' is not a valid HTTP header name.`, { input: 'headers' });
    }
    // Checked on the revealed value, but only the name is ever printed.
    const text = typeof value === 'string' ? value : value.reveal();
    if (/[\r\n\0]/.test(text)) {
      throw new UserError(`The value of header '${name}' contains a line break or NUL.`, { input: 'headers' });
    }
  }
  const { load } = config;
  const whole = (input: string, value: number, min: number): void => {
    if (!Number.isInteger(value) || value < min) {
      throw new UserError(`'${input}' must be a whole number of at least ${min}; it is ${value}.`, { input });
    }
  };
  const positive = (input: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new UserError(`'${input}' must be a number above 0; it is ${value}.`, { input });
    }
  };
  whole('concurrency', load.concurrency, 1);
  if (load.mode === 'requests') whole('requests', load.requests, 1);
  else {
    positive('duration', load.durationMs);
    positive('rate', load.rate);
  }
  positive('request-timeout', config.requestTimeoutMs);
  whole('warmup', config.warmup, 0);
  if (!(config.waitReadyMs >= 0)) throw new UserError("'wait-ready' cannot be negative.", { input: 'wait-ready' });
  positive('p95-ms', config.budgets.p95Ms);
  positive('p99-ms', config.budgets.p99Ms);
  const rate = config.budgets.maxErrorRate;
  if (!(rate >= 0 && rate <= 1)) {
    throw new UserError(`'max-error-rate' must be between 0 and 1; it is ${rate}.`, { input: 'max-error-rate' });
  }
  for (const status of config.expect.status) {
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new UserError(`'expect-status' must be an HTTP status 100-599; it is ${status}.`, {
        input: 'expect-status',
      });
    }
  }
}

/** The scoring URI without query string or credentials, safe to print. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
