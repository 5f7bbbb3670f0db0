import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { QueueMessage } from '../queues/queue-message';

/**
 * A Lambda SQS record back into the message that was sent, attributes included: what the persister
 * forwards to the dead-letter queue when a record can never succeed, so that an operator can
 * redrive it unchanged once the cause is fixed.
 */
export function queueMessageFromRecord(record: SQSRecord): QueueMessage {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] =
      value.binaryValue !== undefined
        ? { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }
        : { DataType: value.dataType, StringValue: value.stringValue };
  }
  return { MessageBody: record.body, MessageAttributes: attributes };
}

/** A string attribute of a record, as the ingest Lambda set it. */
export function recordAttribute(record: SQSRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
}
