import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { queueArn } from '../../local/provision';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { loadPersistConfig } from '../../functions/persist/config';
import { createObservability } from '../../functions/observability/observability';
import { EXPIRES_AT_ATTRIBUTE } from '../../functions/privacy/retention';
import { hashNumber } from '../../functions/privacy/number-hash';
import { numberHashKeyBytes } from '../../functions/privacy/number-hash-key';
import { TEST_NUMBER_HASH_KEY, testNumberHashKey } from '../support/number-hash-key';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { deliverAsSqsEvent, drainQueue, ingestQueueMessage, moEventBody, statusEventBody, type QueueRef } from '../support/sqs-events';

/**
 * Retention (issue 10): the persister sets each item's TTL attribute from its kind's retention when
 * it writes it, through the Lambda's environment contract; without a retention it sets none.
 */
const NOW = new Date('2024-05-01T10:00:05.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const DAY = 86_400;

describe('persist retention', () => {
  let env: TestEnvironment;
  let ingestQueue: QueueRef;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    env = await startTestEnvironment();
    ingestQueue = { sqs: env.clients.sqs, queueUrl: env.ingestQueueUrl, queueArn: await queueArn(env.clients.sqs, env.ingestQueueUrl), region: env.region };
  });
  afterAll(() => env.stop());
  afterEach(() => drainQueue(env.clients.sqs, env.inboxQueueUrl));

  const persist = (retentionEnv: Record<string, string>) =>
    createPersistHandler({
      config: loadPersistConfig({
        TABLE_NAME: env.tableName,
        DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl,
        INBOX_TOPIC_ARN: env.inboxTopicArn,
        ...retentionEnv,
      }),
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => NOW,
      numberHashKey: testNumberHashKey(),
      ...createObservability('persist'),
    });
  const item = async (hash: string, sk: string) =>
    (await env.clients.documents.send(new GetCommand({ TableName: env.tableName, Key: { pk: `sms#${hash}`, sk }, ConsistentRead: true }))).Item;

  it('expires messages and statuses each after its own retention', async () => {
    const handler = persist({ RETENTION_INBOUND_MESSAGES_SECONDS: String(30 * DAY), RETENTION_STATUSES_SECONDS: String(10 * DAY) });
    const event = await deliverAsSqsEvent(ingestQueue, [
      ingestQueueMessage(moEventBody({ eventId: 'retention-mo-1', hash: 'RETAIN01' })),
      ingestQueueMessage(statusEventBody({ eventId: 'retention-st-1', hash: 'RETAIN02', eventAt: NOW, status: 'DELIVERED' })),
    ]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect((await item('RETAIN01', 'message'))?.[EXPIRES_AT_ATTRIBUTE]).toBe(NOW_SECONDS + 30 * DAY);
    expect((await item('RETAIN02', 'status'))?.[EXPIRES_AT_ATTRIBUTE]).toBe(NOW_SECONDS + 10 * DAY);
  });

  it('expires opt-out evidence after its own retention', async () => {
    const handler = persist({ RETENTION_OPT_OUT_EVIDENCE_SECONDS: String(400 * DAY), RETENTION_INBOUND_MESSAGES_SECONDS: String(30 * DAY) });
    const sender = '+33612000111';
    const event = await deliverAsSqsEvent(ingestQueue, [ingestQueueMessage(moEventBody({ eventId: 'retention-stop-1', hash: 'RETAIN05', from: sender, to: '38100', text: 'STOP' }))]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const key = numberHashKeyBytes(TEST_NUMBER_HASH_KEY, 'test key');
    const optOut = (await env.clients.documents.send(new GetCommand({ TableName: env.tableName, Key: { pk: `optout#${hashNumber(key, sender)}`, sk: 'to#38100' }, ConsistentRead: true }))).Item;
    expect(optOut).toMatchObject({ optedOut: true, [EXPIRES_AT_ATTRIBUTE]: NOW_SECONDS + 400 * DAY });
    expect((await item('RETAIN05', 'message'))?.[EXPIRES_AT_ATTRIBUTE]).toBe(NOW_SECONDS + 30 * DAY);
  });

  it('keeps items without expiry when no retention is set (the default)', async () => {
    const event = await deliverAsSqsEvent(ingestQueue, [
      ingestQueueMessage(moEventBody({ eventId: 'retention-mo-2', hash: 'RETAIN03' })),
      ingestQueueMessage(statusEventBody({ eventId: 'retention-st-2', hash: 'RETAIN04', eventAt: NOW, status: 'DELIVERED' })),
    ]);
    expect(await persist({})(event)).toEqual({ batchItemFailures: [] });
    expect(await item('RETAIN03', 'message')).not.toHaveProperty(EXPIRES_AT_ATTRIBUTE);
    expect(await item('RETAIN04', 'status')).not.toHaveProperty(EXPIRES_AT_ATTRIBUTE);
  });
});
