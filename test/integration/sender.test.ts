import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { EXPIRES_AT_ATTRIBUTE } from '../../functions/privacy/retention';
import { CallrTransportError } from '../../functions/callr/errors';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { claimOutboundRequest, getOutboundLink, getOutboundRecord, outboxRequestKey, recordSent, type OutboundRecord } from '../../functions/messages/outbound-store';
import { itemKey } from '../../functions/messages/message-store';
import { ITEM_KIND } from '../../functions/messages/table-design';
import { DEFAULT_THREADING_WINDOW_MS, threadReply } from '../../functions/messages/threading';
import type { InboundMessage } from '../../functions/messages/inbound-message';
import type { MessageTable } from '../../functions/messages/message-store';
import { applyOptOutChange, createOptOutChecker } from '../../functions/optouts/registry';
import { hashNumber } from '../../functions/privacy/number-hash';
import { applyStatusUpdate } from '../../functions/messages/status-store';
import { forwardStoredStatus } from '../../functions/outbox/status-forward';
import { createObservability } from '../../functions/observability/observability';
import { OutboxOutcome } from '../../functions/outbox/outcome';
import { inboxTopicPublisher } from '../../functions/outbox/publish';
import type { OutboxRequest } from '../../functions/outbox/request';
import { createSenderHandler, type SenderHandler, type SenderHandlerDependencies } from '../../functions/sender/create-sender-handler';
import { callrOutboundListing, findSentSmsIn } from '../../functions/sender/lost-answers';
import { ATTRIBUTE } from '../../functions/queues/queue-message';
import { queueArn } from '../../local/provision';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { freePort } from '../support/free-port';
import { deliverAsSqsEvent, drainQueue, type QueueRef } from '../support/sqs-events';

const API_KEY = 'sender-test-key';
const WEBHOOK_URL = 'https://hooks.example.com/webhooks/callr';
const START = new Date('2026-03-02T09:00:00.000Z');

/** An inbound SMS as the persister has it before threading. */
const replyMessage: InboundMessage = {
  schemaVersion: 1,
  id: 'REPLY001',
  from: '+33600000000',
  to: '38100',
  text: 'YES',
  encoding: 'GSM',
  parts: 1,
  network: null,
  receivedAt: START.toISOString(),
  eventId: 'e'.repeat(32),
  eventAt: START.toISOString(),
  hookHash: null,
  storedAt: START.toISOString(),
};

describe('sender (outbox -> CALLR -> inbox), on dynalite, fauxqs and the CALLR emulator', () => {
  let env: TestEnvironment;
  let emulator: CallrEmulator;
  let outbox: QueueRef;
  let table: MessageTable;
  let now: Date;
  let optedOut: Set<string>;
  let counter = 0;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    env = await startTestEnvironment();
    outbox = { sqs: env.clients.sqs, queueUrl: env.outboxQueueUrl, queueArn: await queueArn(env.clients.sqs, env.outboxQueueUrl), region: env.region };
    table = { documents: env.clients.documents, tableName: env.tableName };
  });
  afterAll(async () => {
    await env.stop();
  });
  beforeEach(async () => {
    now = START;
    optedOut = new Set();
    emulator = await startCallrEmulator({ credentials: { apiKey: API_KEY }, statusUpdateDelayMs: 60_000, now: () => now });
    await Promise.all([env.outboxQueueUrl, env.outboxDeadLetterQueueUrl, env.inboxQueueUrl].map((url) => drainQueue(env.clients.sqs, url)));
  });
  afterEach(async () => {
    await emulator.close();
  });

  function handler(overrides: Partial<SenderHandlerDependencies> = {}): SenderHandler {
    return createSenderHandler({
      table,
      sqs: env.clients.sqs,
      callr: createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, timeoutMs: 300 }),
      webhookUrl: WEBHOOK_URL,
      optOuts: { isOptedOut: async (to) => optedOut.has(to) },
      publish: inboxTopicPublisher(env.clients.sns, env.inboxTopicArn),
      // CALLR's listing (sms.get_list OUT), as the emulator answers it.
      findSentSms: findSentSmsIn(callrOutboundListing(createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY } }))),
      deadLetterQueueUrl: env.outboxDeadLetterQueueUrl,
      now: () => now,
      claimStaleAfterMs: 60_000,
      lookupGiveUpAfterMs: 15 * 60_000,
      ...createObservability('sender-test'),
      ...overrides,
    });
  }

  const newRequest = (fields: Partial<OutboxRequest> = {}): OutboxRequest => ({
    requestId: `req-${process.pid}-${++counter}`,
    to: '+33612345678',
    text: 'Your table for two is booked at 8 pm. Reply YES to confirm.',
    userData: 'booking-42',
    ...fields,
  });

  const deliver = (...bodies: string[]): Promise<SQSEvent> => deliverAsSqsEvent(outbox, bodies.map((body) => ({ MessageBody: body, MessageAttributes: {} })));
  const outcomes = async () => (await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map((message) => OutboxOutcome.parse(JSON.parse(message.Body ?? '')));
  const sendCalls = () => emulator.calls().filter((call) => call.method === 'sms.send');
  const record = async (requestId: string): Promise<OutboundRecord | undefined> => getOutboundRecord(table, requestId);

  it('sends one SMS with an empty sender, our webhook and the user data, and puts one sms.sent on the inbox', async () => {
    const request = newRequest();

    const response = await handler()(await deliver(JSON.stringify(request)));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sendCalls().map((call) => call.params)).toEqual([['', request.to, request.text, { webhook: { endpoint: WEBHOOK_URL }, user_data: 'booking-42' }]]);
    const [sms] = emulator.sentSms();
    expect(sms).toMatchObject({ from: '38100', to: request.to, user_data: 'booking-42' });
    const hash = sms!.hash as string;
    expect(await outcomes()).toEqual([
      { schemaVersion: 1, kind: 'sms.sent', requestId: request.requestId, hash, to: request.to, userData: 'booking-42', sentAt: START.toISOString(), confirmedBy: 'answer' },
    ]);
    expect(await record(request.requestId)).toMatchObject({ state: 'sent', hash, outcomePublishedAt: START.toISOString() });
    expect(await getOutboundLink(table, hash)).toEqual({ requestId: request.requestId, to: request.to, userData: 'booking-42', sentAt: START.toISOString() });
  });

  it('sets the outboundRecords retention on the send record and on its link, and nothing without one', async () => {
    const expiry = async (key: Record<string, string>): Promise<unknown> =>
      (await env.clients.documents.send(new GetCommand({ TableName: env.tableName, Key: key, ConsistentRead: true }))).Item?.[EXPIRES_AT_ATTRIBUTE];
    const kept = newRequest();
    const expiring = newRequest();

    await handler()(await deliver(JSON.stringify(kept)));
    await handler({ retention: { outboundRecords: 30 * 86_400 } })(await deliver(JSON.stringify(expiring)));
    await outcomes();

    const [keptSms, expiringSms] = emulator.sentSms();
    const expected = Math.ceil(START.getTime() / 1000) + 30 * 86_400;
    expect(await expiry(outboxRequestKey(kept.requestId))).toBeUndefined();
    expect(await expiry(itemKey(keptSms!.hash as string, ITEM_KIND.outbound))).toBeUndefined();
    expect(await expiry(outboxRequestKey(expiring.requestId))).toBe(expected);
    expect(await expiry(itemKey(expiringSms!.hash as string, ITEM_KIND.outbound))).toBe(expected);
  });

  it('never calls CALLR again for a request delivered again, in another batch or twice in the same one', async () => {
    const body = JSON.stringify(newRequest());
    await handler()(await deliver(body));
    await outcomes();

    const again = await handler()(await deliver(body, body));

    expect(again).toEqual({ batchItemFailures: [] });
    expect(sendCalls()).toHaveLength(1);
    expect(await outcomes()).toEqual([]);
  });

  it('of two copies of a request in one batch, sends one SMS; the other comes back later and finds it sent', async () => {
    const body = JSON.stringify(newRequest());

    const event = await deliver(body, body);
    const response = await handler()(event);

    expect(sendCalls()).toHaveLength(1);
    // The copy that found the claim held reports itself not finished, and SQS brings it back.
    expect(response.batchItemFailures).toHaveLength(1);
    expect((await outcomes()).map((outcome) => outcome.kind)).toEqual(['sms.sent']);
    now = new Date(START.getTime() + 5_000);
    await handler()(await deliver(body));
    expect(sendCalls()).toHaveLength(1);
    expect(await outcomes()).toEqual([]);
  });

  it('refuses an opted-out number: sms.send_failed opted_out, nothing reaches CALLR, and that stands on redelivery', async () => {
    const request = newRequest({ to: '+33698765432' });
    optedOut.add(request.to);

    await handler()(await deliver(JSON.stringify(request)));
    optedOut.clear();
    await handler()(await deliver(JSON.stringify(request)));

    expect(sendCalls()).toEqual([]);
    expect(await outcomes()).toEqual([
      {
        schemaVersion: 1,
        kind: 'sms.send_failed',
        requestId: request.requestId,
        to: request.to,
        userData: 'booking-42',
        reason: 'opted_out',
        detail: 'the recipient opted out (STOP); nothing was sent',
        failedAt: START.toISOString(),
      },
    ]);
  });

  it('asks the opt-out registry: a STOP to any of our numbers refuses the send, a later START lets it through', async () => {
    const key = new TextEncoder().encode('k'.repeat(32));
    const to = '+33611112222';
    const optOuts = createOptOutChecker({ table, key: async () => key });
    const change = { senderHash: hashNumber(key, to), ourNumber: '38100', messageId: 'MO1', word: 'STOP', action: 'stop' as const, at: '2026-03-01T10:00:00.000Z' };
    await applyOptOutChange(table, change);

    await handler({ optOuts })(await deliver(JSON.stringify(newRequest({ to }))));
    await applyOptOutChange(table, { ...change, action: 'start', word: 'START', messageId: 'MO2', at: '2026-03-01T11:00:00.000Z' });
    await handler({ optOuts })(await deliver(JSON.stringify(newRequest({ to }))));

    expect((await outcomes()).map((outcome) => [outcome.kind, 'reason' in outcome ? outcome.reason : null])).toEqual([
      ['sms.send_failed', 'opted_out'],
      ['sms.sent', null],
    ]);
    expect(sendCalls()).toHaveLength(1);
  });

  it('tells a CALLR refusal with its code, and does not try again', async () => {
    emulator.failNext({ kind: 'error', message: 'INVALID_PARAMS', code: 22, method: 'sms.send' });
    const request = newRequest();

    await handler()(await deliver(JSON.stringify(request)));
    await handler()(await deliver(JSON.stringify(request)));

    expect(sendCalls()).toHaveLength(1);
    expect(await outcomes()).toEqual([expect.objectContaining({ kind: 'sms.send_failed', reason: 'callr_refused', detail: 'CALLR refused the SMS: INVALID_PARAMS' })]);
  });

  it('marks a send whose answer was lost unknown, and resolves it by lookup on redelivery, never by sending again', async () => {
    const request = newRequest();
    const body = JSON.stringify(request);
    // CALLR takes the SMS, then its answer is lost on the way back.
    const emulated = createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY } });
    const answerLost = {
      sendSms: async (input: Parameters<typeof emulated.sendSms>[0]) => {
        await emulated.sendSms(input);
        throw new CallrTransportError('sms.send', 'timeout', 'no answer within 300 ms', { attempts: 1, safeToRepeat: false });
      },
    };

    const first = await handler({ callr: answerLost })(await deliver(body));

    expect(first.batchItemFailures).toHaveLength(1);
    expect(await record(request.requestId)).toMatchObject({ state: 'unknown', unknownSince: START.toISOString() });
    expect(await outcomes()).toEqual([]);

    now = new Date(START.getTime() + 3 * 60_000);
    const second = await handler()(await deliver(body));

    expect(second).toEqual({ batchItemFailures: [] });
    expect(sendCalls()).toHaveLength(1);
    const [sms] = emulator.sentSms();
    expect(await outcomes()).toEqual([expect.objectContaining({ kind: 'sms.sent', requestId: request.requestId, hash: sms!.hash, confirmedBy: 'lookup' })]);
    expect(await record(request.requestId)).toMatchObject({ state: 'sent', from: '38100', confirmedBy: 'lookup' });
  });

  it('a CALLR timeout: unknown, and while the listing shows nothing it stays pending, then not_sent once the wait is over', async () => {
    emulator.failNext({ kind: 'hang', method: 'sms.send' });
    const request = newRequest();
    const body = JSON.stringify(request);

    const first = await handler()(await deliver(body));
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await record(request.requestId)).toMatchObject({ state: 'unknown' });

    now = new Date(START.getTime() + 5 * 60_000);
    expect((await handler()(await deliver(body))).batchItemFailures).toHaveLength(1);
    now = new Date(START.getTime() + 16 * 60_000);
    expect(await handler()(await deliver(body))).toEqual({ batchItemFailures: [] });

    expect(sendCalls()).toHaveLength(1);
    expect(await outcomes()).toEqual([expect.objectContaining({ kind: 'sms.send_failed', requestId: request.requestId, reason: 'not_sent' })]);
  });

  it('a request left claimed by an attempt that died is not sent again: after the stale bound it is looked up', async () => {
    const request = newRequest();
    const body = JSON.stringify(request);
    // The attempt dies mid-call: its Lambda times out before the client does.
    const dying = handler({ callr: { sendSms: () => new Promise(() => undefined) } });
    void dying(await deliver(body));
    await waitForState(request.requestId, 'claimed');

    now = new Date(START.getTime() + 30_000);
    expect((await handler()(await deliver(body))).batchItemFailures).toHaveLength(1);
    expect(await record(request.requestId)).toMatchObject({ state: 'claimed' });

    now = new Date(START.getTime() + 61_000);
    await handler()(await deliver(body));
    expect(await record(request.requestId)).toMatchObject({ state: 'unknown' });
    expect(sendCalls()).toHaveLength(0);
  });

  async function waitForState(requestId: string, state: string): Promise<void> {
    for (let i = 0; i < 200 && (await record(requestId))?.state !== state; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('gives the claim back when the request provably never left (connection refused), so that the redelivery sends it', async () => {
    const request = newRequest();
    const body = JSON.stringify(request);
    const refused = handler({ callr: createCallrClient({ apiUrl: `http://127.0.0.1:${await freePort()}/json-rpc/v1.1/`, credentials: { apiKey: API_KEY }, retries: 0 }) });

    expect((await refused(await deliver(body))).batchItemFailures).toHaveLength(1);
    expect(await record(request.requestId)).toBeUndefined();

    await handler()(await deliver(body));
    expect(sendCalls()).toHaveLength(1);
    expect((await outcomes()).map((outcome) => outcome.kind)).toEqual(['sms.sent']);
  });

  it('joins a delivery status stored before the send was recorded: sms.sent, then its sms.status', async () => {
    const request = newRequest();
    const emulated = createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY } });
    // CALLR's first status overtakes its answer: the persister stores it, with nothing to join it to yet.
    const statusFirst = {
      sendSms: async (input: Parameters<typeof emulated.sendSms>[0]) => {
        const { hash } = await emulated.sendSms(input);
        const status = { id: hash, from: '38100', to: request.to, status: 'PENDING', statusError: null, history: [], eventId: 'e'.repeat(32), eventAt: START.toISOString(), updatedAt: START.toISOString() };
        await applyStatusUpdate(table, { status, rawEvent: Buffer.from('{}'), writeToken: 'w1' });
        expect(await forwardStoredStatus(table, hash, inboxTopicPublisher(env.clients.sns, env.inboxTopicArn))).toBe('not_outbound');
        return { hash };
      },
    };

    await handler({ callr: statusFirst })(await deliver(JSON.stringify(request)));

    const [sent, status] = await outcomes();
    expect(sent).toMatchObject({ kind: 'sms.sent', requestId: request.requestId });
    expect(status).toEqual({
      schemaVersion: 1,
      kind: 'sms.status',
      requestId: request.requestId,
      hash: (sent as { hash: string }).hash,
      to: request.to,
      from: '38100',
      userData: 'booking-42',
      status: 'PENDING',
      statusError: null,
      statusAt: START.toISOString(),
      eventId: 'e'.repeat(32),
    });
    // Its first status told the number it went from: threading skips it for replies to another number of ours.
    expect(await record(request.requestId)).toMatchObject({ from: '38100' });
    // Once: the same status again is no new transition.
    expect(await forwardStoredStatus(table, (sent as { hash: string }).hash, inboxTopicPublisher(env.clients.sns, env.inboxTopicArn))).toBe('already_forwarded');
  });

  it('threads a reply to the latest SMS sent to its sender within the window, from the number it wrote to when known', async () => {
    const number = '+33655556666';
    const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000);
    const send = async (requestId: string, minutes: number, hash: string, from?: string) => {
      await claimOutboundRequest(table, { request: { requestId, to: number, text: 'hi', userData: requestId }, token: 't', at: at(minutes) });
      await recordSent(table, requestId, { hash, at: at(minutes), confirmedBy: 'answer', ...(from ? { from } : {}) });
    };
    await send(`old-${counter}`, -8 * 24 * 60, 'OLD00001');
    await send(`from38100-${counter}`, 1, 'HASH0001', '38100');
    await send(`from38200-${counter}`, 2, 'HASH0002', '38200');
    const reply = (to: string, minutes: number) =>
      threadReply(table, { ...replyMessage, from: '33655556666', to, receivedAt: at(minutes).toISOString() }, { windowMs: DEFAULT_THREADING_WINDOW_MS });

    expect((await reply('38100', 3)).inReplyTo).toEqual({ requestId: `from38100-${counter}`, hash: 'HASH0001', userData: `from38100-${counter}`, sentAt: at(1).toISOString() });
    expect((await reply('38200', 3)).inReplyTo?.hash).toBe('HASH0002');
    // Before any of them: the 8-day-old one is outside the 7-day window.
    expect((await reply('38100', 0)).inReplyTo).toBeUndefined();
  });

  it('answers a request that breaks the contract with sms.send_failed invalid_request when it has a requestId, else dead-letters it', async () => {
    const response = await handler()(await deliver(JSON.stringify({ requestId: 'bad-1', to: '0612', text: '' }), '{"to":"+33612345678"}', 'not json'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sendCalls()).toEqual([]);
    expect(await outcomes()).toEqual([
      expect.objectContaining({ kind: 'sms.send_failed', requestId: 'bad-1', to: null, reason: 'invalid_request', detail: expect.stringMatching(/^to: .*; text: /) }),
    ]);
    const deadLetters = await drainQueue(env.clients.sqs, env.outboxDeadLetterQueueUrl);
    expect(deadLetters.map((message) => [message.Body, message.MessageAttributes?.[ATTRIBUTE.deadLetterReason]?.StringValue])).toEqual([
      ['{"to":"+33612345678"}', 'invalid_request'],
      ['not json', 'invalid_json'],
    ]);
  });
});
