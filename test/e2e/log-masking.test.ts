import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { hashNumber } from '../../functions/privacy/number-hash';
import { numberHashKeyBytes } from '../../functions/privacy/number-hash-key';
import { LOCAL_DEFAULTS, loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';
import { getMessage } from '../../functions/messages/message-store';
import { getOutboundStatus } from '../../functions/messages/status-store';
import { waitFor } from '../support/wait';

/**
 * Issue 10, "Logs": the whole local pipeline — CALLR emulator, API front, ingest, queue, persist,
 * table — runs with every log line captured, at DEBUG, and none of them holds a full phone number
 * or a message's text. The numbers appear masked, with the keyed hash an operator searches by.
 */
jest.setTimeout(60_000);

// Every line the handlers can write, debug included: set before the pipeline builds its loggers.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
delete process.env.POWERTOOLS_DEV;

const SENDER = '+33612345678';
const HANDSET = '+33798765432';
const TEXT = 'Meet me at the old mill, the code is ALPHA';
const REPLY_TEXT = 'Fine, I will bring the documents';

describe('log masking through the local pipeline', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  const lines: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-log-masking-'));
    const env = await localPipelineEnv(dataDir);
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      spies.push(
        jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
          lines.push(String(chunk));
          // Only JSON log lines are kept from the report; anything else still reaches jest.
          return String(chunk).startsWith('{') ? true : original(chunk as string, ...(rest as []));
        }) as typeof stream.write),
      );
    }
    pipeline = await startLocalPipeline(loadLocalConfig(env), { emulatorRetry: { baseDelayMs: 100, maxTries: 10 } });
  });

  afterAll(async () => {
    await pipeline?.stop();
    for (const spy of spies) spy.mockRestore();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes no full number and no text, and the numbers masked with their keyed hash', async () => {
    const table = { documents: pipeline.clients.documents, tableName: pipeline.endpoints.tableName };
    // An inbound SMS, and an outbound one whose statuses come back, and a reply to it (two webhooks).
    const inbound = pipeline.emulator!.injectInboundSms({ from: SENDER, to: '38100', text: TEXT });
    const callr = createCallrClient({ apiUrl: pipeline.endpoints.callrApiUrl, credentials: { apiKey: LOCAL_DEFAULTS.emulatorApiKey } });
    const sent = await callr.sendSms({ from: '38200', to: HANDSET, text: 'Your code is 4242', webhookEndpoint: pipeline.endpoints.webhookUrl });
    const reply = pipeline.emulator!.injectInboundSms({ from: HANDSET, to: '38200', text: REPLY_TEXT });
    await waitFor('the status of the outbound SMS', async () => (await getOutboundStatus(table, sent.hash)) !== undefined, 20_000);
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    // The pipeline really ran: what the logs are checked for went through it.
    expect(await getMessage(table, inbound.hash)).toMatchObject({ from: SENDER, text: TEXT });
    expect(await getMessage(table, reply.hash)).toMatchObject({ from: HANDSET, text: REPLY_TEXT });

    const logs = lines.filter((line) => line.startsWith('{')).join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('"level":"DEBUG"');
    for (const number of [SENDER, HANDSET]) {
      expect(logs).not.toContain(number.slice(1));
      expect(logs).not.toContain(number.slice(3));
    }
    for (const text of [TEXT, REPLY_TEXT, 'Your code is 4242']) expect(logs).not.toContain(text);
    expect(logs).not.toContain('old mill');

    const key = numberHashKeyBytes(pipeline.numberHashKey, 'the local key');
    expect(logs).toContain(`•••••••5678#${hashNumber(key, SENDER)}`);
    expect(logs).toContain(`•••••••5432#${hashNumber(key, HANDSET)}`);
  });
});
