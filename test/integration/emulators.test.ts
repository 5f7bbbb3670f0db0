import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { queueArn } from '../../local/provision';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { TABLE_INDEXES } from '../../functions/messages/table-design';
import { MAX_RECEIVE_COUNT } from '../../functions/queues/queue-design';

describe('test emulators', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(() => env.stop());

  it('creates the table with every index', async () => {
    const { Table } = await env.clients.dynamodb.send(new DescribeTableCommand({ TableName: env.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
      TABLE_INDEXES.map((index) => index.indexName).sort(),
    );
  });

  it('round-trips a message through a queue', async () => {
    await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.inboxQueueUrl, MessageBody: 'hello' }));
    const { Messages } = await env.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: env.inboxQueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(Messages?.map((m) => m.Body)).toEqual(['hello']);
  });

  it.each([
    ['ingest queue', 'ingestQueueUrl', 'deadLetterQueueUrl'],
    ['inbox queue', 'inboxQueueUrl', 'inboxDeadLetterQueueUrl'],
  ] as const)('wires the %s to its dead-letter queue, as the construct does', async (_name, queue, deadLetterQueue) => {
    const { Attributes } = await env.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: env[queue], AttributeNames: ['RedrivePolicy'] }),
    );
    const deadLetterArn = await queueArn(env.clients.sqs, env[deadLetterQueue]);
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
  });
});
