import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  DEAD_LETTER_RETENTION_DAYS,
  INBOX_RETENTION_DAYS,
  INGEST_RETENTION_DAYS,
  INGEST_VISIBILITY_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
} from '../functions/queues/queue-design';
import { KEY_ATTRIBUTES, TABLE_INDEXES, TABLE_KEYS } from '../functions/messages/table-design';

/**
 * Creates on the emulators the table and queues that the CDK construct declares, from the same
 * definitions (functions/messages/table-design.ts, functions/queues/queue-design.ts).
 * Idempotent: a restart finds them in place.
 */

/**
 * Creates the table with every index, or finds it in place. Answers the indexes an existing table
 * (from an earlier version, on disk in the data directory) lacks: dynalite cannot add an index to
 * a table, so the caller says what will not work and how to get it.
 */
export async function createMessageTable(dynamodb: DynamoDBClient, tableName: string): Promise<{ missingIndexes: string[] }> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: KEY_ATTRIBUTES.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection:
            index.projectedAttributes.length > 0
              ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] }
              : { ProjectionType: 'KEYS_ONLY' },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return { missingIndexes: TABLE_INDEXES.map((index) => index.indexName).filter((name) => !present.has(name)) };
}

export interface LocalQueues {
  readonly ingestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly inboxQueueUrl: string;
  /** Where inbox messages that downstream consumers keep failing are parked. */
  readonly inboxDeadLetterQueueUrl: string;
}

export interface QueueNames {
  readonly ingestQueue: string;
  readonly deadLetterQueue: string;
  readonly inboxQueue: string;
  readonly inboxDeadLetterQueue: string;
}

export async function createQueues(sqs: SQSClient, names: QueueNames): Promise<LocalQueues> {
  const deadLetterRetention = { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_DAYS * 24 * 3600) };
  const redriveTo = async (deadLetterUrl: string) =>
    JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, deadLetterUrl), maxReceiveCount: MAX_RECEIVE_COUNT });

  const deadLetterQueueUrl = await createQueue(sqs, names.deadLetterQueue, deadLetterRetention);
  const ingestQueueUrl = await createQueue(sqs, names.ingestQueue, {
    VisibilityTimeout: String(INGEST_VISIBILITY_TIMEOUT_SECONDS),
    MessageRetentionPeriod: String(INGEST_RETENTION_DAYS * 24 * 3600),
    RedrivePolicy: await redriveTo(deadLetterQueueUrl),
  });
  const inboxDeadLetterQueueUrl = await createQueue(sqs, names.inboxDeadLetterQueue, deadLetterRetention);
  const inboxQueueUrl = await createQueue(sqs, names.inboxQueue, {
    MessageRetentionPeriod: String(INBOX_RETENTION_DAYS * 24 * 3600),
    RedrivePolicy: await redriveTo(inboxDeadLetterQueueUrl),
  });
  return { ingestQueueUrl, deadLetterQueueUrl, inboxQueueUrl, inboxDeadLetterQueueUrl };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}
