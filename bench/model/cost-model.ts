import { US_EAST_1_PRICES } from './prices';

/**
 * Cost per million inbound SMS, line by line, from public prices and what one MO costs in
 * requests, write units, Lambda time and log bytes. Pure: `npm run bench` feeds it the durations
 * and log sizes it measured (bench/benchmarks/capacity-cost.ts), docs/cost.md explains each line.
 */

export interface MeasuredCosts {
  /** Billed duration of one ingest invocation in Lambda, ms (estimated from measured CPU plus one SQS round trip). */
  readonly ingestDurationMs: number;
  /** Billed duration of one persist invocation of a full batch, ms. */
  readonly persistBatchDurationMs: number;
  /** Bytes the ingest writes to its log per accepted request, at INFO (event line and metrics) and at WARN (metrics). */
  readonly ingestLogBytes: { readonly info: number; readonly warn: number };
  /** The persister's log: an INFO line per record, the metrics per invocation. */
  readonly persistLogBytes: { readonly infoPerRecord: number; readonly metricsPerInvocation: number };
  /** One access log line of the HTTP API (computed from the construct's format). */
  readonly accessLogBytes: number;
}

/** What a profile turns on. Each switch is something the construct or a pending change decides. */
export interface CostProfile {
  readonly name: string;
  readonly description: string;
  /** Lambda memory of the ingest and the persister, MB. */
  readonly memoryMb: number;
  /** Index entries written per stored MO (bySender, byRecipient, byKeyword when the text has one). */
  readonly indexWritesPerMo: number;
  /** The forward mark (`forwardedAt`), one more write of the item. */
  readonly forwardMark: boolean;
  /** How stored messages reach the inbox: one SQS send each, or one SNS PublishBatch per batch (topic → raw SQS subscription). */
  readonly inbox: 'sqs-send-per-message' | 'sns-publish-batch';
  /** Whether the ingest and the persister log a line per event (INFO), or only warnings and errors. */
  readonly infoLogs: boolean;
  /** HTTP API access logs on. */
  readonly accessLogs: boolean;
  /** Records per persist invocation (the event source's batch size, full under load). */
  readonly batchSize: number;
}

/** Lambda's START, END and REPORT lines per invocation (about 310 bytes with request ids and the report's figures). */
export const LAMBDA_PLATFORM_LOG_BYTES = 310;
/** One 1 KB write of the item itself: the least a durable store of each MO costs. */
const ITEM_WRITE_UNITS = 1;

export interface CostLine {
  readonly item: string;
  readonly perMillionUsd: number;
}

export interface CostBreakdown {
  readonly profile: string;
  readonly lines: readonly CostLine[];
  readonly totalPerMillionUsd: number;
}

export function costPerMillion(profile: CostProfile, measured: MeasuredCosts): CostBreakdown {
  const p = US_EAST_1_PRICES;
  const million = 1e6;
  const gb = profile.memoryMb / 1024;
  const batchesPerMo = 1 / profile.batchSize;
  const billedMs = (ms: number) => Math.max(1, Math.ceil(ms));
  const logGb = (bytes: number) => bytes / 1024 ** 3;

  const ingestLogBytes = LAMBDA_PLATFORM_LOG_BYTES + (profile.infoLogs ? measured.ingestLogBytes.info : measured.ingestLogBytes.warn);
  const persistLogBytes =
    (LAMBDA_PLATFORM_LOG_BYTES + measured.persistLogBytes.metricsPerInvocation) * batchesPerMo +
    (profile.infoLogs ? measured.persistLogBytes.infoPerRecord : 0);
  const writeUnits = ITEM_WRITE_UNITS + profile.indexWritesPerMo + (profile.forwardMark ? 1 : 0);
  const lines: CostLine[] = [
    { item: 'HTTP API request', perMillionUsd: million * p.httpApiRequest },
    { item: 'ingest Lambda: request', perMillionUsd: million * p.lambdaRequest },
    { item: 'ingest Lambda: duration', perMillionUsd: million * gb * (billedMs(measured.ingestDurationMs) / 1000) * p.lambdaArmGbSecond },
    { item: 'SQS: ingest queue SendMessage', perMillionUsd: million * p.sqsRequest },
    { item: 'SQS: event source ReceiveMessage + DeleteMessageBatch per batch', perMillionUsd: million * 2 * batchesPerMo * p.sqsRequest },
    { item: 'persist Lambda: requests', perMillionUsd: million * batchesPerMo * p.lambdaRequest },
    {
      item: 'persist Lambda: duration',
      perMillionUsd: million * batchesPerMo * gb * (billedMs(measured.persistBatchDurationMs) / 1000) * p.lambdaArmGbSecond,
    },
    { item: `DynamoDB: ${writeUnits} write units (item, ${profile.indexWritesPerMo} index entries${profile.forwardMark ? ', forward mark' : ''})`, perMillionUsd: million * writeUnits * p.dynamoWriteRequestUnit },
    profile.inbox === 'sqs-send-per-message'
      ? { item: 'inbox: one SQS SendMessage per message', perMillionUsd: million * p.sqsRequest }
      : { item: 'inbox: one SNS PublishBatch per batch (SQS delivery free)', perMillionUsd: million * batchesPerMo * p.snsPublishRequest },
    { item: "inbox: downstream's ReceiveMessage + DeleteMessageBatch per 10", perMillionUsd: million * 2 * 0.1 * p.sqsRequest },
    { item: 'CloudWatch Logs: ingest', perMillionUsd: million * logGb(ingestLogBytes) * p.logsIngestionGb },
    { item: 'CloudWatch Logs: persist', perMillionUsd: million * logGb(persistLogBytes) * p.logsIngestionGb },
    { item: 'CloudWatch Logs: HTTP API access log', perMillionUsd: profile.accessLogs ? million * logGb(measured.accessLogBytes) * p.logsIngestionGb : 0 },
  ];
  return { profile: profile.name, lines, totalPerMillionUsd: lines.reduce((sum, line) => sum + line.perMillionUsd, 0) };
}

/** The lower bound of issue 11: an HTTP API request, one SQS send and one 1 KB write per MO. */
export function lowerBoundPerMillion(): number {
  const p = US_EAST_1_PRICES;
  return 1e6 * (p.httpApiRequest + p.sqsRequest + p.dynamoWriteRequestUnit);
}

/**
 * Intake without verification: the HTTP API's AWS-service integration sending straight to SQS
 * (no ingest Lambda, no log line of ours, the access log kept). What the signature check costs
 * is the difference with the Lambda intake's lines.
 */
export function directIntegrationIntakePerMillion(measured: MeasuredCosts, accessLogs: boolean): number {
  const p = US_EAST_1_PRICES;
  return 1e6 * (p.httpApiRequest + p.sqsRequest + (accessLogs ? (measured.accessLogBytes / 1024 ** 3) * p.logsIngestionGb : 0));
}

const BASE_PROFILE = { memoryMb: 512, batchSize: 10, accessLogs: true } as const;

/** The profiles docs/cost.md prices. */
export const COST_PROFILES = {
  /** What the construct deploys today. */
  deployed: {
    ...BASE_PROFILE,
    name: 'deployed',
    description: 'as deployed today: three indexes, the forward mark, the inbox through one SNS PublishBatch per batch, INFO logs',
    indexWritesPerMo: 3,
    forwardMark: true,
    inbox: 'sns-publish-batch',
    infoLogs: true,
  },
  /** Every feature, logs at WARN (as production should run). */
  allFeatures: {
    ...BASE_PROFILE,
    name: 'all-features',
    description: 'every feature on (three indexes, the forward mark, the inbox through SNS PublishBatch), logs at WARN',
    indexWritesPerMo: 3,
    forwardMark: true,
    inbox: 'sns-publish-batch',
    infoLogs: false,
  },
  /** No index (lookups by SMS id only), the rest as all-features. */
  lean: {
    ...BASE_PROFILE,
    name: 'lean',
    description: 'no index (messages read by id and from the inbox only), inbox through SNS PublishBatch, logs at WARN',
    indexWritesPerMo: 0,
    forwardMark: true,
    inbox: 'sns-publish-batch',
    infoLogs: false,
  },
} as const satisfies Record<string, CostProfile>;
