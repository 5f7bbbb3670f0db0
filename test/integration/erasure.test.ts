import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { queueArn } from '../../local/provision';
import { listMessages } from '../../cli/messages';
import { eraseNumber } from '../../functions/erasure/erase-number';
import { getMessage, type MessageTable } from '../../functions/messages/message-store';
import { getOutboundStatus } from '../../functions/messages/status-store';
import { claimOutboundRequest, getOutboundLink, getOutboundRecord, linkSmsToRequest, recordSent } from '../../functions/messages/outbound-store';
import { applyOptOutChange, getOptOutRecords } from '../../functions/optouts/registry';
import { createObservability } from '../../functions/observability/observability';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { hashNumber } from '../../functions/privacy/number-hash';
import { numberHashKeyBytes } from '../../functions/privacy/number-hash-key';
import { TEST_NUMBER_HASH_KEY, testNumberHashKey } from '../support/number-hash-key';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { callrBody } from '../support/http-api-events';
import { smsStatusBody } from '../fixtures/callr-fixtures';
import { deliverAsSqsEvent, drainQueue, ingestQueueMessage, moEventBody, type QueueRef } from '../support/sqs-events';

/**
 * Issue 10, erasure by phone number: after `eraseNumber`, nothing the system controls — the table,
 * its indexes, what `callr-mo messages` lists — returns the number; the opt-out evidence (its keyed
 * hash) is kept; the audit item says what was erased without holding the number.
 */
const PERSON = '+33611223344';
const OTHER = '+33655667788';
const KEY = numberHashKeyBytes(TEST_NUMBER_HASH_KEY, 'test key');
const NOW = new Date('2024-05-01T10:00:05.000Z');

describe('erasure by phone number', () => {
  let env: TestEnvironment;
  let table: MessageTable;
  let ingestQueue: QueueRef;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    env = await startTestEnvironment();
    table = { documents: env.clients.documents, tableName: env.tableName };
    ingestQueue = { sqs: env.clients.sqs, queueUrl: env.ingestQueueUrl, queueArn: await queueArn(env.clients.sqs, env.ingestQueueUrl), region: env.region };

    // Given: what the pipeline stores about the person and about someone else.
    const persist = createPersistHandler({
      config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: env.inboxTopicArn },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => NOW,
      numberHashKey: testNumberHashKey(),
      ...createObservability('persist'),
    });
    const status = (hash: string, to: string) =>
      callrBody(smsStatusBody(), { eventId: `status-${hash}`, eventAt: NOW, data: { hash, to, status: 'DELIVERED' } });
    const event = await deliverAsSqsEvent(ingestQueue, [
      ingestQueueMessage(moEventBody({ eventId: 'erase-mo-1', hash: 'ERASE001', from: PERSON, to: '38100', text: 'STOP' })),
      ingestQueueMessage(moEventBody({ eventId: 'erase-mo-2', hash: 'ERASE002', from: PERSON, to: '+33199001234', text: 'my address is 1 rue X' })),
      ingestQueueMessage(moEventBody({ eventId: 'erase-mo-3', hash: 'ERASE003', from: OTHER, to: '38100', text: 'hello' })),
      // A status of an SMS sent to the person by other means than the outbox: found by its hash only.
      ingestQueueMessage(status('ERASE004', PERSON)),
      ingestQueueMessage(status('ERASE005', OTHER)),
    ]);
    expect(await persist(event)).toEqual({ batchItemFailures: [] });
    await drainQueue(env.clients.sqs, env.inboxQueueUrl);

    // An SMS sent to the person through the outbox: its send record, link and status.
    await claimOutboundRequest(table, { request: { requestId: 'req-erase-1', to: PERSON, text: 'Your code is 1234' }, token: 't1', at: NOW });
    const sent = await recordSent(table, 'req-erase-1', { hash: 'ERASE006', at: NOW, confirmedBy: 'answer', from: '38200' });
    await linkSmsToRequest(table, sent);
    expect(await persist(await deliverAsSqsEvent(ingestQueue, [ingestQueueMessage(status('ERASE006', PERSON))]))).toEqual({ batchItemFailures: [] });

    // The person's STOP: opt-out evidence, under the keyed hash.
    await applyOptOutChange(table, { senderHash: hashNumber(KEY, PERSON), ourNumber: '38100', action: 'stop', word: 'STOP', messageId: 'ERASE001', at: NOW.toISOString() });
  });
  afterAll(() => env.stop());

  const everyItem = async () => (await env.clients.documents.send(new ScanCommand({ TableName: env.tableName, ConsistentRead: true }))).Items ?? [];
  /** The number in any form it is stored in: with '+', without, or its national part. */
  const holdsPerson = (item: unknown) => /33611223344|611223344/.test(JSON.stringify(item));

  it('erases every item holding the number, keeps the opt-out evidence, and audits without the number', async () => {
    // Two messages from the person, two statuses, a send record and its link (the opt-out holds the hash only).
    expect((await everyItem()).filter(holdsPerson)).toHaveLength(6);

    const audit = await eraseNumber(table, { number: PERSON, key: KEY, now: new Date('2024-06-01T09:00:00.000Z'), erasureId: 'erasure-1' });

    expect(audit).toEqual({
      erasureId: 'erasure-1',
      erasedAt: '2024-06-01T09:00:00.000Z',
      subjectHash: hashNumber(KEY, PERSON),
      itemsErased: 6,
      erasedByKind: { inboundMessages: 2, statuses: 2, outboundRecords: 2, optOutEvidence: 0 },
      optOutEvidenceKept: 1,
    });

    // Nothing the system controls returns the number: the table (every item, hence every index)...
    const remaining = await everyItem();
    expect(remaining.filter(holdsPerson)).toEqual([]);
    // ...the reads by key, by index and the CLI's listing...
    for (const hash of ['ERASE001', 'ERASE002']) expect(await getMessage(table, hash)).toBeUndefined();
    for (const hash of ['ERASE004', 'ERASE006']) expect(await getOutboundStatus(table, hash)).toBeUndefined();
    expect(await getOutboundRecord(table, 'req-erase-1')).toBeUndefined();
    expect(await getOutboundLink(table, 'ERASE006')).toBeUndefined();
    expect(await listMessages(table, { by: 'from', from: PERSON })).toEqual([]);
    expect(await listMessages(table, { by: 'recent' })).toEqual([expect.objectContaining({ id: 'ERASE003' })]);
    // ...while the opt-out evidence stays, so the person is still never sent SMS from that number.
    expect(await getOptOutRecords(table, hashNumber(KEY, PERSON))).toEqual([expect.objectContaining({ ourNumber: '38100', optedOut: true })]);
    // Someone else's items are untouched.
    expect(await getMessage(table, 'ERASE003')).toMatchObject({ from: OTHER });
    expect(await getOutboundStatus(table, 'ERASE005')).toMatchObject({ to: OTHER });

    // The audit item is stored, and holds the hash, never the number.
    const audits = remaining.filter((item) => String(item.pk).startsWith('erasure#'));
    expect(audits).toEqual([expect.objectContaining({ subjectHash: hashNumber(KEY, PERSON), itemsErased: 6 })]);
    expect(audits.filter(holdsPerson)).toEqual([]);
  });

  it('finds nothing more on a second run, and keeps the first audit', async () => {
    const again = await eraseNumber(table, { number: PERSON, key: KEY, now: new Date('2024-06-02T09:00:00.000Z') });
    expect(again).toMatchObject({ itemsErased: 0, optOutEvidenceKept: 1 });
    expect((await everyItem()).filter((item) => String(item.pk).startsWith('erasure#'))).toHaveLength(2);
  });

  it('refuses a number without digits', async () => {
    await expect(eraseNumber(table, { number: 'CALLR', key: KEY, now: NOW })).rejects.toThrow(/holds no digits/);
  });
});
