// Latency statistics from exact per-request samples (no averaging, no buckets): the percentiles
// the gate compares against its budgets and the report prints.

export interface LatencySummary {
  /** Number of samples (requests that got a complete response). */
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Nearest-rank percentile of ascending `sorted` samples: the smallest sample such that at least
 * `p` % of the samples are less than or equal to it, i.e. `sorted[ceil(p/100 × n) − 1]`. It is
 * always a latency some request really had. NaN for no samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1] as number;
}

/** Summary of samples in milliseconds; `samples` is not modified. */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const count = sorted.length;
  return {
    count,
    min: count > 0 ? (sorted[0] as number) : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: count > 0 ? (sorted[count - 1] as number) : Number.NaN,
    mean: count > 0 ? sum / count : Number.NaN,
  };
}
