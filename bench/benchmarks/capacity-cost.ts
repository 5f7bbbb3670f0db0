import { ACCESS_LOG_FIELDS } from '../../lib/constructs/intake';
import { PERSIST_BATCH_SIZE } from '../../functions/queues/queue-design';
import { RECIPIENT_SHARDS } from '../../functions/messages/table-design';
import type { JudgedPair, Figure } from '../harness/report';
import { noOpSqsClient, IN_PROCESS_QUEUE_URLS } from '../harness/in-process-sqs';
import { withOutputMuted, type OutputCounter } from '../harness/quiet-output';
import { AWS_DEFAULTS, CAMPAIGN_BURST, simulateBurst, type CapacityScenario } from '../model/capacity-model';
import { COST_PROFILES, costPerMillion, directIntegrationIntakePerMillion, lowerBoundPerMillion, type MeasuredCosts } from '../model/cost-model';
import { PRICES_AS_OF } from '../model/prices';
import { ingestWorkloadOn } from './ingest-workload';

/**
 * `capacity.*` and `cost.*`: the models of docs/capacity.md and docs/cost.md, fed with what this
 * run measured (medians of ingest.cpu, ingest.cpu.with-sdk, parse.sms-mo, coldstart.ingest, and
 * the ingest's log bytes per request), so that the documents' numbers are checked on each run.
 *
 * What cannot be measured here is assumed and named: Lambda at 512 MB has about 0.29 of a vCPU
 * (a full one at 1,769 MB), so CPU time measured here is scaled by 1769 / 512; an in-region SQS
 * or DynamoDB call answers in about 6 ms at the median.
 */

export const LAMBDA_CPU_SCALE = 1769 / 512;
export const IN_REGION_ROUND_TRIP_MS = 6;

/** Medians from the runs of 2026-12-02, used when this run did not measure them (a filtered run). */
const FALLBACK_P50_MS = { ingestCpu: 0.158, ingestCpuWithSdk: 0.763, parse: 0.031, coldstartIngest: 162 };

export interface ModelInputs {
  readonly ingestDurationMs: number;
  readonly ingestInitMs: number;
  readonly persistBatchDurationMs: number;
  readonly sources: string;
}

export function modelInputs(pairs: readonly JudgedPair[]): ModelInputs {
  const p50 = (id: string, fallback: number) => pairs.find((pair) => pair.id === id)?.subject.p50Ms ?? fallback;
  const ingestCpu = p50('ingest.cpu', FALLBACK_P50_MS.ingestCpu);
  const ingestCpuWithSdk = p50('ingest.cpu.with-sdk', FALLBACK_P50_MS.ingestCpuWithSdk);
  const parse = p50('parse.sms-mo', FALLBACK_P50_MS.parse);
  const coldstart = p50('coldstart.ingest', FALLBACK_P50_MS.coldstartIngest);
  // One SDK call's own CPU: what the SDK pipeline adds to an ingest request, which makes one call.
  const sdkCallCpu = Math.max(0, ingestCpuWithSdk - ingestCpu);
  // A batch of 10: three SDK calls and one parse per record, records in parallel (so their round
  // trips overlap), three round trips in sequence per record.
  const persistCpu = PERSIST_BATCH_SIZE * (3 * sdkCallCpu + parse);
  const measured = ['ingest.cpu', 'ingest.cpu.with-sdk', 'parse.sms-mo', 'coldstart.ingest'].filter((id) => pairs.some((pair) => pair.id === id));
  return {
    ingestDurationMs: ingestCpuWithSdk * LAMBDA_CPU_SCALE + IN_REGION_ROUND_TRIP_MS,
    ingestInitMs: coldstart * LAMBDA_CPU_SCALE,
    persistBatchDurationMs: persistCpu * LAMBDA_CPU_SCALE + 3 * IN_REGION_ROUND_TRIP_MS,
    sources: measured.length === 4 ? 'measured in this run' : `measured: ${measured.join(', ') || 'none'}; the rest from the runs of 2026-12-02`,
  };
}

/**
 * Bytes the ingest writes to its log per accepted request, measured at a log level: at INFO its
 * line per event and the EMF metrics, at WARN the metrics alone (they are written whatever the
 * level). Powertools reads the level when the logger is built, so each level gets its own handler.
 */
export async function ingestLogBytesPerRequest(level: 'INFO' | 'WARN'): Promise<number> {
  const saved = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = level;
  try {
    const workload = ingestWorkloadOn({ sqs: noOpSqsClient(), region: 'us-east-1', ...IN_PROCESS_QUEUE_URLS });
    const requests = 200;
    await withOutputMuted(async () => {
      for (let i = 0; i < 20; i += 1) await workload.request();
    });
    const counter: OutputCounter = { bytes: 0 };
    await withOutputMuted(async () => {
      for (let i = 0; i < requests; i += 1) await workload.request();
    }, counter);
    return counter.bytes / requests;
  } finally {
    process.env.POWERTOOLS_LOG_LEVEL = saved;
  }
}

/** One access log line in the construct's format, with typical values. */
export function accessLogLineBytes(): number {
  const typical: Record<string, string> = {
    apiId: 'a1b2c3d4e5',
    requestId: 'cXq1Ajk2IAMEV9w=',
    requestTime: '02/Dec/2026:14:00:00 +0000',
    sourceIp: '203.0.113.10',
    userAgent: 'CALLR-Webhook/1.0',
    httpMethod: 'POST',
    routeKey: 'POST /webhooks/callr',
    path: '/webhooks/callr',
    protocol: 'HTTP/1.1',
    status: '200',
    responseLength: '95',
    responseLatency: '12',
    integrationStatus: '200',
    integrationLatency: '10',
    integrationErrorMessage: '-',
    errorMessage: '-',
  };
  const line = Object.fromEntries(Object.keys(ACCESS_LOG_FIELDS).map((key) => [key, typical[key] ?? '-']));
  return Buffer.byteLength(`${JSON.stringify(line)}\n`);
}

export interface LogBytes {
  /** Per ingest request at INFO (event line + metrics) and at WARN (metrics alone). */
  readonly ingestInfo: number;
  readonly ingestWarn: number;
  readonly access: number;
}

export function costFigures(inputs: ModelInputs, logBytes: LogBytes): Figure[] {
  const infoLine = Math.max(0, logBytes.ingestInfo - logBytes.ingestWarn);
  const measured: MeasuredCosts = {
    ingestDurationMs: inputs.ingestDurationMs,
    persistBatchDurationMs: inputs.persistBatchDurationMs,
    ingestLogBytes: { info: logBytes.ingestInfo, warn: logBytes.ingestWarn },
    // The persister logs one INFO line per record, of the same make as the ingest's, and its
    // metrics once per invocation, about as large as the ingest's.
    persistLogBytes: { infoPerRecord: infoLine, metricsPerInvocation: logBytes.ingestWarn },
    accessLogBytes: logBytes.access,
  };
  const detailOf = (total: ReturnType<typeof costPerMillion>) =>
    total.lines
      .filter((line) => line.perMillionUsd >= 0.005)
      .map((line) => `${line.item} $${line.perMillionUsd.toFixed(2)}`)
      .join('; ');
  const figures: Figure[] = [];
  for (const profile of Object.values(COST_PROFILES)) {
    const breakdown = costPerMillion(profile, measured);
    figures.push({
      id: `cost.${profile.name}`,
      title: `cost per million MO, ${profile.description}`,
      value: breakdown.totalPerMillionUsd,
      unit: 'USD',
      detail: detailOf(breakdown),
    });
  }
  const lambdaIntake = costPerMillion(COST_PROFILES.allFeatures, measured).lines.filter((line) => /^HTTP API|^ingest Lambda|ingest queue|access log|Logs: ingest/.test(line.item));
  figures.push(
    { id: 'cost.lower-bound', title: 'cost per million MO, lower bound: HTTP API + one SQS send + one 1 KB write', value: lowerBoundPerMillion(), unit: 'USD', detail: PRICES_AS_OF },
    {
      id: 'cost.intake.lambda',
      title: 'intake per million MO with the verifying ingest Lambda (HTTP API, Lambda, SQS send, logs at WARN)',
      value: lambdaIntake.reduce((sum, line) => sum + line.perMillionUsd, 0),
      unit: 'USD',
      detail: `ingest billed ${Math.ceil(inputs.ingestDurationMs)} ms at 512 MB (${inputs.sources})`,
    },
    {
      id: 'cost.intake.direct-sqs',
      title: 'intake per million MO with a direct HTTP API → SQS integration, no verification (access log kept)',
      value: directIntegrationIntakePerMillion(measured, true),
      unit: 'USD',
    },
  );
  return figures;
}

export function capacityScenarios(inputs: ModelInputs): CapacityScenario[] {
  const common = {
    burst: CAMPAIGN_BURST,
    account: { ...AWS_DEFAULTS.httpApiAccount, lambdaConcurrency: AWS_DEFAULTS.lambdaAccountConcurrency },
    persist: {
      batchSize: PERSIST_BATCH_SIZE,
      batchDurationMs: inputs.persistBatchDurationMs,
      maxConcurrency: 50,
      ...AWS_DEFAULTS.sqsEventSource,
    },
  };
  const dynamodb = (tableWriteUnitsPerSecond: number) => ({
    tableWriteUnitsPerSecond,
    tableWriteUnitsPerMo: 2,
    hotIndexWriteUnitsPerMo: 1,
    recipientShards: RECIPIENT_SHARDS,
    partitionWriteUnitsPerSecond: AWS_DEFAULTS.partitionWriteUnits,
  });
  return [
    {
      ...common,
      name: 'defaults',
      stage: { rateLimit: 1_000, burstLimit: 2_000 },
      ingest: { durationMs: inputs.ingestDurationMs, initMs: inputs.ingestInitMs, warmInstances: 0 },
      dynamodb: dynamodb(AWS_DEFAULTS.onDemandNewTableWriteUnits),
    },
    {
      ...common,
      name: 'stage-raised',
      stage: { rateLimit: 6_000, burstLimit: 5_000 },
      ingest: { durationMs: inputs.ingestDurationMs, initMs: inputs.ingestInitMs, warmInstances: 0 },
      dynamodb: dynamodb(AWS_DEFAULTS.onDemandNewTableWriteUnits),
    },
    {
      ...common,
      name: 'prepared',
      stage: { rateLimit: 6_000, burstLimit: 5_000 },
      // persistMaxConcurrency raised with the table's throughput: twice what the burst needs.
      persist: { ...common.persist, maxConcurrency: 100 },
      // Provisioned concurrency on the ingest (or traffic just before): no cold-start stampede.
      ingest: { durationMs: inputs.ingestDurationMs, initMs: inputs.ingestInitMs, warmInstances: 100 },
      // Warm throughput set on the table and its indexes for the campaign.
      dynamodb: dynamodb(12_000),
    },
  ];
}

export function capacityFigures(inputs: ModelInputs): Figure[] {
  const figures: Figure[] = [];
  for (const scenario of capacityScenarios(inputs)) {
    const result = simulateBurst(scenario);
    const first = result.limitsHit[0];
    const prefix = `capacity.${scenario.name}`;
    figures.push(
      {
        id: `${prefix}.turned-away`,
        title: `5,000 MO/s for 10 min, ${scenario.name}: requests answered 429 or 5xx (CALLR retries them)`,
        value: result.throttledByApi + result.refusedForConcurrency,
        unit: 'count',
        detail: `429 ${result.throttledByApi}, no concurrency ${result.refusedForConcurrency}, of ${result.offered}; first limit: ${first ? `${first.limit} at ${first.atSeconds} s` : 'none'}; then ${result.limitsHit.slice(1).map((entry) => `${entry.limit} at ${entry.atSeconds} s`).join(', ') || 'none'}`,
      },
      {
        id: `${prefix}.drain`,
        title: `5,000 MO/s for 10 min, ${scenario.name}: seconds after the burst until every accepted MO is stored`,
        value: result.drainSecondsAfterBurst,
        unit: 's',
        detail: `peak backlog ${result.peakBacklog}, peak ingest concurrency ${result.peakIngestConcurrency}, persist ${result.peakPersistConcurrency}; ingest ${inputs.ingestDurationMs.toFixed(1)} ms, init ${inputs.ingestInitMs.toFixed(0)} ms, persist batch ${inputs.persistBatchDurationMs.toFixed(1)} ms (${inputs.sources})`,
      },
    );
  }
  return figures;
}
