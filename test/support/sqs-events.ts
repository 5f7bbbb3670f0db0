import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { formatCallrDate } from '../../functions/callr/dates';
import { encodeEventMessage, type QueueMessage } from '../../functions/queues/queue-message';
import { sendToQueue } from '../../functions/queues/send';
import { toLambdaSqsRecord } from '../../local/sqs-event-source';
import { smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';
import { callrBody } from './http-api-events';

/**
 * Factories for the persist Lambda's input: CALLR event bodies shaped like the fixtures, queued
 * the way the ingest Lambda queues them, received from a real (emulated) queue and turned into
 * the SQS event Lambda's event source mapping would deliver.
 */

// ---------- CALLR event bodies ----------

export interface MoEventOptions {
  readonly eventId: string;
  readonly hash: string;
  readonly eventAt?: Date;
  readonly hookHash?: string | null;
  readonly from?: string;
  readonly to?: string;
  readonly text?: string;
  readonly receivedAt?: Date;
}

/** An `sms.mo` body: the fixture with the given fields replaced. */
export function moEventBody(options: MoEventOptions): Buffer {
  const receivedAt = formatCallrDate(options.receivedAt ?? new Date('2024-05-01T10:00:00Z'));
  const given = { from: options.from, to: options.to, text: options.text };
  return callrBody(smsMoBody(), {
    eventId: options.eventId,
    eventAt: options.eventAt ?? options.receivedAt ?? new Date('2024-05-01T10:00:00Z'),
    data: {
      hash: options.hash,
      ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
      date_creation: receivedAt,
      date_update: receivedAt,
      date_received: receivedAt,
    },
    edit: (event) => {
      if (options.hookHash !== undefined) event.hook_hash = options.hookHash;
    },
  });
}

export interface StatusEventOptions {
  readonly eventId: string;
  readonly hash: string;
  readonly eventAt: Date;
  readonly status: string;
  readonly statusError?: string;
}

/** An `sms.mt.status_update` body: the fixture with the given fields replaced. */
export function statusEventBody(options: StatusEventOptions): Buffer {
  return callrBody(smsStatusBody(), {
    eventId: options.eventId,
    eventAt: options.eventAt,
    data: {
      hash: options.hash,
      status: options.status,
      status_error: options.statusError ?? '',
      date_update: formatCallrDate(options.eventAt),
      status_history: [
        { old_status: 'CREATED', new_status: 'PENDING', updated_at: '2016-05-04 12:29:30' },
        { old_status: 'PENDING', new_status: options.status, updated_at: formatCallrDate(options.eventAt) },
      ],
    },
  });
}

/** What the ingest Lambda puts on the ingest queue for a verified body. */
export function ingestQueueMessage(rawBody: Buffer, metadata: { eventType?: string; eventId?: string } = {}): QueueMessage {
  let parsed: { type?: unknown; event_id?: unknown } = {};
  try {
    parsed = JSON.parse(rawBody.toString('utf8')) as typeof parsed;
  } catch {
    // Not JSON: the ingest Lambda would have quarantined it; tests use it to reach the persister's own check.
  }
  return encodeEventMessage(rawBody, {
    eventType: metadata.eventType ?? (typeof parsed.type === 'string' ? parsed.type : undefined),
    eventId: metadata.eventId ?? (typeof parsed.event_id === 'string' ? parsed.event_id : undefined),
    receivedAt: '2024-05-01T10:00:01.000Z',
    requestId: 'test-request',
  });
}

// ---------- queue to Lambda event ----------

export interface QueueRef {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
}

/** One received SQS message in the shape Lambda hands to a function (as local mode's poller builds it). */
export function toSqsRecord(message: Message, queue: Pick<QueueRef, 'queueArn' | 'region'>): SQSRecord {
  return toLambdaSqsRecord(message, { eventSourceARN: queue.queueArn, awsRegion: queue.region });
}

/** Receives (and deletes) everything currently on a queue. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const received: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return received;
    received.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/**
 * Sends the messages to the queue and receives them back as one Lambda SQS event, in the order
 * given, so a test can name records by position. The queue must be empty beforehand.
 */
export async function deliverAsSqsEvent(queue: QueueRef, messages: readonly QueueMessage[]): Promise<SQSEvent> {
  const sentIds: string[] = [];
  for (const message of messages) sentIds.push(await sendToQueue(queue.sqs, queue.queueUrl, message));
  const received = await drainQueue(queue.sqs, queue.queueUrl);
  const byId = new Map(received.map((message) => [message.MessageId, message]));
  return {
    Records: sentIds.map((id) => {
      const message = byId.get(id);
      if (!message) throw new Error(`message ${id} was sent but not received back`);
      return toSqsRecord(message, queue);
    }),
  };
}
