import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { listMessages } from '../../cli/messages';
import { eraseNumber } from '../../functions/erasure/erase-number';
import { getMessage, type MessageTable } from '../../functions/messages/message-store';
import { claimOutboundRequest, recordSent } from '../../functions/messages/outbound-store';
import { BY_KEYWORD_INDEX, BY_NUMBER_HASH_INDEX } from '../../functions/messages/table-design';
import { indexesNamed, MissingIndexError, REQUIRED_INDEX_NAMES } from '../../functions/messages/table-indexes';
import { createObservability } from '../../functions/observability/observability';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { numberHashKeyBytes } from '../../functions/privacy/number-hash-key';
import { createMessageTable, queueArn } from '../../local/provision';
import { TEST_NUMBER_HASH_KEY, testNumberHashKey } from '../support/number-hash-key';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { deliverAsSqsEvent, drainQueue, ingestQueueMessage, moEventBody, type QueueRef } from '../support/sqs-events';

/**
 * A table deployed before the newer indexes (byOutboundRecipient, byKeyword, byNumberHash), as it
 * is between the deploys of its upgrade (docs/table-design.md, "Deploying it onto an existing
 * table"): the persister stores every message, without `inReplyTo`, and still writes the index keys
 * (so an index added later is backfilled); what cannot work without an index refuses, naming it,
 * before it reads or changes anything.
 */
const PERSON = '+33611223344';
const OURS = '38200';
const NOW = new Date('2024-05-01T10:00:05.000Z');

describe('a table without the newer indexes', () => {
  let env: TestEnvironment;
  let table: MessageTable;
  let ingestQueue: QueueRef;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    env = await startTestEnvironment();
    const tableName = `${env.tableName}-before-upgrade`;
    const { missingIndexes } = await createMessageTable(env.clients.dynamodb, tableName, indexesNamed(new Set(REQUIRED_INDEX_NAMES)));
    expect(missingIndexes).toEqual(['byOutboundRecipient', 'byKeyword', 'byNumberHash']);
    table = { documents: env.clients.documents, tableName };
    ingestQueue = { sqs: env.clients.sqs, queueUrl: env.ingestQueueUrl, queueArn: await queueArn(env.clients.sqs, env.ingestQueueUrl), region: env.region };

    // Given: an SMS sent to the person through the outbox, which their reply would answer.
    await claimOutboundRequest(table, { request: { requestId: 'req-1', to: PERSON, text: 'Vote now' }, token: 't1', at: new Date(NOW.getTime() - 60_000) });
    await recordSent(table, 'req-1', { hash: 'SENT0001', at: new Date(NOW.getTime() - 60_000), confirmedBy: 'answer', from: OURS });
  });
  afterAll(() => env.stop());

  const persistInto = (tableName: string, tableIndexes?: ReadonlySet<string>) =>
    createPersistHandler({
      config: {
        tableName,
        deadLetterQueueUrl: env.deadLetterQueueUrl,
        inboxTopicArn: env.inboxTopicArn,
        ...(tableIndexes ? { tableIndexes } : {}),
      },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => NOW,
      numberHashKey: testNumberHashKey(),
      ...createObservability('persist'),
    });

  it('persists a reply without inReplyTo, and still writes the keyword and number-hash keys', async () => {
    const persist = persistInto(table.tableName, new Set(REQUIRED_INDEX_NAMES));

    const event = await deliverAsSqsEvent(ingestQueue, [
      ingestQueueMessage(moEventBody({ eventId: 'reply-1', hash: 'REPLY001', from: PERSON, to: OURS, text: 'YES please' })),
    ]);
    expect(await persist(event)).toEqual({ batchItemFailures: [] });
    await drainQueue(env.clients.sqs, env.inboxQueueUrl);

    const stored = await getMessage(table, 'REPLY001');
    expect(stored).toMatchObject({ id: 'REPLY001', from: PERSON, keyword: 'YES' });
    expect(stored).not.toHaveProperty('inReplyTo');
    const { Item } = await env.clients.documents.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'sms#REPLY001', sk: 'message' } }));
    expect(Item).toHaveProperty(BY_KEYWORD_INDEX.partitionKey);
    expect(Item).toHaveProperty(BY_NUMBER_HASH_INDEX.partitionKey);
  });

  it('does not ask threading when told the index is missing (TABLE_INDEXES), where asking would have answered', async () => {
    // The same send record on a table that has every index: the default config threads the reply.
    const full: MessageTable = { documents: env.clients.documents, tableName: env.tableName };
    await claimOutboundRequest(full, { request: { requestId: 'req-2', to: PERSON, text: 'Vote now' }, token: 't2', at: new Date(NOW.getTime() - 60_000) });
    await recordSent(full, 'req-2', { hash: 'SENT0002', at: new Date(NOW.getTime() - 60_000), confirmedBy: 'answer', from: OURS });
    const reply = (n: number) => ingestQueueMessage(moEventBody({ eventId: `reply-full-${n}`, hash: `REPLYF0${n}`, from: PERSON, to: OURS, text: 'YES' }));

    expect(await persistInto(env.tableName)(await deliverAsSqsEvent(ingestQueue, [reply(1)]))).toEqual({ batchItemFailures: [] });
    expect(await persistInto(env.tableName, new Set(REQUIRED_INDEX_NAMES))(await deliverAsSqsEvent(ingestQueue, [reply(2)]))).toEqual({ batchItemFailures: [] });
    await drainQueue(env.clients.sqs, env.inboxQueueUrl);

    expect(await getMessage(full, 'REPLYF01')).toMatchObject({ inReplyTo: expect.objectContaining({ requestId: 'req-2' }) });
    expect(await getMessage(full, 'REPLYF02')).not.toHaveProperty('inReplyTo');
  });

  it('refuses an erasure, naming the indexes, and erases nothing', async () => {
    const erasing = eraseNumber(table, { number: PERSON, key: numberHashKeyBytes(TEST_NUMBER_HASH_KEY, 'test key'), now: NOW });
    await expect(erasing).rejects.toThrow(MissingIndexError);
    await expect(erasing).rejects.toThrow(/^erasure needs the table's byNumberHash, byOutboundRecipient indexes, which the table does not have yet/);
    expect(await getMessage(table, 'REPLY001')).toMatchObject({ from: PERSON });
  });

  it('refuses messages --keyword, naming the index', async () => {
    await expect(listMessages(table, { by: 'to', to: OURS, keyword: 'YES' })).rejects.toThrow(
      new MissingIndexError(['byKeyword'], 'messages --keyword'),
    );
    // Without --keyword, the recipient index answers as before.
    expect(await listMessages(table, { by: 'to', to: OURS })).toEqual([expect.objectContaining({ id: 'REPLY001' })]);
  });
});
