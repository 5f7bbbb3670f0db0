import { Bench } from 'tinybench';
import { summarise, type LatencySummary } from './statistics';

/**
 * Measures our code next to a baseline doing the irreducible part of the same work, in the same
 * process and minutes, so that their ratio says what our code adds whatever the machine's speed.
 *
 * The pair runs in four short rounds, alternately baseline first and subject first, and each
 * task's samples are merged: on a shared machine load drifts, and a task measured in one block
 * would take the blame (or the credit) for whatever else ran then.
 */

const ROUNDS = 4;

export interface TimedTask {
  readonly name: string;
  /** One operation. */
  readonly run: () => unknown;
  /** Whether `run` returns a promise to await; said, so that tinybench need not call it to find out. */
  readonly async?: boolean;
  /** Prepares the next operation outside the timed window (fresh ids, a new batch). */
  readonly prepare?: () => void | Promise<void>;
}

export interface PairSpec {
  readonly id: string;
  readonly title: string;
  readonly subject: TimedTask;
  readonly baseline: TimedTask;
  /** Time budget per task, in ms, spread over the rounds. */
  readonly timeMs: number;
  /** Minimum operations per task, whatever the time budget, spread over the rounds. */
  readonly minIterations: number;
}

export interface PairResult {
  readonly id: string;
  readonly title: string;
  readonly subject: LatencySummary & { readonly name: string };
  readonly baseline: LatencySummary & { readonly name: string };
  /** subject p50 / baseline p50: medians shrug off the stalls a shared machine adds. */
  readonly ratio: number;
  readonly meanRatio: number;
}

export async function comparePair(spec: PairSpec): Promise<PairResult> {
  const samples = new Map<string, number[][]>([
    [spec.subject.name, []],
    [spec.baseline.name, []],
  ]);
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? [spec.baseline, spec.subject] : [spec.subject, spec.baseline];
    const bench = new Bench({
      name: spec.id,
      time: spec.timeMs / ROUNDS,
      iterations: Math.ceil(spec.minIterations / ROUNDS),
      // Later rounds run on code that the first round's warmup already made hot.
      warmup: round === 0,
      warmupTime: Math.min(200, spec.timeMs / 8),
      warmupIterations: Math.max(4, Math.floor(spec.minIterations / 8)),
      retainSamples: true,
      throws: true,
      // Each sample brackets one call with two clock reads; on sub-microsecond work that matters.
      subtractTimerOverhead: true,
    });
    for (const task of order) {
      bench.add(task.name, task.run, { async: task.async ?? false, ...(task.prepare && { beforeEach: task.prepare }) });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${spec.id}: task "${task.name}" ended ${result.state}`);
      samples.get(task.name)?.push([...(result.latency.samples ?? [])]);
    }
  }
  const merged = (name: string) => (samples.get(name) ?? []).flat();
  const subject = { name: spec.subject.name, ...summarise(merged(spec.subject.name)) };
  const baseline = { name: spec.baseline.name, ...summarise(merged(spec.baseline.name)) };
  return {
    id: spec.id,
    title: spec.title,
    subject,
    baseline,
    ratio: subject.p50Ms / baseline.p50Ms,
    meanRatio: subject.meanMs / baseline.meanMs,
  };
}
