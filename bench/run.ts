import { join } from 'node:path';
import { accessLogLineBytes, capacityFigures, costFigures, ingestLogBytesPerRequest, modelInputs } from './benchmarks/capacity-cost';
import { buildColdStartPlan, measureColdStarts } from './benchmarks/coldstart';
import { bundleFigures } from './benchmarks/bundles';
import { E2E_LOCAL, measureLocalPipeline } from './benchmarks/e2e-local';
import { persistItemBytes, persistPair } from './benchmarks/persist';
import { PERSIST_BATCH_SIZE } from '../functions/queues/queue-design';
import { PERSIST_LOCAL_CONCURRENCY } from '../local/runner';
import { measureIngestMemory } from './benchmarks/memory';
import { ingestPair } from './benchmarks/ingest';
import { ingestCpuPairs } from './benchmarks/ingest-cpu';
import { parsePairs } from './benchmarks/parse';
import { signaturePairs } from './benchmarks/signature';
import { comparePair, type PairSpec } from './harness/compare';
import { startBenchEnvironment, type BenchEnvironment } from './harness/emulators';
import { machineInfo } from './harness/machine';
import { printLine, progress, withOutputMuted } from './harness/quiet-output';
import {
  formatReport,
  judgeFigure,
  judgeMemory,
  judgePair,
  writeReport,
  type Crash,
  type JudgedFigure,
  type JudgedMemory,
  type JudgedPair,
} from './harness/report';

/**
 * `npm run bench [-- <id prefix> ...]`: every benchmark next to its baseline, measured in the same
 * run; a table on stdout and bench/results/latest.json. Targets print PASS or WARN and never fail
 * the run (noise is not a regression); a benchmark that crashes does (exit 1).
 * Talks only to emulators it starts on 127.0.0.1, and stops by itself.
 */

const RESULTS_FILE = join(__dirname, 'results', 'latest.json');
/** Well above a normal run (about three minutes): a hung emulator must not hang the run. */
const RUN_TIMEOUT_MS = 600_000;

async function main(): Promise<number> {
  const startedAt = performance.now();
  const watchdog = setTimeout(() => {
    progress(`benchmarks did not finish within ${RUN_TIMEOUT_MS / 1000} s; stopping`);
    process.exit(1);
  }, RUN_TIMEOUT_MS);
  watchdog.unref();

  // As in Lambda: INFO logs and metrics are serialised (then dropped by withOutputMuted).
  delete process.env.POWERTOOLS_DEV;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';

  const filters = process.argv.slice(2);
  const selected = (id: string) => filters.length === 0 || filters.some((filter) => id.startsWith(filter));
  /** Whether any benchmark whose id starts with `group` is selected. */
  const groupSelected = (group: string) => filters.length === 0 || filters.some((filter) => filter.startsWith(group) || group.startsWith(filter));
  const machine = machineInfo();
  const pairs: JudgedPair[] = [];
  const crashes: Crash[] = [];
  let memory: JudgedMemory | null = null;
  const figures: JudgedFigure[] = [];

  const attempt = async (id: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      crashes.push({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      progress(`${id}: CRASHED: ${String(error)}`);
    }
  };
  const measure = async (spec: PairSpec) => {
    if (!selected(spec.id)) return;
    progress(`measuring ${spec.id} ...`);
    await attempt(spec.id, async () => {
      pairs.push(judgePair(await withOutputMuted(() => comparePair(spec))));
    });
  };

  for (const spec of [...signaturePairs(), ...parsePairs()]) await measure(spec);
  if (groupSelected('ingest.cpu')) await attempt('ingest.cpu', async () => { for (const spec of ingestCpuPairs()) await measure(spec); });

  if (groupSelected('bundle.') || groupSelected('coldstart.')) {
    progress('building the Lambda bundles as cdk synth does ...');
    await attempt('bundle', async () => {
      const plan = await buildColdStartPlan();
      for (const figure of bundleFigures(plan)) if (selected(figure.id)) figures.push(judgeFigure(figure));
      if (groupSelected('coldstart.')) {
        progress('measuring coldstart.* (fresh processes, alternated with the SQS-only baseline) ...');
        const coldStarts = await measureColdStarts(plan, selected);
        for (const result of coldStarts.pairs) pairs.push(judgePair(result));
        for (const failure of coldStarts.failures) {
          crashes.push(failure);
          progress(`${failure.id}: CRASHED: ${failure.error}`);
        }
      }
    });
  }

  if (['ingest.request', 'persist.batch10', 'memory.ingest'].some(selected)) {
    progress('starting dynalite and fauxqs on 127.0.0.1 ...');
    let env: BenchEnvironment | undefined;
    await attempt('emulators', async () => {
      env = await startBenchEnvironment();
    });
    if (env) {
      const running = env;
      const services: Array<[string, (env: BenchEnvironment) => Promise<PairSpec>]> = [
        ['ingest.request', ingestPair],
        ['persist.batch10', persistPair],
      ];
      for (const [id, build] of services) {
        if (selected(id)) await attempt(id, async () => measure(await build(running)));
      }
      if (selected('memory.ingest')) {
        progress('measuring memory.ingest ...');
        await attempt('memory.ingest', async () => {
          memory = judgeMemory(await withOutputMuted(() => measureIngestMemory(running)));
        });
      }
      await running.stop();
    }
  }

  if (groupSelected('e2e.local')) {
    progress(`measuring e2e.local (npm start driven by simulate --direct, ${E2E_LOCAL.ratePerSecond} MO/s for ${E2E_LOCAL.seconds} s) ...`);
    await attempt('e2e.local', async () => {
      const measured = await withOutputMuted(() =>
        measureLocalPipeline({ baselineInFlight: PERSIST_LOCAL_CONCURRENCY * PERSIST_BATCH_SIZE, itemBytes: persistItemBytes() }),
      );
      for (const figure of measured) if (selected(figure.id)) figures.push(judgeFigure(figure));
    });
  }

  if (groupSelected('capacity.') || groupSelected('cost.')) {
    progress('checking the capacity and cost models with this run\'s measurements ...');
    await attempt('capacity-cost', async () => {
      const inputs = modelInputs(pairs);
      const modelled = [
        ...capacityFigures(inputs),
        ...costFigures(inputs, {
          ingestInfo: await ingestLogBytesPerRequest('INFO'),
          ingestWarn: await ingestLogBytesPerRequest('WARN'),
          access: accessLogLineBytes(),
        }),
      ];
      for (const figure of modelled) if (selected(figure.id)) figures.push(judgeFigure(figure));
    });
  }

  const report = {
    generatedAt: new Date().toISOString(),
    durationSeconds: (performance.now() - startedAt) / 1000,
    machine,
    pairs,
    memory,
    figures,
    crashes,
  };
  writeReport(RESULTS_FILE, report);
  printLine(formatReport(report));
  printLine(`Results written to ${RESULTS_FILE}`);
  return crashes.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    progress(`benchmark run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
