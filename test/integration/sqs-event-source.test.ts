import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { waitFor } from '../support/wait';
import { queueArn } from '../../local/provision';
import {
  InvalidEventSourceOptionsError,
  readBatchResponse,
  startSqsEventSource,
  type RunningSqsEventSource,
  type SqsBatchHandler,
  type SqsEventSourceLogger,
  type SqsEventSourceOptions,
} from '../../local/sqs-event-source';

/** Short enough that failed records come back within a test, long enough to tell "hidden" from "gone". */
const VISIBILITY_TIMEOUT_SECONDS = 1;

function recordingLogger() {
  const entries: Array<{ level: 'info' | 'warn' | 'error'; message: string }> = [];
  const record =
    (level: 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      entries.push({ level, message: String(args[0]) });
    };
  const logger: SqsEventSourceLogger = { info: record('info'), warn: record('warn'), error: record('error') };
  return { logger, entries };
}

/** Polls a condition until it holds or the deadline passes: every wait in these tests is bounded. */
function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

describe('local SQS event source (Lambda event source mapping on fauxqs)', () => {
  let env: TestEnvironment;
  let queueCounter = 0;
  const running: RunningSqsEventSource[] = [];

  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((source) => source.stop()));
  });
  afterAll(() => env.stop());

  async function createQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await env.clients.sqs.send(
      new CreateQueueCommand({
        QueueName: `event-source-${process.pid}-${++queueCounter}`,
        Attributes: { VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS), ...attributes },
      }),
    );
    return { url: QueueUrl!, arn: await queueArn(env.clients.sqs, QueueUrl!) };
  }

  async function createQueueWithDeadLetterQueue(maxReceiveCount: number) {
    const deadLetterQueue = await createQueue();
    const queue = await createQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount }),
    });
    return { queue, deadLetterQueue };
  }

  async function send(queueUrl: string, body: string, attributes?: Record<string, MessageAttributeValue>): Promise<string> {
    const { MessageId } = await env.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
    );
    return MessageId!;
  }

  async function sendMany(queueUrl: string, bodies: string[]): Promise<void> {
    for (let start = 0; start < bodies.length; start += 10) {
      await env.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
    }
  }

  async function messagesLeft(queueUrl: string): Promise<{ visible: number; hidden: number }> {
    const { Attributes } = await env.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages),
      hidden: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
    };
  }

  /** A handler that records every event and answers per record with the test's rule. */
  function recordingHandler(answer: (event: SQSEvent, call: number) => Promise<SQSBatchResponse | void> = async () => undefined) {
    const events: SQSEvent[] = [];
    const handler: SqsBatchHandler = async (event) => {
      events.push(event);
      return answer(event, events.length);
    };
    const deliveries = () => events.flatMap((event) => event.Records);
    return { handler, events, deliveries };
  }

  async function start(options: Partial<SqsEventSourceOptions> & Pick<SqsEventSourceOptions, 'queueUrl' | 'handler'>) {
    const logs = recordingLogger();
    const source = await startSqsEventSource({
      sqs: env.clients.sqs,
      region: env.region,
      waitTimeSeconds: 1,
      logger: logs.logger,
      ...options,
    });
    running.push(source);
    return { source, logs };
  }

  it('refuses to call a stopped source idle: nothing drains its queue any more', async () => {
    const queue = await createQueue();
    const { source } = await start({ queueUrl: queue.url, handler: recordingHandler().handler });
    await source.stop();
    await send(queue.url, 'left behind');
    await expect(source.idle(1000)).rejects.toThrow(/stopped before the queue was idle/);
  });

  it('delivers records shaped exactly as Lambda builds them', async () => {
    const queue = await createQueue();
    const withAttributes = await send(queue.url, '{"event_id":"e-1"}', {
      eventType: { DataType: 'String', StringValue: 'sms.mo' },
      attempt: { DataType: 'Number', StringValue: '3' },
      raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
    });
    const plain = await send(queue.url, 'plain text ✓');
    const consumer = recordingHandler();

    const { source, logs } = await start({ queueUrl: queue.url, handler: consumer.handler });
    await source.idle();

    expect(logs.entries.filter((entry) => entry.level !== 'info')).toEqual([
      { level: 'warn', message: 'queue has no RedrivePolicy: failing messages will be retried forever' },
    ]);
    const byBody = [...consumer.deliveries()].sort((a, b) => a.body.localeCompare(b.body));
    const systemAttributes = {
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d{13}$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
    };
    expect(byBody).toEqual<SQSRecord[]>([
      {
        messageId: withAttributes,
        receiptHandle: expect.any(String),
        body: '{"event_id":"e-1"}',
        attributes: systemAttributes,
        messageAttributes: {
          eventType: { stringValue: 'sms.mo', stringListValues: [], binaryListValues: [], dataType: 'String' },
          attempt: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
          raw: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
        },
        md5OfBody: md5('{"event_id":"e-1"}'),
        md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: env.region,
      },
      {
        messageId: plain,
        receiptHandle: expect.any(String),
        body: 'plain text ✓',
        attributes: systemAttributes,
        messageAttributes: {},
        md5OfBody: md5('plain text ✓'),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: env.region,
      },
    ]);
    expect(await messagesLeft(queue.url)).toEqual({ visible: 0, hidden: 0 });
  });

  it.each([
    { size: 'the default 10', batchSize: undefined, messages: 12, expectedBatches: [10, 2] },
    { size: '3', batchSize: 3, messages: 7, expectedBatches: [3, 3, 1] },
  ])('hands $messages messages out in batches of up to $size', async ({ batchSize, messages, expectedBatches }) => {
    const queue = await createQueue();
    const bodies = Array.from({ length: messages }, (_, index) => `message-${index}`);
    await sendMany(queue.url, bodies);
    const consumer = recordingHandler();

    const { source, logs } = await start({ queueUrl: queue.url, handler: consumer.handler, batchSize });
    await source.idle();

    expect(consumer.events.map((event) => event.Records.length)).toEqual(expectedBatches);
    expect(consumer.deliveries().map((record) => record.body).sort()).toEqual([...bodies].sort());
    expect(source.stats).toEqual({
      received: messages,
      succeeded: messages,
      failed: 0,
      batches: expectedBatches.length,
      failedBatches: 0,
      sqsErrors: 0,
    });
    expect(logs.entries.filter((entry) => entry.level === 'error')).toEqual([]);
  });

  it('deletes the records that succeeded and redelivers only the failed one after the visibility timeout', async () => {
    const queue = await createQueue();
    await sendMany(queue.url, ['first', 'second', 'third']);
    const consumer = recordingHandler(async (event, call) => {
      const failed = call === 1 ? event.Records.filter((record) => record.body === 'second') : [];
      return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    const { source } = await start({ queueUrl: queue.url, handler: consumer.handler });
    await source.idle();

    expect(
      consumer.events.map((event) =>
        event.Records.map((record) => ({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount })),
      ),
    ).toEqual([
      [
        { body: 'first', receiveCount: '1' },
        { body: 'second', receiveCount: '1' },
        { body: 'third', receiveCount: '1' },
      ],
      [{ body: 'second', receiveCount: '2' }],
    ]);
    expect(await messagesLeft(queue.url)).toEqual({ visible: 0, hidden: 0 });
    expect(source.stats).toMatchObject({ received: 4, succeeded: 3, failed: 1, batches: 2, failedBatches: 0 });
  });

  it.each([
    {
      name: 'throws',
      firstAnswer: async (): Promise<SQSBatchResponse> => {
        throw new Error('database unavailable');
      },
      loggedError: 'handler threw; the whole batch will reappear after the visibility timeout',
    },
    {
      name: 'names a message that is not in the batch',
      firstAnswer: async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }),
      loggedError: 'handler returned an invalid batch response; the whole batch will reappear after the visibility timeout',
    },
    {
      name: 'reports a failure without itemIdentifier',
      firstAnswer: async () => ({ batchItemFailures: [{ itemIdentifier: '' }] }),
      loggedError: 'handler returned an invalid batch response; the whole batch will reappear after the visibility timeout',
    },
    {
      name: 'outlasts its timeout',
      firstAnswer: () => new Promise<void>(() => undefined),
      loggedError: 'handler timed out after 100 ms; the whole batch will reappear after the visibility timeout',
    },
  ])('redelivers the whole batch when the handler $name', async ({ firstAnswer, loggedError }) => {
    const queue = await createQueue();
    await sendMany(queue.url, ['one', 'two']);
    const consumer = recordingHandler(async (_event, call) => (call === 1 ? firstAnswer() : undefined));

    const { source, logs } = await start({ queueUrl: queue.url, handler: consumer.handler, handlerTimeoutMs: 100 });
    await source.idle();

    const [first, second] = consumer.events.map((event) =>
      event.Records.map((record) => ({ id: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount })),
    );
    expect(second).toEqual(first!.map((record) => ({ id: record.id, receiveCount: '2' })));
    expect(consumer.events).toHaveLength(2);
    expect(logs.entries.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual([loggedError]);
    expect(await messagesLeft(queue.url)).toEqual({ visible: 0, hidden: 0 });
    expect(source.stats).toMatchObject({ received: 4, succeeded: 2, failed: 2, batches: 2, failedBatches: 1 });
  });

  it('lets the queue redrive a message to its dead-letter queue after maxReceiveCount failed receives', async () => {
    const maxReceiveCount = 2;
    const { queue, deadLetterQueue } = await createQueueWithDeadLetterQueue(maxReceiveCount);
    const poison = await send(queue.url, 'poison', { reason: { DataType: 'String', StringValue: 'kept' } });
    const consumer = recordingHandler(async (event) => ({
      batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    }));

    const { source, logs } = await start({ queueUrl: queue.url, handler: consumer.handler });
    await source.idle();

    expect(logs.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      'batch partly failed; failed records will reappear after the visibility timeout',
      'batch partly failed; failed records will reappear after the visibility timeout',
    ]);
    const { Messages: deadLetters = [] } = await env.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterQueue.url, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    expect(
      deadLetters.map((message) => ({
        id: message.MessageId,
        body: message.Body,
        reason: message.MessageAttributes?.reason?.StringValue,
      })),
    ).toEqual([{ id: poison, body: 'poison', reason: 'kept' }]);
    expect(consumer.deliveries().map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(await messagesLeft(queue.url)).toEqual({ visible: 0, hidden: 0 });
  });

  it('stop() waits for the batch in flight, deletes it, and polls no more', async () => {
    const queue = await createQueue();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const consumer = recordingHandler(() => released);
    const { source } = await start({ queueUrl: queue.url, handler: consumer.handler });
    await send(queue.url, 'in flight');
    await waitFor('the handler to start', () => consumer.events.length === 1);

    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(await messagesLeft(queue.url)).toEqual({ visible: 0, hidden: 0 });
    await send(queue.url, 'after stop');
    expect(await messagesLeft(queue.url)).toEqual({ visible: 1, hidden: 0 });
    expect(consumer.deliveries().map((record) => record.body)).toEqual(['in flight']);
  });

  it('runs batches side by side with concurrency above 1', async () => {
    const queue = await createQueue();
    await sendMany(queue.url, ['left', 'right']);
    let active = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const consumer = recordingHandler(async () => {
      active += 1;
      await released;
      active -= 1;
    });

    const { source } = await start({ queueUrl: queue.url, handler: consumer.handler, batchSize: 1, concurrency: 2 });
    await waitFor('two batches in flight at once', () => active === 2);
    release();
    await source.idle();

    expect(consumer.events.map((event) => event.Records.map((record) => record.body)).sort()).toEqual([['left'], ['right']]);
  });

  it('logs SQS errors and keeps polling until the queue answers again', async () => {
    const name = `event-source-${process.pid}-recreated`;
    const create = async () =>
      (await env.clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const queueUrl = await create();
    const consumer = recordingHandler();
    const { source, logs } = await start({ queueUrl, handler: consumer.handler });

    await env.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await waitFor('a receive error', () => logs.entries.some((entry) => entry.message.startsWith('receiving from SQS failed')));
    expect(await create()).toBe(queueUrl);
    await send(queueUrl, 'survived');
    await waitFor('the message to be handled', () => consumer.events.length === 1);

    expect(consumer.deliveries().map((record) => record.body)).toEqual(['survived']);
    expect(source.stats.sqsErrors).toBeGreaterThan(0);
  });

  it('refuses invalid options, naming every problem', async () => {
    const attempt = startSqsEventSource({
      sqs: env.clients.sqs,
      queueUrl: env.ingestQueueUrl,
      region: env.region,
      handler: async () => undefined,
      batchSize: 11,
      waitTimeSeconds: 30,
    });

    await expect(attempt).rejects.toThrow(InvalidEventSourceOptionsError);
    await expect(attempt).rejects.toThrow(
      'invalid SQS event source options: batchSize must be an integer from 1 to 10, got 11; waitTimeSeconds must be an integer from 0 to 20, got 30',
    );
  });

  it('refuses to start on a queue that does not exist, naming it', async () => {
    const missing = env.ingestQueueUrl.replace(/[^/]+$/, 'no-such-queue');

    await expect(
      startSqsEventSource({ sqs: env.clients.sqs, queueUrl: missing, region: env.region, handler: async () => undefined }),
    ).rejects.toThrow(`cannot read the attributes of queue ${missing}`);
  });
});

describe('readBatchResponse (Lambda partial batch response rules)', () => {
  const records = [{ messageId: 'm-1' }, { messageId: 'm-2' }] as SQSRecord[];

  it.each([
    { name: 'no response', response: undefined, expected: { ok: true, failedMessageIds: new Set() } },
    { name: 'null', response: null, expected: { ok: true, failedMessageIds: new Set() } },
    { name: 'an empty object', response: {}, expected: { ok: true, failedMessageIds: new Set() } },
    { name: 'null failures', response: { batchItemFailures: null }, expected: { ok: true, failedMessageIds: new Set() } },
    { name: 'no failures', response: { batchItemFailures: [] }, expected: { ok: true, failedMessageIds: new Set() } },
    {
      name: 'one failure',
      response: { batchItemFailures: [{ itemIdentifier: 'm-2' }] },
      expected: { ok: true, failedMessageIds: new Set(['m-2']) },
    },
    {
      name: 'an unknown message id',
      response: { batchItemFailures: [{ itemIdentifier: 'm-9' }] },
      expected: { ok: false, problem: 'itemIdentifier m-9 is not a message of this batch' },
    },
    {
      name: 'an empty itemIdentifier',
      response: { batchItemFailures: [{ itemIdentifier: '' }] },
      expected: { ok: false, problem: 'a batchItemFailures entry has no itemIdentifier' },
    },
    {
      name: 'a misspelt key',
      response: { batchItemFailures: [{ itemIdentifer: 'm-1' }] },
      expected: { ok: false, problem: 'a batchItemFailures entry has no itemIdentifier' },
    },
    {
      name: 'failures that are not a list',
      response: { batchItemFailures: 'm-1' },
      expected: { ok: false, problem: 'batchItemFailures is not an array' },
    },
    { name: 'a string', response: 'ok', expected: { ok: false, problem: 'response is a string, not an object' } },
  ])('$name', ({ response, expected }) => {
    expect(readBatchResponse(response, records)).toEqual(expected);
  });
});
