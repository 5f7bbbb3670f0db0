import type { SQSClient } from '@aws-sdk/client-sqs';
import { INBOX_ATTRIBUTE } from '../inbox/message';
import type { InboundMessage } from '../messages/inbound-message';
import type { QueueMessage } from './queue-message';
import { sendToQueue } from './send';
import { toSqsSafeJson } from './sqs-safe-json';

/**
 * The inbox queue, sent to directly: what the persister does until it publishes to the inbox topic
 * (functions/inbox/), which owns the inbox's attributes and decoding.
 *
 * Delivery is once per stored SMS, except in one window: a crash between the send and the mark
 * that records it sends it again on redelivery. Downstream de-duplicates on `messageId`.
 */
export { decodeInboxMessage, INBOX_ATTRIBUTE } from '../inbox/message';

export function encodeInboxMessage(message: InboundMessage): QueueMessage {
  return {
    MessageBody: toSqsSafeJson(message),
    MessageAttributes: {
      [INBOX_ATTRIBUTE.messageId]: { DataType: 'String', StringValue: message.id },
      [INBOX_ATTRIBUTE.schemaVersion]: { DataType: 'Number', StringValue: String(message.schemaVersion) },
    },
  };
}

export function forwardToInbox(sqs: SQSClient, inboxQueueUrl: string, message: InboundMessage): Promise<string> {
  return sendToQueue(sqs, inboxQueueUrl, encodeInboxMessage(message));
}
