import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { getMessage } from '../../functions/messages/message-store';
import { listMessages } from '../../cli/messages';
import { drainQueue } from '../support/sqs-events';
import { LOCAL_DEFAULTS, loadLocalConfig } from '../../local/config';
import { ENDPOINTS_FILE } from '../../local/endpoints';
import { LocalPortInUseError, startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { createQueues, subscribeToInbox } from '../../local/provision';
import { LOCAL_RESOURCE_NAMES } from '../../functions/queues/queue-design';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { signCallrBody } from '../../functions/callr/signature';
import { smsMoBody } from '../fixtures/callr-fixtures';
import { callrBody } from '../support/http-api-events';
import { startCallrEmulator } from '../../local/callr-emulator';
import { localPipelineEnv } from '../support/free-port';
import { waitFor } from '../support/wait';

/**
 * Local mode end to end, as `npm start` runs it, on free ports: the CALLR emulator delivers
 * signed events over HTTP to the API Gateway front, the real handlers do the rest.
 */
jest.setTimeout(60_000);

// The handlers log and count as in Lambda; keep jest's report readable.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

// Short first delays, and enough tries (about 50 s in all) that a loaded machine cannot run out.
const FAST_RETRIES = { baseDelayMs: 100, maxTries: 10 };

describe('local mode', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let pipeline: LocalPipeline;

  const start = () => startLocalPipeline(loadLocalConfig(env), { emulatorRetry: FAST_RETRIES });
  const table = () => ({ documents: pipeline.clients.documents, tableName: pipeline.endpoints.tableName });
  /** What the CLI's `messages --from` would list. */
  const storedFrom = (from: string) => listMessages(table(), { by: 'from', from });
  /** The SMS hashes handed to downstream services since the last look. */
  const forwarded = async () =>
    (await drainQueue(pipeline.clients.sqs, pipeline.endpoints.inboxQueueUrl)).map((message) => JSON.parse(message.Body ?? '{}').id);
  const settle = async () => {
    await pipeline.emulator?.whenIdle();
    await pipeline.idle();
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-local-'));
    env = await localPipelineEnv(dataDir);
    pipeline = await start();
  });

  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes endpoints.json for other programs', () => {
    const written = JSON.parse(readFileSync(join(dataDir, ENDPOINTS_FILE), 'utf8'));
    expect(written).toEqual(
      expect.objectContaining({
        webhookUrl: `http://127.0.0.1:${env.PORT}/webhooks/callr`,
        dynamodbEndpoint: `http://127.0.0.1:${env.DYNAMODB_PORT}`,
        sqsEndpoint: `http://127.0.0.1:${env.SQS_PORT}`,
        callrEmulatorUrl: `http://127.0.0.1:${env.CALLR_EMULATOR_PORT}`,
        region: LOCAL_DEFAULTS.region,
        tableName: LOCAL_RESOURCE_NAMES.table,
        ingestQueueUrl: expect.stringContaining(LOCAL_RESOURCE_NAMES.ingestQueue),
        deadLetterQueueUrl: expect.stringContaining(LOCAL_RESOURCE_NAMES.deadLetterQueue),
        inboxTopicArn: `arn:aws:sns:${LOCAL_DEFAULTS.region}:000000000000:${LOCAL_RESOURCE_NAMES.inboxTopic}`,
        hmacSecret: expect.any(String),
      }),
    );
    expect(pipeline.emulator?.subscriptions().map((hook) => [hook.type, hook.endpoint]).sort()).toEqual([
      ['sms.mo', written.webhookUrl],
      ['sms.mt.status_update', written.webhookUrl],
    ]);
  });

  it('stores an inbound SMS injected at the CALLR emulator', async () => {
    const injected = pipeline.emulator!.injectInboundSms({ from: '+33611111111', to: '38100', text: 'VOTE 2 😀' });
    await settle();
    expect(await storedFrom('+33611111111')).toEqual([
      expect.objectContaining({ id: injected.hash, to: '38100', text: 'VOTE 2 😀', eventId: injected.eventIds[0] }),
    ]);
    expect(await forwarded()).toEqual([injected.hash]);
  });

  it('stores once a reply that CALLR delivers to the global and the per-SMS webhook', async () => {
    const callr = createCallrClient({ apiUrl: pipeline.endpoints.callrApiUrl, credentials: { apiKey: LOCAL_DEFAULTS.emulatorApiKey } });
    await callr.sendSms({ from: '38200', to: '+33622222222', text: 'Reply YES to confirm', webhookEndpoint: pipeline.endpoints.webhookUrl });
    const reply = pipeline.emulator!.injectInboundSms({ from: '+33622222222', to: '38200', text: 'YES' });
    await settle();

    expect(reply.eventIds).toHaveLength(2);
    const delivered = pipeline.emulator!.deliveries().filter((attempt) => reply.eventIds.includes(attempt.eventId));
    expect(delivered.map((attempt) => [attempt.outcome, attempt.httpStatus])).toEqual([
      ['delivered', 200],
      ['delivered', 200],
    ]);
    expect(await storedFrom('+33622222222')).toEqual([expect.objectContaining({ id: reply.hash })]);
    // The table is keyed on the hash, so a second copy could not show there; it would on the inbox.
    expect(await forwarded()).toEqual([reply.hash]);
  });

  it('fans the inbox out: a second subscriber with a keyword filter receives only its keyword, the inbox queue every MO once', async () => {
    const { sqs, sns } = pipeline.clients;
    const { QueueUrl: helpBot } = await sqs.send(new CreateQueueCommand({ QueueName: 'help-bot' }));
    await subscribeToInbox(sns, sqs, { topicArn: pipeline.endpoints.inboxTopicArn, queueUrl: helpBot ?? '', filter: { kind: ['sms.mo'], keyword: ['HELP'] } });

    const help = pipeline.emulator!.injectInboundSms({ from: '+33644444444', to: '38100', text: 'Help! what are the hours?' });
    const other = pipeline.emulator!.injectInboundSms({ from: '+33644444444', to: '38100', text: 'Hello there' });
    await settle();

    const onHelpBot = await drainQueue(sqs, helpBot ?? '');
    expect(onHelpBot.map((message) => [JSON.parse(message.Body ?? '{}').id, message.MessageAttributes?.keyword?.StringValue])).toEqual([[help.hash, 'HELP']]);
    expect((await forwarded()).sort()).toEqual([help.hash, other.hash].sort());
  });

  it('refuses a forged request', async () => {
    const body = callrBody(smsMoBody(), { eventId: 'forgedlocal000000000000000000001', eventAt: new Date(), data: { hash: 'FORGED01' } });
    const response = await fetch(pipeline.endpoints.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-callr-hmacsignature': signCallrBody(body, 'guessed-secret') },
      body,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_signature' });
    await settle();
    expect(await getMessage(table(), 'FORGED01')).toBeUndefined();
  });

  it('ends CALLR retries after a 5xx in exactly one stored message', async () => {
    // A real failure: without its queue the ingest cannot take the event in and answers 503.
    await pipeline.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: pipeline.endpoints.ingestQueueUrl }));
    const injected = pipeline.emulator!.injectInboundSms({ from: '+33633333333', to: '38100', text: 'retry me' });
    await waitFor('a 503 answer to CALLR', () => pipeline.emulator!.deliveries().some((a) => a.eventId === injected.eventIds[0] && a.httpStatus === 503));
    await createQueues(pipeline.clients, LOCAL_RESOURCE_NAMES);
    await settle();

    const attempts = pipeline.emulator!.deliveries().filter((attempt) => attempt.eventId === injected.eventIds[0]);
    expect(attempts[0]).toMatchObject({ try: 0, httpStatus: 503, willRetry: true });
    expect(attempts.at(-1)).toMatchObject({ outcome: 'delivered', httpStatus: 200 });
    expect(await storedFrom('+33633333333')).toEqual([expect.objectContaining({ id: injected.hash })]);
    expect(await forwarded()).toEqual([injected.hash]);
  });

  it('refuses to start on a port in use, naming the variable that changes it', async () => {
    const error = await startLocalPipeline(loadLocalConfig({ ...env, LOCAL_DATA_DIR: join(dataDir, 'second') })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalPortInUseError);
    expect((error as Error).message).toMatch(new RegExp(`port ${env.DYNAMODB_PORT} .*DYNAMODB_PORT`));
  });

  it('unsubscribes on shutdown and keeps the data across a restart', async () => {
    const stored = pipeline.emulator!.injectInboundSms({ from: '+33644444444', to: '38100', text: 'still here?' });
    await settle();
    const hashes = [...pipeline.endpoints.webhookHashes];
    const emulator = pipeline.emulator!;
    await pipeline.stop();

    const unsubscribed = emulator
      .calls()
      .filter((call) => call.method === 'webhooks.unsubscribe' && call.outcome === 'ok')
      .map((call) => call.params[0]);
    expect(unsubscribed.sort()).toEqual(hashes.sort());

    pipeline = await start();
    expect(await getMessage(table(), stored.hash)).toMatchObject({ id: stored.hash, text: 'still here?' });
  });
});


describe('local mode with a remote CALLR account (CALLR_API_URL, credentials and PUBLIC_URL)', () => {
  it('subscribes there instead of starting the emulator, and unsubscribes on shutdown', async () => {
    // Stands in for api.callr.com: a CALLR emulator the pipeline did not start itself.
    const remote = await startCallrEmulator({ credentials: { apiKey: 'remote-account-key' }, retry: FAST_RETRIES });
    const dataDir = mkdtempSync(join(tmpdir(), 'callr-remote-'));
    let pipeline: LocalPipeline | undefined;
    try {
      const env = await localPipelineEnv(dataDir);
      // The "tunnel" is loopback here: the public URL is the local front itself.
      const publicUrl = `http://127.0.0.1:${env.PORT}/`;
      pipeline = await startLocalPipeline(
        loadLocalConfig({ ...env, CALLR_API_URL: remote.url, CALLR_API_KEY: 'remote-account-key', PUBLIC_URL: publicUrl }),
      );
      expect(pipeline.emulator).toBeUndefined();
      expect(pipeline.endpoints).toMatchObject({ callrApiUrl: remote.url, callrEmulatorUrl: null, callrEmulatorApiKey: null });
      expect(remote.subscriptions().map((hook) => hook.endpoint)).toEqual([
        `http://127.0.0.1:${env.PORT}/webhooks/callr`,
        `http://127.0.0.1:${env.PORT}/webhooks/callr`,
      ]);

      const injected = remote.injectInboundSms({ from: '+33655555555', to: '38100', text: 'through the tunnel' });
      await remote.whenIdle();
      await pipeline.idle();
      const table = { documents: pipeline.clients.documents, tableName: pipeline.endpoints.tableName };
      expect(await getMessage(table, injected.hash)).toMatchObject({ text: 'through the tunnel' });

      await pipeline.stop();
      pipeline = undefined;
      expect(remote.subscriptions()).toEqual([]);
    } finally {
      await pipeline?.stop();
      await remote.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('local mode with several HMAC secrets (CALLR_HMAC_SECRET=current,previous)', () => {
  it('subscribes CALLR with the first and accepts every one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callr-secrets-'));
    const pipeline = await startLocalPipeline(
      loadLocalConfig({ ...(await localPipelineEnv(dataDir)), CALLR_HMAC_SECRET: 'current-secret, previous-secret' }),
      { emulatorRetry: FAST_RETRIES },
    );
    try {
      expect(pipeline.endpoints.hmacSecret).toBe('current-secret');
      const viaCallr = pipeline.emulator!.injectInboundSms({ from: '+33666666666', to: '38100', text: 'signed with current' });
      await pipeline.emulator!.whenIdle();
      expect(pipeline.emulator!.deliveries().filter((attempt) => attempt.eventId === viaCallr.eventIds[0]).map((a) => a.httpStatus)).toEqual([200]);

      const body = callrBody(smsMoBody(), { eventId: 'previoussecret000000000000000001', eventAt: new Date(), data: { hash: 'PREVSEC1' } });
      const signedWithPrevious = await fetch(pipeline.endpoints.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-callr-hmacsignature': signCallrBody(body, 'previous-secret') },
        body,
      });
      expect(signedWithPrevious.status).toBe(200);
    } finally {
      await pipeline.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
