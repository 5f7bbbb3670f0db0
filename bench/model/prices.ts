/**
 * Public on-demand prices, us-east-1, as published in late 2025 (the AWS pricing pages; quoted
 * from memory on 2026-12-02, check them before quoting a bill). First tiers only: the volumes
 * here (millions of MO a month) stay inside them. USD.
 */
export const US_EAST_1_PRICES = {
  /** HTTP API, per request (first 300 million a month), metered in 512 KB increments. */
  httpApiRequest: 1.0 / 1e6,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second (first 7.5 billion GB-s a month); init is billed as duration since August 2025. */
  lambdaArmGbSecond: 0.0000133334,
  /** SQS standard queue, per request (each 64 KB chunk of a request counts as one). */
  sqsRequest: 0.4 / 1e6,
  /** SNS standard topic, per publish request (each 64 KB chunk; a PublishBatch of small messages is one). Deliveries to SQS are free. */
  snsPublishRequest: 0.5 / 1e6,
  /** DynamoDB on-demand, per write request unit (1 KB), after the November 2024 price cut. */
  dynamoWriteRequestUnit: 0.625 / 1e6,
  /** DynamoDB standard table class storage, per GB-month (items and index entries). */
  dynamoStorageGbMonth: 0.25,
  /** CloudWatch Logs standard ingestion, per GB. */
  logsIngestionGb: 0.5,
} as const;

export const PRICES_AS_OF = 'us-east-1 on-demand list prices as published in late 2025 (quoted 2026-12-02)';
