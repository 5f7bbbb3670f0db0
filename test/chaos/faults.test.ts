import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createFaultInjector, type FaultKind } from '../../chaos/faults';
import type { InboxMessage } from '../../functions/inbox/message';
import { publishToInbox } from '../../functions/inbox/publish';
import { createLocalClients, type LocalClients } from '../../local/aws-clients';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { drainQueue } from '../support/sqs-events';

/**
 * The chaos run proves something only if its faults are real: a refused call never reaches the
 * service, a lost answer took effect, and the SDK meets each the way it meets AWS's.
 */

let environment: TestEnvironment;
let clients: LocalClients;
beforeAll(async () => {
  environment = await startTestEnvironment();
});
afterAll(() => environment?.stop());
beforeEach(() => {
  clients = createLocalClients({ dynamodbEndpoint: environment.dynamodbEndpoint, sqsEndpoint: environment.sqsEndpoint, region: environment.region });
});
afterEach(() => clients.destroy());

const put = (hash: string) =>
  new PutItemCommand({ TableName: environment.tableName, Item: { pk: { S: `sms#${hash}` }, sk: { S: 'message' } }, ConditionExpression: 'attribute_not_exists(pk)' });
const stored = async (hash: string) =>
  (await environment.clients.dynamodb.send(new GetItemCommand({ TableName: environment.tableName, Key: { pk: { S: `sms#${hash}` }, sk: { S: 'message' } }, ConsistentRead: true }))).Item !== undefined;

function always(kind: FaultKind) {
  const injector = createFaultInjector(1);
  injector.install(clients.dynamodb, 'dynamodb', [{ operations: ['PutItem'], rates: { [kind]: 1 } }]);
  return injector;
}

describe('DynamoDB faults', () => {
  it.each<[FaultKind, string, boolean]>([
    ['error_500', 'InternalServerError', false],
    ['throttled', 'ProvisionedThroughputExceededException', false],
    ['lost_answer_500', 'InternalServerError', true],
    ['lost_answer_reset', 'Error', true],
  ])('%s: the caller sees %s after the SDK\'s retries; written: %s', async (kind, errorName, written) => {
    const injector = always(kind);
    const hash = `H-${kind}`;
    await expect(clients.dynamodb.send(put(hash))).rejects.toMatchObject({ name: errorName });
    expect(await stored(hash)).toBe(written);
    // Every attempt met the fault: the first and the SDK's retries.
    expect(injector.faults.length).toBeGreaterThan(1);
    expect(injector.faults.every((fault) => fault.kind === kind && fault.smsHashes.includes(hash) && fault.operation === 'PutItem')).toBe(true);
  });

  it('a lost answer is retried by the SDK into the condition its own first attempt now fails (issue 7 §1)', async () => {
    const injector = createFaultInjector(1);
    let attempts = 0;
    injector.install(clients.dynamodb, 'dynamodb', [{ operations: ['PutItem'], when: () => ++attempts === 1, rates: { lost_answer_500: 1 } }]);
    await expect(clients.dynamodb.send(put('H-retry'))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await stored('H-retry')).toBe(true);
    expect(injector.reached.map((call) => call.statusCode)).toEqual([200, 400]);
  });

  it('decides the same way for the same seed', async () => {
    const decisions = async (seed: number) => {
      const local = createLocalClients({ dynamodbEndpoint: environment.dynamodbEndpoint, sqsEndpoint: environment.sqsEndpoint, region: environment.region });
      const injector = createFaultInjector(seed);
      injector.install(local.dynamodb, 'dynamodb', [{ operations: ['GetItem'], rates: { error_500: 0.5 } }]);
      for (let index = 0; index < 20; index += 1) {
        await local.dynamodb.send(new GetItemCommand({ TableName: environment.tableName, Key: { pk: { S: 'sms#none' }, sk: { S: 'message' } } })).catch(() => undefined);
      }
      local.destroy();
      return injector.faults.length + injector.reached.length * 1000;
    };
    expect(await decisions(5)).toBe(await decisions(5));
    expect(new Set([await decisions(5), await decisions(6), await decisions(7)]).size).toBeGreaterThan(1);
  });
});

describe('SQS faults', () => {
  it('a lost SendMessage answer leaves the message on the queue, and the SDK sends it again', async () => {
    const injector = createFaultInjector(1, { queueNames: { [environment.inboxQueueUrl]: 'inbox' } });
    let attempts = 0;
    injector.install(clients.sqs, 'sqs', [{ operations: ['SendMessage'], when: () => ++attempts === 1, rates: { lost_answer_reset: 1 } }]);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: environment.inboxQueueUrl, MessageBody: 'once' }));
    const { Messages = [] } = await environment.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: environment.inboxQueueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages.map((message) => message.Body)).toEqual(['once', 'once']);
    expect(injector.faults).toEqual([expect.objectContaining({ operation: 'SendMessage', kind: 'lost_answer_reset', target: 'inbox' })]);
  });
});

describe('SNS faults (the query protocol: the operation in the form body, errors in XML)', () => {
  const batch = (...ids: string[]): InboxMessage[] => ids.map((id) => ({ kind: 'sms.sent', messageId: id, schemaVersion: 1, body: { id } }));
  const inboxIds = async () =>
    (await drainQueue(environment.clients.sqs, environment.inboxQueueUrl)).map((message) => message.MessageAttributes?.messageId?.StringValue).sort();

  it('a lost PublishBatch answer published every message of it, and the SDK publishes them again', async () => {
    await drainQueue(environment.clients.sqs, environment.inboxQueueUrl);
    const injector = createFaultInjector(1, { queueNames: { [environment.inboxTopicArn]: 'inbox' } });
    let attempts = 0;
    injector.install(clients.sns, 'sns', [{ operations: ['PublishBatch'], when: () => ++attempts === 1, rates: { lost_answer_500: 1 } }]);

    const results = await publishToInbox(clients.sns, environment.inboxTopicArn, batch('LOST0001', 'LOST0002'));

    expect(results.every((result) => result.published)).toBe(true);
    expect(await inboxIds()).toEqual(['LOST0001', 'LOST0001', 'LOST0002', 'LOST0002']);
    expect(injector.faults).toEqual([
      { client: 'sns', operation: 'PublishBatch', kind: 'lost_answer_500', smsHashes: ['LOST0001', 'LOST0002'], target: 'inbox' },
    ]);
  });

  it("a refused PublishBatch never reaches SNS, and the SDK reads the refusal as SNS's InternalErrorException", async () => {
    await drainQueue(environment.clients.sqs, environment.inboxQueueUrl);
    const injector = createFaultInjector(1);
    injector.install(clients.sns, 'sns', [{ operations: ['PublishBatch'], rates: { error_500: 1 } }]);

    const [result] = await publishToInbox(clients.sns, environment.inboxTopicArn, batch('REFUSED1'));

    expect(result).toMatchObject({ published: false, error: { permanent: false, code: 'InternalErrorException' } });
    expect(injector.faults).toHaveLength(3); // the first attempt and the SDK's two retries
    expect(injector.reached).toEqual([]);
    expect(await inboxIds()).toEqual([]);
  });
});
