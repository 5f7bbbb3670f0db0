/**
 * Summary of latency samples (ms). Computed here rather than taken from tinybench because each
 * task's samples are merged from two runs in opposite order (see compare.ts).
 */
export interface LatencySummary {
  readonly samples: number;
  /** 1000 / mean: what one caller doing one operation after another achieves. */
  readonly opsPerSecond: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function summarise(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) throw new Error('no samples to summarise');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const meanMs = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    samples: sorted.length,
    opsPerSecond: meanMs > 0 ? 1000 / meanMs : Number.POSITIVE_INFINITY,
    meanMs,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

/** Linear interpolation between order statistics, as tinybench does. */
export function percentile(sorted: readonly number[], fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] ?? 0;
  const high = sorted[above] ?? low;
  return low + (high - low) * (position - below);
}
