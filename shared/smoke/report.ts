// Renders a smoke test result for people and machines: the GitHub job summary (markdown), a text
// latency histogram, the per-request JSON report and the action outputs. Pure functions: strings in, strings out.

import type { CaseResult, SmokeResult } from './run.js';
import { percentile } from './stats.js';

/** Output values as the smoke-test action sets them (names as in action.yml). */
export function smokeOutputs(result: SmokeResult): Record<string, string> {
  return {
    passed: String(result.passed),
    requests: String(result.requests),
    errors: String(result.errors),
    'error-rate': String(Math.round(result.errorRate * 10_000) / 10_000),
    'p50-ms': msOutput(result.latency.p50),
    'p95-ms': msOutput(result.latency.p95),
    'p99-ms': msOutput(result.latency.p99),
    'max-ms': msOutput(result.latency.max),
    rps: String(Math.round(result.rps * 10) / 10),
    'first-response': result.firstResponse ?? '',
    'report-file': result.reportPath ?? '',
  };
}

/** The JSON report file: the verdict, per-case figures and every measured request. */
export function renderRequestReport(result: SmokeResult): string {
  const report = {
    passed: result.passed,
    target: result.target,
    deployment: result.deployment,
    load: result.load,
    warmup: result.warmup,
    requests: result.requests,
    errors: result.errors,
    errorRate: result.errorRate,
    rps: round(result.rps, 1),
    durationMs: round(result.durationMs, 1),
    latencyMs: roundLatency(result.latency),
    percentileDefinition: 'nearest rank over requests that got a complete response',
    budgets: result.budgets,
    authFailure: result.authFailure,
    failures: result.failures,
    cases: result.cases.map((c) => ({ ...c, latency: roundLatency(c.latency) })),
    requestRecords: result.requestRecords,
  };
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/**
 * The job summary: verdict, overall figures against the budgets, one row per case with its first
 * failing expectation, the gate's failures, the latency histogram and the model's first response.
 */
export function renderJobSummary(result: SmokeResult): string {
  const lines: string[] = [];
  const verdict = result.passed ? '✅ Smoke test passed' : '❌ Smoke test failed';
  const deployment = result.deployment ? ` (deployment <code>${html(result.deployment)}</code>)` : '';
  lines.push(`### ${verdict}: <code>${html(result.target)}</code>${deployment}`, '');
  const warm = result.warmup > 0 ? `, after ${result.warmup} warm-up request(s)` : '';
  lines.push(`${html(result.load)}${warm}; ${result.requests} measured in ${seconds(result.durationMs)}.`, '');

  if (result.failures.length > 0) {
    for (const failure of result.failures) lines.push(`- **${failure.kind}**: ${html(failure.message)}`);
    lines.push('');
  }

  const { latency, budgets } = result;
  lines.push(
    '| requests | errors | error rate | p50 | p95 | p99 | max | req/s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${result.requests} | ${result.errors} | ${pct(result.errorRate)}${budgetMark(result.errorRate, budgets.maxErrorRate, pct)} | ${ms(latency.p50)} | ${ms(latency.p95)}${budgetMark(latency.p95, budgets.p95Ms, ms)} | ${ms(latency.p99)}${budgetMark(latency.p99, budgets.p99Ms, ms)} | ${ms(latency.max)} | ${round(result.rps, 1)} |`,
    '',
  );

  lines.push(
    '| case | requests | errors | status | p50 | p95 | p99 | first failing expectation |',
    '|---|---:|---:|---|---:|---:|---:|---|',
  );
  for (const c of result.cases) {
    lines.push(
      `| <code>${html(c.name)}</code> | ${c.requests} | ${c.errors} | ${statusText(c)} | ${ms(c.latency.p50)} | ${ms(c.latency.p95)} | ${ms(c.latency.p99)} | ${firstFailureText(c)} |`,
    );
  }
  lines.push('');

  const histogram = renderLatencyHistogram(
    result.requestRecords.filter((r) => r.status > 0).map((r) => r.latencyMs),
    { markers: latency },
  );
  if (histogram !== '') {
    lines.push(
      '<details open><summary>Latency histogram (ms)</summary>',
      '',
      fence(histogram, 'text'),
      '</details>',
      '',
    );
  }
  if (result.firstResponse !== undefined) {
    const cut = result.firstResponseTruncated ? ' (truncated)' : '';
    lines.push(
      `<details><summary>First response${cut}</summary>`,
      '',
      fence(result.firstResponse, 'json'),
      '</details>',
      '',
    );
  }
  return lines.join('\n');
}

export interface HistogramOptions {
  /** Width of the longest bar in characters. Default 40. */
  width?: number;
  /** At most this many buckets. Default 12. */
  maxBuckets?: number;
  /** Percentiles to mark on the bucket they fall in. */
  markers?: { p50?: number; p95?: number; p99?: number };
}

/**
 * A text histogram of latencies in ms, one line per bucket: ` 2.5 – 3   │█████  41  20.5%  ← p50`.
 * The buckets cover min…p99 (nearest rank) with round edges: linear when p99/min ≤ 10, else on a
 * log scale (1-1.2-1.5-2-2.5-3-4-5-6-8, coarser when needed), so a long tail does not squash the
 * body into one bar; slower requests share one last bucket up to the max. Runs of empty buckets
 * collapse into one line. Empty string for no samples.
 */
export function renderLatencyHistogram(samples: readonly number[], options: HistogramOptions = {}): string {
  if (samples.length === 0) return '';
  const width = options.width ?? 40;
  const maxBuckets = Math.max(2, options.maxBuckets ?? 12);
  const sorted = Float64Array.from(samples).sort();
  const min = sorted[0] as number;
  const max = sorted[sorted.length - 1] as number;
  const edges = bucketEdges(min, percentile(sorted, 99), maxBuckets - 1);
  if (max >= (edges.at(-1) as number)) edges.push(max);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const value of sorted) {
    const bucket = bucketOf(edges, value);
    counts[bucket] = (counts[bucket] as number) + 1;
  }
  const rows: { from: number; to: number; count: number; marks: string[] }[] = [];
  counts.forEach((count, i) => {
    const previous = rows.at(-1);
    if (count === 0 && previous?.count === 0) previous.to = edges[i + 1] as number;
    else rows.push({ from: edges[i] as number, to: edges[i + 1] as number, count, marks: [] });
  });
  for (const [name, value] of Object.entries(options.markers ?? {})) {
    if (!['p50', 'p95', 'p99'].includes(name) || value === undefined || Number.isNaN(value)) continue;
    const row = rows.find((r, i) => value < r.to || i === rows.length - 1);
    row?.marks.push(name);
  }
  const fromWidth = Math.max(...rows.map((r) => edgeText(r.from).length));
  const toWidth = Math.max(...rows.map((r) => edgeText(r.to).length));
  const countWidth = String(samples.length).length;
  const biggest = Math.max(...counts);
  return rows
    .map((row) => {
      const bar = row.count === 0 ? '' : '█'.repeat(Math.max(1, Math.round((row.count / biggest) * width)));
      const share = `${((row.count / samples.length) * 100).toFixed(1)}%`.padStart(6);
      const mark = row.marks.length > 0 ? `  ← ${row.marks.join(', ')}` : '';
      const range = `${edgeText(row.from).padStart(fromWidth)} – ${edgeText(row.to).padEnd(toWidth)}`;
      return `${range} │${bar.padEnd(width)} ${String(row.count).padStart(countWidth)} ${share}${mark}`;
    })
    .join('\n');
}

const LOG_TIERS: readonly (readonly number[])[] = [
  [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8],
  [1, 1.5, 2, 3, 5, 7],
  [1, 2, 5],
  [1],
];

/** Bucket edges covering [min, max]: edges[0] ≤ min and max < edges[last]. */
export function bucketEdges(min: number, max: number, maxBuckets: number): number[] {
  if (min === max || max <= 0) {
    const step = niceStep(Math.max(Math.abs(min), 0.001) / 10);
    const from = Math.floor(min / step) * step;
    return [cleanNumber(from), cleanNumber(from + step)];
  }
  if (min <= 0 || max / min <= 10) {
    for (let buckets = maxBuckets; buckets >= 1; buckets--) {
      const step = niceStep((max - min) / buckets);
      const from = Math.floor(min / step) * step;
      // The epsilon keeps float noise (2.8 − 1.2 = 1.5999…) from dropping the bucket that holds max.
      const count = Math.floor((max - from) / step + 1e-9) + 1;
      if (count <= maxBuckets) return Array.from({ length: count + 1 }, (_, i) => cleanNumber(from + i * step));
    }
  }
  for (const tier of LOG_TIERS) {
    const edges: number[] = [];
    for (let decade = Math.floor(Math.log10(min)) - 1; ; decade++) {
      for (const mantissa of tier) {
        const edge = cleanNumber(mantissa * 10 ** decade);
        if (edge <= min) edges.splice(0, edges.length, edge);
        else edges.push(edge);
      }
      if ((edges.at(-1) as number) > max) break;
    }
    while (edges.length > 2 && (edges.at(-2) as number) > max) edges.pop();
    if (edges.length - 1 <= maxBuckets || tier.length === 1) return edges;
  }
  return [min, max];
}

function bucketOf(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length - 2;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((edges[mid] as number) <= value) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** 1, 2 or 5 × 10^k, at least `raw`. */
function niceStep(raw: number): number {
  const decade = 10 ** Math.floor(Math.log10(raw));
  for (const mantissa of [1, 2, 5, 10]) if (mantissa * decade >= raw) return cleanNumber(mantissa * decade);
  return cleanNumber(10 * decade);
}

function cleanNumber(value: number): number {
  return Number(value.toPrecision(6));
}

function edgeText(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function statusText(c: CaseResult): string {
  const parts = Object.entries(c.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status === '0' ? 'no response' : status} ×${count}`);
  return parts.length > 0 ? parts.join(', ') : '—';
}

function firstFailureText(c: CaseResult): string {
  const first = c.failures[0];
  if (!first) return '—';
  const more = c.failures.length > 1 ? ` (+${c.failures.length - 1} other kind(s))` : '';
  return `<code>${html(first.expectation)}</code>: got <code>${html(first.actual)}</code> (${first.count}×)${more}`;
}

function budgetMark(value: number, budget: number | undefined, format: (v: number) => string): string {
  if (budget === undefined) return '';
  return Number.isNaN(value) || value > budget ? ` ❌ > ${format(budget)}` : ` ✅ ≤ ${format(budget)}`;
}

/** Escapes text for HTML inside a markdown table cell (the pipe would end the cell). */
function html(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '&#124;')
    .replace(/\r?\n/g, ' ');
}

/** A fenced block whose fence is longer than any backtick run in the text. */
function fence(text: string, language: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${language}\n${text}\n${marks}`;
}

function ms(value: number): string {
  if (Number.isNaN(value)) return '—';
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value)} ms`;
}

function msOutput(value: number): string {
  return Number.isNaN(value) ? '' : String(round(value, 3));
}

function pct(rate: number): string {
  return `${round(rate * 100, 2)}%`;
}

function seconds(valueMs: number): string {
  return valueMs < 1000 ? `${Math.round(valueMs)} ms` : `${(valueMs / 1000).toFixed(1)} s`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function roundLatency<T extends object>(latency: T): T {
  return Object.fromEntries(
    Object.entries(latency).map(([key, value]) => [key, typeof value === 'number' ? round(value, 3) : value]),
  ) as T;
}
