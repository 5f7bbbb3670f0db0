/**
 * A campaign burst on one shortcode, simulated in steps of 100 ms through each limit on the way:
 * the HTTP API (stage throttling, then the account's), the ingest Lambda's concurrency (cold
 * starts included), SQS (no limit that matters here), the persister (its event source's scaling
 * and maxConcurrency, full batches), and DynamoDB (the table's write throughput, and the hot
 * recipient's index partitions with their 16 shards). Pure; fed with measured durations by
 * bench/benchmarks/capacity-cost.ts, explained in docs/capacity.md.
 */

export interface CapacityScenario {
  readonly name: string;
  readonly burst: { readonly ratePerSecond: number; readonly seconds: number };
  /** The construct's stage throttling (`throttlingRateLimit`, `throttlingBurstLimit`). */
  readonly stage: { readonly rateLimit: number; readonly burstLimit: number };
  /** HTTP API's account-level throttling per region (a quota; AWS raises it on request). */
  readonly account: { readonly rateLimit: number; readonly burstLimit: number; readonly lambdaConcurrency: number };
  readonly ingest: {
    readonly durationMs: number;
    readonly initMs: number;
    /** Instances already warm when the burst starts (provisioned concurrency, or recent traffic). */
    readonly warmInstances: number;
  };
  readonly persist: {
    readonly batchSize: number;
    readonly batchDurationMs: number;
    /** `persistMaxConcurrency`. */
    readonly maxConcurrency: number;
    /** Batches the SQS event source runs at first, and how many more it adds per minute. */
    readonly initialConcurrency: number;
    readonly scaleUpPerMinute: number;
  };
  readonly dynamodb: {
    /** Write units per second the table (and each index) serves without throttling. */
    readonly tableWriteUnitsPerSecond: number;
    /** Write units per stored MO on the base table (item and forward mark). */
    readonly tableWriteUnitsPerMo: number;
    /** Write units per stored MO on the busiest index (byRecipient and byKeyword: one each). */
    readonly hotIndexWriteUnitsPerMo: number;
    /** Shards of the hot recipient's index partition key, and what one partition takes. */
    readonly recipientShards: number;
    readonly partitionWriteUnitsPerSecond: number;
  };
}

export type LimitName =
  | 'API stage throttling'
  | 'HTTP API account throttling'
  | 'Lambda account concurrency (ingest cold starts)'
  | 'persist event source ramp-up'
  | 'persist maxConcurrency'
  | 'DynamoDB table write throughput'
  | 'DynamoDB hot recipient partition';

export interface CapacityResult {
  readonly scenario: string;
  readonly offered: number;
  /** Answered 429 by API Gateway: CALLR retries them later (its schedule is not published). */
  readonly throttledByApi: number;
  /** Refused for lack of Lambda concurrency (API Gateway answers 5xx; CALLR retries). */
  readonly refusedForConcurrency: number;
  readonly accepted: number;
  readonly peakIngestConcurrency: number;
  readonly peakPersistConcurrency: number;
  readonly peakBacklog: number;
  /** Seconds from the end of the burst until the ingest queue is empty. */
  readonly drainSecondsAfterBurst: number;
  /** The limits that bound something, in the order they were first hit (seconds from the start). */
  readonly limitsHit: ReadonlyArray<{ readonly limit: LimitName; readonly atSeconds: number }>;
}

const STEP_S = 0.1;
/** The simulation stops this long after the burst even if the queue has not drained. */
const MAX_DRAIN_S = 6 * 3600;

export function simulateBurst(s: CapacityScenario): CapacityResult {
  const hits = new Map<LimitName, number>();
  const hit = (limit: LimitName, at: number) => {
    if (!hits.has(limit)) hits.set(limit, Math.round(at * 10) / 10);
  };
  const durationS = s.ingest.durationMs / 1000;
  const initS = s.ingest.initMs / 1000;
  const batchS = s.persist.batchDurationMs / 1000;

  let stageTokens = s.stage.burstLimit;
  let accountTokens = s.account.burstLimit;
  let warm = s.ingest.warmInstances;
  /** Instances in their init, each with the time it becomes warm. */
  const starting: number[] = [];
  let offered = 0;
  let throttledByApi = 0;
  let refusedForConcurrency = 0;
  let accepted = 0;
  let backlog = 0;
  let stored = 0;
  let peakIngest = 0;
  let peakPersist = 0;
  let peakBacklog = 0;
  let drainedAt: number | undefined;

  for (let t = 0; t < s.burst.seconds + MAX_DRAIN_S; t += STEP_S) {
    const inBurst = t < s.burst.seconds;
    // HTTP API: two token buckets, the stage's and the account's.
    stageTokens = Math.min(s.stage.burstLimit, stageTokens + s.stage.rateLimit * STEP_S);
    accountTokens = Math.min(s.account.burstLimit, accountTokens + s.account.rateLimit * STEP_S);
    const arriving = inBurst ? s.burst.ratePerSecond * STEP_S : 0;
    offered += arriving;
    const passedStage = Math.min(arriving, stageTokens);
    if (passedStage < arriving) hit('API stage throttling', t);
    const passed = Math.min(passedStage, accountTokens);
    if (passed < passedStage) hit('HTTP API account throttling', t);
    stageTokens -= passedStage;
    accountTokens -= passed;
    throttledByApi += arriving - passed;

    // Ingest: warm instances each serve STEP_S / duration requests per step; the rest need an
    // instance of their own, which spends its init before serving (the request waits in it).
    while (starting.length > 0 && (starting[0] ?? Infinity) <= t) {
      starting.shift();
      warm += 1;
    }
    const servedWarm = Math.min(passed, (warm * STEP_S) / durationS);
    let needInstances = passed - servedWarm;
    const persistConcurrencyNow = Math.min(
      s.persist.maxConcurrency,
      s.persist.initialConcurrency + (s.persist.scaleUpPerMinute * t) / 60,
    );
    const room = Math.max(0, s.account.lambdaConcurrency - warm - starting.length - Math.ceil(persistConcurrencyNow));
    const started = Math.min(Math.ceil(needInstances), room);
    if (started < Math.ceil(needInstances)) {
      hit('Lambda account concurrency (ingest cold starts)', t);
      refusedForConcurrency += needInstances - started;
      needInstances = started;
    }
    for (let i = 0; i < started; i += 1) starting.push(t + initS + durationS);
    const acceptedNow = servedWarm + needInstances;
    accepted += acceptedNow;
    backlog += acceptedNow;
    peakIngest = Math.max(peakIngest, Math.ceil((acceptedNow / STEP_S) * durationS) + starting.length);

    // Persist: as many full batches as the event source runs, each batchS long.
    const persistCapacity = ((persistConcurrencyNow * s.persist.batchSize) / batchS) * STEP_S;
    const tableCapacity = (s.dynamodb.tableWriteUnitsPerSecond / s.dynamodb.tableWriteUnitsPerMo) * STEP_S;
    const indexCapacity = (s.dynamodb.tableWriteUnitsPerSecond / s.dynamodb.hotIndexWriteUnitsPerMo) * STEP_S;
    const hotPartitionCapacity =
      ((s.dynamodb.partitionWriteUnitsPerSecond * s.dynamodb.recipientShards) / s.dynamodb.hotIndexWriteUnitsPerMo) * STEP_S;
    const storing = Math.min(backlog, persistCapacity, tableCapacity, indexCapacity, hotPartitionCapacity);
    const binding = Math.min(persistCapacity, tableCapacity, indexCapacity, hotPartitionCapacity);
    // A limit of the store is hit when it cannot keep up with what comes in (a backlog that only
    // waits for the next poll is not one).
    if (inBurst && binding < acceptedNow - 1e-9) {
      if (binding === hotPartitionCapacity) hit('DynamoDB hot recipient partition', t);
      else if (binding === tableCapacity || binding === indexCapacity) hit('DynamoDB table write throughput', t);
      else if (persistConcurrencyNow < s.persist.maxConcurrency) hit('persist event source ramp-up', t);
      else hit('persist maxConcurrency', t);
    }
    backlog -= storing;
    stored += storing;
    peakPersist = Math.max(peakPersist, Math.ceil(Math.min(persistConcurrencyNow, (storing / STEP_S / s.persist.batchSize) * batchS + 1e-9)));
    peakBacklog = Math.max(peakBacklog, backlog);
    if (!inBurst && backlog < 0.5) {
      drainedAt = t;
      break;
    }
  }
  return {
    scenario: s.name,
    offered: Math.round(offered),
    throttledByApi: Math.round(throttledByApi),
    refusedForConcurrency: Math.round(refusedForConcurrency),
    accepted: Math.round(accepted),
    peakIngestConcurrency: peakIngest,
    peakPersistConcurrency: peakPersist,
    peakBacklog: Math.round(peakBacklog),
    drainSecondsAfterBurst: drainedAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, drainedAt - s.burst.seconds),
    limitsHit: [...hits].sort((a, b) => a[1] - b[1]).map(([limit, atSeconds]) => ({ limit, atSeconds })),
  };
}

/** 5,000 MO/s for 10 minutes on one shortcode (issue 11). */
export const CAMPAIGN_BURST = { ratePerSecond: 5_000, seconds: 600 } as const;

/** Quotas and service behaviour as AWS documents them (defaults of a new account and a new table). */
export const AWS_DEFAULTS = {
  httpApiAccount: { rateLimit: 10_000, burstLimit: 5_000 },
  lambdaAccountConcurrency: 1_000,
  /** A new on-demand table (and each of its indexes) serves about 4,000 write units per second at once. */
  onDemandNewTableWriteUnits: 4_000,
  partitionWriteUnits: 1_000,
  sqsEventSource: { initialConcurrency: 5, scaleUpPerMinute: 300 },
} as const;
