// Percentiles (nearest rank), the text histogram, the job summary and the outputs, from hand-made
// results so every figure is known.

import { describe, expect, it } from '@jest/globals';
import {
  bucketEdges,
  percentile,
  renderJobSummary,
  renderLatencyHistogram,
  renderRequestReport,
  resolveSmokeConfig,
  smokeOutputs,
  summarizeLatencies,
} from '../../shared/smoke/index.js';
import type { SmokeResult } from '../../shared/smoke/index.js';

describe('percentile (nearest rank)', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [hundred, 50, 50],
    [hundred, 95, 95],
    [hundred, 99, 99],
    [hundred, 100, 100],
    [Float64Array.from([7]), 99, 7],
    [Float64Array.from([1, 2, 3, 4]), 50, 2],
    [Float64Array.from([1, 2, 3, 4]), 95, 4],
    [Float64Array.from(Array.from({ length: 20 }, (_, i) => i + 1)), 95, 19],
  ])('of %p at p%i is %i', (sorted, p, value) => {
    expect(percentile(sorted, p)).toBe(value);
  });

  it('summarizes unsorted samples without changing them', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarizeLatencies(samples)).toEqual({ count: 5, min: 1, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
    expect(summarizeLatencies([]).p95).toBeNaN();
  });
});

describe('renderLatencyHistogram', () => {
  it('puts every sample in one bucket, scales bars to the biggest and marks the percentiles', () => {
    const samples = [...Array.from({ length: 90 }, () => 2.2), ...Array.from({ length: 9 }, () => 4.5), 40];
    const text = renderLatencyHistogram(samples, { width: 20, markers: summarizeLatencies(samples) });
    const lines = text.split('\n');
    const counts = lines.map((line) => Number(/│[█ ]*\s(\d+)\s/.exec(line)?.[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    const fullest = lines.find((line) => line.includes('█'.repeat(20))) as string;
    expect(fullest).toContain(' 90  90.0%  ← p50');
    // Nearest rank: p95 and p99 are both the 99th sample, 4.5 ms; the 40 ms outlier is only the max.
    expect(lines.find((line) => line.includes(' 9 '))).toMatch(/ 9 {3}9\.0% {2}← p95, p99$/);
    expect(lines.at(-1)).toMatch(/ 1 {3}1\.0%$/);
  });

  it('uses round log-scale edges for a long tail and linear ones for a narrow spread', () => {
    expect(bucketEdges(1.3, 180, 12)).toEqual([1, 2, 5, 10, 20, 50, 100, 200]);
    expect(bucketEdges(1.3, 2.8, 12)).toEqual([1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3]);
    expect(bucketEdges(3, 3, 12)).toEqual([3, 3.5]);
  });

  it('is empty without samples', () => {
    expect(renderLatencyHistogram([])).toBe('');
  });
});

function result(overrides: Partial<SmokeResult> = {}): SmokeResult {
  const latency = { count: 4, min: 1, p50: 1.5, p95: 12, p99: 12, max: 12, mean: 4 };
  return {
    passed: false,
    target: 'https://vad.westeurope.inference.ml.azure.com/score',
    deployment: 'vad-3',
    load: '4 requests, 2 concurrent',
    warmup: 1,
    requests: 4,
    errors: 1,
    errorRate: 0.25,
    latency,
    rps: 123.456,
    durationMs: 32.4,
    firstResponse: '{"outputs":{"output":[[0.1]]}}',
    firstResponseTruncated: false,
    authFailure: false,
    cases: [
      { name: 'silence', requests: 2, errors: 0, statuses: { '200': 2 }, latency, failures: [] },
      {
        name: 'speech|loud',
        requests: 2,
        errors: 1,
        statuses: { '200': 1, '0': 1 },
        latency,
        failures: [{ kind: 'json', expectation: '$.p > 0.5', actual: '0.1', count: 1 }],
      },
    ],
    failures: [
      {
        kind: 'error-rate',
        message: '1 of 4 requests failed',
        case: 'speech|loud',
        expectation: '$.p > 0.5',
        actual: '0.1',
      },
    ],
    budgets: { p95Ms: 10, maxErrorRate: 0 },
    requestRecords: [
      { index: 0, case: 'silence', status: 200, latencyMs: 1 },
      { index: 1, case: 'speech|loud', status: 200, latencyMs: 2, error: '$.p > 0.5: 0.1' },
      { index: 2, case: 'silence', status: 200, latencyMs: 12 },
      { index: 3, case: 'speech|loud', status: 0, latencyMs: 30, error: 'a response: connection refused' },
    ],
    ...overrides,
  };
}

describe('renderJobSummary', () => {
  const summary = renderJobSummary(result());
  it('states the verdict, target and deployment', () => {
    expect(summary.split('\n')[0]).toBe(
      '### ❌ Smoke test failed: <code>https://vad.westeurope.inference.ml.azure.com/score</code> (deployment <code>vad-3</code>)',
    );
    expect(renderJobSummary(result({ passed: true, failures: [] }))).toMatch(/^### ✅ Smoke test passed/);
  });
  it('has the totals row with the budgets marked', () => {
    expect(summary).toContain('| 4 | 1 | 25% ❌ > 0% | 1.50 ms | 12.0 ms ❌ > 10.0 ms | 12.0 ms | 12.0 ms | 123.5 |');
  });
  it('has one row per case with its first failing expectation, pipes escaped', () => {
    expect(summary).toContain('| <code>silence</code> | 2 | 0 | 200 ×2 | 1.50 ms | 12.0 ms | 12.0 ms | — |');
    expect(summary).toContain(
      '| <code>speech&#124;loud</code> | 2 | 1 | no response ×1, 200 ×1 | 1.50 ms | 12.0 ms | 12.0 ms | <code>$.p &gt; 0.5</code>: got <code>0.1</code> (1×) |',
    );
  });
  it('lists the gate failures and includes the histogram of answered requests and the first response', () => {
    expect(summary).toContain('- **error-rate**: 1 of 4 requests failed');
    expect(summary).toContain('<details open><summary>Latency histogram (ms)</summary>');
    expect(summary).toContain('```json\n{"outputs":{"output":[[0.1]]}}\n```');
    const histogram = /```text\n([\s\S]*?)\n```/.exec(summary)?.[1] ?? '';
    expect(
      histogram
        .split('\n')
        .map((line) => Number(/│[█ ]*\s(\d+)\s/.exec(line)?.[1]))
        .reduce((a, b) => a + b, 0),
    ).toBe(3);
  });
  it('fences a first response that itself contains backticks', () => {
    const text = renderJobSummary(result({ firstResponse: '{"md":"```x```"}' }));
    expect(text).toContain('````json\n{"md":"```x```"}\n````');
  });
});

describe('smokeOutputs and renderRequestReport', () => {
  it('gives every action output as a string', () => {
    expect(smokeOutputs(result({ reportPath: '/tmp/r.json' }))).toEqual({
      passed: 'false',
      requests: '4',
      errors: '1',
      'error-rate': '0.25',
      'p50-ms': '1.5',
      'p95-ms': '12',
      'p99-ms': '12',
      'max-ms': '12',
      rps: '123.5',
      'first-response': '{"outputs":{"output":[[0.1]]}}',
      'report-file': '/tmp/r.json',
    });
    const none = { count: 0, min: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
    expect(smokeOutputs(result({ latency: none }))['p95-ms']).toBe('');
  });

  it('writes valid JSON with every request and null for missing percentiles', () => {
    const none = { count: 0, min: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
    const report = JSON.parse(renderRequestReport(result({ latency: none }))) as Record<string, unknown>;
    expect(report.requestRecords).toHaveLength(4);
    expect((report.latencyMs as Record<string, unknown>).p95).toBeNull();
    expect(report.percentileDefinition).toContain('nearest rank');
  });
});

describe('resolveSmokeConfig', () => {
  const target = { url: 'https://x.example/score' };
  const cases = [{ name: 'a', body: '{}', source: 'inline' }];
  it('fills the documented defaults', () => {
    expect(resolveSmokeConfig({ target, cases })).toEqual({
      target: { url: 'https://x.example/score', method: 'POST' },
      cases,
      expect: { status: [200], json: [] },
      budgets: { maxErrorRate: 0 },
      load: { mode: 'requests', requests: 20, concurrency: 4 },
      requestTimeoutMs: 30_000,
      warmup: 0,
      waitReadyMs: 0,
    });
    expect(resolveSmokeConfig({ target, cases, load: { mode: 'duration', durationMs: 5000, rate: 10 } }).load).toEqual({
      mode: 'duration',
      durationMs: 5000,
      rate: 10,
      concurrency: 64,
    });
  });
  it.each([
    [{ target: { url: 'ftp://x/score' }, cases }, 'scoring-uri'],
    [{ target: { url: 'not a url' }, cases }, 'scoring-uri'],
    [{ target, cases: [] }, 'payload'],
    [{ target, cases, load: { requests: 0 } }, 'requests'],
    [{ target, cases, load: { concurrency: 1.5 } }, 'concurrency'],
    [{ target, cases, load: { mode: 'duration' as const, durationMs: 1000, rate: 0 } }, 'rate'],
    [{ target, cases, budgets: { maxErrorRate: 2 } }, 'max-error-rate'],
    [{ target, cases, budgets: { p95Ms: -1 } }, 'p95-ms'],
    [{ target, cases, expect: { status: [42] } }, 'expect-status'],
    [{ target, cases, requestTimeoutMs: 0 }, 'request-timeout'],
    [{ target: { ...target, headers: { 'bad name': 'x' } }, cases }, 'headers'],
    [{ target: { ...target, headers: { 'x-a': 'one\r\nx-injected: two' } }, cases }, 'headers'],
  ])('refuses %j naming %s', (settings, input) => {
    expect(() => resolveSmokeConfig(settings)).toThrow(expect.objectContaining({ input }));
  });
});
