import type { SNSClient } from '@aws-sdk/client-sns';
import type { InboxMessage } from '../inbox/message';
import { publishToInbox } from '../inbox/publish';
import { OUTBOX_OUTCOME_SCHEMA_VERSION, outcomeMessageId, type OutboxOutcome } from './outcome';

/**
 * Puts an outbox outcome on the inbox, beside the inbound SMS, encoded as every inbox message is
 * (functions/inbox/message.ts): the body is the outcome as JSON, the attributes let consumers route
 * and de-duplicate without parsing it (`kind`, `messageId`, `schemaVersion`, `to`).
 *
 * The sender and the persister take a `PublishOutcome` (tests pass their own); their entries and
 * local mode give them `inboxTopicPublisher`: the inbox topic, whose every subscriber gets it.
 */
export type PublishOutcome = (outcome: OutboxOutcome) => Promise<void>;

export function outcomeInboxMessage(outcome: OutboxOutcome): InboxMessage {
  return {
    kind: outcome.kind,
    messageId: outcomeMessageId(outcome),
    schemaVersion: OUTBOX_OUTCOME_SCHEMA_VERSION,
    ...(outcome.to ? { to: outcome.to } : {}),
    body: outcome,
  };
}

/** One SNS PublishBatch entry to the inbox topic; a message SNS did not take throws, for the caller's retry. */
export function inboxTopicPublisher(sns: SNSClient, topicArn: string): PublishOutcome {
  return async (outcome) => {
    const [result] = await publishToInbox(sns, topicArn, [outcomeInboxMessage(outcome)]);
    if (!result?.published) throw result?.error ?? new Error('the inbox topic did not take the outcome');
  };
}
