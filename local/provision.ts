import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { findFilterPolicyProblems, type InboxFilterPolicy } from '../functions/inbox/filter-policy';
import {
  DEAD_LETTER_RETENTION_DAYS,
  INBOX_RETENTION_DAYS,
  INGEST_RETENTION_DAYS,
  INGEST_VISIBILITY_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  OUTBOX_MAX_RECEIVE_COUNT,
  OUTBOX_RETENTION_DAYS,
  OUTBOX_VISIBILITY_TIMEOUT_SECONDS,
} from '../functions/queues/queue-design';
import { keyAttributes, TABLE_INDEXES, TABLE_KEYS, type IndexDesign } from '../functions/messages/table-design';
import { findMissingIndexes } from '../functions/messages/table-indexes';

/**
 * Creates on the emulators the table and queues that the CDK construct declares, from the same
 * definitions (functions/messages/table-design.ts, functions/queues/queue-design.ts).
 * Idempotent: a restart finds them in place.
 */

/**
 * Creates the table with every index, or finds it in place. Answers the indexes an existing table
 * (from an earlier version, on disk in the data directory) lacks: dynalite cannot add an index to
 * a table, so the caller says what will not work and how to get it. `indexes` (tests) creates a
 * table as one deployed before some of them.
 */
export async function createMessageTable(
  dynamodb: DynamoDBClient,
  tableName: string,
  indexes: readonly IndexDesign[] = TABLE_INDEXES,
): Promise<{ missingIndexes: string[] }> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttributes(indexes).map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes.map((index) => ({
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
  return { missingIndexes: await findMissingIndexes(dynamodb, tableName) };
}

export interface LocalQueues {
  readonly ingestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** What the persister publishes to; the inbox queue is subscribed to it (raw delivery). */
  readonly inboxTopicArn: string;
  readonly inboxQueueUrl: string;
  /** Where inbox messages that downstream consumers keep failing are parked. */
  readonly inboxDeadLetterQueueUrl: string;
}

export interface QueueNames {
  readonly ingestQueue: string;
  readonly deadLetterQueue: string;
  readonly inboxTopic: string;
  readonly inboxQueue: string;
  readonly inboxDeadLetterQueue: string;
}

/** The queues, and the inbox topic with the inbox queue subscribed, as the construct wires them. */
export async function createQueues({ sqs, sns }: { sqs: SQSClient; sns: SNSClient }, names: QueueNames): Promise<LocalQueues> {
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
  const inboxTopicArn = await createInboxTopic(sns, names.inboxTopic);
  await subscribeToInbox(sns, sqs, { topicArn: inboxTopicArn, queueUrl: inboxQueueUrl });
  return { ingestQueueUrl, deadLetterQueueUrl, inboxTopicArn, inboxQueueUrl, inboxDeadLetterQueueUrl };
}

export interface OutboxQueues {
  /** Where downstream services put their send requests. */
  readonly outboxQueueUrl: string;
  /** Unreadable requests, and requests the sender kept failing on. */
  readonly outboxDeadLetterQueueUrl: string;
}

export interface OutboxQueueNames {
  readonly outboxQueue: string;
  readonly outboxDeadLetterQueue: string;
}

/** The outbox and its dead-letter queue, as the construct's outbox part declares them. */
export async function createOutboxQueues(sqs: SQSClient, names: OutboxQueueNames): Promise<OutboxQueues> {
  const outboxDeadLetterQueueUrl = await createQueue(sqs, names.outboxDeadLetterQueue, {
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_DAYS * 24 * 3600),
  });
  const outboxQueueUrl = await createQueue(sqs, names.outboxQueue, {
    VisibilityTimeout: String(OUTBOX_VISIBILITY_TIMEOUT_SECONDS),
    MessageRetentionPeriod: String(OUTBOX_RETENTION_DAYS * 24 * 3600),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, outboxDeadLetterQueueUrl), maxReceiveCount: OUTBOX_MAX_RECEIVE_COUNT }),
  });
  return { outboxQueueUrl, outboxDeadLetterQueueUrl };
}

export async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
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

/**
 * The inbox topic (fauxqs emulates SNS on the SQS endpoint), as the construct declares it.
 * Idempotent: CreateTopic answers the existing topic.
 */
export async function createInboxTopic(sns: SNSClient, name: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  if (!TopicArn) throw new Error(`CreateTopic ${name} returned no TopicArn`);
  return TopicArn;
}

export interface InboxSubscription {
  readonly topicArn: string;
  readonly queueUrl: string;
  /** Only the inbox messages whose attributes match (functions/inbox/filter-policy.ts). @default every message */
  readonly filter?: InboxFilterPolicy;
}

/** Thrown before subscribing: the filter policy is one SNS would refuse, or one that matches nothing. */
export class InboxFilterPolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid inbox filter policy:\n- ${problems.join('\n- ')}`);
    this.name = 'InboxFilterPolicyError';
  }
}

/**
 * Subscribes a queue to the inbox topic with raw delivery, as the construct subscribes the inbox
 * queue and each of its `subscribers`: the queue receives the body as published, and the
 * attributes as SQS message attributes. Idempotent for the same queue and filter.
 */
export async function subscribeToInbox(sns: SNSClient, sqs: SQSClient, subscription: InboxSubscription): Promise<string> {
  const problems = subscription.filter === undefined ? [] : findFilterPolicyProblems(subscription.filter, 'filter');
  if (problems.length > 0) throw new InboxFilterPolicyError(problems);
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: subscription.topicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(sqs, subscription.queueUrl),
      Attributes: {
        RawMessageDelivery: 'true',
        ...(subscription.filter === undefined ? {} : { FilterPolicy: JSON.stringify(subscription.filter) }),
      },
      ReturnSubscriptionArn: true,
    }),
  );
  if (!SubscriptionArn) throw new Error(`Subscribe ${subscription.queueUrl} to ${subscription.topicArn} returned no SubscriptionArn`);
  return SubscriptionArn;
}
