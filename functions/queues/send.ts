import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueMessage } from './queue-message';

/** Sends one message; SDK errors propagate so the caller can fail closed (5xx, batch failure). */
export async function sendToQueue(sqs: SQSClient, queueUrl: string, message: QueueMessage): Promise<string> {
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...message }));
  return MessageId ?? '';
}

/** SQS takes at most 10 entries per batch, and 1 MiB in all; batches here stay well below the size. */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 256 * 1024;

/**
 * Sends messages in batches of up to 10. An entry SQS refuses throws (with every id it refused),
 * after the batch's other entries went: the caller sends again, and what it sends must therefore
 * be safe to send twice (the ingest queue's events are: the persister de-duplicates them).
 */
export async function sendAllToQueue(sqs: SQSClient, queueUrl: string, messages: readonly QueueMessage[]): Promise<void> {
  const batches: QueueMessage[][] = [];
  let batch: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.MessageBody) + Buffer.byteLength(JSON.stringify(message.MessageAttributes));
    if (batch.length === BATCH_ENTRIES || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);

  for (const entries of batches) {
    const { Failed } = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.map((message, index) => ({ Id: String(index), ...message })) }),
    );
    if (Failed && Failed.length > 0) {
      const reasons = Failed.map((failure) => `${failure.Code ?? 'error'}${failure.SenderFault ? ' (sender fault)' : ''}`);
      throw new Error(`SQS refused ${Failed.length} of ${entries.length} messages for ${queueUrl}: ${[...new Set(reasons)].join(', ')}`);
    }
  }
}
