import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@aws-sdk/client-sqs';
import { buildOutboxRequest, sendThroughOutbox } from '../../cli/send';
import { InboundMessage } from '../../functions/messages/inbound-message';
import { OutboxOutcome } from '../../functions/outbox/outcome';
import { sendToQueue } from '../../functions/queues/send';
import { toSqsSafeJson } from '../../functions/queues/sqs-safe-json';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';
import { drainQueue } from '../support/sqs-events';
import { waitFor } from '../support/wait';

/**
 * The outbox end to end in local mode, as `npm start` runs it: a request on the outbox queue, the
 * sender, the CALLR emulator sending from its shortcode with our webhook as the SMS's per-SMS
 * webhook, its delivery statuses and a handset's reply coming back through the webhook, the
 * persister, and what arrives on the inbox.
 */
jest.setTimeout(90_000);

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const FAST_RETRIES = { baseDelayMs: 100, maxTries: 10 };

describe('outbox, statuses and threaded replies (local mode)', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  /** Everything the inbox received so far, in order (drained, so parsed once). */
  const inbox: Array<Record<string, unknown>> = [];

  const readInbox = async () => {
    const messages: Message[] = await drainQueue(pipeline.clients.sqs, pipeline.endpoints.inboxQueueUrl);
    inbox.push(...messages.map((message) => JSON.parse(message.Body ?? '{}') as Record<string, unknown>));
    return inbox;
  };
  const ofKind = (kind: string) => inbox.filter((message) => message.kind === kind);
  const smsSent = () => pipeline.emulator!.sentSms();
  const table = () => ({ documents: pipeline.clients.documents, tableName: pipeline.endpoints.tableName });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-outbox-'));
    pipeline = await startLocalPipeline(loadLocalConfig(await localPipelineEnv(dataDir)), { emulatorRetry: FAST_RETRIES });
  });
  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('request -> one SMS at the emulator, one sms.sent, one sms.status per status, a reply threaded to it; a redelivery sends nothing', async () => {
    const request = buildOutboxRequest({ to: '+33644444444', text: 'Your table for 2 is booked at 8 pm. Reply YES to confirm.', userData: 'booking-42' });

    // Given a request on the outbox (what `callr-mo send` does), when the sender is done:
    const { outcome } = await sendThroughOutbox(request, {
      sqs: pipeline.clients.sqs,
      outboxQueueUrl: pipeline.endpoints.outboxQueueUrl,
      table: table(),
      waitMs: 30_000,
    });

    // Then one SMS went out, from the emulator's shortcode, naming our webhook and the user data...
    expect(smsSent()).toEqual([
      expect.objectContaining({ to: request.to, from: '38100', text: request.text, user_data: 'booking-42', options: expect.objectContaining({ webhook: { endpoint: pipeline.endpoints.webhookUrl } }) }),
    ]);
    const hash = smsSent()[0]!.hash as string;
    // ...and its outcome is on the inbox, once.
    expect(outcome).toEqual(expect.objectContaining({ kind: 'sms.sent', requestId: request.requestId, hash, userData: 'booking-42' }));
    await waitFor('sms.sent on the inbox', async () => (await readInbox(), ofKind('sms.sent').length > 0));
    expect(ofKind('sms.sent').map((message) => OutboxOutcome.parse(message))).toEqual([outcome]);

    // The emulator's delivery statuses (each to the per-SMS and the global webhook): one sms.status per status.
    await waitFor('the DELIVERED status on the inbox', async () => (await readInbox(), ofKind('sms.status').some((status) => status.status === 'DELIVERED')), 30_000);
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    await readInbox();
    const statuses = ofKind('sms.status').map((message) => OutboxOutcome.parse(message));
    expect(statuses.map((status) => status.kind === 'sms.status' && [status.status, status.requestId, status.hash, status.userData])).toEqual(
      // Newest wins: a status overtaken before its forward is not forwarded after the newer one.
      expect.arrayContaining([['DELIVERED', request.requestId, hash, 'booking-42']]),
    );
    // Each transition once, in order (one overtaken before its forward may be skipped: newest wins).
    const seen = statuses.map((status) => (status.kind === 'sms.status' ? status.status : ''));
    expect(seen).toEqual(['PENDING', 'SENT', 'DELIVERED'].filter((status) => seen.includes(status)));

    // The handset's reply to the shortcode: delivered to both webhooks, one inbound message, threaded.
    const reply = pipeline.emulator!.injectInboundSms({ from: request.to, to: '38100', text: 'YES' });
    expect(reply.eventIds).toHaveLength(2);
    await waitFor('the reply on the inbox', async () => (await readInbox(), inbox.some((message) => message.id === reply.hash)), 30_000);
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    await readInbox();
    const replies = inbox.filter((message) => message.id === reply.hash).map((message) => InboundMessage.parse(message));
    expect(replies).toEqual([
      expect.objectContaining({ text: 'YES', inReplyTo: { requestId: request.requestId, hash, userData: 'booking-42', sentAt: outcome!.kind === 'sms.sent' ? outcome!.sentAt : '' } }),
    ]);

    // The same request delivered again: nothing more is sent, nothing more is said.
    await sendToQueue(pipeline.clients.sqs, pipeline.endpoints.outboxQueueUrl, { MessageBody: toSqsSafeJson(request), MessageAttributes: {} });
    await waitFor('the outbox drained', async () => {
      const { Attributes } = await pipeline.clients.sqs.send(
        new (await import('@aws-sdk/client-sqs')).GetQueueAttributesCommand({
          QueueUrl: pipeline.endpoints.outboxQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Attributes?.ApproximateNumberOfMessages === '0' && Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
    }, 30_000);
    await readInbox();
    expect(smsSent()).toHaveLength(1);
    expect(ofKind('sms.sent')).toHaveLength(1);
    expect(ofKind('sms.send_failed')).toEqual([]);
  });
});
