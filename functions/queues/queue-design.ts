/**
 * Queue settings that the CDK construct provisions and local mode's emulators reproduce: one
 * definition, so local mode behaves like a deployment.
 */

/** Records per persist invocation (Lambda SQS event source `batchSize`). */
export const PERSIST_BATCH_SIZE = 10;

/** The persist Lambda's timeout. */
export const PERSIST_TIMEOUT_SECONDS = 30;

/**
 * Ingest queue visibility timeout: AWS advises at least six times the consumer's timeout, so a
 * message is not handed out again while a slow or retried batch still holds it.
 */
export const INGEST_VISIBILITY_TIMEOUT_SECONDS = 6 * PERSIST_TIMEOUT_SECONDS;

/** Receives before SQS moves an ingest message to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** How long dead letters wait for an operator: SQS's maximum. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

/**
 * How long a verified event may wait on the ingest queue: SQS's maximum too, so that a persister
 * stopped over a long weekend (disabled event source, broken deploy) loses nothing. The age alarm
 * fires long before.
 */
export const INGEST_RETENTION_DAYS = 14;

/**
 * How long a stored message waits on the inbox for downstream: SQS's maximum, as for the other
 * queues. It is already marked forwarded, so a consumer down over a long weekend must not lose it.
 */
export const INBOX_RETENTION_DAYS = 14;

/** The sender Lambda's timeout: one CALLR call (8 s at most) and a few DynamoDB writes, per record. */
export const SENDER_TIMEOUT_SECONDS = 30;

/** Requests per sender invocation. */
export const SENDER_BATCH_SIZE = 10;

/**
 * Outbox queue visibility timeout: six times the sender's, as for the ingest queue. A redelivery
 * then always finds a claim older than the sender's stale-claim bound (twice its timeout), so it
 * resolves a dead attempt's send by lookup instead of waiting.
 */
export const OUTBOX_VISIBILITY_TIMEOUT_SECONDS = 6 * SENDER_TIMEOUT_SECONDS;

/**
 * Receives before an outbox request goes to its dead-letter queue. A send whose answer was lost
 * comes back once per visibility timeout to be looked up: 10 receives cover the 15 minutes the
 * sender waits for CALLR's listing to show it (LOOKUP_GIVE_UP_AFTER_MS), with room to spare.
 */
export const OUTBOX_MAX_RECEIVE_COUNT = 10;

/**
 * How long a send request waits on the outbox: SQS's maximum, so that requests queued while CALLR
 * or the sender is down are sent once it is back, not dropped. A request that must not go out late
 * says so in its own text; the sender does not guess.
 */
export const OUTBOX_RETENTION_DAYS = 14;

/** Names local mode gives its queues, topic and table (a deployment lets CloudFormation name them). */
export const LOCAL_RESOURCE_NAMES = {
  table: 'callr-inbound-sms-messages',
  ingestQueue: 'callr-inbound-sms-ingest',
  deadLetterQueue: 'callr-inbound-sms-dead-letter',
  inboxTopic: 'callr-inbound-sms-inbox',
  inboxQueue: 'callr-inbound-sms-inbox',
  inboxDeadLetterQueue: 'callr-inbound-sms-inbox-dead-letter',
  outboxQueue: 'callr-inbound-sms-outbox',
  outboxDeadLetterQueue: 'callr-inbound-sms-outbox-dead-letter',
} as const;
