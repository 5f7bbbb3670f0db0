import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import { randomBytes } from 'node:crypto';
import { DynamoDBServiceException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchResultErrorEntry, PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createLocalClients, type LocalClients } from '../../local/aws-clients';
import { queueArn } from '../../local/provision';
import { parseCallrEventBytes } from '../../functions/callr/events';
import { toInboundMessage } from '../../functions/messages/inbound-message';
import { getMessage, getRawEvent, putMessageOnce, type MessageTable } from '../../functions/messages/message-store';
import { getOutboundStatus } from '../../functions/messages/status-store';
import { createPersistHandler, type PersistDependencies, type PersistHandler } from '../../functions/persist/create-persist-handler';
import { testNumberHashKey } from '../support/number-hash-key';
import { decodeInboxMessage } from '../../functions/inbox/message';
import { INGEST_VISIBILITY_TIMEOUT_SECONDS, PERSIST_TIMEOUT_SECONDS } from '../../functions/queues/queue-design';
import { ATTRIBUTE, type QueueMessage } from '../../functions/queues/queue-message';
import { createObservability } from '../../functions/observability/observability';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { loseAnswers, marshalledPk, type LostAnswer } from '../support/lost-answers';
import {
  deliverAsSqsEvent,
  drainQueue,
  ingestQueueMessage,
  moEventBody,
  statusEventBody,
  type MoEventOptions,
  type QueueRef,
} from '../support/sqs-events';
import { isOptedOut } from '../../functions/optouts/registry';

const NOW = new Date('2024-05-01T10:00:05.000Z');

type PrintedLog = Record<string, unknown> & { level?: string; message?: string };

/** A logger at DEBUG that keeps what it (and its children) would print, instead of printing it. */
function recordingLogger(printed: PrintedLog[]): Logger {
  class RecordingLogger extends Logger {
    protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
      return new RecordingLogger(options);
    }
    protected override printLog(_logLevel: number, log: LogItem): void {
      printed.push(log.getAttributes() as PrintedLog);
    }
  }
  return new RecordingLogger({ serviceName: 'persist-test', logLevel: 'DEBUG' });
}

describe('persist handler', () => {
  let env: TestEnvironment;
  let ingestQueue: QueueRef;
  let table: MessageTable;
  let clientsToDestroy: LocalClients[];

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    env = await startTestEnvironment();
    ingestQueue = {
      sqs: env.clients.sqs,
      queueUrl: env.ingestQueueUrl,
      queueArn: await queueArn(env.clients.sqs, env.ingestQueueUrl),
      region: env.region,
    };
    table = { documents: env.clients.documents, tableName: env.tableName };
    clientsToDestroy = [];
  });
  afterAll(async () => {
    for (const clients of clientsToDestroy) clients.destroy();
    await env.stop();
  });
  beforeEach(async () => {
    await Promise.all([env.ingestQueueUrl, env.inboxQueueUrl, env.deadLetterQueueUrl].map((url) => drainQueue(env.clients.sqs, url)));
  });

  function dependencies(overrides: Partial<PersistDependencies> = {}): PersistDependencies {
    return {
      config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: env.inboxTopicArn },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => NOW,
      numberHashKey: testNumberHashKey(),
      ...createObservability('persist'),
      ...overrides,
    };
  }

  function persistHandler(overrides: Partial<PersistDependencies> = {}): PersistHandler {
    return createPersistHandler(dependencies(overrides));
  }

  /** A queue URL on the same emulator that names no queue: every send to it fails. */
  const missingQueueUrl = (): string => env.inboxQueueUrl.replace(/[^/]+$/, 'no-such-queue');
  /** A topic ARN on the same emulator that names no topic: every publication to it fails. */
  const missingTopicArn = (): string => env.inboxTopicArn.replace(/[^:]+$/, 'no-such-topic');

  const moMessage = (options: MoEventOptions): QueueMessage => ingestQueueMessage(moEventBody(options));
  const deliver = (...messages: QueueMessage[]): Promise<SQSEvent> => deliverAsSqsEvent(ingestQueue, messages);
  const inbox = (): Promise<Message[]> => drainQueue(env.clients.sqs, env.inboxQueueUrl);
  const deadLetters = (): Promise<Message[]> => drainQueue(env.clients.sqs, env.deadLetterQueueUrl);
  const messageIdsOf = (messages: Message[]): string[] =>
    messages.map((message) => message.MessageAttributes?.messageId?.StringValue ?? '(none)').sort();

  async function deleteMessageItem(hash: string): Promise<void> {
    await env.clients.documents.send(new DeleteCommand({ TableName: env.tableName, Key: { pk: `sms#${hash}`, sk: 'message' } }));
  }

  async function storedItem(hash: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await env.clients.documents.send(
      new GetCommand({ TableName: env.tableName, Key: { pk: `sms#${hash}`, sk: 'message' }, ConsistentRead: true }),
    );
    return Item;
  }

  describe('opt-outs', () => {
    const TEST_NUMBER_HASH_KEY = testNumberHashKey().current()!;
    const SENDER = '+33612999001';
    const OURS = '+33199001234';
    const optedOut = () => isOptedOut(table, TEST_NUMBER_HASH_KEY, SENDER);

    it('applies a STOP before storing, says so on the forwarded message, and a later START lifts it', async () => {
      const stop = moMessage({ eventId: 'stop-event', hash: 'STOP0001', from: SENDER, to: OURS, text: 'Stop', receivedAt: new Date('2024-05-01T10:00:00Z') });
      expect(await persistHandler()(await deliver(stop))).toEqual({ batchItemFailures: [] });

      expect(await optedOut()).toBe(true);
      expect((await inbox()).map((message) => decodeInboxMessage(message.Body ?? ''))).toEqual([
        expect.objectContaining({ id: 'STOP0001', keyword: 'STOP', optOut: 'stop' }),
      ]);

      const start = moMessage({ eventId: 'start-event', hash: 'START001', from: SENDER, to: OURS, text: 'START', receivedAt: new Date('2024-05-01T10:01:00Z') });
      // The STOP redelivered with the START: the START is later, and wins.
      expect(await persistHandler()(await deliver(start, stop))).toEqual({ batchItemFailures: [] });
      expect(await optedOut()).toBe(false);
      expect(messageIdsOf(await inbox())).toEqual(['START001']);
      expect(await getMessage(table, 'START001')).toMatchObject({ optOut: 'start' });
    });

    it('flags a near miss on the message and applies nothing', async () => {
      const sender = '+33612999002';
      const nearMiss = moMessage({ eventId: 'near-miss-event', hash: 'NEAR0001', from: sender, text: 'stop svp' });
      expect(await persistHandler()(await deliver(nearMiss))).toEqual({ batchItemFailures: [] });

      expect(await getMessage(table, 'NEAR0001')).toMatchObject({ keyword: 'STOP', suspectedOptOut: true });
      expect(await getMessage(table, 'NEAR0001')).not.toHaveProperty('optOut');
      expect(await isOptedOut(table, TEST_NUMBER_HASH_KEY, sender)).toBe(false);
      await inbox();
    });

    it('fails the records, storing nothing, when the number hash key cannot be loaded; the redelivery applies them', async () => {
      const sender = '+33612999003';
      const stop = moMessage({ eventId: 'no-key-event', hash: 'NOKEY001', from: sender, text: 'ARRET' });
      // Beside it, a message without a stop word: it needs the key too, for its sender's entry in
      // the byNumberHash index (erasure), so it is not stored without it either.
      const hello = moMessage({ eventId: 'no-key-hello', hash: 'NOKEY002', from: sender, text: 'hello' });
      const event = await deliver(stop, hello);

      // Every record failed: Powertools fails the whole invocation, and SQS delivers the batch again.
      const unavailable = { load: () => Promise.reject(new Error('secret unavailable')), current: () => undefined };
      await expect(persistHandler({ numberHashKey: unavailable })(event)).rejects.toThrow(/All records failed processing/);
      expect(await getMessage(table, 'NOKEY001')).toBeUndefined();
      expect(await getMessage(table, 'NOKEY002')).toBeUndefined();
      expect(await inbox()).toEqual([]);

      expect(await persistHandler()(await deliver(stop, hello))).toEqual({ batchItemFailures: [] });
      expect(await isOptedOut(table, TEST_NUMBER_HASH_KEY, sender)).toBe(true);
      expect(messageIdsOf(await inbox())).toEqual(['NOKEY001', 'NOKEY002']);
    });

    it('uses the configured words', async () => {
      const sender = '+33612999004';
      const halt = moMessage({ eventId: 'halt-event', hash: 'HALT0001', from: sender, text: 'halt!' });
      const handler = persistHandler({
        config: { ...dependencies().config, optOutWords: { stop: ['HALT'], start: ['RESUME'] } },
      });
      expect(await handler(await deliver(halt))).toEqual({ batchItemFailures: [] });
      expect(await isOptedOut(table, TEST_NUMBER_HASH_KEY, sender)).toBe(true);
      await inbox();
    });
  });

  describe('inbound SMS', () => {
    it('stores a new message, forwards it to the inbox and keeps the raw event', async () => {
      const raw = moEventBody({ eventId: 'new-event-1', hash: 'NEW00001' });
      const event = await deliver(ingestQueueMessage(raw));

      expect(await persistHandler()(event)).toEqual({ batchItemFailures: [] });

      const stored = await getMessage(table, 'NEW00001');
      const forwarded = await inbox();
      expect(forwarded.map((message) => decodeInboxMessage(message.Body ?? ''))).toEqual([stored]);
      expect(forwarded[0]?.MessageAttributes).toEqual({
        kind: { DataType: 'String', StringValue: 'sms.mo' },
        messageId: { DataType: 'String', StringValue: 'NEW00001' },
        schemaVersion: { DataType: 'Number', StringValue: '1' },
        to: { DataType: 'String', StringValue: stored?.to },
        keyword: { DataType: 'String', StringValue: 'HELLO' },
      });
      expect(stored?.keyword).toBe('HELLO');
      expect(stored).toMatchObject({ id: 'NEW00001', eventId: 'new-event-1', storedAt: NOW.toISOString() });
      expect(await storedItem('NEW00001')).toMatchObject({ createdByEventId: 'new-event-1', forwardedAt: NOW.toISOString() });
      expect((await getRawEvent(table, 'NEW00001', 'message'))?.equals(raw)).toBe(true);
    });

    it('stores and forwards the same event delivered twice only once', async () => {
      const handler = persistHandler();
      const message = moMessage({ eventId: 'twice-event', hash: 'TWICE001' });

      expect(await handler(await deliver(message))).toEqual({ batchItemFailures: [] });
      expect(await handler(await deliver(message))).toEqual({ batchItemFailures: [] });

      expect(messageIdsOf(await inbox())).toEqual(['TWICE001']);
    });

    it('stores and forwards once the same SMS delivered under two event ids (global and per-SMS webhook)', async () => {
      const global = moMessage({ eventId: 'global-hook-event', hash: 'BOTH0001', hookHash: 'IAYHJ6F3' });
      const perSms = moMessage({ eventId: 'per-sms-hook-event', hash: 'BOTH0001', hookHash: null });

      // In one batch, processed concurrently: whichever wins the write forwards.
      expect(await persistHandler()(await deliver(global, perSms))).toEqual({ batchItemFailures: [] });
      // And again later, one after the other.
      expect(await persistHandler()(await deliver(perSms))).toEqual({ batchItemFailures: [] });

      expect(messageIdsOf(await inbox())).toEqual(['BOTH0001']);
      expect(['global-hook-event', 'per-sms-hook-event']).toContain((await getMessage(table, 'BOTH0001'))?.eventId);
    });

    it('forwards once when two copies of the same event are processed in one batch', async () => {
      const gated = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      clientsToDestroy.push(gated);
      let signalDuplicateRead: () => void = () => undefined;
      const duplicateRead = new Promise<void>((resolve) => (signalDuplicateRead = resolve));
      const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
      gated.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          // The copy that lost the put reads what is stored (a consistent read of the item).
          const input = args.input as { ConsistentRead?: boolean; Key?: { pk?: { S?: string } } };
          if (input.ConsistentRead && input.Key?.pk?.S === 'sms#SAME0001') signalDuplicateRead();
          return result;
        },
        { step: 'build', name: 'signalDuplicateRead' },
      );
      gated.sns.middlewareStack.add(
        (next) => async (args) => {
          // Holds the creator between its put and its inbox publication until the other copy has
          // read the item: the moment the reviewer's race needs, made certain instead of likely.
          if ((args.input as { TopicArn?: string }).TopicArn === env.inboxTopicArn) await Promise.race([duplicateRead, giveUp]);
          return next(args);
        },
        { step: 'build', name: 'holdInboxSend' },
      );
      const message = moMessage({ eventId: 'same-event', hash: 'SAME0001' });
      const event = await deliver(message, message);

      expect(await persistHandler({ documents: gated.documents, sns: gated.sns })(event)).toEqual({ batchItemFailures: [] });

      expect(messageIdsOf(await inbox())).toEqual(['SAME0001']);
      expect(await storedItem('SAME0001')).toMatchObject({ createdByEventId: 'same-event', forwardedAt: NOW.toISOString() });
    });

    it('forwards on redelivery a message whose first forward failed', async () => {
      const message = moMessage({ eventId: 'retry-event', hash: 'RETRY001' });
      const brokenInbox = persistHandler({
        config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: missingTopicArn() },
      });

      // Given: stored, but the inbox refused it, so the record failed (a status in the same batch did not).
      const firstDelivery = await deliver(
        message,
        ingestQueueMessage(statusEventBody({ eventId: 'retry-status', hash: 'RETRYMT1', eventAt: NOW, status: 'SENT' })),
      );
      expect(await brokenInbox(firstDelivery)).toEqual({
        batchItemFailures: [{ itemIdentifier: firstDelivery.Records[0]!.messageId }],
      });
      expect(await storedItem('RETRY001')).not.toHaveProperty('forwardedAt');
      expect(await storedItem('RETRY001')).not.toHaveProperty('forwardClaim');
      // When: the same SMS arrives through the other webhook, then SQS redelivers the first event.
      const otherWebhook = moMessage({ eventId: 'other-hook-event', hash: 'RETRY001', hookHash: null });
      expect(await persistHandler()(await deliver(otherWebhook))).toEqual({ batchItemFailures: [] });
      expect(await inbox()).toEqual([]);
      expect(await persistHandler()(await deliver(message))).toEqual({ batchItemFailures: [] });
      // Then: forwarded exactly once, by the redelivery of the event that stored it.
      expect(messageIdsOf(await inbox())).toEqual(['RETRY001']);
      expect(await storedItem('RETRY001')).toMatchObject({ forwardedAt: NOW.toISOString() });
      expect(await persistHandler()(await deliver(message))).toEqual({ batchItemFailures: [] });
      expect(await inbox()).toEqual([]);
    });

    it('gives the claim back when the mark fails after the send, so the redelivery forwards again (at least once)', async () => {
      const failingMark = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      clientsToDestroy.push(failingMark);
      failingMark.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> };
          const forwardedAtName = Object.entries(input.ExpressionAttributeNames ?? {}).find(([, name]) => name === 'forwardedAt')?.[0];
          if (forwardedAtName && input.UpdateExpression?.includes(`${forwardedAtName} =`)) {
            throw new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: {} });
          }
          return next(args);
        },
        { step: 'build', name: 'failTheMark' },
      );
      const message = moMessage({ eventId: 'mark-fail-event', hash: 'MARKFAIL' });
      const firstDelivery = await deliver(
        message,
        ingestQueueMessage(statusEventBody({ eventId: 'mark-fail-status', hash: 'MARKFAMT', eventAt: NOW, status: 'SENT' })),
      );

      expect(await persistHandler({ documents: failingMark.documents })(firstDelivery)).toEqual({
        batchItemFailures: [{ itemIdentifier: firstDelivery.Records[0]!.messageId }],
      });
      expect(messageIdsOf(await inbox())).toEqual(['MARKFAIL']);
      const afterFailure = await storedItem('MARKFAIL');
      expect(afterFailure).not.toHaveProperty('forwardedAt');
      expect(afterFailure).not.toHaveProperty('forwardClaim');

      expect(await persistHandler()(await deliver(message))).toEqual({ batchItemFailures: [] });
      expect(messageIdsOf(await inbox())).toEqual(['MARKFAIL']);
      expect(await storedItem('MARKFAIL')).toMatchObject({ forwardedAt: NOW.toISOString() });
    });

    it.each([
      ['holds off a copy while the claim is fresh (its holder may still be forwarding)', PERSIST_TIMEOUT_SECONDS, []],
      ["takes a stale claim over on the dead holder's redelivery, after the visibility timeout", INGEST_VISIBILITY_TIMEOUT_SECONDS, ['CRASH001']],
    ])('%s', async (_label, secondsLater, forwarded) => {
      // Given: the delivery that stored the message died before forwarding it; its claim stays.
      const raw = moEventBody({ eventId: 'crash-event', hash: 'CRASH001' });
      const parsed = parseCallrEventBytes(raw);
      if (!parsed.ok || !parsed.handled || parsed.event.type !== 'sms.mo') throw new Error('test event does not parse');
      await deleteMessageItem('CRASH001');
      const deadAttempt = { token: 'attempt-that-crashed', at: NOW };
      await putMessageOnce(table, { message: toInboundMessage(parsed.event, NOW), rawEvent: raw, eventId: 'crash-event', claim: deadAttempt });
      const later = new Date(NOW.getTime() + secondsLater * 1000);

      // When: the same event comes back.
      expect(await persistHandler({ now: () => later })(await deliver(ingestQueueMessage(raw)))).toEqual({ batchItemFailures: [] });

      // Then: forwarded only once the claim is stale.
      expect(messageIdsOf(await inbox())).toEqual(forwarded);
    });

    describe.each<LostAnswer>(['internal_server_error', 'connection_reset'])('when DynamoDB commits a write but its answer is lost (%s)', (how) => {
      function losing(operation: string, hash: string): { documents: PersistDependencies['documents']; lost: () => number } {
        const clients = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
        clientsToDestroy.push(clients);
        const lost = loseAnswers(clients.dynamodb, { operation, how, matches: (input) => marshalledPk(input) === `sms#${hash}` });
        return { documents: clients.documents, lost: lost.count };
      }

      it('stores and forwards exactly once when the answer to the put is lost and its retry fails the condition', async () => {
        const hash = how === 'internal_server_error' ? 'LOSTPUT5' : 'LOSTPUTR';
        const { documents, lost } = losing('PutItem', hash);
        const deps = dependencies({ documents });
        const message = moMessage({ eventId: `lost-put-${how}`, hash });

        expect(await createPersistHandler(deps)(await deliver(message))).toEqual({ batchItemFailures: [] });

        expect(lost()).toBe(1);
        expect(messageIdsOf(await inbox())).toEqual([hash]);
        expect(await storedItem(hash)).toMatchObject({ createdByEventId: `lost-put-${how}`, forwardedAt: NOW.toISOString() });
        expect(deps.metrics.serializeMetrics() as unknown as Record<string, unknown>).toMatchObject({ stored: 1 });
        // And its redelivery changes nothing.
        expect(await persistHandler()(await deliver(message))).toEqual({ batchItemFailures: [] });
        expect(await inbox()).toEqual([]);
      });

      it("forwards exactly once on redelivery when the answer to the redelivery's claim is lost", async () => {
        const hash = how === 'internal_server_error' ? 'LOSTCLM5' : 'LOSTCLMR';
        const message = moMessage({ eventId: `lost-claim-${how}`, hash });
        const brokenInbox = persistHandler({
          config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: missingTopicArn() },
        });
        // Given: stored, but the inbox refused it; the claim was given back and the record failed.
        await expect(brokenInbox(await deliver(message))).rejects.toMatchObject({ name: 'FullBatchFailureError' });
        const { documents, lost } = losing('UpdateItem', hash);

        expect(await persistHandler({ documents })(await deliver(message))).toEqual({ batchItemFailures: [] });

        expect(lost()).toBe(1);
        expect(messageIdsOf(await inbox())).toEqual([hash]);
        expect(await storedItem(hash)).toMatchObject({ forwardedAt: NOW.toISOString() });
      });

      it('records an applied status as applied when the answer to its put is lost', async () => {
        const hash = how === 'internal_server_error' ? 'LOSTSTA5' : 'LOSTSTAR';
        const { documents, lost } = losing('PutItem', hash);
        const deps = dependencies({ documents });
        const body = statusEventBody({ eventId: `lost-status-${how}`, hash, eventAt: NOW, status: 'DELIVERED' });

        expect(await createPersistHandler(deps)(await deliver(ingestQueueMessage(body)))).toEqual({ batchItemFailures: [] });

        expect(lost()).toBe(1);
        expect(await getOutboundStatus(table, hash)).toMatchObject({ status: 'DELIVERED', eventId: `lost-status-${how}` });
        expect(deps.metrics.serializeMetrics() as unknown as Record<string, unknown>).toMatchObject({ statusApplied: 1 });
      });
    });

    it('reports only the record that hit a transient DynamoDB error, and stores the others', async () => {
      const throttled = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      clientsToDestroy.push(throttled);
      throttled.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          // By the build step the document client has marshalled the item.
          const item = (args.input as { Item?: { pk?: { S?: string } } }).Item;
          if (item?.pk?.S === 'sms#THROTTLE') {
            throw new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: {} });
          }
          return next(args);
        },
        { step: 'build', name: 'throttleOneItem' },
      );
      const event = await deliver(
        moMessage({ eventId: 'batch-event-1', hash: 'BATCH001' }),
        moMessage({ eventId: 'batch-event-2', hash: 'THROTTLE' }),
        moMessage({ eventId: 'batch-event-3', hash: 'BATCH003' }),
      );

      const response = await persistHandler({ documents: throttled.documents })(event);

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
      expect(messageIdsOf(await inbox())).toEqual(['BATCH001', 'BATCH003']);
      expect(await getMessage(table, 'THROTTLE')).toBeUndefined();
    });

    it('processes the records of a batch concurrently', async () => {
      const observed = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      clientsToDestroy.push(observed);
      let inFlight = 0;
      let peak = 0;
      let releaseAll: () => void = () => undefined;
      const allArrived = new Promise<void>((resolve) => (releaseAll = resolve));
      const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      observed.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          if (inFlight === 3) releaseAll();
          // A barrier: every put waits for the other two, or, if records ran one by one, gives up
          // so that the test fails on `peak` instead of hanging.
          await Promise.race([allArrived, giveUp]);
          try {
            return await next(args);
          } finally {
            inFlight -= 1;
          }
        },
        { step: 'build', name: 'countConcurrentPuts' },
      );
      const event = await deliver(
        moMessage({ eventId: 'parallel-1', hash: 'PARALL01' }),
        moMessage({ eventId: 'parallel-2', hash: 'PARALL02' }),
        moMessage({ eventId: 'parallel-3', hash: 'PARALL03' }),
      );

      expect(await persistHandler({ documents: observed.documents })(event)).toEqual({ batchItemFailures: [] });
      expect(peak).toBe(3);
    });

    it('sends emoji and U+FFFE through the inbox unchanged', async () => {
      const text = 'Vote 👍🏽 for 🐙 \ufffe Ça va? 你好';
      await persistHandler()(await deliver(moMessage({ eventId: 'unicode-event', hash: 'UNICODE1', text })));

      const [forwarded] = await inbox();
      expect(decodeInboxMessage(forwarded?.Body ?? '').text).toBe(text);
      expect((await getMessage(table, 'UNICODE1'))?.text).toBe(text);
    });
  });

  describe('the inbox publication of a batch', () => {
    /** SNS clients whose PublishBatch requests are counted, and optionally answered "refused" for some messages. */
    function publishing(refuse: (messageId: string) => { code: string; senderFault: boolean } | undefined = () => undefined) {
      const clients = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      clientsToDestroy.push(clients);
      const requests: string[][] = [];
      clients.sns.middlewareStack.add(
        (next) => async (args) => {
          type Entry = { Id?: string; MessageAttributes?: Record<string, { StringValue?: string }> };
          const input = args.input as { PublishBatchRequestEntries?: Entry[] };
          const entries = input.PublishBatchRequestEntries ?? [];
          const idOf = (entry: Entry) => entry.MessageAttributes?.messageId?.StringValue ?? '';
          requests.push(entries.map(idOf));
          // What SNS does with an entry it refuses: not published, reported in Failed.
          const refused = entries.flatMap((entry): BatchResultErrorEntry[] => {
            const refusal = refuse(idOf(entry));
            return refusal ? [{ Id: entry.Id, Code: refusal.code, SenderFault: refusal.senderFault, Message: 'refused by the test' }] : [];
          });
          const kept = entries.filter((entry) => !refused.some((failure) => failure.Id === entry.Id));
          if (kept.length === 0) return { output: { Successful: [], Failed: refused, $metadata: {} } satisfies PublishBatchCommandOutput, response: undefined };
          const result = await next({ ...args, input: { ...input, PublishBatchRequestEntries: kept } });
          const output = result.output as PublishBatchCommandOutput;
          return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...refused] } satisfies PublishBatchCommandOutput };
        },
        { step: 'initialize', name: 'countAndRefusePublications' },
      );
      return { sns: clients.sns, requests };
    }

    it('publishes the new messages of a batch of 10 in one request and marks each forwarded', async () => {
      const { sns, requests } = publishing();
      const handler = persistHandler({ sns });
      const already = moMessage({ eventId: 'batch-known', hash: 'KNOWN001' });
      expect(await handler(await deliver(already))).toEqual({ batchItemFailures: [] });
      await inbox();
      requests.length = 0;
      const hashes = Array.from({ length: 8 }, (_, index) => `ONEREQ0${index}`);

      const event = await deliver(
        ...hashes.map((hash) => moMessage({ eventId: `one-request-${hash}`, hash })),
        ingestQueueMessage(statusEventBody({ eventId: 'one-request-status', hash: 'ONEREQMT', eventAt: NOW, status: 'SENT' })),
        already,
      );

      expect(await handler(event)).toEqual({ batchItemFailures: [] });
      expect(requests).toEqual([expect.arrayContaining(hashes)]);
      expect(requests[0]).toHaveLength(8);
      expect(messageIdsOf(await inbox())).toEqual(hashes);
      for (const hash of hashes) expect(await storedItem(hash)).toMatchObject({ forwardedAt: NOW.toISOString() });
    });

    it('fails only the record whose message SNS refused for now, gives its claim back, and its redelivery forwards it', async () => {
      const { sns, requests } = publishing((messageId) => (messageId === 'REFUSED1' ? { code: 'InternalError', senderFault: false } : undefined));
      const event = await deliver(
        moMessage({ eventId: 'refused-1', hash: 'REFUSED1' }),
        moMessage({ eventId: 'refused-2', hash: 'ACCEPTD2' }),
        moMessage({ eventId: 'refused-3', hash: 'ACCEPTD3' }),
      );

      expect(await persistHandler({ sns })(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });

      expect(requests).toHaveLength(1);
      expect(messageIdsOf(await inbox())).toEqual(['ACCEPTD2', 'ACCEPTD3']);
      const refused = await storedItem('REFUSED1');
      expect(refused).not.toHaveProperty('forwardedAt');
      expect(refused).not.toHaveProperty('forwardClaim');
      expect(await persistHandler()(await deliver(moMessage({ eventId: 'refused-1', hash: 'REFUSED1' })))).toEqual({ batchItemFailures: [] });
      expect(messageIdsOf(await inbox())).toEqual(['REFUSED1']);
    });

    it('dead-letters, as inbox_rejected, a stored message SNS can never take, keeps it stored, and forwards the rest of the batch', async () => {
      const tooLarge = moMessage({ eventId: 'too-large-for-sns', hash: 'SNSLARGE', text: 'x'.repeat(270_000) });
      const event = await deliver(tooLarge, moMessage({ eventId: 'fits-in-sns', hash: 'SNSFITS1' }));

      expect(await persistHandler()(event)).toEqual({ batchItemFailures: [] });

      expect(messageIdsOf(await inbox())).toEqual(['SNSFITS1']);
      const [deadLetter, ...others] = await deadLetters();
      expect(others).toEqual([]);
      expect(deadLetter?.Body).toBe(tooLarge.MessageBody);
      expect(deadLetter?.MessageAttributes?.deadLetterReason).toEqual({ DataType: 'String', StringValue: 'inbox_rejected' });
      const stored = await storedItem('SNSLARGE');
      expect(stored).toMatchObject({ createdByEventId: 'too-large-for-sns' });
      expect(stored).not.toHaveProperty('forwardedAt');
      expect(stored).not.toHaveProperty('forwardClaim');
    });
  });

  describe('records that can never succeed', () => {
    const CALL_EVENT = Buffer.from(
      JSON.stringify({ event_id: 'call-event', event_at: '2024-05-01T10:00:00.000Z', type: 'call.hangup', data: {} }),
    );
    const withEncoding = (message: QueueMessage, encoding: string): QueueMessage => ({
      ...message,
      MessageAttributes: { ...message.MessageAttributes, [ATTRIBUTE.bodyEncoding]: { DataType: 'String', StringValue: encoding } },
    });

    it.each([
      ['an unknown body encoding', withEncoding(moMessage({ eventId: 'poison-1', hash: 'POISON01' }), 'rot13'), 'unknown_body_encoding', 'unknown body encoding: rot13'],
      ['invalid JSON', ingestQueueMessage(Buffer.from('{"event_id": "poison-2",'), { eventId: 'poison-2' }), 'invalid_json', expect.stringMatching(/JSON/)],
      ['an invalid shape', ingestQueueMessage(Buffer.from('{"event_id":"poison-3","type":"sms.mo"}')), 'invalid_shape', expect.stringMatching(/event_at/)],
      ['an unhandled event type', ingestQueueMessage(CALL_EVENT), 'unhandled_event_type', 'the persister does not handle "call.hangup" events'],
    ])('dead-letters %s with the reason and the original attributes, and counts it handled', async (_label, message, reason, detail) => {
      const event = await deliver(message, moMessage({ eventId: 'healthy-event', hash: `OK_${reason}` }));

      expect(await persistHandler()(event)).toEqual({ batchItemFailures: [] });

      const [deadLetter, ...others] = await deadLetters();
      expect(others).toEqual([]);
      expect(deadLetter?.Body).toBe(message.MessageBody);
      expect(deadLetter?.MessageAttributes).toEqual({
        ...message.MessageAttributes,
        deadLetterReason: { DataType: 'String', StringValue: reason },
        deadLetterDetail: { DataType: 'String', StringValue: detail },
        deadLetterSource: { DataType: 'String', StringValue: 'persist' },
      });
      expect(messageIdsOf(await inbox())).toEqual([`OK_${reason}`.toUpperCase()]);
    });

    it('logs why a record was dead-lettered at warn, and the detail, which can quote the body, only at debug', async () => {
      const printed: PrintedLog[] = [];
      const body = 'PIN 4321 not json';
      const event = await deliver(ingestQueueMessage(Buffer.from(body)), moMessage({ eventId: 'logged-event', hash: 'LOGGED01' }));

      expect(await persistHandler({ logger: recordingLogger(printed) })(event)).toEqual({ batchItemFailures: [] });

      const sqsMessageId = event.Records[0]!.messageId;
      const detail = `Unexpected token 'P', "${body}" is not valid JSON`;
      const [deadLetter] = await deadLetters();
      expect(deadLetter?.MessageAttributes?.deadLetterDetail).toEqual({ DataType: 'String', StringValue: detail });
      const about = printed.filter((log) => log.sqsMessageId === sqsMessageId);
      expect(about.map(({ level, message, reason, detail }) => ({ level, message, reason, detail }))).toEqual([
        { level: 'WARN', message: 'record dead-lettered', reason: 'invalid_json', detail: undefined },
        { level: 'DEBUG', message: 'dead-letter detail', reason: 'invalid_json', detail },
      ]);
      expect(JSON.stringify(printed.filter((log) => log.level !== 'DEBUG'))).not.toContain('4321');
    });

    describe('an item DynamoDB can never take (400 KB limit, ValidationException)', () => {
      /** Text that gzip cannot shrink much, so that the raw copy costs nearly its own size again. */
      const incompressibleText = (bytes: number): string => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);

      it('stores an authentic message without its raw copy when the copy would take the item past 400 KB, flags and counts it, and forwards it', async () => {
        const text = incompressibleText(240 * 1024);
        const deps = dependencies();
        const event = await deliver(moMessage({ eventId: 'large-event', hash: 'LARGE001', text }));

        expect(await createPersistHandler(deps)(event)).toEqual({ batchItemFailures: [] });

        expect((await getMessage(table, 'LARGE001'))?.text).toBe(text);
        expect(await storedItem('LARGE001')).toMatchObject({ rawOmitted: 'too_large', forwardedAt: NOW.toISOString() });
        expect(await storedItem('LARGE001')).not.toHaveProperty('raw');
        expect(await getRawEvent(table, 'LARGE001', 'message')).toBeUndefined();
        expect(messageIdsOf(await inbox())).toEqual(['LARGE001']);
        expect(await deadLetters()).toEqual([]);
        expect(deps.metrics.serializeMetrics() as unknown as Record<string, unknown>).toMatchObject({ stored: 1, rawOmitted: 1 });
      });

      it('dead-letters at once, with the reason, a message too large to store even without its raw copy', async () => {
        const message = moMessage({ eventId: 'huge-event', hash: 'HUGE0001', text: incompressibleText(410 * 1024) });
        const event = await deliver(message, moMessage({ eventId: 'beside-huge', hash: 'BESIDEHU' }));

        expect(await persistHandler()(event)).toEqual({ batchItemFailures: [] });

        const [deadLetter, ...others] = await deadLetters();
        expect(others).toEqual([]);
        expect(deadLetter?.Body).toBe(message.MessageBody);
        expect(deadLetter?.MessageAttributes).toMatchObject({
          deadLetterReason: { DataType: 'String', StringValue: 'item_too_large' },
          deadLetterDetail: { DataType: 'String', StringValue: expect.stringMatching(/HUGE0001 .*exceeds DynamoDB's 400 KB item limit even without its raw copy/) },
          deadLetterSource: { DataType: 'String', StringValue: 'persist' },
        });
        expect(await storedItem('HUGE0001')).toBeUndefined();
        expect(messageIdsOf(await inbox())).toEqual(['BESIDEHU']);
      });

      it('dead-letters at once, with the reason, a write DynamoDB refuses as invalid, instead of letting SQS retry it five times', async () => {
        const refusing = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
        clientsToDestroy.push(refusing);
        let refused = 0;
        refusing.dynamodb.middlewareStack.add(
          (next) => async (args) => {
            if (marshalledPk(args.input as Record<string, unknown>) === 'sms#INVALID1' && 'Item' in (args.input as object)) {
              refused += 1;
              throw new DynamoDBServiceException({
                name: 'ValidationException',
                $fault: 'client',
                $metadata: { httpStatusCode: 400 },
                message: 'One or more parameter values were invalid: Number overflow',
              });
            }
            return next(args);
          },
          { step: 'build', name: 'refuseOneItem' },
        );
        const message = moMessage({ eventId: 'invalid-event', hash: 'INVALID1' });
        const event = await deliver(message, ingestQueueMessage(statusEventBody({ eventId: 'invalid-status', hash: 'INVALID1', eventAt: NOW, status: 'SENT' })));

        expect(await persistHandler({ documents: refusing.documents })(event)).toEqual({ batchItemFailures: [] });

        expect(refused).toBe(2);
        const letters = await deadLetters();
        expect(letters.map((letter) => letter.MessageAttributes?.deadLetterReason?.StringValue)).toEqual(['store_rejected', 'store_rejected']);
        expect(letters.map((letter) => letter.MessageAttributes?.deadLetterDetail?.StringValue)).toEqual([
          'DynamoDB refused the write: One or more parameter values were invalid: Number overflow',
          'DynamoDB refused the write: One or more parameter values were invalid: Number overflow',
        ]);
        expect(await inbox()).toEqual([]);
      });
    });

    it('leaves the record on the queue when the dead-letter queue refuses it', async () => {
      const event = await deliver(ingestQueueMessage(Buffer.from('not json')), moMessage({ eventId: 'dlq-down-event', hash: 'DLQDOWN1' }));
      const brokenDeadLetterQueue = persistHandler({
        config: { tableName: env.tableName, deadLetterQueueUrl: missingQueueUrl(), inboxTopicArn: env.inboxTopicArn },
      });

      expect(await brokenDeadLetterQueue(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
      expect(messageIdsOf(await inbox())).toEqual(['DLQDOWN1']);
    });
  });

  describe('outbound statuses', () => {
    it.each([
      ['in order', ['PENDING', 'SENT', 'DELIVERED']],
      ['newest first', ['DELIVERED', 'SENT', 'PENDING']],
      ['newest in the middle', ['SENT', 'DELIVERED', 'PENDING']],
    ])('keeps the newest status whatever the arrival order: %s', async (label, arrival) => {
      const hash = `MT-${label.replace(/\W/g, '')}`;
      const minuteOf = { PENDING: 1, SENT: 2, DELIVERED: 3 } as Record<string, number>;
      const handler = persistHandler();
      for (const status of arrival) {
        const body = statusEventBody({ eventId: `${hash}-${status}`, hash, eventAt: new Date(Date.UTC(2024, 4, 1, 10, minuteOf[status]!)), status });
        expect(await handler(await deliver(ingestQueueMessage(body)))).toEqual({ batchItemFailures: [] });
      }

      expect(await getOutboundStatus(table, hash)).toMatchObject({
        id: hash,
        status: 'DELIVERED',
        eventId: `${hash}-DELIVERED`,
        eventAt: '2024-05-01T10:03:00.000Z',
      });
      expect(await inbox()).toEqual([]);
    });

    it('keeps the newest status when all arrive in one batch', async () => {
      const event = await deliver(
        ...['SENT', 'DELIVERED', 'PENDING'].map((status, index) =>
          ingestQueueMessage(
            statusEventBody({ eventId: `batch-${status}`, hash: 'MTBATCH1', eventAt: new Date(Date.UTC(2024, 4, 1, 10, [2, 3, 1][index]!)), status }),
          ),
        ),
      );

      expect(await persistHandler()(event)).toEqual({ batchItemFailures: [] });
      expect(await getOutboundStatus(table, 'MTBATCH1')).toMatchObject({ status: 'DELIVERED', eventId: 'batch-DELIVERED' });
    });

  });

  it('fails the invocation when every record fails, so that Lambda retries the batch and counts an error', async () => {
    const event = await deliver(moMessage({ eventId: 'all-fail-1', hash: 'ALLFAIL1' }), moMessage({ eventId: 'all-fail-2', hash: 'ALLFAIL2' }));
    const brokenInbox = persistHandler({
      config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: missingTopicArn() },
    });

    await expect(brokenInbox(event)).rejects.toMatchObject({ name: 'FullBatchFailureError' });
  });

  it('counts each outcome', async () => {
    const deps = dependencies();
    const handler = createPersistHandler(deps);
    const message = moMessage({ eventId: 'metric-event', hash: 'METRIC01' });

    await handler(await deliver(message));
    await handler(await deliver(message, ingestQueueMessage(statusEventBody({ eventId: 'metric-status', hash: 'METRICMT', eventAt: NOW, status: 'SENT' }))));

    const emf = deps.metrics.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf).toMatchObject({ stored: 1, duplicate: 1, statusApplied: 1 });
  });
});
