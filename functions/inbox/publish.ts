import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { InboxPublishError } from './errors';
import { encodeInboxMessage, type EncodedInboxMessage, type InboxMessage } from './message';

/** The outcome for one message of a publishToInbox call. */
export type InboxPublishResult =
  | { readonly published: true; readonly message: InboxMessage; readonly snsMessageId: string }
  | { readonly published: false; readonly message: InboxMessage; readonly error: InboxPublishError };

/** Entries per PublishBatch request. */
export const PUBLISH_BATCH_MAX_ENTRIES = 10;

/** SNS's limit on one message, and on all the messages of one PublishBatch request together. */
export const SNS_MAX_PAYLOAD_BYTES = 262_144;

/**
 * Publishes inbox messages to the inbox topic: one PublishBatch request per 10 messages (SNS's
 * most), fewer when their size would take a request past SNS's 256 KiB, all requests at once.
 * Never throws for a message SNS did not take: each result says, in the order given, whether its
 * message was published, so that a caller holding one claim per message gives back exactly the
 * claims of the failed ones. A request that failed as a whole fails each of its messages, with
 * the SDK error as `cause`.
 *
 * Delivery is at least once: a request whose answer was lost is sent again by the SDK's retries,
 * and SNS has no de-duplication on standard topics. Consumers de-duplicate on `messageId`.
 */
export async function publishToInbox(sns: SNSClient, topicArn: string, messages: readonly InboxMessage[]): Promise<InboxPublishResult[]> {
  const results: InboxPublishResult[] = new Array(messages.length);
  const sendable: Array<{ readonly index: number; readonly encoded: EncodedInboxMessage; readonly bytes: number }> = [];
  messages.forEach((message, index) => {
    const encoded = encodeInboxMessage(message);
    const bytes = payloadBytes(encoded);
    if (bytes > SNS_MAX_PAYLOAD_BYTES) {
      const error = new InboxPublishError(
        `inbox message ${message.messageId} is ${bytes} bytes with its attributes; SNS takes at most ${SNS_MAX_PAYLOAD_BYTES}`,
        'message_too_large',
        true,
      );
      results[index] = { published: false, message, error };
    } else {
      sendable.push({ index, encoded, bytes });
    }
  });

  await Promise.all(
    chunkBySize(sendable).map(async (chunk) => {
      // The entry id is the message's place in the call: unique in the request, and SNS's charset.
      const entries: PublishBatchRequestEntry[] = chunk.map(({ index, encoded }) => ({ Id: String(index), ...encoded }));
      let answer;
      try {
        answer = await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }));
      } catch (cause) {
        for (const { index } of chunk) {
          const message = messages[index] as InboxMessage;
          const error = new InboxPublishError(`publishing inbox message ${message.messageId} failed: ${(cause as Error).message}`, (cause as Error).name, false, { cause });
          results[index] = { published: false, message, error };
        }
        return;
      }
      for (const entry of answer.Successful ?? []) {
        const index = Number(entry.Id);
        results[index] = { published: true, message: messages[index] as InboxMessage, snsMessageId: entry.MessageId ?? '' };
      }
      for (const entry of answer.Failed ?? []) {
        const index = Number(entry.Id);
        const message = messages[index] as InboxMessage;
        const code = entry.Code ?? 'unknown';
        const error = new InboxPublishError(`SNS refused inbox message ${message.messageId}: ${code}${entry.Message ? ` (${entry.Message})` : ''}`, code, entry.SenderFault === true);
        results[index] = { published: false, message, error };
      }
      for (const { index } of chunk) {
        if (results[index]) continue;
        // Neither successful nor failed: SNS's answer left it out. Unknown is not published.
        const message = messages[index] as InboxMessage;
        results[index] = { published: false, message, error: new InboxPublishError(`SNS did not answer for inbox message ${message.messageId}`, 'no_answer', false) };
      }
    }),
  );
  return results;
}

/** What SNS counts against its limit: the body and each attribute's name, type and value. */
function payloadBytes(encoded: EncodedInboxMessage): number {
  let bytes = Buffer.byteLength(encoded.Message);
  for (const [name, value] of Object.entries(encoded.MessageAttributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/** In order, at most 10 entries and 256 KiB to a request. */
function chunkBySize<T extends { readonly bytes: number }>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    if (current.length === PUBLISH_BATCH_MAX_ENTRIES || currentBytes + item.bytes > SNS_MAX_PAYLOAD_BYTES) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
