import { randomBytes } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseCallrEventBytes, type InboundSmsEvent, type SmsStatusEvent } from '../callr/events';
import { createInboxBatch, type InboxBatch } from '../inbox/batch';
import { InboxPublishError } from '../inbox/errors';
import { inboundInboxMessage } from '../inbox/message';
import { publishToInbox } from '../inbox/publish';
import { ItemRejectedError, type ItemRejection } from '../messages/errors';
import { toInboundMessage, type InboundMessage } from '../messages/inbound-message';
import type { RawOmitted } from '../messages/item-size';
import {
  claimForward,
  markMessageForwarded,
  putMessageOnce,
  releaseForwardClaim,
  type ForwardClaim,
  type MessageTable,
} from '../messages/message-store';
import { applyStatusUpdate, toOutboundStatus } from '../messages/status-store';
import { DEFAULT_THREADING_WINDOW_MS, threadReply } from '../messages/threading';
import { BY_OUTBOUND_RECIPIENT_INDEX } from '../messages/table-design';
import { inboxTopicPublisher } from '../outbox/publish';
import { forwardStoredStatus } from '../outbox/status-forward';
import { createInboundEnrichment } from '../optouts/enrichment';
import { DEFAULT_OPT_OUT_WORDS } from '../optouts/words';
import type { NumberHashKeyLoader } from '../privacy/number-hash-key';
import { ATTRIBUTE, UnknownBodyEncodingError, decodeEventBody, withDeadLetterReason } from '../queues/queue-message';
import { PERSIST_TIMEOUT_SECONDS } from '../queues/queue-design';
import { sendToQueue } from '../queues/send';
import { expiresAtFor } from '../privacy/retention';
import { hashNumber } from '../privacy/number-hash';
import type { PersistConfig } from './config';
import { queueMessageFromRecord, recordAttribute } from './records';

/**
 * The persist Lambda: each SQS record holds one verified CALLR event (functions/queues/queue-message.ts).
 * Inbound SMS are stored once and published to the inbox topic; outbound statuses are applied when
 * newer. Records are processed concurrently; a record handler only throws, and only for what a
 * retry can fix, so SQS redelivers exactly the failed records. A record that can never succeed
 * goes to the dead-letter queue at once, with the reason, and counts as handled.
 *
 * The messages a batch forwards share one PublishBatch request (functions/inbox/batch.ts): each
 * record still claims, publishes and marks its own message, and fails alone when its message was
 * not published; the marks then run in parallel.
 */

export interface PersistDependencies {
  readonly config: PersistConfig;
  readonly documents: DynamoDBDocumentClient;
  /** The dead-letter queue's. */
  readonly sqs: SQSClient;
  /** The inbox topic's. */
  readonly sns: SNSClient;
  readonly now: () => Date;
  /**
   * A new token for each processing of a record, unique across copies and Lambdas: the token of
   * its forward claim and of its status write (see ForwardClaim). @default 96 random bits
   */
  readonly newAttemptToken?: () => string;
  /**
   * The key of the numbers' keyed hash (functions/privacy/number-hash-key.ts). Every stored message
   * and status carries its number's hash (the byNumberHash index, erasure), and the opt-out
   * registry keeps the sender's number only as its hash: a record fails while the key cannot be
   * loaded (SQS delivers it again), so nothing is stored unfindable and no STOP unapplied. Once
   * loaded, log lines show numbers with their hash.
   */
  readonly numberHashKey: NumberHashKeyLoader;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type PersistHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Why a record went to the dead-letter queue (attribute `deadLetterReason`, metric dimension
 * `reason`); `item_too_large` and `store_rejected` are writes DynamoDB can never take (ItemRejection);
 * `inbox_rejected`: stored, but SNS refuses its message for good (too large for SNS, say). It stays
 * stored and not forwarded; a redrive after a fix forwards it (the redelivery of the event that
 * stored it).
 */
export type PersistDeadLetterReason =
  | 'unknown_body_encoding'
  | 'invalid_json'
  | 'invalid_shape'
  | 'unhandled_event_type'
  | 'inbox_rejected'
  | ItemRejection;

export type PersistOutcome =
  /** A new inbound SMS, stored and forwarded; `rawOmitted` when stored without its raw copy. */
  | { readonly kind: 'stored'; readonly messageId: string; readonly rawOmitted?: RawOmitted }
  /** A redelivery of the event that stored it, whose forward had failed: forwarded now. */
  | { readonly kind: 'forwarded_on_redelivery'; readonly messageId: string }
  /**
   * Already stored, and forwarded or being forwarded by another copy of the same event (the same
   * event again, or the same SMS through another webhook).
   */
  | { readonly kind: 'duplicate'; readonly messageId: string }
  | { readonly kind: 'status_applied'; readonly messageId: string; readonly rawOmitted?: RawOmitted }
  /** Older than (or as old as) the stored status: left as it is. */
  | { readonly kind: 'status_stale'; readonly messageId: string }
  | { readonly kind: 'dead_lettered'; readonly reason: PersistDeadLetterReason; readonly detail: string };

/** Metric names, one per outcome. */
export const PERSIST_METRIC = {
  stored: 'stored',
  forwarded_on_redelivery: 'forwardedOnRedelivery',
  duplicate: 'duplicate',
  status_applied: 'statusApplied',
  status_stale: 'statusStale',
  dead_lettered: 'deadLettered',
} as const satisfies Record<PersistOutcome['kind'], string>;

/** Counted beside `stored` or `statusApplied` when the item was written without its raw copy. */
export const RAW_OMITTED_METRIC = 'rawOmitted';

/**
 * How long a forward claim holds off the other copies of an event. A live claimant finishes (or
 * gives the claim back) within its Lambda timeout, so twice that outlasts it; a dead claimant's
 * record comes back only after the ingest visibility timeout, longer still, and takes the stale
 * claim over.
 */
export const FORWARD_CLAIM_STALE_AFTER_MS = 2 * PERSIST_TIMEOUT_SECONDS * 1000;

/** 96 random bits, base64url (16 characters): unique per attempt, and short, since it is stored. */
const randomAttemptToken = (): string => randomBytes(12).toString('base64url');

export function createPersistHandler(deps: PersistDependencies): PersistHandler {
  const table: MessageTable = { documents: deps.documents, tableName: deps.config.tableName };
  const newAttemptToken = deps.newAttemptToken ?? randomAttemptToken;
  // A table being upgraded one index per deploy may not have it yet: replies are then stored without `inReplyTo`.
  const threadingIndexDeployed = deps.config.tableIndexes?.has(BY_OUTBOUND_RECIPIENT_INDEX.indexName) ?? true;
  // Statuses of SMS sent through the outbox go to the inbox as `sms.status`, beside the messages.
  const publishOutcome = inboxTopicPublisher(deps.sns, deps.config.inboxTopicArn);
  // Keyword and opt-out, before the message is stored (functions/optouts/enrichment.ts).
  const enrichInbound = createInboundEnrichment({
    words: deps.config.optOutWords ?? DEFAULT_OPT_OUT_WORDS,
    table,
    numberHashKey: () => deps.numberHashKey.load(),
    metrics: deps.metrics,
    retention: deps.config.retention,
    now: deps.now,
  });

  async function processRecord(record: SQSRecord, inbox: InboxBatch): Promise<PersistOutcome> {
    const logger = deps.logger.createChild();
    logger.setCorrelationId(recordAttribute(record, ATTRIBUTE.eventId) ?? record.messageId);
    let outcome: PersistOutcome;
    try {
      outcome = await persistRecord(record, inbox, logger);
    } catch (error) {
      logger.warn('record failed; SQS will deliver it again', { error, sqsMessageId: record.messageId });
      throw error;
    } finally {
      inbox.settle();
    }
    countOutcome(outcome);
    if (outcome.kind === 'dead_lettered') {
      logger.warn('record dead-lettered', { reason: outcome.reason, sqsMessageId: record.messageId });
      // The detail can quote the body (a JSON parse error, a schema issue): kept out of ordinary
      // logs. The dead letter carries it as an attribute.
      logger.debug('dead-letter detail', { reason: outcome.reason, detail: outcome.detail, sqsMessageId: record.messageId });
    } else {
      logger.info(`record ${outcome.kind}`, { messageId: outcome.messageId });
    }
    return outcome;
  }

  async function persistRecord(record: SQSRecord, inbox: InboxBatch, logger: Logger): Promise<PersistOutcome> {
    let rawEvent: Buffer;
    try {
      rawEvent = decodeEventBody(record.body, recordAttribute(record, ATTRIBUTE.bodyEncoding));
    } catch (error) {
      if (error instanceof UnknownBodyEncodingError) return deadLetter(record, 'unknown_body_encoding', error.message);
      throw error;
    }
    const parsed = parseCallrEventBytes(rawEvent);
    if (!parsed.ok) return deadLetter(record, parsed.reason, parsed.detail);
    if (!parsed.handled) return deadLetter(record, 'unhandled_event_type', `the persister does not handle "${parsed.identity.type}" events`);

    logger.setCorrelationId(parsed.identity.eventId);
    const event = parsed.event;
    const attemptToken = newAttemptToken();
    try {
      return event.type === 'sms.mt.status_update'
        ? await persistStatus(event, rawEvent, attemptToken, logger)
        : await persistInbound(event, rawEvent, attemptToken, inbox, logger);
    } catch (error) {
      // Retrying cannot help (SQS would redeliver it until maxReceiveCount, then redrive it without
      // a reason): the dead-letter queue keeps the event, with why.
      if (error instanceof ItemRejectedError) return deadLetter(record, error.reason, error.message);
      if (error instanceof InboxPublishError && error.permanent) return deadLetter(record, 'inbox_rejected', error.message);
      throw error;
    }
  }

  async function persistInbound(
    event: InboundSmsEvent,
    rawEvent: Buffer,
    attemptToken: string,
    inbox: InboxBatch,
    logger: Logger,
  ): Promise<PersistOutcome> {
    const now = deps.now();
    const enriched = await enrichInbound(toInboundMessage(event, now));
    const message = threadingIndexDeployed
      ? await threadReply(table, enriched, {
          windowMs: deps.config.threadingWindowMs ?? DEFAULT_THREADING_WINDOW_MS,
          onUnavailable: (error) => logger.warn('threading unavailable: message stored without inReplyTo', { error }),
        })
      : enriched;
    // On every line about this record, masked with their keyed hash (log-masking.ts).
    logger.appendKeys({ from: message.from, to: message.to });
    const claim: ForwardClaim = { token: attemptToken, at: now };
    // message.eventId: the delivery's event id in either format (v1 event_id, v2 id).
    const expiresAt = expiresAtFor('inboundMessages', now, deps.config.retention ?? {});
    const senderHash = hashNumber(await deps.numberHashKey.load(), message.from);
    const put = await putMessageOnce(table, { message, rawEvent, eventId: message.eventId, claim, expiresAt, senderHash });
    if (put.stored) {
      if (put.rawOmitted) logger.warn('message stored without its raw copy', { messageId: message.id, rawOmitted: put.rawOmitted });
      await forwardClaimed(message, claim, inbox, logger);
      return { kind: 'stored', messageId: message.id, ...(put.rawOmitted ? { rawOmitted: put.rawOmitted } : {}) };
    }
    // Only the event that stored it forwards it: the same SMS through another webhook (another
    // event_id) was forwarded by its first delivery, or will be by that delivery's redelivery.
    // Copies of that event (a CALLR retry, an SQS redelivery) may run at the same moment, in one
    // batch even: only the one that holds the claim forwards, the others are duplicates.
    const { existing } = put;
    if (
      existing.createdByEventId === message.eventId &&
      existing.forwardedAt === null &&
      (await claimForward(table, message.id, { claim, staleBefore: new Date(now.getTime() - FORWARD_CLAIM_STALE_AFTER_MS) }))
    ) {
      await forwardClaimed(existing.message, claim, inbox, logger);
      return { kind: 'forwarded_on_redelivery', messageId: message.id };
    }
    return { kind: 'duplicate', messageId: message.id };
  }

  /**
   * Publish (with the rest of the batch), then mark, holding `claim`. On failure the claim is given
   * back and the error thrown, so SQS redelivers the event and the redelivery forwards.
   */
  async function forwardClaimed(message: InboundMessage, claim: ForwardClaim, inbox: InboxBatch, logger: Logger): Promise<void> {
    try {
      await inbox.publish(inboundInboxMessage(message));
      await markMessageForwarded(table, message.id, deps.now());
    } catch (error) {
      await releaseClaimAfterFailure(message.id, claim, logger);
      throw error;
    }
  }

  /** Best effort: a claim left behind only delays the redelivery's forward until it goes stale. */
  async function releaseClaimAfterFailure(messageId: string, claim: ForwardClaim, logger: Logger): Promise<void> {
    try {
      await releaseForwardClaim(table, messageId, claim);
    } catch (error) {
      logger.warn('could not release the forward claim; it goes stale in time for the redelivery', {
        error,
        messageId,
        staleAfterMs: FORWARD_CLAIM_STALE_AFTER_MS,
      });
    }
  }

  async function persistStatus(event: SmsStatusEvent, rawEvent: Buffer, attemptToken: string, logger: Logger): Promise<PersistOutcome> {
    const now = deps.now();
    const status = toOutboundStatus(event, now);
    logger.appendKeys({ from: status.from, to: status.to });
    const expiresAt = expiresAtFor('statuses', now, deps.config.retention ?? {});
    const recipientHash = hashNumber(await deps.numberHashKey.load(), status.to);
    const result = await applyStatusUpdate(table, { status, rawEvent, writeToken: attemptToken, expiresAt, recipientHash });
    // Stale or not: the stored (newest) status may still wait for its forward, after a failed one.
    const forwarded = await forwardStoredStatus(table, status.id, publishOutcome);
    logger.info('status of an SMS', { messageId: status.id, forward: forwarded });
    if (!result.applied) return { kind: 'status_stale', messageId: status.id };
    if (result.rawOmitted) logger.warn('status stored without its raw copy', { messageId: status.id, rawOmitted: result.rawOmitted });
    return { kind: 'status_applied', messageId: status.id, ...(result.rawOmitted ? { rawOmitted: result.rawOmitted } : {}) };
  }

  /** Throws when the dead-letter queue cannot take it: the record then stays on the ingest queue. */
  async function deadLetter(record: SQSRecord, reason: PersistDeadLetterReason, detail: string): Promise<PersistOutcome> {
    await sendToQueue(
      deps.sqs,
      deps.config.deadLetterQueueUrl,
      withDeadLetterReason(queueMessageFromRecord(record), { source: 'persist', reason, detail }),
    );
    return { kind: 'dead_lettered', reason, detail };
  }

  function countOutcome(outcome: PersistOutcome): void {
    if (outcome.kind !== 'dead_lettered') {
      deps.metrics.addMetric(PERSIST_METRIC[outcome.kind], MetricUnit.Count, 1);
      if ('rawOmitted' in outcome && outcome.rawOmitted) deps.metrics.addMetric(RAW_OMITTED_METRIC, MetricUnit.Count, 1);
      return;
    }
    // A single metric, flushed at once: dimensions on the shared instance would leak into every
    // other metric of the batch, and records run concurrently.
    const metric = deps.metrics.singleMetric();
    metric.addDimension('reason', outcome.reason);
    metric.addMetric(PERSIST_METRIC.dead_lettered, MetricUnit.Count, 1);
  }

  return async (event, context) => {
    const processor = new BatchProcessor(EventType.SQS);
    const inbox = createInboxBatch(event.Records.length, (messages) => publishToInbox(deps.sns, deps.config.inboxTopicArn, messages));
    // In parallel (Powertools' default, stated because the shared publication relies on it).
    return processPartialResponse(event, (record: SQSRecord) => processRecord(record, inbox), processor, {
      context,
      processInParallel: true,
    });
  };
}
