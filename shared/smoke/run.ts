// The smoke test itself: wait until the endpoint is ready, warm it up, send the measured load
// (closed loop by count or open loop by rate), judge every response and decide whether the gate passes.

import { writeFile } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { ProbeClient } from './client.js';
import type { TransportError } from './client.js';
import { printableUrl } from './config.js';
import type { Expectations, SmokeCase, SmokeConfig } from './config.js';
import { checkResponse } from './expectations.js';
import type { ExpectationFailure, ExpectationKind } from './expectations.js';
import { renderRequestReport } from './report.js';
import { Secret, redactor } from './secret.js';
import { summarizeLatencies } from './stats.js';
import type { LatencySummary } from './stats.js';

/** `first-response` keeps at most this many characters of the model's first answer. */
export const FIRST_RESPONSE_MAX_CHARS = 4096;

/** Statuses that mean "not serving yet" right after a deployment, which `wait-ready` rides out. */
export const NOT_READY_STATUSES: ReadonlySet<number> = new Set([404, 502, 503]);

export type RequestFailureKind = ExpectationKind | 'transport' | 'timeout';

/** One distinct way requests of a case failed, with how many did. */
export interface CaseFailure {
  kind: RequestFailureKind;
  /** `status 200`, `$.output[0] < 1`, `body ~= /ok/`, or `a response` for transport errors. */
  expectation: string;
  actual: string;
  count: number;
}

export interface CaseResult {
  name: string;
  requests: number;
  errors: number;
  /** Count per status code; `0` counts requests that got no response. */
  statuses: Record<string, number>;
  latency: LatencySummary;
  /** Distinct failures in order of first occurrence; the first is "the first differing expectation". */
  failures: CaseFailure[];
}

export type GateFailureKind = 'auth' | 'error-rate' | 'p95' | 'p99' | 'not-ready';

/** A reason the gate failed, with a message that says what to look at. */
export interface GateFailure {
  kind: GateFailureKind;
  message: string;
  /** For request failures: the case and expectation of the first one. */
  case?: string;
  expectation?: string;
  actual?: string;
}

export interface RequestRecord {
  /** Order of sending within the measured phase, from 0. */
  index: number;
  case: string;
  /** 0 when no response arrived. */
  status: number;
  /** From send (rate mode: scheduled send) to the last body byte, or to the failure. */
  latencyMs: number;
  /** The failed expectation and actual value, or the transport error; absent when it passed. */
  error?: string;
}

export interface SmokeResult {
  passed: boolean;
  /** Scoring URI without query string. */
  target: string;
  deployment?: string;
  /** e.g. `20 requests, 4 concurrent` or `10 s at 50 requests/s`. */
  load: string;
  warmup: number;
  requests: number;
  errors: number;
  errorRate: number;
  /** Over requests that got a complete response, whatever its status. */
  latency: LatencySummary;
  /** Measured requests / measured wall time. */
  rps: number;
  durationMs: number;
  /** Body of the first response after the endpoint was ready, cut to FIRST_RESPONSE_MAX_CHARS. */
  firstResponse?: string;
  firstResponseTruncated: boolean;
  /** True when any request was refused with 401/403 that its case did not expect. */
  authFailure: boolean;
  cases: CaseResult[];
  /** Empty when passed. */
  failures: GateFailure[];
  budgets: { p95Ms?: number; p99Ms?: number; maxErrorRate: number };
  requestRecords: RequestRecord[];
  reportPath?: string;
}

export interface RunSmokeOptions {
  logger: Logger;
  /** How often to log progress during long phases. Default 5 s. */
  progressIntervalMs?: number;
}

/** Distinct bodies remembered per case: model outputs for a fixed input rarely vary. */
const VERDICT_CACHE_LIMIT = 256;

/** A body already judged, kept as bytes so a repeat is recognised without decoding it. */
interface CachedVerdict {
  bytes: Buffer;
  verdict: ExpectationFailure | undefined;
}

interface PreparedCase {
  case: SmokeCase;
  body: Buffer | undefined;
  expect: Expectations;
  /** Body length → bodies of that length already judged, for responses with an accepted status. */
  verdicts: Map<number, CachedVerdict[]>;
  cachedVerdicts: number;
  needsBody: boolean;
}

/** Runs the configured smoke test and returns the verdict; never throws for endpoint behaviour. */
export async function runSmokeTest(config: SmokeConfig, options: RunSmokeOptions): Promise<SmokeResult> {
  const { logger } = options;
  const secrets = collectSecrets(config);
  for (const secret of secrets) logger.setSecret(secret.reveal());
  const redact = redactor(secrets);
  const hasBody = config.target.method !== 'GET' && config.target.method !== 'HEAD';
  const cases: PreparedCase[] = config.cases.map((smokeCase) => {
    const expect: Expectations = { ...config.expect, ...smokeCase.expect };
    return {
      case: smokeCase,
      body: hasBody ? Buffer.from(smokeCase.body, 'utf8') : undefined,
      expect,
      verdicts: new Map(),
      cachedVerdicts: 0,
      needsBody: expect.json.length > 0 || expect.body !== undefined,
    };
  });
  const client = new ProbeClient(config.target, {
    connections: config.load.concurrency,
    timeoutMs: config.requestTimeoutMs,
  });
  const target = printableUrl(config.target.url);
  const loadText =
    config.load.mode === 'requests'
      ? `${config.load.requests} requests, ${config.load.concurrency} concurrent`
      : `${formatSeconds(config.load.durationMs)} at ${config.load.rate} requests/s`;
  const first: { body?: string; truncated: boolean } = { truncated: false };
  const captureFirst = (chunks: readonly Buffer[]): void => {
    if (first.body !== undefined) return;
    // Redact before cutting: a secret that straddles the cut would otherwise leave its first half.
    const text = redact(Buffer.concat(chunks).toString('utf8'));
    first.truncated = text.length > FIRST_RESPONSE_MAX_CHARS;
    first.body = first.truncated ? text.slice(0, FIRST_RESPONSE_MAX_CHARS) : text;
  };

  try {
    logger.info(
      `Smoke test of ${target}${config.target.deployment ? ` (deployment ${config.target.deployment})` : ''}: ${loadText}, ${cases.length} case(s).`,
    );
    if (config.waitReadyMs > 0) {
      const ready = await waitReady(client, cases[0] as PreparedCase, config.waitReadyMs, logger);
      if (!ready.ready) {
        return notReadyResult(config, target, loadText, redact(ready.lastAnswer));
      }
    }
    if (config.warmup > 0) {
      const warm = await closedLoop(client, cases, config.warmup, config.load.concurrency, (_i, _c, status, chunks) => {
        if (status > 0 && !NOT_READY_STATUSES.has(status)) captureFirst(chunks);
      });
      logger.info(`Warm-up: ${config.warmup} request(s) sent, ${warm.failed} without a response; not counted.`);
    }

    const measured = new Measurements(measuredRequestCount(config));
    const judge = (
      index: number,
      caseIndex: number,
      status: number,
      chunks: readonly Buffer[],
      error: TransportError | undefined,
      latencyMs: number,
    ): void => {
      const prepared = cases[caseIndex] as PreparedCase;
      if (error) {
        measured.record(index, caseIndex, 0, latencyMs, {
          kind: error.kind === 'timeout' ? 'timeout' : 'transport',
          expectation: 'a response',
          actual: redact(error.message),
        });
        return;
      }
      if (status > 0) captureFirst(chunks);
      measured.record(index, caseIndex, status, latencyMs, judgeResponse(prepared, status, chunks, redact));
    };
    const progress = startProgress(logger, measured, options.progressIntervalMs ?? 5000);
    let timing: { startNs: bigint; endNs: bigint };
    try {
      timing =
        config.load.mode === 'requests'
          ? await closedLoop(client, cases, measured.capacity, config.load.concurrency, judge)
          : await openLoop(client, cases, measured.capacity, config.load.rate, judge);
    } finally {
      clearInterval(progress);
    }
    const result = buildResult(config, cases, measured, timing, { target, loadText, first });
    if (config.reportPath) {
      await writeFile(config.reportPath, renderRequestReport(result));
      result.reportPath = config.reportPath;
    }
    logger.info(
      `Smoke test ${result.passed ? 'passed' : 'failed'}: ${result.requests} requests, ${result.errors} errors, p95 ${result.latency.p95.toFixed(1)} ms, ${result.rps.toFixed(1)} requests/s.`,
    );
    for (const failure of result.failures) logger.error(failure.message);
    return result;
  } finally {
    await client.close();
  }
}

/** The secrets this run holds: the credential and any header marked secret. */
function collectSecrets(config: SmokeConfig): Secret[] {
  const secrets: Secret[] = [];
  if (config.target.credential) secrets.push(config.target.credential.value);
  for (const value of Object.values(config.target.headers ?? {})) {
    if (value instanceof Secret) secrets.push(value);
  }
  return secrets;
}

function judgeResponse(
  prepared: PreparedCase,
  status: number,
  chunks: readonly Buffer[],
  redact: (text: string) => string,
): ExpectationFailure | undefined {
  const statusAccepted = prepared.expect.status.includes(status);
  if (statusAccepted && !prepared.needsBody) return undefined;
  const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  // The body is redacted before checking because failures quote it cut to one short line, and a
  // secret that straddles the cut would survive redaction afterwards.
  if (!statusAccepted) return checkResponse(prepared.expect, status, redact(bytes.toString('utf8')));
  // Comparing bytes (a memcmp) instead of decoding every body keeps the hot path free of
  // per-response strings: this probe must not be what limits the requests/s.
  const sameLength = prepared.verdicts.get(bytes.length);
  const hit = sameLength?.find((entry) => entry.bytes.equals(bytes));
  if (hit) return hit.verdict;
  const verdict = checkResponse(prepared.expect, status, redact(bytes.toString('utf8')));
  if (prepared.cachedVerdicts < VERDICT_CACHE_LIMIT) {
    // A copy: the chunk is a view into the socket's read buffer, which it would keep alive.
    const entry = { bytes: Buffer.from(bytes), verdict };
    if (sameLength) sameLength.push(entry);
    else prepared.verdicts.set(bytes.length, [entry]);
    prepared.cachedVerdicts++;
  }
  return verdict;
}

type Outcome = (
  index: number,
  caseIndex: number,
  status: number,
  chunks: readonly Buffer[],
  error: TransportError | undefined,
  latencyMs: number,
) => void;

/**
 * `total` requests with `concurrency` in flight, round-robin over the cases; latency from the
 * moment each is handed to the client.
 */
function closedLoop(
  client: ProbeClient,
  cases: readonly PreparedCase[],
  total: number,
  concurrency: number,
  outcome: Outcome,
): Promise<{ startNs: bigint; endNs: bigint; failed: number }> {
  return new Promise((resolve, reject) => {
    const startNs = process.hrtime.bigint();
    let next = 0;
    let completed = 0;
    let failed = 0;
    const sendNext = (): void => {
      const index = next++;
      const caseIndex = index % cases.length;
      const sentAt = process.hrtime.bigint();
      client.send((cases[caseIndex] as PreparedCase).body, (status, chunks, error, end) => {
        if (error) failed++;
        try {
          outcome(index, caseIndex, status, chunks, error, Number(end - sentAt) / 1e6);
        } catch (bug) {
          // A bug in judging must end the run with its stack, not leave it waiting forever.
          next = total;
          reject(bug as Error);
          return;
        }
        completed++;
        if (next < total) sendNext();
        else if (completed === total) resolve({ startNs, endNs: end, failed });
      });
    };
    const workers = Math.min(concurrency, total);
    for (let worker = 0; worker < workers; worker++) sendNext();
    if (total === 0) resolve({ startNs, endNs: startNs, failed });
  });
}

/**
 * `total` requests started on a fixed schedule of `rate` per second (request i at i/rate s),
 * whether or not earlier ones answered. Latency counts from the scheduled time, so a server (or
 * a queue for connections) that falls behind shows up as latency instead of hiding it.
 */
function openLoop(
  client: ProbeClient,
  cases: readonly PreparedCase[],
  total: number,
  rate: number,
  outcome: Outcome,
): Promise<{ startNs: bigint; endNs: bigint }> {
  return new Promise((resolve, reject) => {
    const startNs = process.hrtime.bigint();
    const intervalNs = 1e9 / rate;
    let next = 0;
    let completed = 0;
    let endNs = startNs;
    const sendDue = (): void => {
      const elapsedNs = Number(process.hrtime.bigint() - startNs);
      const due = Math.min(total, Math.floor(elapsedNs / intervalNs) + 1);
      while (next < due) {
        const index = next++;
        const caseIndex = index % cases.length;
        const scheduledAt = startNs + BigInt(Math.round(index * intervalNs));
        client.send((cases[caseIndex] as PreparedCase).body, (status, chunks, error, end) => {
          try {
            outcome(index, caseIndex, status, chunks, error, Number(end - scheduledAt) / 1e6);
          } catch (bug) {
            next = total;
            reject(bug as Error);
            return;
          }
          completed++;
          if (end > endNs) endNs = end;
          if (completed === total) resolve({ startNs, endNs });
        });
      }
      if (next < total) {
        const waitMs = (next * intervalNs - Number(process.hrtime.bigint() - startNs)) / 1e6;
        setTimeout(sendDue, Math.max(0, waitMs));
      }
    };
    sendDue();
  });
}

/**
 * `requests`, or in rate mode one request every 1/rate s for the duration; raised to the number
 * of cases so that every case is sent at least once.
 */
export function measuredRequestCount(config: SmokeConfig): number {
  const planned =
    config.load.mode === 'requests'
      ? config.load.requests
      : Math.floor((config.load.durationMs / 1000) * config.load.rate);
  return Math.max(planned, config.cases.length, 1);
}

/** Per-request samples in typed arrays: cheap to fill at full speed, exact for percentiles. */
class Measurements {
  readonly capacity: number;
  readonly caseIndex: Uint32Array;
  readonly status: Uint16Array;
  readonly latencyMs: Float64Array;
  /** Index into `failures`, or -1. */
  readonly failure: Int32Array;
  readonly failures: { kind: RequestFailureKind; expectation: string; actual: string }[] = [];
  readonly #failureIds = new Map<string, number>();
  done = 0;
  errors = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.caseIndex = new Uint32Array(capacity);
    this.status = new Uint16Array(capacity);
    this.latencyMs = new Float64Array(capacity);
    this.failure = new Int32Array(capacity).fill(-1);
  }

  record(
    index: number,
    caseIndex: number,
    status: number,
    latencyMs: number,
    failure: { kind: RequestFailureKind; expectation: string; actual: string } | undefined,
  ): void {
    this.caseIndex[index] = caseIndex;
    this.status[index] = status;
    this.latencyMs[index] = latencyMs;
    this.done++;
    if (!failure) return;
    this.errors++;
    const key = `${failure.kind}\u0000${failure.expectation}\u0000${failure.actual}`;
    let id = this.#failureIds.get(key);
    if (id === undefined) {
      id = this.failures.length;
      this.failures.push(failure);
      this.#failureIds.set(key, id);
    }
    this.failure[index] = id;
  }
}

function startProgress(logger: Logger, measured: Measurements, everyMs: number): NodeJS.Timeout {
  const started = Date.now();
  const timer = setInterval(() => {
    logger.info(
      `  ${formatSeconds(Date.now() - started)}: ${measured.done}/${measured.capacity} requests, ${measured.errors} errors`,
    );
  }, everyMs);
  timer.unref();
  return timer;
}

function buildResult(
  config: SmokeConfig,
  cases: readonly PreparedCase[],
  measured: Measurements,
  timing: { startNs: bigint; endNs: bigint },
  context: { target: string; loadText: string; first: { body?: string; truncated: boolean } },
): SmokeResult {
  const total = measured.capacity;
  const answered: number[] = [];
  const perCase = cases.map(() => ({
    latencies: [] as number[],
    requests: 0,
    errors: 0,
    statuses: {} as Record<string, number>,
    failureCounts: new Map<number, number>(),
  }));
  const requestRecords: RequestRecord[] = new Array<RequestRecord>(total);
  let authFailures = 0;
  for (let i = 0; i < total; i++) {
    const caseIndex = measured.caseIndex[i] as number;
    const status = measured.status[i] as number;
    const latencyMs = measured.latencyMs[i] as number;
    const failureId = measured.failure[i] as number;
    const bucket = perCase[caseIndex] as (typeof perCase)[number];
    bucket.requests++;
    bucket.statuses[status] = (bucket.statuses[status] ?? 0) + 1;
    if (status > 0) {
      answered.push(latencyMs);
      bucket.latencies.push(latencyMs);
    }
    const record: RequestRecord = {
      index: i,
      case: (cases[caseIndex] as PreparedCase).case.name,
      status,
      latencyMs: round3(latencyMs),
    };
    if (failureId >= 0) {
      bucket.errors++;
      bucket.failureCounts.set(failureId, (bucket.failureCounts.get(failureId) ?? 0) + 1);
      const failure = measured.failures[failureId] as Measurements['failures'][number];
      if (failure.kind === 'auth') authFailures++;
      record.error = `${failure.expectation}: ${failure.actual}`;
    }
    requestRecords[i] = record;
  }
  const caseResults: CaseResult[] = cases.map((prepared, index) => {
    const bucket = perCase[index] as (typeof perCase)[number];
    return {
      name: prepared.case.name,
      requests: bucket.requests,
      errors: bucket.errors,
      statuses: bucket.statuses,
      latency: summarizeLatencies(bucket.latencies),
      // Map iteration follows insertion, i.e. first occurrence in this case.
      failures: [...bucket.failureCounts].map(([id, count]) => ({
        ...(measured.failures[id] as Measurements['failures'][number]),
        count,
      })),
    };
  });
  const latency = summarizeLatencies(answered);
  const durationMs = Number(timing.endNs - timing.startNs) / 1e6;
  const errorRate = total > 0 ? measured.errors / total : 0;
  const failures: GateFailure[] = [];
  if (authFailures > 0) {
    const authCase = caseResults.find((c) => c.failures.some((f) => f.kind === 'auth')) as CaseResult;
    const auth = authCase.failures.find((f) => f.kind === 'auth') as CaseFailure;
    failures.push({
      kind: 'auth',
      message: `Authentication failed: the key or token was refused (HTTP ${auth.actual.slice(0, 3)}) on ${authFailures} of ${total} requests. This is not a model failure: check the endpoint's auth mode and the credential given to the smoke test.`,
      case: authCase.name,
      expectation: auth.expectation,
      actual: auth.actual,
    });
  }
  // Requests refused for authentication are reported above; this is about the model's answers.
  const modelFailing = caseResults
    .flatMap((c) => c.failures.filter((f) => f.kind !== 'auth').map((f) => ({ c, f })))
    .at(0);
  if (errorRate > config.budgets.maxErrorRate && modelFailing) {
    failures.push({
      kind: 'error-rate',
      message: `${measured.errors} of ${total} requests failed (error rate ${percent(errorRate)}, allowed ${percent(config.budgets.maxErrorRate)}); first: case ${modelFailing.c.name}: expected ${modelFailing.f.expectation}, got ${modelFailing.f.actual} (${modelFailing.f.count} of ${modelFailing.c.requests} requests of this case).`,
      case: modelFailing.c.name,
      expectation: modelFailing.f.expectation,
      actual: modelFailing.f.actual,
    });
  }
  for (const [kind, budget, value] of [
    ['p95', config.budgets.p95Ms, latency.p95],
    ['p99', config.budgets.p99Ms, latency.p99],
  ] as const) {
    if (budget !== undefined && (Number.isNaN(value) || value > budget)) {
      failures.push({
        kind,
        message: `${kind} latency ${Number.isNaN(value) ? 'unknown (no responses)' : `${value.toFixed(1)} ms`} exceeds the budget of ${budget} ms.`,
        expectation: `${kind} <= ${budget} ms`,
        actual: Number.isNaN(value) ? 'no responses' : `${value.toFixed(1)} ms`,
      });
    }
  }
  return {
    passed: failures.length === 0,
    target: context.target,
    ...(config.target.deployment ? { deployment: config.target.deployment } : {}),
    load: context.loadText,
    warmup: config.warmup,
    requests: total,
    errors: measured.errors,
    errorRate,
    latency,
    rps: durationMs > 0 ? total / (durationMs / 1000) : 0,
    durationMs,
    ...(context.first.body !== undefined ? { firstResponse: context.first.body } : {}),
    firstResponseTruncated: context.first.truncated,
    authFailure: authFailures > 0,
    cases: caseResults,
    failures,
    budgets: { ...config.budgets },
    requestRecords,
  };
}

/**
 * Retries the first case while the endpoint answers 404/502/503 or cannot be reached, with
 * backoff from 250 ms doubling to 5 s, until `waitMs` has passed. Any other answer (even 401 or
 * 500) means it is serving: the measured run judges that.
 */
async function waitReady(
  client: ProbeClient,
  probe: PreparedCase,
  waitMs: number,
  logger: Logger,
): Promise<{ ready: boolean; lastAnswer: string }> {
  const deadline = Date.now() + waitMs;
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const answer = await new Promise<{ status: number; error?: TransportError }>((resolve) =>
      client.send(probe.body, (status, _chunks, error) => resolve(error ? { status, error } : { status })),
    );
    const notReady = answer.error ? answer.error.kind !== 'other' : NOT_READY_STATUSES.has(answer.status);
    const lastAnswer = answer.error ? answer.error.message : `HTTP ${answer.status}`;
    if (!notReady) {
      if (attempt > 1) logger.info(`The endpoint is ready (${lastAnswer}) after ${attempt} attempts.`);
      return { ready: true, lastAnswer };
    }
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) {
      logger.warning(`The endpoint was not ready within ${formatSeconds(waitMs)}: last answer ${lastAnswer}.`);
      return { ready: false, lastAnswer };
    }
    const sleepMs = Math.min(delayMs, leftMs);
    logger.info(
      `Waiting for the endpoint (${lastAnswer}); next try in ${formatSeconds(sleepMs)}, ${formatSeconds(leftMs)} left.`,
    );
    await new Promise((resolve) => setTimeout(resolve, sleepMs));
    delayMs = Math.min(delayMs * 2, 5000);
  }
}

function notReadyResult(config: SmokeConfig, target: string, loadText: string, lastAnswer: string): SmokeResult {
  const nothing = summarizeLatencies([]);
  return {
    passed: false,
    target,
    ...(config.target.deployment ? { deployment: config.target.deployment } : {}),
    load: loadText,
    warmup: 0,
    requests: 0,
    errors: 0,
    errorRate: 0,
    latency: nothing,
    rps: 0,
    durationMs: 0,
    firstResponseTruncated: false,
    authFailure: false,
    cases: config.cases.map((c) => ({
      name: c.name,
      requests: 0,
      errors: 0,
      statuses: {},
      latency: nothing,
      failures: [],
    })),
    failures: [
      {
        kind: 'not-ready',
        message: `The endpoint did not become ready within ${formatSeconds(config.waitReadyMs)} (wait-ready); last answer: ${lastAnswer}.`,
        expectation: 'ready',
        actual: lastAnswer,
      },
    ],
    budgets: { ...config.budgets },
    requestRecords: [],
  };
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}%`;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
