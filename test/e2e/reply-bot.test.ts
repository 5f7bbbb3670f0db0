import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalReplyBot, type LocalReplyBot } from '../../examples/reply-bot/local';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';
import { drainQueue } from '../support/sqs-events';
import { waitFor } from '../support/wait';

/**
 * The example consumer end to end in local mode: handsets text the shortcode through the CALLR
 * emulator, the pipeline stores the messages and publishes them to the inbox topic, the topic
 * delivers only HELP messages (the bot's filter) to the bot's queue, the bot puts one answer per
 * HELP on the outbox queue, and the sender sends it: one SMS at the emulator, to the handset.
 */
jest.setTimeout(90_000);

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('reply bot (local mode)', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  let bot: LocalReplyBot;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-reply-bot-'));
    pipeline = await startLocalPipeline(loadLocalConfig(await localPipelineEnv(dataDir)), { emulatorRetry: { baseDelayMs: 100, maxTries: 10 } });
    bot = await startLocalReplyBot({
      sqs: pipeline.clients.sqs,
      sns: pipeline.clients.sns,
      region: pipeline.endpoints.region,
      inboxTopicArn: pipeline.endpoints.inboxTopicArn,
      config: { outboxQueueUrl: pipeline.endpoints.outboxQueueUrl, keywords: ['HELP'], helpText: 'Reply STOP to stop.' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each HELP once, through the outbox and CALLR, and nothing else reaches it', async () => {
    const help = pipeline.emulator!.injectInboundSms({ from: '+33655500009', to: '38100', text: 'Help!' });
    pipeline.emulator!.injectInboundSms({ from: '+33655500010', to: '38100', text: 'VOTE A' });
    pipeline.emulator!.injectInboundSms({ from: '+33655500011', to: '38100', text: 'helpful tips?' });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    await bot.idle();

    const handsets = ['+33655500009', '+33655500010', '+33655500011'];
    const toHandsets = () => pipeline.emulator!.sentSms().filter((sms) => handsets.includes(String(sms.to)));
    await waitFor('the answer at CALLR', () => toHandsets().length > 0, 30_000);
    await pipeline.idle();
    expect(toHandsets()).toEqual([expect.objectContaining({ to: '+33655500009', text: 'Reply STOP to stop.', user_data: `reply-bot:${help.hash}` })]);
    // The inbox queue, the first subscriber, still received every message; the bot failed none.
    expect((await drainQueue(pipeline.clients.sqs, pipeline.endpoints.inboxQueueUrl)).length).toBeGreaterThanOrEqual(3);
    expect(await drainQueue(pipeline.clients.sqs, bot.deadLetterQueueUrl)).toEqual([]);
  });
});
