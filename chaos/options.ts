/**
 * What a chaos run injects, and how much. Rates are probabilities per attempt (SDK calls, the SDK's
 * own retries included), per batch (crashes) or per webhook request (delivery timeouts).
 */
export interface ChaosRates {
  /** SendMessage to the ingest queue refused (500) or its answer lost: after the SDK's retries, a 503 that CALLR retries. */
  readonly ingestQueueFailure: number;
  /** A DynamoDB write or read that took effect but whose answer was lost (a 500 or a reset connection). */
  readonly dynamoLostAnswer: number;
  /** DynamoDB throttling (ProvisionedThroughputExceededException). */
  readonly dynamoThrottle: number;
  /** DynamoDB 500 before the request took effect. */
  readonly dynamoError: number;
  /** A persist invocation that dies half-way through its batch. */
  readonly persistCrash: number;
  /** PublishBatch to the inbox topic refused (500). */
  readonly inboxFailure: number;
  /** PublishBatch to the inbox topic that took effect but whose answer was lost. */
  readonly inboxLostAnswer: number;
  /** A webhook request answered after CALLR's delivery timeout (CALLR retries the same event). */
  readonly deliveryTimeout: number;
}

export const DEFAULT_CHAOS_RATES: ChaosRates = {
  ingestQueueFailure: 0.3,
  dynamoLostAnswer: 0.03,
  dynamoThrottle: 0.03,
  dynamoError: 0.03,
  persistCrash: 0.05,
  inboxFailure: 0.05,
  inboxLostAnswer: 0.05,
  deliveryTimeout: 0.02,
};

export const RATE_NAMES = Object.keys(DEFAULT_CHAOS_RATES) as Array<keyof ChaosRates>;

/** What each rate is, for `npm run chaos -- --help`. */
export const RATE_HELP: Readonly<Record<keyof ChaosRates, string>> = {
  ingestQueueFailure: 'per attempt: SendMessage to the ingest queue refused (500) or its answer lost',
  dynamoLostAnswer: 'per attempt: a DynamoDB call that took effect, its answer lost (500 or reset)',
  dynamoThrottle: 'per attempt: DynamoDB throttling',
  dynamoError: 'per attempt: DynamoDB 500 before it took effect',
  persistCrash: 'per batch: the persister dies half-way through it',
  inboxFailure: 'per attempt: PublishBatch to the inbox refused (500)',
  inboxLostAnswer: 'per attempt: PublishBatch to the inbox took effect, its answer lost',
  deliveryTimeout: "per webhook request: answered after CALLR's delivery timeout",
};
