import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueMessage } from './queue-message';

/** Sends one message; SDK errors propagate so the caller can fail closed (5xx, batch failure). */
export async function sendToQueue(sqs: SQSClient, queueUrl: string, message: QueueMessage): Promise<string> {
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...message }));
  return MessageId ?? '';
}
