import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MemoryResult } from '../benchmarks/memory';
import { figureTargetFor, MEMORY_TARGET, ratioTargetFor } from '../targets';
import type { PairResult } from './compare';
import type { MachineInfo } from './machine';
import type { LatencySummary } from './statistics';

export type Verdict = 'PASS' | 'WARN' | 'NO TARGET';

export interface JudgedPair extends PairResult {
  readonly target: { readonly statement: string; readonly maxRatio: number } | null;
  readonly verdict: Verdict;
}

export interface JudgedMemory extends MemoryResult {
  readonly target: { readonly statement: string; readonly maxExcessBytesPerRequest: number };
  readonly verdict: Verdict;
}

/** One measured figure judged against an absolute target (bench/targets.ts FIGURE_TARGETS). */
export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly value: number;
  readonly unit: 'bytes' | 'ms' | 's' | 'per second' | 'ratio' | 'count' | 'USD';
  /** What it was measured next to, or how it was obtained, in a few words. */
  readonly detail?: string;
}

export interface JudgedFigure extends Figure {
  readonly target: { readonly statement: string; readonly max?: number; readonly min?: number } | null;
  readonly verdict: Verdict;
}

export function judgeFigure(figure: Figure): JudgedFigure {
  const target = figureTargetFor(figure.id);
  if (!target) return { ...figure, target: null, verdict: 'NO TARGET' };
  const met = (target.max === undefined || figure.value <= target.max) && (target.min === undefined || figure.value >= target.min);
  return { ...figure, target: { statement: target.statement, max: target.max, min: target.min }, verdict: met ? 'PASS' : 'WARN' };
}

export interface Crash {
  readonly id: string;
  readonly error: string;
}

export interface RunReport {
  readonly generatedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly pairs: readonly JudgedPair[];
  readonly memory: JudgedMemory | null;
  readonly figures: readonly JudgedFigure[];
  readonly crashes: readonly Crash[];
}

export function judgePair(result: PairResult): JudgedPair {
  const target = ratioTargetFor(result.id);
  if (!target) return { ...result, target: null, verdict: 'NO TARGET' };
  return {
    ...result,
    target: { statement: target.statement, maxRatio: target.maxRatio },
    verdict: result.ratio <= target.maxRatio ? 'PASS' : 'WARN',
  };
}

export function judgeMemory(result: MemoryResult): JudgedMemory {
  return {
    ...result,
    target: { statement: MEMORY_TARGET.statement, maxExcessBytesPerRequest: MEMORY_TARGET.maxExcessBytesPerRequest },
    verdict: result.excessBytesPerRequest <= MEMORY_TARGET.maxExcessBytesPerRequest ? 'PASS' : 'WARN',
  };
}

export function writeReport(path: string, report: RunReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

export function formatReport(report: RunReport): string {
  const { machine } = report;
  const lines = [
    `Benchmarks against same-run baselines — Node ${machine.node}, ${machine.cpuModel} × ${machine.cores}, ` +
      `load average ${machine.loadAverage.join(' ')} at start`,
    'Ratios compare medians (p50) of ours and the baseline; ops/s = 1000 / mean latency.',
    '',
  ];
  for (const pair of report.pairs) {
    lines.push(pair.title);
    lines.push(measurementLine('ours', pair.subject));
    lines.push(measurementLine('baseline', pair.baseline));
    const target = pair.target ? `target ≤ ${pair.target.maxRatio}×` : 'no target';
    lines.push(`  ratio ${pair.ratio.toFixed(2)}× (mean ${pair.meanRatio.toFixed(2)}×)   ${target}   ${pair.verdict}`, '');
  }
  if (report.memory) {
    const memory = report.memory;
    lines.push(memory.title);
    lines.push(memoryLine('ours', memory.subject));
    lines.push(memoryLine('baseline', memory.baseline));
    lines.push(
      `  excess ${memory.excessBytesPerRequest.toFixed(1)} B/request   target ≤ ${memory.target.maxExcessBytesPerRequest} B/request   ${memory.verdict}`,
      '',
    );
  }
  if (report.figures.length > 0) {
    lines.push('Figures');
    for (const figure of report.figures) {
      lines.push(`  ${figure.id.padEnd(44)}${formatValue(figure.value, figure.unit).padStart(14)}   ${figure.title}${figure.detail ? ` (${figure.detail})` : ''}`);
    }
    lines.push('');
  }
  lines.push('Targets');
  for (const pair of report.pairs) {
    lines.push(`  ${pair.verdict.padEnd(9)} ${pair.id.padEnd(30)} ${pair.ratio.toFixed(2).padStart(6)}×  ${pair.target?.statement ?? ''}`);
  }
  if (report.memory) {
    const memory = report.memory;
    lines.push(`  ${memory.verdict.padEnd(9)} ${memory.id.padEnd(30)} ${memory.excessBytesPerRequest.toFixed(1).padStart(6)} B  ${memory.target.statement}`);
  }
  for (const figure of report.figures.filter((candidate) => candidate.target)) {
    lines.push(`  ${figure.verdict.padEnd(9)} ${figure.id.padEnd(30)} ${formatValue(figure.value, figure.unit).padStart(10)}  ${figure.target?.statement ?? ''}`);
  }
  for (const crash of report.crashes) lines.push(`  CRASHED   ${crash.id.padEnd(30)} ${crash.error.split('\n')[0]}`);
  lines.push('', `Finished in ${report.durationSeconds.toFixed(1)} s.`);
  return lines.join('\n');
}

function measurementLine(role: string, summary: LatencySummary & { readonly name: string }): string {
  return (
    `  ${role.padEnd(9)}${summary.name.padEnd(44)}${formatRate(summary.opsPerSecond).padStart(14)} ops/s` +
    `   mean ${formatMs(summary.meanMs).padStart(9)}   p50 ${formatMs(summary.p50Ms).padStart(9)}   p99 ${formatMs(summary.p99Ms).padStart(9)}` +
    `   (${summary.samples} samples)`
  );
}

function memoryLine(role: string, heap: MemoryResult['subject']): string {
  return (
    `  ${role.padEnd(9)}${heap.name.padEnd(44)}heap ${formatBytes(heap.heapBeforeBytes)} → ${formatBytes(heap.heapAfterBytes)}` +
    `   retained ${heap.retainedBytesPerRequest.toFixed(1)} B/request (slope; before/after ${heap.deltaBytesPerRequest.toFixed(1)})`
  );
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);
}

function formatMs(ms: number): string {
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1e3).toFixed(2)} µs`;
  return `${ms.toFixed(2)} ms`;
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

function formatValue(value: number, unit: Figure['unit']): string {
  switch (unit) {
    case 'bytes':
      return value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(2)} MB` : `${(value / 1024).toFixed(1)} KB`;
    case 'ms':
      return formatMs(value);
    case 's':
      return `${value.toFixed(2)} s`;
    case 'per second':
      return `${formatRate(value)}/s`;
    case 'ratio':
      return `${value.toFixed(2)}×`;
    case 'count':
      return String(value);
    case 'USD':
      return `$${value.toFixed(2)}`;
  }
}
