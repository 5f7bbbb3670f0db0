import type { SQSClient } from '@aws-sdk/client-sqs';
import { InboundMessage } from '../messages/inbound-message';
import type { QueueMessage } from './queue-message';
import { sendToQueue } from './send';
import { toSqsSafeJson } from './sqs-safe-json';

/**
 * The inbox queue: what downstream services consume. Each message body is one `InboundMessage`
 * as JSON (docs/message.schema.json), non-ASCII characters written as `\uXXXX` escapes so that
 * SQS accepts any text; any JSON parser reads it back unchanged.
 *
 * Delivery is once per stored SMS, except in one window: a crash between the send and the mark
 * that records it sends it again on redelivery. Downstream de-duplicates on `messageId`.
 */
export const INBOX_ATTRIBUTE = {
  /** The CALLR SMS id in upper case (= `id` in the body, whichever CALLR format it came in): the de-duplication key for consumers. */
  messageId: 'messageId',
  /** `schemaVersion` of the body, readable without parsing it. */
  schemaVersion: 'schemaVersion',
} as const;

export function encodeInboxMessage(message: InboundMessage): QueueMessage {
  return {
    MessageBody: toSqsSafeJson(message),
    MessageAttributes: {
      [INBOX_ATTRIBUTE.messageId]: { DataType: 'String', StringValue: message.id },
      [INBOX_ATTRIBUTE.schemaVersion]: { DataType: 'Number', StringValue: String(message.schemaVersion) },
    },
  };
}

/** For consumers and tests: the body back into a validated message; throws a ZodError if it is not one. */
export function decodeInboxMessage(body: string): InboundMessage {
  return InboundMessage.parse(JSON.parse(body));
}

export function forwardToInbox(sqs: SQSClient, inboxQueueUrl: string, message: InboundMessage): Promise<string> {
  return sendToQueue(sqs, inboxQueueUrl, encodeInboxMessage(message));
}
