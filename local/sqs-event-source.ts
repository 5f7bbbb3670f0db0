import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createMaskingLogger } from '../functions/observability/observability';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/**
 * A stand-in for Lambda's SQS event source mapping, so local mode invokes the real consumer with
 * the events it gets on AWS: long polling, batches of up to 10, partial batch responses (the
 * mapping is assumed to report batch item failures, as the CDK construct configures it), failed
 * records left to reappear after the visibility timeout.
 *
 * Redrive to the dead-letter queue is the queue's job, as on AWS: fauxqs applies the queue's
 * RedrivePolicy when a message is received once more than maxReceiveCount, so this poller never
 * sees it again. A queue without a RedrivePolicy retries failing messages forever (a warning says so).
 */

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export type SqsEventSourceLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The records' eventSourceARN. @default looked up with GetQueueAttributes */
  readonly queueArn?: string;
  /** The records' awsRegion. */
  readonly region: string;
  readonly handler: SqsBatchHandler;
  /** Records per invocation, 1 to 10. @default 10 */
  readonly batchSize?: number;
  /** Long-polling wait, 0 to 20. Short, so stop() returns quickly. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Overrides the queue's visibility timeout on receive. @default the queue's */
  readonly visibilityTimeoutSeconds?: number;
  /** Pollers running side by side, each with at most one batch in flight. @default 1 */
  readonly concurrency?: number;
  /**
   * Like a Lambda function timeout: a handler still running after this long fails its whole batch
   * (it is not interrupted; its records reappear after the visibility timeout). @default no limit
   */
  readonly handlerTimeoutMs?: number;
  /** How long stop() waits for in-flight batches. @default 10000 */
  readonly drainTimeoutMs?: number;
  readonly logger?: SqsEventSourceLogger;
}

export interface SqsEventSourceStats {
  /** Messages handed to the handler (a redelivery counts again). */
  readonly received: number;
  /** Records the handler succeeded with, deleted from the queue. */
  readonly succeeded: number;
  /** Records that failed, alone or with their whole batch, left to reappear. */
  readonly failed: number;
  readonly batches: number;
  /** Batches that failed as a whole: the handler threw or answered with an invalid response. */
  readonly failedBatches: number;
  /** Failed calls to SQS (receive, delete, release); each is retried. */
  readonly sqsErrors: number;
}

export interface RunningSqsEventSource {
  /** Stops polling and waits (bounded) for in-flight batches; messages received meanwhile are released. */
  stop(): Promise<void>;
  /**
   * Resolves once the queue holds no message (visible, in flight or delayed) and no batch is in
   * flight: everything sent so far has been handled, failed records included once they are
   * redelivered and succeed or are redriven. Rejects after timeoutMs (default 10 s).
   */
  idle(timeoutMs?: number): Promise<void>;
  readonly stats: SqsEventSourceStats;
}

export class InvalidEventSourceOptionsError extends Error {
  override readonly name = 'InvalidEventSourceOptionsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid SQS event source options: ${problems.join('; ')}`);
  }
}

const DEFAULTS = { batchSize: 10, waitTimeSeconds: 1, concurrency: 1, drainTimeoutMs: 10_000, idleTimeoutMs: 10_000 };
const BACKOFF = { initialMs: 200, maxMs: 5000 };
const DELETE_ATTEMPTS = 3;
const IDLE_CHECK_INTERVAL_MS = 25;

export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<RunningSqsEventSource> {
  checkOptions(options);
  const { sqs, queueUrl, handler } = options;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const waitTimeSeconds = options.waitTimeSeconds ?? DEFAULTS.waitTimeSeconds;
  const concurrency = options.concurrency ?? DEFAULTS.concurrency;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs;
  const logger = options.logger ?? createMaskingLogger('local-sqs-event-source');

  const queue = await describeQueue(sqs, queueUrl);
  if (!queue.hasRedrivePolicy) {
    logger.warn('queue has no RedrivePolicy: failing messages will be retried forever', { queueUrl });
  }
  const source = { eventSourceARN: options.queueArn ?? queue.arn, awsRegion: options.region };
  const toRecord = (message: Message) => toLambdaSqsRecord(message, source);

  const stats = { received: 0, succeeded: 0, failed: 0, batches: 0, failedBatches: 0, sqsErrors: 0 };
  const stopSignal = new StopSignal();
  let batchesInFlight = 0;

  async function pollForever(): Promise<void> {
    let backoffMs = BACKOFF.initialMs;
    while (!stopSignal.stopped) {
      let messages: Message[];
      try {
        const output = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = output.Messages ?? [];
        backoffMs = BACKOFF.initialMs;
      } catch (error) {
        stats.sqsErrors += 1;
        logger.error('receiving from SQS failed; retrying', { error, queueUrl, retryInMs: backoffMs });
        await stopSignal.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, BACKOFF.maxMs);
        continue;
      }
      if (stopSignal.stopped) {
        await releaseMessages(messages);
        break;
      }
      if (messages.length === 0) continue;
      batchesInFlight += 1;
      try {
        await processBatch(messages);
      } finally {
        batchesInFlight -= 1;
      }
    }
  }

  async function processBatch(messages: Message[]): Promise<void> {
    const records = messages.map(toRecord);
    stats.batches += 1;
    stats.received += records.length;
    let response: SQSBatchResponse | void;
    try {
      const invocation = handler({ Records: records });
      const { handlerTimeoutMs } = options;
      response = handlerTimeoutMs === undefined ? await invocation : await settleWithin(invocation, handlerTimeoutMs);
    } catch (error) {
      if (error instanceof HandlerTimeoutError) {
        failWholeBatch(records, error.message, {});
      } else {
        failWholeBatch(records, 'handler threw', { error });
      }
      return;
    }
    const outcome = readBatchResponse(response, records);
    if (!outcome.ok) {
      failWholeBatch(records, 'handler returned an invalid batch response', { problem: outcome.problem });
      return;
    }
    const succeeded = records.filter((record) => !outcome.failedMessageIds.has(record.messageId));
    stats.failed += records.length - succeeded.length;
    stats.succeeded += succeeded.length;
    if (outcome.failedMessageIds.size > 0) {
      logger.warn('batch partly failed; failed records will reappear after the visibility timeout', {
        queueUrl,
        failedMessageIds: [...outcome.failedMessageIds],
      });
    }
    await deleteRecords(succeeded);
  }

  function failWholeBatch(records: SQSRecord[], reason: string, details: Record<string, unknown>): void {
    stats.failedBatches += 1;
    stats.failed += records.length;
    logger.error(`${reason}; the whole batch will reappear after the visibility timeout`, {
      ...details,
      queueUrl,
      messageIds: records.map((record) => record.messageId),
    });
  }

  /** Retried a few times; a record whose delete still fails is delivered again, as on AWS. */
  async function deleteRecords(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (let attempt = 1; attempt <= DELETE_ATTEMPTS; attempt += 1) {
      try {
        const output = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
          }),
        );
        if (output.Failed?.length) {
          stats.sqsErrors += 1;
          logger.error('SQS refused to delete some handled messages; they will be delivered again', {
            queueUrl,
            failures: output.Failed,
          });
        }
        return;
      } catch (error) {
        stats.sqsErrors += 1;
        logger.error('deleting handled messages failed', { error, queueUrl, attempt });
        if (attempt < DELETE_ATTEMPTS) await sleep(BACKOFF.initialMs * attempt);
      }
    }
    logger.error('gave up deleting handled messages; they will be delivered again', {
      queueUrl,
      messageIds: records.map((record) => record.messageId),
    });
  }

  /** Messages received while stopping go straight back, rather than waiting out their visibility timeout. */
  async function releaseMessages(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (error) {
      stats.sqsErrors += 1;
      logger.warn('could not release messages received while stopping; they reappear after the visibility timeout', {
        error,
        queueUrl,
      });
    }
  }

  const pollers = Array.from({ length: concurrency }, () =>
    pollForever().catch((error: unknown) => {
      logger.error('SQS poller stopped unexpectedly', { error, queueUrl });
    }),
  );
  let stopping: Promise<void> | undefined;

  return {
    stop() {
      stopping ??= (async () => {
        stopSignal.stop();
        const drained = await withinTimeout(Promise.all(pollers), drainTimeoutMs);
        if (!drained) {
          logger.warn('stopped without waiting for a batch still in flight', { queueUrl, drainTimeoutMs });
        }
      })();
      return stopping;
    },
    async idle(timeoutMs = DEFAULTS.idleTimeoutMs) {
      const deadline = Date.now() + timeoutMs;
      // The queue is asked between two looks at the batches in flight, so a batch that is received
      // or finished meanwhile cannot slip through unseen.
      while (!stopSignal.stopped) {
        if (batchesInFlight === 0 && (await queueIsEmpty(sqs, queueUrl)) && batchesInFlight === 0) return;
        if (Date.now() > deadline) throw new Error(`SQS event source for ${queueUrl} not idle after ${timeoutMs} ms`);
        await stopSignal.sleep(IDLE_CHECK_INTERVAL_MS);
      }
      // Stopped: nothing drains the queue any more, so "idle" would be a claim nobody checked.
      throw new Error(`SQS event source for ${queueUrl} was stopped before the queue was idle`);
    },
    get stats() {
      return { ...stats };
    },
  };
}

/** Lambda's SQS record, built from a received message (also used by tests and benchmarks). */
export function toLambdaSqsRecord(message: Message, source: { readonly eventSourceARN: string; readonly awsRegion: string }): SQSRecord {
  const { eventSourceARN, awsRegion } = source;
  const {
    ApproximateReceiveCount = '',
    SentTimestamp = '',
    SenderId = '',
    ApproximateFirstReceiveTimestamp = '',
    ...otherSystemAttributes
  } = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, ...otherSystemAttributes },
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
}

function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return Object.fromEntries(
    Object.entries(attributes ?? {}).map(([name, value]) => [
      name,
      {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map(base64),
        dataType: value.DataType ?? 'String',
      },
    ]),
  );
}

type BatchResponseOutcome = { ok: true; failedMessageIds: Set<string> } | { ok: false; problem: string };

/**
 * Lambda's rules: no response, or no or empty batchItemFailures, is full success; a failure
 * entry without a non-empty itemIdentifier naming a record of the batch fails the whole batch.
 */
export function readBatchResponse(response: unknown, records: readonly SQSRecord[]): BatchResponseOutcome {
  if (response === undefined || response === null) return { ok: true, failedMessageIds: new Set() };
  if (typeof response !== 'object') return { ok: false, problem: `response is a ${typeof response}, not an object` };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { ok: true, failedMessageIds: new Set() };
  if (!Array.isArray(failures)) return { ok: false, problem: 'batchItemFailures is not an array' };
  const batchIds = new Set(records.map((record) => record.messageId));
  const failedMessageIds = new Set<string>();
  for (const failure of failures as unknown[]) {
    const itemIdentifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof itemIdentifier !== 'string' || itemIdentifier === '') {
      return { ok: false, problem: 'a batchItemFailures entry has no itemIdentifier' };
    }
    if (!batchIds.has(itemIdentifier)) {
      return { ok: false, problem: `itemIdentifier ${itemIdentifier} is not a message of this batch` };
    }
    failedMessageIds.add(itemIdentifier);
  }
  return { ok: true, failedMessageIds };
}

async function describeQueue(sqs: SQSClient, queueUrl: string): Promise<{ arn: string; hasRedrivePolicy: boolean }> {
  let attributes: Record<string, string> | undefined;
  try {
    ({ Attributes: attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }),
    ));
  } catch (error) {
    throw new Error(`cannot read the attributes of queue ${queueUrl}: ${(error as Error).message}`, { cause: error });
  }
  if (!attributes?.QueueArn) throw new Error(`queue ${queueUrl} has no QueueArn`);
  return { arn: attributes.QueueArn, hasRedrivePolicy: Boolean(attributes.RedrivePolicy) };
}

async function queueIsEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  try {
    const counts = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ] as const;
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...counts] }),
    );
    return counts.every((name) => Attributes[name] === '0');
  } catch {
    return false;
  }
}

function checkOptions(options: SqsEventSourceOptions): void {
  const problems: string[] = [];
  const checkInteger = (name: string, value: number | undefined, min: number, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  };
  checkInteger('batchSize', options.batchSize, 1, 10);
  checkInteger('waitTimeSeconds', options.waitTimeSeconds, 0, 20);
  checkInteger('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, 43_200);
  checkInteger('concurrency', options.concurrency, 1, 100);
  checkInteger('handlerTimeoutMs', options.handlerTimeoutMs, 1, 900_000);
  if (!options.queueUrl) problems.push('queueUrl is required');
  if (!options.region) problems.push('region is required');
  if (problems.length > 0) throw new InvalidEventSourceOptionsError(problems);
}

class StopSignal {
  stopped = false;
  private wakers = new Set<() => void>();

  stop(): void {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Sleeps, cut short by stop(). */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}

class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`handler timed out after ${timeoutMs} ms`);
  }
}

async function settleWithin<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withinTimeout(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([work.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
