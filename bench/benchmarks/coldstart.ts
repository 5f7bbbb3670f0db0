import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LAMBDA_NODE_OPTIONS } from '../../lib/constructs/functions';
import { summarise } from '../harness/statistics';
import type { PairResult } from '../harness/compare';
import {
  buildBundle,
  BUNDLE_OUT_DIR,
  DEPLOYED_ENTRIES,
  DEPLOYED_SHIPPING,
  type BuiltBundle,
  type BundleEntry,
  type SdkShipping,
} from '../harness/bundles';

/**
 * `coldstart.*`: each Lambda's bundle, built as `cdk synth` builds it, loaded in a fresh Node.js
 * process until its handler is exported (what Lambda reports as Init Duration for a CommonJS
 * handler), alternated run by run with a bundle that only builds an SQS client through the same
 * factory: the least any of our Lambdas loads. Medians of at least 15 loads each.
 *
 * Also measured the same way, each over the same baseline:
 * - the bundles with the AWS SDK left to the runtime (`.sdk-external`, loaded from node_modules as
 *   the runtime loads its own copy), to choose how to ship the SDK with numbers;
 * - probes that add one Powertools piece to the baseline (`coldstart.powertools.*`): what each
 *   costs at cold start, to keep only what earns its place.
 */

export const COLD_START_RUNS = 15;

/** The child: times require() of the bundle, checks a handler came out, prints the time. */
const LOADER = `
// The Lambda runtime has set up its own logging on stdout and stderr before it loads the handler.
process.stdout; process.stderr;
const started = process.hrtime.bigint();
const loaded = require(process.argv[1]);
const initMs = Number(process.hrtime.bigint() - started) / 1e6;
if (typeof loaded.handler !== 'function') { console.error('no handler exported by ' + process.argv[1]); process.exit(2); }
process.stdout.write(JSON.stringify({ initMs }), () => process.exit(0));
`;

/**
 * A Lambda-like environment with nothing of the parent's (no tsx loader, no test settings), and
 * nothing that leaves the machine: the ingest's init-time secret fetch goes to a closed loopback
 * port (the process exits before it could matter), and no handler is invoked.
 */
function lambdaLikeEnvironment(nodeOptions: string, overrides: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_OPTIONS: nodeOptions,
    AWS_LAMBDA_FUNCTION_NAME: 'coldstart-bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callr-ingest',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callr-dead-letter',
    INBOX_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:callr-inbox',
    TABLE_NAME: 'callr-messages',
    HMAC_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:callr-hmac-AbCdEf',
    // The reconcile Lambda's (a Lambda the construct adds needs its variables here, or its load
    // fails with its configuration error, naming them).
    INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/callr-ingest',
    CALLR_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:callr-credentials-AbCdEf',
    // The persister's key of the phone numbers' keyed hash.
    NUMBER_HASH_KEY_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:callr-number-hash-AbCdEf',
    // The sender's: our webhook, set on every SMS it sends (the outbox's dead-letter queue is the one above).
    WEBHOOK_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/callr',
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

function loadOnce(file: string, nodeOptions: string, overrides?: Readonly<Record<string, string | undefined>>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LOADER, file], { env: lambdaLikeEnvironment(nodeOptions, overrides), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`loading ${file} exited ${String(code)}: ${stderr.trim().split('\n').slice(0, 5).join(' | ')}`));
        return;
      }
      resolve((JSON.parse(stdout) as { initMs: number }).initMs);
    });
  });
}

/** The baseline: an SQS client built through the one factory, and a handler. */
const SQS_ONLY_ENTRY: BundleEntry = {
  contents: `import { createSqsClient } from '../../functions/aws/sqs';
const sqs = createSqsClient();
export const handler = async () => sqs.config.apiVersion;`,
  resolveDir: join(__dirname),
};

/** Each probe: the baseline plus one Powertools piece, used the way our handlers use it. */
const POWERTOOLS_PROBES: Readonly<Record<string, string>> = {
  logger: `import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
const logger = new Logger({ serviceName: 'probe' });
export const handler = middy(async () => sqs.config.apiVersion).use(injectLambdaContext(logger, { logEvent: false }));`,
  metrics: `import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
const metrics = new Metrics({ namespace: 'Probe', serviceName: 'probe' });
export const handler = middy(async () => sqs.config.apiVersion).use(logMetrics(metrics, { captureColdStartMetric: true }));`,
  batch: `import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
const processor = new BatchProcessor(EventType.SQS);
export const handler = async (event: never) => processPartialResponse(event, async () => sqs.config.apiVersion, processor);`,
  parameters: `import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createSecretsManagerClient } from '../../functions/aws/secrets-manager';
const secrets = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() });
export const handler = async () => [sqs.config.apiVersion, secrets];`,
};

const CALLR_EVENTS_PROBE = `import { parseCallrEventBytes } from '../../functions/callr/events';
export const handler = async (body: Buffer) => [sqs.config.apiVersion, parseCallrEventBytes(body)];`;

function probeEntry(source: string): BundleEntry {
  return {
    contents: `import { createSqsClient } from '../../functions/aws/sqs';
const sqs = createSqsClient();
${source}`,
    resolveDir: join(__dirname),
  };
}

/** How a bundle is shipped and started: the SDK inside it or not, and the runtime's NODE_OPTIONS. */
export interface LoadVariant {
  readonly shipping: SdkShipping;
  readonly nodeOptions: string;
}

const variantKey = (variant: LoadVariant) => `${variant.shipping} NODE_OPTIONS=${variant.nodeOptions || '(none)'}`;

export interface ColdStartSubject {
  readonly id: string;
  readonly title: string;
  readonly bundle: BuiltBundle;
  readonly nodeOptions: string;
  /** Environment variables changed for this subject only (undefined removes one). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ColdStartPlan {
  /** One SQS-only baseline per SDK shipping; each subject is measured against the one built and started like it. */
  readonly baselines: Readonly<Record<SdkShipping, BuiltBundle>>;
  readonly subjects: readonly ColdStartSubject[];
  /** The Lambda bundles, for the bundle.* figures. */
  readonly bundled: readonly BuiltBundle[];
  readonly external: readonly BuiltBundle[];
}

export async function buildColdStartPlan(): Promise<ColdStartPlan> {
  const built: Record<SdkShipping, BuiltBundle[]> = { 'sdk-bundled': [], 'sdk-external': [] };
  const baselines = {} as Record<SdkShipping, BuiltBundle>;
  for (const shipping of ['sdk-bundled', 'sdk-external'] as const) {
    baselines[shipping] = await buildBundle('sqs-only', SQS_ONLY_ENTRY, shipping, BUNDLE_OUT_DIR);
    for (const [name, entry] of Object.entries(DEPLOYED_ENTRIES)) built[shipping].push(await buildBundle(name, entry, shipping, BUNDLE_OUT_DIR));
  }
  const other: SdkShipping = DEPLOYED_SHIPPING === 'sdk-bundled' ? 'sdk-external' : 'sdk-bundled';
  const deployedOptions = LAMBDA_NODE_OPTIONS;
  const subjects: ColdStartSubject[] = [
    ...built[DEPLOYED_SHIPPING].map((bundle) => ({
      id: `coldstart.${bundle.name}`,
      title: `Cold start, ${bundle.name} as deployed (${DEPLOYED_SHIPPING}, NODE_OPTIONS=${deployedOptions}): module init vs an SQS-client-only bundle`,
      bundle,
      nodeOptions: deployedOptions,
    })),
    ...built[other].map((bundle) => ({
      id: `coldstart.${bundle.name}.${other}`,
      title: `Cold start, ${bundle.name} with the SDK ${other === 'sdk-external' ? "left to the runtime's" : 'bundled'}: vs an SQS-only bundle built alike`,
      bundle,
      nodeOptions: deployedOptions,
    })),
  ];
  if (deployedOptions.includes('--enable-source-maps')) {
    for (const bundle of [...built[DEPLOYED_SHIPPING], ...built[other]].filter((candidate) => candidate.name === 'ingest')) {
      subjects.push({
        id: `coldstart.${bundle.name}.${bundle.shipping}.no-source-maps`,
        title: `Cold start, ${bundle.name} (${bundle.shipping}) started without --enable-source-maps: vs the SQS-only bundle started alike`,
        bundle,
        nodeOptions: deployedOptions.replace('--enable-source-maps', '').trim(),
      });
    }
  }
  // Attribution of the ingest's extra init: without the Secrets Manager client and its init-time
  // fetch (a static secret, as local mode runs it), and the CALLR event schemas alone.
  const deployedIngest = built[DEPLOYED_SHIPPING].find((bundle) => bundle.name === 'ingest');
  if (deployedIngest) {
    subjects.push({
      id: 'coldstart.ingest.static-secret',
      title: 'Cold start, ingest as deployed but with a static secret: no Secrets Manager client, no fetch during init',
      bundle: deployedIngest,
      nodeOptions: deployedOptions,
      env: { HMAC_SECRET_ARN: undefined, AWS_LAMBDA_FUNCTION_NAME: undefined, CALLR_HMAC_SECRET: 'coldstart-bench' },
    });
  }
  const eventsProbe = await buildBundle('callr-events', probeEntry(CALLR_EVENTS_PROBE), DEPLOYED_SHIPPING, BUNDLE_OUT_DIR);
  subjects.push({
    id: 'coldstart.callr-events',
    title: 'Cold start cost of the CALLR event schemas (zod/mini): the SQS-only bundle plus parseCallrEventBytes',
    bundle: eventsProbe,
    nodeOptions: deployedOptions,
  });
  for (const [piece, source] of Object.entries(POWERTOOLS_PROBES)) {
    const bundle = await buildBundle(`powertools-${piece}`, probeEntry(source), DEPLOYED_SHIPPING, BUNDLE_OUT_DIR);
    subjects.push({
      id: `coldstart.powertools.${piece}`,
      title: `Cold start cost of Powertools ${piece}: the SQS-only bundle plus ${piece}, vs the SQS-only bundle`,
      bundle,
      nodeOptions: deployedOptions,
    });
  }
  return { baselines, subjects, bundled: built['sdk-bundled'], external: built['sdk-external'] };
}

/**
 * Loads every bundle `runs` times. Each round loads, per way of starting (SDK shipping and
 * NODE_OPTIONS), the baseline once and each subject once, the baseline alternately first and last
 * and the subjects in a rotated order, so that drifting load on a shared machine falls on all alike.
 */
export interface ColdStartResults {
  readonly pairs: PairResult[];
  /** Bundles that did not load (a configuration error, say), each with its error: the others are still measured. */
  readonly failures: Array<{ readonly id: string; readonly error: string }>;
}

export async function measureColdStarts(plan: ColdStartPlan, selected: (id: string) => boolean, runs = COLD_START_RUNS): Promise<ColdStartResults> {
  const failures: ColdStartResults['failures'] = [];
  const loadable: ColdStartSubject[] = [];
  for (const subject of plan.subjects.filter((candidate) => selected(candidate.id))) {
    try {
      // Also warms the file cache: the first load of a file reads it from disk.
      await loadOnce(subject.bundle.file, subject.nodeOptions, subject.env);
      loadable.push(subject);
    } catch (error) {
      failures.push({ id: subject.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const pairs = await measureLoadable(plan, loadable, runs);
  return { pairs, failures };
}

async function measureLoadable(plan: ColdStartPlan, subjects: readonly ColdStartSubject[], runs: number): Promise<PairResult[]> {
  if (subjects.length === 0) return [];
  const samples = new Map<string, number[]>(subjects.map((subject) => [subject.id, []]));
  const keyOf = (subject: ColdStartSubject) => variantKey({ shipping: subject.bundle.shipping, nodeOptions: subject.nodeOptions });
  const groups = new Map<string, ColdStartSubject[]>();
  for (const subject of subjects) groups.set(keyOf(subject), [...(groups.get(keyOf(subject)) ?? []), subject]);
  const baselineSamples = new Map<string, number[]>([...groups.keys()].map((key) => [key, []]));
  const baselineOf = (subject: ColdStartSubject) => plan.baselines[subject.bundle.shipping].file;

  for (const group of groups.values()) await loadOnce(baselineOf(group[0]), group[0].nodeOptions);

  for (let round = 0; round < runs; round += 1) {
    for (const [key, group] of groups) {
      const loadBaseline = async () => baselineSamples.get(key)?.push(await loadOnce(baselineOf(group[0]), group[0].nodeOptions));
      if (round % 2 === 0) await loadBaseline();
      for (let index = 0; index < group.length; index += 1) {
        const subject = group[(index + round) % group.length];
        samples.get(subject.id)?.push(await loadOnce(subject.bundle.file, subject.nodeOptions, subject.env));
      }
      if (round % 2 === 1) await loadBaseline();
    }
  }
  return subjects.map((subject) => {
    const ours = summarise(samples.get(subject.id) ?? []);
    const base = summarise(baselineSamples.get(keyOf(subject)) ?? []);
    return {
      id: subject.id,
      title: subject.title,
      subject: { name: `require(${subject.bundle.name}/index.js)`, ...ours },
      baseline: { name: `require(sqs-only/index.js), ${keyOf(subject)}`, ...base },
      ratio: ours.p50Ms / base.p50Ms,
      meanRatio: ours.meanMs / base.meanMs,
    };
  });
}
