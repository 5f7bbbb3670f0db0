import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendToQueue } from '../queues/send';
import { toSqsSafeJson } from '../queues/sqs-safe-json';
import { outcomeMessageId, type OutboxOutcome } from './outcome';

/**
 * Puts an outbox outcome on the inbox, beside the inbound SMS: the body is the outcome as JSON
 * (SQS-safe, as inbound messages), the attributes let consumers route and de-duplicate without
 * parsing it (`kind`, `messageId`, `schemaVersion`, `to`).
 *
 * The one place the outbox publishes: when the inbox moves behind a topic, only this changes.
 */
export type PublishOutcome = (outcome: OutboxOutcome) => Promise<void>;

export function inboxQueuePublisher(sqs: SQSClient, inboxQueueUrl: string): PublishOutcome {
  return async (outcome) => {
    const to = outcome.to ?? undefined;
    await sendToQueue(sqs, inboxQueueUrl, {
      MessageBody: toSqsSafeJson(outcome),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: outcome.kind },
        messageId: { DataType: 'String', StringValue: outcomeMessageId(outcome) },
        schemaVersion: { DataType: 'Number', StringValue: String(outcome.schemaVersion) },
        ...(to ? { to: { DataType: 'String', StringValue: to } } : {}),
      },
    });
  };
}
