import type { Message } from '@aws-sdk/client-sqs';
import { INBOX_ATTRIBUTE, decodeInboxMessage, inboundInboxMessage, type InboxMessage } from '../../functions/inbox/message';
import { publishToInbox, SNS_MAX_PAYLOAD_BYTES } from '../../functions/inbox/publish';
import type { InboundMessage } from '../../functions/messages/inbound-message';
import { createInboxTopic, createQueues, InboxFilterPolicyError, subscribeToInbox } from '../../local/provision';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { drainQueue } from '../support/sqs-events';

const inbound = (id: string, changes: Partial<InboundMessage> = {}): InboundMessage => ({
  schemaVersion: 1,
  kind: 'sms.mo',
  id,
  from: '+33612345678',
  to: '+33700000001',
  text: `text of ${id}`,
  encoding: 'GSM',
  parts: 1,
  network: null,
  receivedAt: '2024-05-01T10:00:00.000Z',
  eventId: `event-${id}`,
  eventAt: '2024-05-01T10:00:00.100Z',
  hookHash: 'HOOK0001',
  storedAt: '2024-05-01T10:00:01.000Z',
  source: { format: 'callr.v1', eventType: 'sms.mo' },
  ...changes,
});

/** A message of another kind, as the outbox's sender would publish it. */
const sent = (id: string): InboxMessage => ({
  kind: 'sms.sent',
  messageId: id,
  schemaVersion: 1,
  to: '+33698765432',
  body: { schemaVersion: 1, requestId: `request-${id}`, hash: id },
});

const attributesOf = (message: Message): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]));

describe('publishToInbox (SNS on fauxqs, raw delivery to the subscribed queues)', () => {
  let env: TestEnvironment;
  let topicArn: string;
  let publishRequests: number;

  beforeAll(async () => {
    env = await startTestEnvironment();
    topicArn = await createInboxTopic(env.clients.sns, `inbox-publish-${process.pid}`);
    await subscribeToInbox(env.clients.sns, env.clients.sqs, { topicArn, queueUrl: env.inboxQueueUrl });
    env.clients.sns.middlewareStack.add(
      (next) => (args) => {
        publishRequests += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countPublishRequests' },
    );
  });
  afterAll(() => env.stop());
  beforeEach(async () => {
    publishRequests = 0;
    await drainQueue(env.clients.sqs, env.inboxQueueUrl);
  });

  it('publishes each message once, 10 to a request, in order, to the inbox queue with its body and attributes', async () => {
    const messages = Array.from({ length: 12 }, (_, index) => inboundInboxMessage(inbound(`BATCH${String(index).padStart(3, '0')}`)));

    const results = await publishToInbox(env.clients.sns, topicArn, messages);

    expect(publishRequests).toBe(2);
    expect(results.map((result) => [result.published, result.message.messageId])).toEqual(messages.map((message) => [true, message.messageId]));
    const received = await drainQueue(env.clients.sqs, env.inboxQueueUrl);
    expect(received.map((message) => decodeInboxMessage(message.Body ?? '')).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      messages.map((message) => message.body),
    );
    expect(attributesOf(received.find((message) => attributesOf(message).messageId === 'BATCH003') as Message)).toEqual({
      kind: 'sms.mo',
      messageId: 'BATCH003',
      schemaVersion: '1',
      to: '+33700000001',
    });
  });

  it('writes kind into the body of a message stored before kind existed, and keyword as an attribute when the message has one', async () => {
    const { kind: _absent, ...stored } = inbound('OLDMSG01');
    const withKeyword = { ...inbound('KEYWORD1'), keyword: 'HELP' } as InboundMessage;

    await publishToInbox(env.clients.sns, topicArn, [inboundInboxMessage(stored), inboundInboxMessage(withKeyword)]);

    const received = await drainQueue(env.clients.sqs, env.inboxQueueUrl);
    const byId = new Map(received.map((message) => [attributesOf(message).messageId, message]));
    expect(JSON.parse(byId.get('OLDMSG01')?.Body ?? '')).toEqual({ ...stored, kind: 'sms.mo' });
    expect(attributesOf(byId.get('OLDMSG01') as Message)).not.toHaveProperty(INBOX_ATTRIBUTE.keyword);
    expect(attributesOf(byId.get('KEYWORD1') as Message)).toMatchObject({ keyword: 'HELP' });
  });

  it('sends emoji, U+FFFE and accents through unchanged', async () => {
    const text = 'Ça va ? 😀 \ufffe fin';
    await publishToInbox(env.clients.sns, topicArn, [inboundInboxMessage(inbound('UNICODE1', { text }))]);

    const [received] = await drainQueue(env.clients.sqs, env.inboxQueueUrl);
    expect(decodeInboxMessage(received?.Body ?? '').text).toBe(text);
  });

  it('fills each request up to SNS 256 KiB, never past it', async () => {
    const big = (id: string) => inboundInboxMessage(inbound(id, { text: 'x'.repeat(100_000) }));

    const results = await publishToInbox(env.clients.sns, topicArn, ['BIG00001', 'BIG00002', 'BIG00003', 'BIG00004', 'BIG00005'].map(big));

    expect(results.every((result) => result.published)).toBe(true);
    expect(publishRequests).toBe(3);
    expect(await drainQueue(env.clients.sqs, env.inboxQueueUrl)).toHaveLength(5);
  });

  it('refuses a message larger than SNS takes, as permanent, and publishes the others of the call', async () => {
    const tooLarge = inboundInboxMessage(inbound('TOOLARGE', { text: 'x'.repeat(SNS_MAX_PAYLOAD_BYTES) }));

    const results = await publishToInbox(env.clients.sns, topicArn, [tooLarge, inboundInboxMessage(inbound('FITS0001'))]);

    expect(results).toEqual([
      { published: false, message: tooLarge, error: expect.objectContaining({ name: 'InboxPublishError', code: 'message_too_large', permanent: true }) },
      { published: true, message: expect.objectContaining({ messageId: 'FITS0001' }), snsMessageId: expect.any(String) },
    ]);
    expect((await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map(attributesOf).map((attributes) => attributes.messageId)).toEqual(['FITS0001']);
  });

  it('reports the entries SNS refused one by one, with its code, as the sender fault SNS says they are', async () => {
    // A FIFO topic refuses every entry without a MessageGroupId: a real per-entry failure.
    const fifoTopicArn = await createInboxTopic(env.clients.sns, `inbox-refusing-${process.pid}.fifo`);
    const results = await publishToInbox(env.clients.sns, fifoTopicArn, [sent('SENT0001'), sent('SENT0002')]);

    expect(results.map((result) => !result.published && [result.error.code, result.error.permanent])).toEqual([
      ['InvalidParameter', true],
      ['InvalidParameter', true],
    ]);
  });

  it('fails every message of a request that failed as a whole, as retryable, with the SDK error as cause', async () => {
    const missingTopic = topicArn.replace(/[^:]+$/, 'no-such-topic');
    const results = await publishToInbox(env.clients.sns, missingTopic, [sent('SENT0003'), sent('SENT0004')]);

    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result).toMatchObject({ published: false, error: { name: 'InboxPublishError', permanent: false, cause: expect.any(Error) } });
    }
  });

  describe('fan-out: each subscriber queue gets what its filter policy matches', () => {
    it('a keyword filter receives only its keyword; a kind filter only its kind; a to filter only its number', async () => {
      const sqs = env.clients.sqs;
      const queues = await createQueues(env.clients, {
        ingestQueue: `unused-ingest-${process.pid}`,
        deadLetterQueue: `unused-dead-letter-${process.pid}`,
        inboxTopic: `unused-inbox-${process.pid}`,
        inboxQueue: `help-bot-${process.pid}`,
        inboxDeadLetterQueue: `sent-watcher-${process.pid}`,
      });
      const helpBot = queues.inboxQueueUrl;
      const sentWatcher = queues.inboxDeadLetterQueueUrl;
      const secondNumber = queues.ingestQueueUrl;
      await subscribeToInbox(env.clients.sns, sqs, { topicArn, queueUrl: helpBot, filter: { kind: ['sms.mo'], keyword: ['HELP'] } });
      await subscribeToInbox(env.clients.sns, sqs, { topicArn, queueUrl: sentWatcher, filter: { kind: ['sms.sent', 'sms.send_failed'] } });
      await subscribeToInbox(env.clients.sns, sqs, { topicArn, queueUrl: secondNumber, filter: { kind: ['sms.mo'], to: [{ prefix: '+3370000000' }, '+33799999999'] } });

      const help = { ...inbound('HELP0001', { text: 'help me' }), keyword: 'HELP' } as InboundMessage;
      const stop = { ...inbound('STOP0001', { text: 'stop', to: '+33799999999' }), keyword: 'STOP' } as InboundMessage;
      const other = inbound('OTHER001', { to: '+33611111111' });
      await publishToInbox(env.clients.sns, topicArn, [help, stop, other].map(inboundInboxMessage).concat(sent('SENT0005')));

      const idsOn = async (queueUrl: string) => (await drainQueue(sqs, queueUrl)).map((message) => attributesOf(message).messageId).sort();
      expect(await idsOn(helpBot)).toEqual(['HELP0001']);
      expect(await idsOn(sentWatcher)).toEqual(['SENT0005']);
      expect(await idsOn(secondNumber)).toEqual(['HELP0001', 'STOP0001']);
      expect(await idsOn(env.inboxQueueUrl)).toEqual(['HELP0001', 'OTHER001', 'SENT0005', 'STOP0001']);
    });

    it('refuses to subscribe with a filter on an attribute the inbox never sets', async () => {
      await expect(
        subscribeToInbox(env.clients.sns, env.clients.sqs, { topicArn, queueUrl: env.inboxQueueUrl, filter: { keywrod: ['HELP'] } as never }),
      ).rejects.toThrow(InboxFilterPolicyError);
    });
  });
});
