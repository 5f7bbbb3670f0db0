import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createMoGenerator, seededRandom } from '../../cli/mo-generator';
import { simulateDirect } from '../../cli/simulate';
import { TABLE_KEYS } from '../../functions/messages/table-design';
import { createLocalClients, type LocalClients } from '../../local/aws-clients';
import { ENDPOINTS_FILE, readEndpoints, type LocalEndpoints } from '../../local/endpoints';
import { localPipelineEnv } from '../../test/support/free-port';
import type { Figure } from '../harness/report';

/**
 * `e2e.local`: `npm start` (bin/local.ts, in its own process, on free loopback ports and a
 * temporary data directory) driven by `simulate --direct` at a fixed rate for a fixed time from
 * this process, as an operator would run the two in two terminals. Reported:
 * - the answers' latency, p50 and p99, and whether every request was answered 200;
 * - the stored rate: messages stored per second from the first request to the last stored;
 * - the time from the last answer to the last message stored (the store's lag), read from the
 *   ingest queue's depth (visible + in flight), sampled every 100 ms: a message leaves the queue
 *   only once the persister stored it;
 * - the baseline: bare conditional PutItems of the same size, as many in flight as the persister
 *   can have records in flight, against the same dynalite in the same run, after the drain. If the
 *   stored rate sits near it (divided by the writes a stored message costs), dynalite is the limit.
 */

export const E2E_LOCAL = {
  ratePerSecond: 500,
  seconds: 10,
  /** A run whose store has not drained this long after the last answer is reported, not waited for. */
  drainLimitMs: 60_000,
  baselineMs: 3_000,
  sampleEveryMs: 100,
} as const;

const STARTUP_TIMEOUT_MS = 60_000;

/** DynamoDB requests the persister makes per new message: the conditional put, then the forward mark. */
const DYNAMODB_REQUESTS_PER_STORED_MO = 2;

interface QueueSample {
  readonly atMs: number;
  readonly backlog: number;
}

export async function measureLocalPipeline(options: { ratePerSecond?: number; seconds?: number; baselineInFlight: number; itemBytes: number }): Promise<Figure[]> {
  const ratePerSecond = options.ratePerSecond ?? E2E_LOCAL.ratePerSecond;
  const seconds = options.seconds ?? E2E_LOCAL.seconds;
  const dataDir = mkdtempSync(join(tmpdir(), 'callr-bench-local-'));
  const env = await localPipelineEnv(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'bin', 'local.ts')], {
    cwd: join(__dirname, '..', '..'),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...env,
      // As `npm start` runs by default, minus the pretty printing nobody reads here.
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let clients: LocalClients | undefined;
  try {
    const endpoints = await waitForEndpoints(child, dataDir, () => stderr);
    clients = createLocalClients({ dynamodbEndpoint: endpoints.dynamodbEndpoint, sqsEndpoint: endpoints.sqsEndpoint, region: endpoints.region });
    const local = clients;
    const samples: QueueSample[] = [];
    const started = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push({ atMs: performance.now() - started, backlog: await backlogOf(local, endpoints.ingestQueueUrl) });
        await new Promise((resolve) => setTimeout(resolve, E2E_LOCAL.sampleEveryMs));
      }
    })();

    const summary = await simulateDirect({
      url: endpoints.webhookUrl,
      secret: endpoints.hmacSecret,
      algorithm: endpoints.hmacAlgorithm.toUpperCase() === 'SHA512' ? 'SHA512' : 'SHA256',
      count: ratePerSecond * seconds,
      ratePerSecond,
      generator: createMoGenerator({ random: seededRandom(11) }),
    });
    const lastAnswerMs = performance.now() - started;
    // Drained: the queue empty in two samples in a row (a message in flight counts as backlog).
    const drainDeadline = lastAnswerMs + E2E_LOCAL.drainLimitMs;
    let lastStoredMs: number | undefined;
    while (performance.now() - started < drainDeadline) {
      const recent = samples.slice(-2);
      if (recent.length === 2 && recent.every((sample) => sample.backlog === 0) && (recent[0]?.atMs ?? 0) >= lastAnswerMs) {
        lastStoredMs = recent[0]?.atMs;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, E2E_LOCAL.sampleEveryMs / 2));
    }
    sampling = false;
    await sampler;
    const stored = summary.accepted;
    const baseline = await barePutRate(local, endpoints.tableName, options.baselineInFlight, options.itemBytes);

    const sent = `${ratePerSecond} MO/s for ${seconds} s (${summary.sms} sent, ${summary.accepted} answered 200)`;
    const figures: Figure[] = [
      { id: 'e2e.local.answer-p50', title: 'local mode, answer latency p50', value: summary.latencyMs.p50 ?? Number.NaN, unit: 'ms', detail: sent },
      { id: 'e2e.local.answer-p99', title: 'local mode, answer latency p99', value: summary.latencyMs.p99 ?? Number.NaN, unit: 'ms', detail: sent },
      {
        id: 'e2e.local.not-accepted',
        title: 'local mode, requests not answered 200',
        value: summary.notAccepted,
        unit: 'count',
        detail: JSON.stringify(summary.statusCounts),
      },
      {
        id: 'e2e.local.stored-rate',
        title: 'local mode, messages stored per second, first request to last stored',
        value: lastStoredMs === undefined ? Number.NaN : stored / (lastStoredMs / 1000),
        unit: 'per second',
        detail: `intake ${(summary.accepted / (lastAnswerMs / 1000)).toFixed(0)}/s`,
      },
      {
        id: 'e2e.local.store-lag',
        title: 'local mode, last answer to last message stored',
        value: lastStoredMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, lastStoredMs - lastAnswerMs) / 1000,
        unit: 's',
        detail: lastStoredMs === undefined ? `not drained within ${E2E_LOCAL.drainLimitMs / 1000} s; backlog ${samples.at(-1)?.backlog ?? '?'}` : `backlog peaked at ${Math.max(...samples.map((sample) => sample.backlog))}`,
      },
      {
        id: 'e2e.local.dynalite-puts',
        title: `baseline: bare conditional PutItems against the same dynalite, ${options.baselineInFlight} in flight`,
        value: baseline,
        unit: 'per second',
        detail: `${options.itemBytes} B items, ${E2E_LOCAL.baselineMs / 1000} s`,
      },
      {
        id: 'e2e.local.stored-vs-dynalite',
        title: `stored rate over what dynalite allows: bare puts per second / ${DYNAMODB_REQUESTS_PER_STORED_MO} requests per stored MO (put, mark forwarded)`,
        value: lastStoredMs === undefined ? Number.NaN : stored / (lastStoredMs / 1000) / (baseline / DYNAMODB_REQUESTS_PER_STORED_MO),
        unit: 'ratio',
        detail: 'near 1: dynalite is the limit; well below: the pipeline process is',
      },
    ];
    return figures;
  } finally {
    clients?.destroy();
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitForEndpoints(child: ChildProcess, dataDir: string, stderr: () => string): Promise<LocalEndpoints> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const file = join(dataDir, ENDPOINTS_FILE);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${stderr().trim().slice(-800)}`);
    if (existsSync(file)) {
      // The file is written once everything listens and the webhooks are subscribed.
      return readEndpoints(dataDir);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`npm start did not write ${file} within ${STARTUP_TIMEOUT_MS / 1000} s: ${stderr().trim().slice(-800)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function backlogOf(clients: LocalClients, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Conditional PutItems of `itemBytes`-sized items, `inFlight` at a time, for E2E_LOCAL.baselineMs: puts per second. */
async function barePutRate(clients: LocalClients, tableName: string, inFlight: number, itemBytes: number): Promise<number> {
  const payload = Buffer.alloc(Math.max(1, itemBytes - 60), 0x61);
  const until = performance.now() + E2E_LOCAL.baselineMs;
  const started = performance.now();
  let puts = 0;
  let sequence = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await clients.dynamodb.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              [TABLE_KEYS.partitionKey]: { S: `bench-baseline#${(sequence += 1)}` },
              [TABLE_KEYS.sortKey]: { S: 'message' },
              payload: { B: payload },
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
          }),
        );
        puts += 1;
      }
    }),
  );
  return puts / ((performance.now() - started) / 1000);
}
