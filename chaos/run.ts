import { Command, InvalidArgumentError, Option } from 'commander';
import { formatIngestFuzzReport, runIngestFuzz, DEFAULT_FUZZ_OPTIONS } from './fuzz-ingest';
import { DEFAULT_MO_CHAOS_OPTIONS, formatMoChaosReport, runMoChaos, type MoChaosReport } from './mo-run';
import { DEFAULT_CHAOS_RATES, RATE_HELP, RATE_NAMES, type ChaosRates } from './options';
import { captureOutput, findSecrets, KNOWN_TEST_SECRETS } from './secret-scan';

/**
 * `npm run chaos`: property-based fuzzing of the ingest handler, then the fault-injection run
 * through the whole pipeline, then a scan of every log line both wrote for the known secrets.
 * Loopback only; bounded in count; exit 1 when a promise was broken (docs/threat-model.md).
 */

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

const integer = (min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
  return parsed;
};
const number = (min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`a number from ${min} to ${max}`);
  return parsed;
};

interface ChaosCliOptions extends Record<string, unknown> {
  seed: number;
  count: number;
  rate: number;
  perSmsShare: number;
  fuzzRuns: number;
  timeScale: number;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('chaos')
    .description('Fault-injection run of the whole pipeline on the local emulators, with fuzzing of the ingest handler')
    .addOption(new Option('--seed <n>', 'seed of every random choice (faults, texts, fuzz inputs)').default(DEFAULT_MO_CHAOS_OPTIONS.seed).argParser(integer(0, 2 ** 31 - 1)))
    .addOption(new Option('--count <n>', 'inbound SMS injected').default(DEFAULT_MO_CHAOS_OPTIONS.count).argParser(integer(0, 10_000)))
    .addOption(new Option('--rate <per-second>', 'injections per second').default(DEFAULT_MO_CHAOS_OPTIONS.ratePerSecond).argParser(number(1, 1_000)))
    .addOption(new Option('--per-sms-share <share>', 'share of SMS that reply to an SMS sent with a per-SMS webhook').default(DEFAULT_MO_CHAOS_OPTIONS.perSmsWebhookShare).argParser(number(0, 1)))
    .addOption(new Option('--fuzz-runs <n>', 'ingest fuzz inputs').default(DEFAULT_FUZZ_OPTIONS.runs).argParser(integer(0, 1_000_000)))
    .addOption(new Option('--time-scale <n>', 'how many times faster the persister\'s timeouts, visibility timeout and clock run').default(DEFAULT_MO_CHAOS_OPTIONS.timeScale).argParser(number(1, 180)))
    .exitOverride();
  for (const name of RATE_NAMES) {
    program.addOption(new Option(`--${kebab(name)} <rate>`, RATE_HELP[name]).default(DEFAULT_CHAOS_RATES[name]).argParser(number(0, 1)));
  }
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    // Commander has printed the help or the usage error already.
    return (error as { code?: string }).code === 'commander.helpDisplayed' ? 0 : 2;
  }
  const options = program.opts<ChaosCliOptions>();
  const rates = Object.fromEntries(RATE_NAMES.map((name) => [name, options[name] as number])) as unknown as ChaosRates;

  // Logs at info level, as in Lambda, kept off the terminal and scanned at the end.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Bound now: while a run's output is captured, progress still reaches the terminal.
  const writeErr = process.stderr.write.bind(process.stderr);
  const say = (line: string) => writeErr(`${line}\n`);
  const print = (line: string) => process.stdout.write(`${line}\n`);

  say(`chaos: fuzzing the ingest handler with ${options.fuzzRuns} inputs (seed ${options.seed})`);
  const fuzz = await captureOutput(() => runIngestFuzz({ seed: options.seed, runs: options.fuzzRuns }));
  say(`chaos: ${options.count} inbound SMS through the pipeline at ${options.rate}/s, faults ${JSON.stringify(rates)}`);
  const chaos = await captureOutput(() =>
    runMoChaos({
      seed: options.seed,
      count: options.count,
      ratePerSecond: options.rate,
      perSmsWebhookShare: options.perSmsShare,
      timeScale: options.timeScale,
      rates,
      onProgress: (line) => say(`chaos: ${line}`),
    }),
  );
  const logs = fuzz.output + chaos.output;
  const leaks = findSecrets(logs, KNOWN_TEST_SECRETS);

  print(formatIngestFuzzReport(fuzz.result));
  for (const line of describeAnomalies(chaos.result)) say(line);
  for (const leak of leaks) say(`secret in the logs: ${leak.name} (${leak.form}) in …${leak.context}…`);
  print(`logs: ${logs.split('\n').length - 1} lines scanned for the HMAC secrets and the CALLR API key: ${leaks.length === 0 ? 'none found' : `${leaks.length} FOUND`}`);
  print(formatMoChaosReport(chaos.result));
  return fuzz.result.ok && chaos.result.ok && leaks.length === 0 ? 0 : 1;
}

/** For each broken promise, a few SMS hashes and the faults injected on them: where to start looking. */
function describeAnomalies(report: MoChaosReport): string[] {
  return Object.entries(report.examples)
    .filter(([name]) => name !== 'extraForwardsExplained')
    .map(([name, hashes]) => `${name}: e.g. ${hashes.map((hash) => `${hash} [${(report.faultsBySms[hash] ?? []).join(', ') || 'no fault injected on it'}]`).join('; ')}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
