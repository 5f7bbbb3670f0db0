import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalReplyBot, type LocalReplyBot } from '../../examples/reply-bot/local';
import { parseOutboxRequest } from '../../functions/outbox/request';
import { loadLocalConfig } from '../../local/config';
import { createQueue } from '../../local/provision';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';
import { drainQueue } from '../support/sqs-events';

/**
 * The example consumer end to end in local mode: handsets text the shortcode through the CALLR
 * emulator, the pipeline stores the messages and publishes them to the inbox topic, the topic
 * delivers only HELP messages (the bot's filter) to the bot's queue, and the bot puts one answer
 * per HELP on the outbox queue.
 */
jest.setTimeout(90_000);

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('reply bot (local mode)', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  let bot: LocalReplyBot;
  let outboxQueueUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-reply-bot-'));
    pipeline = await startLocalPipeline(loadLocalConfig(await localPipelineEnv(dataDir)), { emulatorRetry: { baseDelayMs: 100, maxTries: 10 } });
    outboxQueueUrl = await createQueue(pipeline.clients.sqs, 'reply-bot-test-outbox', {});
    bot = await startLocalReplyBot({
      sqs: pipeline.clients.sqs,
      sns: pipeline.clients.sns,
      region: pipeline.endpoints.region,
      inboxTopicArn: pipeline.endpoints.inboxTopicArn,
      config: { outboxQueueUrl, keywords: ['HELP'], helpText: 'Reply STOP to stop.' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each HELP once through the outbox, and nothing else reaches it', async () => {
    const help = pipeline.emulator!.injectInboundSms({ from: '+33655500009', to: '38100', text: 'Help!' });
    pipeline.emulator!.injectInboundSms({ from: '+33655500010', to: '38100', text: 'VOTE A' });
    pipeline.emulator!.injectInboundSms({ from: '+33655500011', to: '38100', text: 'helpful tips?' });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    await bot.idle();

    const requests = (await drainQueue(pipeline.clients.sqs, outboxQueueUrl)).map((message) => parseOutboxRequest(message.Body ?? ''));
    expect(requests).toEqual([
      {
        ok: true,
        request: { requestId: `reply-bot:${help.hash}`, to: '+33655500009', text: 'Reply STOP to stop.', userData: `reply-bot:${help.hash}` },
      },
    ]);
    // The inbox queue, the first subscriber, still received every message.
    expect((await drainQueue(pipeline.clients.sqs, pipeline.endpoints.inboxQueueUrl)).length).toBeGreaterThanOrEqual(3);
    expect(await drainQueue(pipeline.clients.sqs, bot.deadLetterQueueUrl)).toEqual([]);
  });
});
