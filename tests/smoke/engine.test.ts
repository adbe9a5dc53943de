// End-to-end tests of the smoke engine against a local node:http server: passing runs, each kind
// of failed expectation with its actual value, budgets, auth failures, wait-ready, rate mode, warm-up.

import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCa, trustEmulatorCa } from '../../emulator/ca.js';
import { MemoryLogger } from '../../shared/logger.js';
import {
  Secret,
  parseJsonAssertions,
  parseRegex,
  renderJobSummary,
  renderRequestReport,
  resolveSmokeConfig,
  runSmokeTest,
  smokeOutputs,
} from '../../shared/smoke/index.js';
import type { SmokeCase, SmokeSettings } from '../../shared/smoke/index.js';
import { freePort, startTestServer } from './server.js';
import type { TestServer } from './server.js';

const PAYLOAD: SmokeCase = { name: 'inline', body: '{"input":[0.1,0.2]}', source: 'inline' };
const MODEL_ANSWER = JSON.stringify({ output: [[0.91]], label: 'speech', count: 3, tags: ['a', 'b'] });

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function serve(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const server = await startTestServer(...args);
  servers.push(server);
  return server;
}

function settings(url: string, extra: Partial<SmokeSettings> = {}): SmokeSettings {
  return { target: { url }, cases: [PAYLOAD], ...extra };
}

describe('runSmokeTest', () => {
  it('passes when every response meets status, JSON and body expectations, and reports every request', async () => {
    const server = await serve(() => ({ body: MODEL_ANSWER }));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'smoke-report-'));
    const reportPath = path.join(dir, 'report.json');
    const config = resolveSmokeConfig(
      settings(server.url, {
        target: {
          url: server.url,
          credential: { kind: 'key', value: new Secret('right-key-123') },
          deployment: 'blue',
        },
        expect: {
          json: parseJsonAssertions(['$.output[0][0] > 0.5', '$.label == "speech"', '$.tags exists']),
          body: parseRegex('"speech"'),
        },
        reportPath,
      }),
    );
    const logger = new MemoryLogger();
    const result = await runSmokeTest(config, { logger });

    expect(result.passed).toBe(true);
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ requests: 20, errors: 0, errorRate: 0, firstResponse: MODEL_ANSWER });
    expect(result.latency.count).toBe(20);
    expect(result.latency.p50).toBeLessThanOrEqual(result.latency.p95);
    expect(result.latency.p95).toBeLessThanOrEqual(result.latency.p99);
    expect(result.latency.p99).toBeLessThanOrEqual(result.latency.max);
    expect(result.rps).toBeGreaterThan(0);
    expect(server.received).toHaveLength(20);
    // Keep-alive: one connection per concurrent request, reused for all 20.
    expect(server.connections()).toBe(4);
    for (const request of server.received) {
      expect(request).toMatchObject({ method: 'POST', path: '/score', body: PAYLOAD.body });
      expect(request.headers.authorization).toBe('Bearer right-key-123');
      expect(request.headers['azureml-model-deployment']).toBe('blue');
      expect(request.headers['content-type']).toBe('application/json');
    }
    expect(logger.secrets).toEqual(['right-key-123']);

    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { requestRecords: unknown[]; passed: boolean };
    expect(report.passed).toBe(true);
    expect(report.requestRecords).toHaveLength(20);
    expect(report.requestRecords[0]).toEqual({
      index: 0,
      case: 'inline',
      status: 200,
      latencyMs: expect.any(Number),
    });
    expect(smokeOutputs(result)).toMatchObject({
      passed: 'true',
      requests: '20',
      errors: '0',
      'report-file': reportPath,
    });
    await rm(dir, { recursive: true, force: true });
  });

  // Each kind of expectation, failing on the same model answer: the failure names the case, the
  // expectation as written and the actual value.
  const failing: {
    name: string;
    expect: SmokeSettings['expect'];
    answer?: string;
    status?: number;
    actual: string;
    expectation: string;
  }[] = [
    {
      name: 'status',
      expect: {},
      status: 500,
      answer: '{"error":"boom"}',
      expectation: 'status 200',
      actual: '500: {"error":"boom"}',
    },
    {
      name: '==',
      expect: { json: parseJsonAssertions('$.label == "silence"') },
      expectation: '$.label == "silence"',
      actual: '"speech"',
    },
    {
      name: '!=',
      expect: { json: parseJsonAssertions('$.label != speech') },
      expectation: '$.label != speech',
      actual: '"speech"',
    },
    {
      name: '<',
      expect: { json: parseJsonAssertions('$.output[0][0] < 0.5') },
      expectation: '$.output[0][0] < 0.5',
      actual: '0.91',
    },
    { name: '<=', expect: { json: parseJsonAssertions('$.count <= 2') }, expectation: '$.count <= 2', actual: '3' },
    { name: '>', expect: { json: parseJsonAssertions('$.count > 3') }, expectation: '$.count > 3', actual: '3' },
    {
      name: '>=',
      expect: { json: parseJsonAssertions('$.output[0][0] >= 0.95') },
      expectation: '$.output[0][0] >= 0.95',
      actual: '0.91',
    },
    {
      name: '~=',
      expect: { json: parseJsonAssertions('$.label ~= ^sil') },
      expectation: '$.label ~= ^sil',
      actual: '"speech"',
    },
    {
      name: 'exists',
      expect: { json: parseJsonAssertions('$.probability exists') },
      expectation: '$.probability exists',
      actual: 'no match',
    },
    {
      name: 'every match',
      expect: { json: parseJsonAssertions('$.tags[*] == "a"') },
      expectation: '$.tags[*] == "a"',
      actual: '["a","b"]',
    },
    {
      name: 'not JSON',
      expect: { json: parseJsonAssertions('$.label exists') },
      answer: 'Internal <b>oops</b>',
      expectation: '$.label exists',
      actual: 'body is not JSON: Internal <b>oops</b>',
    },
    {
      name: 'body',
      expect: { body: parseRegex('/^\\{"ready"/') },
      expectation: 'body ~= /^\\{"ready"/',
      actual: MODEL_ANSWER,
    },
  ];
  it.each(failing)('fails on $name with the expectation and the actual value', async (row) => {
    const server = await serve(() => ({ status: row.status ?? 200, body: row.answer ?? MODEL_ANSWER }));
    const result = await runSmokeTest(
      resolveSmokeConfig(settings(server.url, { expect: row.expect, load: { requests: 4, concurrency: 2 } })),
      { logger: new MemoryLogger() },
    );
    expect(result.passed).toBe(false);
    expect(result.errors).toBe(4);
    expect(result.authFailure).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({
      kind: 'error-rate',
      case: 'inline',
      expectation: row.expectation,
      actual: row.actual,
    });
    expect(result.failures[0]?.message).toContain(row.actual);
    expect(result.cases[0]?.failures).toEqual([
      expect.objectContaining({ expectation: row.expectation, actual: row.actual, count: 4 }),
    ]);
    expect(result.requestRecords[0]?.error).toBe(`${row.expectation}: ${row.actual}`);
    // The case row names the expectation and the actual value (HTML-escaped for the table).
    const escape = (text: string): string =>
      text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;');
    expect(renderJobSummary(result)).toContain(
      `| <code>${escape(row.expectation)}</code>: got <code>${escape(row.actual)}</code> (4×) |`,
    );
  });

  it('judges every response even when bodies repeat or differ only in content, not length', async () => {
    // Verdicts are cached per body: {"v":1} and {"v":2} have the same length and must not share one.
    const server = await serve((_request, index) => ({ body: index % 4 === 1 ? '{"v":2}' : '{"v":1}' }));
    const result = await runSmokeTest(
      resolveSmokeConfig(
        settings(server.url, {
          expect: { json: parseJsonAssertions('$.v == 1') },
          load: { requests: 40, concurrency: 1 },
        }),
      ),
      { logger: new MemoryLogger() },
    );
    expect(result.errors).toBe(10);
    expect(result.requestRecords.filter((r) => r.error !== undefined).map((r) => r.index % 4)).toEqual(
      new Array(10).fill(1),
    );
    expect(result.cases[0]?.failures).toEqual([
      expect.objectContaining({ expectation: '$.v == 1', actual: '2', count: 10 }),
    ]);
  });

  it('passes with failures below max-error-rate and fails above it', async () => {
    // Every 4th request fails: error rate 25 %.
    const server = await serve((_request, index) => (index % 4 === 3 ? { status: 500 } : { body: MODEL_ANSWER }));
    const lenient = await runSmokeTest(
      resolveSmokeConfig(
        settings(server.url, { load: { requests: 8, concurrency: 1 }, budgets: { maxErrorRate: 0.25 } }),
      ),
      { logger: new MemoryLogger() },
    );
    expect(lenient).toMatchObject({ passed: true, errors: 2, errorRate: 0.25 });
    const strict = await runSmokeTest(
      resolveSmokeConfig(
        settings(server.url, { load: { requests: 8, concurrency: 1 }, budgets: { maxErrorRate: 0.2 } }),
      ),
      { logger: new MemoryLogger() },
    );
    expect(strict.passed).toBe(false);
    expect(strict.failures[0]?.kind).toBe('error-rate');
  });

  it('fails the p95 and p99 budgets when the server is slower than them', async () => {
    const server = await serve(() => ({ body: MODEL_ANSWER, delayMs: 60 }));
    const result = await runSmokeTest(
      resolveSmokeConfig(
        settings(server.url, { load: { requests: 6, concurrency: 3 }, budgets: { p95Ms: 20, p99Ms: 30 } }),
      ),
      { logger: new MemoryLogger() },
    );
    expect(result.passed).toBe(false);
    expect(result.errors).toBe(0);
    expect(result.latency.min).toBeGreaterThanOrEqual(59);
    expect(result.failures.map((f) => f.kind)).toEqual(['p95', 'p99']);
    expect(result.failures[0]?.message).toMatch(/^p95 latency \d+\.\d ms exceeds the budget of 20 ms\.$/);
    expect(renderJobSummary(result)).toContain('❌ > 20.0 ms');
  });

  it('reports 401 as an authentication failure, not a model failure', async () => {
    const server = await serve((request) =>
      request.headers.authorization === 'Bearer right-key-123'
        ? { body: MODEL_ANSWER }
        : { status: 401, body: '{"message":"Unauthorized"}' },
    );
    const result = await runSmokeTest(
      resolveSmokeConfig(
        settings(server.url, {
          target: { url: server.url, credential: { kind: 'key', value: new Secret('wrong-key-456') } },
          expect: { json: parseJsonAssertions('$.label == "speech"') },
          load: { requests: 4, concurrency: 2 },
        }),
      ),
      { logger: new MemoryLogger() },
    );
    expect(result.passed).toBe(false);
    expect(result.authFailure).toBe(true);
    expect(result.failures.map((f) => f.kind)).toEqual(['auth']);
    expect(result.failures[0]?.message).toContain('the key or token was refused (HTTP 401) on 4 of 4 requests');
    expect(result.failures[0]?.message).toContain('not a model failure');
    expect(result.cases[0]?.failures[0]).toMatchObject({ kind: 'auth', actual: '401: the key or token was refused' });
  });

  it('treats 403 the same way, and accepts 401 when a case expects it', async () => {
    const server = await serve((request) => (request.body.includes('anonymous') ? { status: 401 } : { status: 403 }));
    const result = await runSmokeTest(
      resolveSmokeConfig({
        target: { url: server.url },
        cases: [
          { name: 'anonymous', body: '{"who":"anonymous"}', source: 'inline', expect: { status: [401] } },
          { name: 'forbidden', body: '{"who":"x"}', source: 'inline' },
        ],
        load: { requests: 4, concurrency: 1 },
      }),
      { logger: new MemoryLogger() },
    );
    expect(result.authFailure).toBe(true);
    expect(result.cases.map((c) => c.errors)).toEqual([0, 2]);
    expect(result.failures[0]?.message).toContain('(HTTP 403) on 2 of 4 requests');
  });

  it('wait-ready rides out 503 answers until the endpoint is ready', async () => {
    const readyAt = Date.now() + 1500;
    const server = await serve(() =>
      Date.now() < readyAt ? { status: 503, body: '{"error":"warming up"}' } : { body: MODEL_ANSWER },
    );
    const logger = new MemoryLogger();
    const result = await runSmokeTest(
      resolveSmokeConfig(settings(server.url, { waitReadyMs: 20_000, load: { requests: 5, concurrency: 1 } })),
      { logger },
    );
    expect(result.passed).toBe(true);
    expect(result.requests).toBe(5);
    expect(server.received.length).toBeGreaterThan(6);
    expect(logger.lines.some((line) => line.includes('Waiting for the endpoint (HTTP 503)'))).toBe(true);
    expect(logger.lines.some((line) => line.startsWith('The endpoint is ready (HTTP 200)'))).toBe(true);
  });

  it('wait-ready rides out refused connections until the server listens', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/score`;
    const logger = new MemoryLogger();
    const late = new Promise<TestServer>((resolve) => {
      setTimeout(() => resolve(serve(() => ({ body: MODEL_ANSWER }), port)), 1000);
    });
    const result = await runSmokeTest(
      resolveSmokeConfig(settings(url, { waitReadyMs: 20_000, load: { requests: 3, concurrency: 1 } })),
      {
        logger,
      },
    );
    await late;
    expect(result.passed).toBe(true);
    expect(logger.lines.some((line) => line.includes('Waiting for the endpoint (connection refused)'))).toBe(true);
  });

  it('fails as not ready when the endpoint keeps answering 503 past wait-ready', async () => {
    const server = await serve(() => ({ status: 503 }));
    const result = await runSmokeTest(resolveSmokeConfig(settings(server.url, { waitReadyMs: 600 })), {
      logger: new MemoryLogger(),
    });
    expect(result).toMatchObject({ passed: false, requests: 0 });
    expect(result.failures).toEqual([expect.objectContaining({ kind: 'not-ready', actual: 'HTTP 503' })]);
    expect(renderJobSummary(result)).toContain('did not become ready');
  });

  it('without wait-ready, a refused connection and a timeout are request errors', async () => {
    const port = await freePort();
    const refused = await runSmokeTest(
      resolveSmokeConfig(settings(`http://127.0.0.1:${port}/score`, { load: { requests: 2, concurrency: 1 } })),
      {
        logger: new MemoryLogger(),
      },
    );
    expect(refused.failures[0]).toMatchObject({ kind: 'error-rate', actual: 'connection refused' });
    expect(refused.cases[0]?.statuses).toEqual({ '0': 2 });

    const server = await serve(() => ({ body: MODEL_ANSWER, delayMs: 3000 }));
    const slow = await runSmokeTest(
      resolveSmokeConfig(settings(server.url, { requestTimeoutMs: 200, load: { requests: 2, concurrency: 2 } })),
      { logger: new MemoryLogger() },
    );
    expect(slow.failures[0]).toMatchObject({ kind: 'error-rate', actual: 'no complete response within 200 ms' });
    expect(slow.cases[0]?.failures[0]?.kind).toBe('timeout');
  });

  it('duration + rate sends on an open-loop schedule, not waiting for answers', async () => {
    // 30 requests/s for 1 s; each answer takes 400 ms. On schedule, about 12 requests are due in
    // any 400 ms, so the server holds many at once; a loop that waited for answers could not
    // have more unanswered than its concurrency (4 by default in count mode).
    const server = await serve(() => ({ body: MODEL_ANSWER, delayMs: 400 }));
    const logger = new MemoryLogger();
    const started = process.hrtime.bigint();
    const result = await runSmokeTest(
      resolveSmokeConfig(settings(server.url, { load: { mode: 'duration', durationMs: 1000, rate: 30 } })),
      { logger, progressIntervalMs: 300 },
    );
    expect(result.passed).toBe(true);
    expect(result.requests).toBe(30);
    expect(result.load).toBe('1.0 s at 30 requests/s');
    expect(server.maxInFlight()).toBeGreaterThan(4);
    // The last request (index 29) is not due before 29/30 s after the start. Measured from the start,
    // not from the first arrival, which a slow first connection may delay while the rest keep time.
    const arrivals = server.received.map((r) => r.arrivedAt);
    const lastMs = Number((arrivals.at(-1) as bigint) - started) / 1e6;
    expect(lastMs).toBeGreaterThanOrEqual(29_000 / 30);
    expect(result.latency.min).toBeGreaterThanOrEqual(399);
    // Progress lines for long phases (here every 300 ms of a run of 1.4 s or more).
    expect(logger.lines.some((line) => /^ {2}\d+ ms: \d+\/30 requests, 0 errors$/.test(line))).toBe(true);
  });

  it('sends warm-up requests first and neither counts nor judges them', async () => {
    // The first 3 requests fail: the warm-up absorbs them.
    const server = await serve((_request, index) =>
      index < 3 ? { status: 500, body: '{"cold":true}' } : { body: MODEL_ANSWER },
    );
    const result = await runSmokeTest(
      resolveSmokeConfig(settings(server.url, { warmup: 3, load: { requests: 5, concurrency: 1 } })),
      { logger: new MemoryLogger() },
    );
    expect(server.received).toHaveLength(8);
    expect(result).toMatchObject({ passed: true, requests: 5, errors: 0, warmup: 3 });
    expect(result.requestRecords).toHaveLength(5);
    expect(result.latency.count).toBe(5);
  });

  it('works over HTTPS with a private CA (the emulator CA), keeping connections alive', async () => {
    const ca = ensureCa();
    trustEmulatorCa(ca.caFile);
    const server = await serve(() => ({ body: MODEL_ANSWER }), 0, {
      key: await readFile(ca.keyFile, 'utf8'),
      cert: await readFile(ca.certFile, 'utf8'),
    });
    const result = await runSmokeTest(
      resolveSmokeConfig(settings(server.url, { load: { requests: 6, concurrency: 2 } })),
      {
        logger: new MemoryLogger(),
      },
    );
    expect(server.url.startsWith('https://')).toBe(true);
    expect(result).toMatchObject({ passed: true, requests: 6, errors: 0 });
    expect(server.connections()).toBe(2);
  });

  it('sends GET without a body or content type, and extra headers as given', async () => {
    const server = await serve(() => ({ body: MODEL_ANSWER }));
    const result = await runSmokeTest(
      resolveSmokeConfig(
        settings(server.url, {
          target: { url: `${server.url}?probe=1`, method: 'get', headers: { 'X-Trace': 'smoke' } },
          load: { requests: 2, concurrency: 1 },
        }),
      ),
      { logger: new MemoryLogger() },
    );
    expect(result.passed).toBe(true);
    expect(server.received[0]).toMatchObject({ method: 'GET', path: '/score?probe=1', body: '' });
    expect(server.received[0]?.headers['content-type']).toBeUndefined();
    expect(server.received[0]?.headers['x-trace']).toBe('smoke');
    // The query string stays out of everything printed.
    expect(result.target).toBe(server.url);
  });

  it('sends each case round-robin with its own expectations', async () => {
    const server = await serve((request) =>
      request.body.includes('bad') ? { status: 400, body: '{"error":"bad input"}' } : { body: MODEL_ANSWER },
    );
    const result = await runSmokeTest(
      resolveSmokeConfig({
        target: { url: server.url },
        cases: [
          { name: 'good', body: '{"x":1}', source: 'a' },
          {
            name: 'bad',
            body: '{"bad":1}',
            source: 'b',
            expect: { status: [400], json: parseJsonAssertions('$.error ~= input') },
          },
        ],
        expect: { json: parseJsonAssertions('$.label == speech') },
        load: { requests: 2, concurrency: 1 },
      }),
      { logger: new MemoryLogger() },
    );
    expect(result.passed).toBe(true);
    expect(result.cases.map((c) => [c.name, c.requests, c.statuses])).toEqual([
      ['good', 1, { '200': 1 }],
      ['bad', 1, { '400': 1 }],
    ]);
  });
});

describe('secrets', () => {
  it('never puts the key or a secret header in results, reports, outputs, summaries or log lines', async () => {
    const key = 'sk-live-7f3a9c2e5b1d4f60';
    const headerSecret = 'hdr-secret-0a1b2c3d';
    // A hostile server: echoes the credentials back in bodies and error messages, also placed so
    // that they straddle the cuts of failure values (200 characters) and first-response (4096).
    const server = await serve((request, index) => ({
      status: index % 2 === 0 ? 500 : 401,
      body:
        index === 0
          ? `${'y'.repeat(4079)}${request.headers.authorization}`
          : index === 2
            ? `${'x'.repeat(180)}${request.headers.authorization}`
            : JSON.stringify({
                error: `bad key ${request.headers.authorization} and ${request.headers['x-api-secret']}`,
              }),
    }));
    const logger = new MemoryLogger();
    const config = resolveSmokeConfig(
      settings(server.url, {
        target: {
          url: server.url,
          credential: { kind: 'key', value: new Secret(key) },
          headers: { 'x-api-secret': new Secret(headerSecret), 'x-plain': 'visible' },
        },
        expect: { json: parseJsonAssertions('$.label exists') },
        load: { requests: 4, concurrency: 2 },
        warmup: 1,
      }),
    );
    const result = await runSmokeTest(config, { logger });
    expect(result.passed).toBe(false);
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${key}`);
    expect(server.received[0]?.headers['x-api-secret']).toBe(headerSecret);
    expect(logger.secrets.sort()).toEqual([headerSecret, key].sort());

    const everything = [
      JSON.stringify(result),
      JSON.stringify(config),
      String(config.target.credential?.value),
      `${config.target.credential?.value}`,
      renderJobSummary(result),
      renderRequestReport(result),
      JSON.stringify(smokeOutputs(result)),
      ...logger.lines,
    ].join('\n');
    expect(everything).toContain('bad key Bearer ***');
    // Cut after redaction: 10 characters of the key would sit before the 4096 cut, 7 before the 200 one.
    expect(result.firstResponse).toBe(`${'y'.repeat(4079)}Bearer ***`);
    expect(everything).toContain(`500: ${'x'.repeat(180)}Bearer ***`);
    // No prefix of the key of 6+ characters either.
    expect(everything).not.toContain(key.slice(0, 6));
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(headerSecret);
  });
});
