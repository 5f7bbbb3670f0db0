import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { parseCallrEvent } from '../../functions/callr/events';
import { toInboundMessage } from '../../functions/messages/inbound-message';
import { toMessageItem } from '../../functions/messages/message-store';
import { TABLE_KEYS } from '../../functions/messages/table-design';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { staticNumberHashKey } from '../../functions/privacy/number-hash-key';
import { PERSIST_BATCH_SIZE } from '../../functions/queues/queue-design';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { createObservability } from '../../functions/observability/observability';
import { localLambdaContext } from '../../local/lambda-context';
import { queueArn } from '../../local/provision';
import { ingestQueueMessage, moEventBody, toSqsRecord } from '../../test/support/sqs-events';
import type { PairSpec } from '../harness/compare';
import type { BenchEnvironment } from '../harness/emulators';
import { dynamoItemSize } from '../../functions/messages/item-size';

/**
 * The persist Lambda per full batch (PERSIST_BATCH_SIZE, 10) of new inbound SMS, with unique
 * hashes so that every record is a real first write (put, forward to the inbox, mark forwarded),
 * against as many conditional PutItems of items of the same size, in parallel: the write no
 * persister can avoid.
 *
 * Records are built the way test/support/sqs-events.ts builds them, without the round trip
 * through the ingest queue, which is Lambda's event source's work, not the handler's.
 */

/** A full batch, as the event source mapping delivers it under load. */
const BATCH_SIZE = PERSIST_BATCH_SIZE;

export async function persistPair(env: BenchEnvironment): Promise<PairSpec> {
  const queues = await env.createQueues('persist');
  const source = { queueArn: await queueArn(env.clients.sqs, queues.ingestQueueUrl), region: env.region };
  const observability = createObservability('persist-bench');
  const handler = withLambdaMiddleware(
    createPersistHandler({
      config: { tableName: env.tableName, deadLetterQueueUrl: queues.deadLetterQueueUrl, inboxTopicArn: queues.inboxTopicArn },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => new Date(),
      numberHashKey: staticNumberHashKey('persist-bench-number-hash-key-9f3e1c7a'),
      ...observability,
    }),
    observability,
  );
  // A context per invocation, as Lambda gives (one for the whole run would pass its deadline).
  const context = () => localLambdaContext('persist-bench', env.region, 30_000);

  let sequence = 0;
  const nextHash = () => `B${(++sequence).toString(36).toUpperCase().padStart(7, '0')}`;
  const record = (hash: string) => {
    const queued = ingestQueueMessage(moEventBody({ eventId: `bench-event-${hash}`, hash }));
    const message: Message = {
      MessageId: randomUUID(),
      ReceiptHandle: `bench-${hash}`,
      Body: queued.MessageBody,
      MessageAttributes: queued.MessageAttributes,
      Attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
    };
    return toSqsRecord(message, source);
  };

  const itemBytes = dynamoItemSize(sampleItem());
  // The baseline item: the same two keys, and a binary attribute making up the rest of the size.
  const baselineItem = (key: string, payload: Buffer) => ({
    [TABLE_KEYS.partitionKey]: { S: key },
    [TABLE_KEYS.sortKey]: { S: 'message' },
    payload: { B: payload },
  });
  const baselineKey = () => `base#${nextHash()}`;
  const keysBytes = dynamoItemSize({ [TABLE_KEYS.partitionKey]: baselineKey(), [TABLE_KEYS.sortKey]: 'message', payload: Buffer.alloc(0) });
  const padding = Buffer.alloc(Math.max(1, itemBytes - keysBytes), 0x61);

  let batch: SQSEvent = { Records: [] };
  let baselineKeys: string[] = [];

  return {
    id: 'persist.batch10',
    title: `Persist handler, batch of ${BATCH_SIZE} new sms.mo (item ≈ ${itemBytes} B)`,
    subject: {
      name: `persist handler (middy-wrapped), ${BATCH_SIZE} records`,
      prepare: () => {
        batch = { Records: Array.from({ length: BATCH_SIZE }, () => record(nextHash())) };
      },
      async: true,
      run: async () => {
        const response = await handler(batch, context());
        if (response.batchItemFailures.length > 0) {
          throw new Error(`persist benchmark: ${response.batchItemFailures.length} records failed`);
        }
      },
    },
    baseline: {
      name: `${BATCH_SIZE} parallel conditional PutItems`,
      prepare: () => {
        baselineKeys = Array.from({ length: BATCH_SIZE }, baselineKey);
      },
      async: true,
      run: () =>
        Promise.all(
          baselineKeys.map((key) =>
            env.clients.dynamodb.send(
              new PutItemCommand({
                TableName: env.tableName,
                Item: baselineItem(key, padding),
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
              }),
            ),
          ),
        ),
    },
    timeMs: 8000,
    minIterations: 40,
  };
}

/** The item our persister writes for one of these records. */
/** The size DynamoDB counts for one stored sms.mo item (the e2e.local baseline puts items this size). */
export function persistItemBytes(): number {
  return dynamoItemSize(sampleItem());
}

function sampleItem(): Record<string, unknown> {
  const raw = moEventBody({ eventId: 'bench-event-SIZE0001', hash: 'SIZE0001' });
  const parsed = parseCallrEvent(raw.toString('utf8'));
  if (!parsed.ok || !parsed.handled || parsed.event.type !== 'sms.mo') throw new Error('persist benchmark: sample body is not an sms.mo');
  return toMessageItem(toInboundMessage(parsed.event, new Date()), raw, parsed.event.event_id);
}
