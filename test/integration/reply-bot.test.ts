import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createReplyBotHandler } from '../../examples/reply-bot/create-reply-bot-handler';
import { encodeInboxMessage, inboundInboxMessage } from '../../functions/inbox/message';
import type { InboundMessage } from '../../functions/messages/inbound-message';
import { createObservability } from '../../functions/observability/observability';
import { parseOutboxRequest } from '../../functions/outbox/request';
import type { QueueMessage } from '../../functions/queues/queue-message';
import { queueArn } from '../../local/provision';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { deliverAsSqsEvent, drainQueue, type QueueRef } from '../support/sqs-events';

const inbound = (id: string, from: string, text: string, keyword: string | null): InboundMessage => ({
  schemaVersion: 1,
  id,
  from,
  to: '38123',
  text,
  encoding: 'GSM',
  parts: 1,
  network: null,
  receivedAt: '2024-05-01T10:00:00.000Z',
  eventId: `event-${id}`,
  eventAt: '2024-05-01T10:00:00.000Z',
  hookHash: null,
  storedAt: '2024-05-01T10:00:01.000Z',
  keyword,
});

/** As the inbox topic delivers it to a raw subscription: the published body and attributes. */
function asDelivered(message: InboundMessage): QueueMessage {
  const encoded = encodeInboxMessage(inboundInboxMessage(message));
  return { MessageBody: encoded.Message, MessageAttributes: encoded.MessageAttributes as QueueMessage['MessageAttributes'] };
}

describe('reply bot (examples/reply-bot) on fauxqs', () => {
  let env: TestEnvironment;
  let botQueue: QueueRef;
  let outboxQueueUrl: string;
  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    env = await startTestEnvironment();
    const create = async (name: string) => (await env.clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-${process.pid}` }))).QueueUrl!;
    const botQueueUrl = await create('reply-bot');
    outboxQueueUrl = await create('outbox');
    botQueue = { sqs: env.clients.sqs, queueUrl: botQueueUrl, queueArn: await queueArn(env.clients.sqs, botQueueUrl), region: env.region };
  });
  afterAll(() => env.stop());

  const handler = () =>
    createReplyBotHandler({
      config: { outboxQueueUrl, keywords: ['HELP'], helpText: 'Reply STOP to stop.' },
      sqs: env.clients.sqs,
      ...createObservability('reply-bot-test'),
    });
  const outbox = async () => (await drainQueue(env.clients.sqs, outboxQueueUrl)).map((message) => parseOutboxRequest(message.Body ?? ''));

  it('answers a HELP through the outbox, and the same HELP delivered again with the same requestId', async () => {
    const help = asDelivered(inbound('HELPBOT1', '+33612000001', 'Help!', 'HELP'));
    const hello = asDelivered(inbound('HELLOBO1', '+33612000002', 'hello', 'HELLO'));

    expect(await handler()(await deliverAsSqsEvent(botQueue, [help, hello]))).toEqual({ batchItemFailures: [] });
    expect(await handler()(await deliverAsSqsEvent(botQueue, [help]))).toEqual({ batchItemFailures: [] });

    const request = { requestId: 'reply-bot:HELPBOT1', to: '+33612000001', text: 'Reply STOP to stop.', userData: 'reply-bot:HELPBOT1' };
    expect(await outbox()).toEqual([
      { ok: true, request },
      { ok: true, request },
    ]);
  });

  it('skips inbox messages of another kind, and throws back a body that breaks the schema', async () => {
    const sent = { MessageBody: JSON.stringify({ kind: 'sms.sent', requestId: 'r1' }), MessageAttributes: {} };
    const broken = { MessageBody: JSON.stringify({ kind: 'sms.mo', id: 'X', keyword: 'HELP' }), MessageAttributes: {} };
    const event = await deliverAsSqsEvent(botQueue, [sent, broken]);

    expect(await handler()(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
    expect(await outbox()).toEqual([]);
  });
});
