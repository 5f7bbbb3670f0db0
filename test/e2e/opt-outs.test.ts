import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOutboxRequest, sendThroughOutbox } from '../../cli/send';
import { listMessagesByKeyword } from '../../functions/messages/message-store';
import { isOptedOut } from '../../functions/optouts/registry';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';

/**
 * Opt-outs end to end in local mode, as `npm start` runs them: a handset's STOP through the CALLR
 * emulator and the webhook opts its number out, so the outbox refuses to text it (nothing reaches
 * CALLR); its START lifts that, and the outbox sends again.
 */
jest.setTimeout(90_000);

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('opt-outs (local mode)', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  const handset = '+33655500001';
  const table = () => ({ documents: pipeline.clients.documents, tableName: pipeline.endpoints.tableName });
  const send = (text: string) =>
    sendThroughOutbox(buildOutboxRequest({ to: handset, text }), {
      sqs: pipeline.clients.sqs,
      outboxQueueUrl: pipeline.endpoints.outboxQueueUrl,
      table: table(),
      waitMs: 30_000,
    });
  const sentTo = () => pipeline.emulator!.sentSms().filter((sms) => sms.to === handset);
  const key = () => new TextEncoder().encode(pipeline.numberHashKey);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-opt-outs-'));
    pipeline = await startLocalPipeline(loadLocalConfig(await localPipelineEnv(dataDir)), { emulatorRetry: { baseDelayMs: 100, maxTries: 10 } });
  });
  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('STOP -> opted out and a request to that number refused, nothing at CALLR; START -> sent again', async () => {
    // Given the handset texted STOP to our shortcode,
    pipeline.emulator!.injectInboundSms({ from: handset, to: '38100', text: 'Stop' });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    expect(await isOptedOut(table(), key(), handset)).toBe(true);
    expect((await listMessagesByKeyword(table(), { to: '38100', keyword: 'STOP' })).map((message) => [message.from, message.optOut])).toEqual([[handset, 'stop']]);

    // when a service asks to text it, then nothing is sent and the service hears why.
    const refused = await send('Your appointment is tomorrow at 10.');
    expect(refused.outcome).toEqual(expect.objectContaining({ kind: 'sms.send_failed', reason: 'opted_out' }));
    expect(sentTo()).toEqual([]);

    // Given it texted START since, a request is sent again.
    pipeline.emulator!.injectInboundSms({ from: handset, to: '38100', text: 'START' });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    expect(await isOptedOut(table(), key(), handset)).toBe(false);

    const sent = await send('Your appointment is tomorrow at 10.');
    expect(sent.outcome).toEqual(expect.objectContaining({ kind: 'sms.sent' }));
    expect(sentTo()).toHaveLength(1);
  });

  it('a near miss opts nobody out', async () => {
    const other = '+33655500002';
    pipeline.emulator!.injectInboundSms({ from: other, to: '38100', text: 'stop svp' });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    expect(await isOptedOut(table(), key(), other)).toBe(false);
    expect(await listMessagesByKeyword(table(), { to: '38100', keyword: 'STOP' })).toEqual(
      expect.arrayContaining([expect.objectContaining({ from: other, suspectedOptOut: true })]),
    );
  });
});
