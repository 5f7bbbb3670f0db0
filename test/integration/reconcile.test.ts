import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createCallrClient, type CallrClient } from '../../functions/callr/json-rpc-client';
import { readListedSms } from '../../functions/callr/sms-listing';
import { loadIngestConfig } from '../../functions/ingest/config';
import { createIngestHandler } from '../../functions/ingest/create-ingest-handler';
import { staticHmacSecrets } from '../../functions/ingest/hmac-secrets';
import { getMessage, listRecentMessages } from '../../functions/messages/message-store';
import { createObservability } from '../../functions/observability/observability';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { createReconcileHandler } from '../../functions/reconcile/create-reconcile-handler';
import { RECONCILE_METRICS } from '../../functions/reconcile/metrics';
import { reconcileInbound, type SweepDependencies, type SweepRange } from '../../functions/reconcile/sweep';
import { decodeInboxMessage } from '../../functions/inbox/message';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startHttpApiFront, type RunningHttpApiFront } from '../../local/http-api-front';
import { startSqsEventSource, type RunningSqsEventSource } from '../../local/sqs-event-source';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { callrBody, callrWebhookEvent } from '../support/http-api-events';
import { drainQueue } from '../support/sqs-events';
import { testNumberHashKey } from '../support/number-hash-key';
import { smsMoBody } from '../fixtures/callr-fixtures';
import { eraseNumber } from '../../functions/erasure/erase-number';
import { TEST_NUMBER_HASH_KEY } from '../support/number-hash-key';

/**
 * The sweep against the CALLR emulator, dynalite and fauxqs with real SDK clients, feeding the
 * real ingest queue, persister, table and inbox: what the webhook lost is recovered once, and what
 * both the webhook and the sweep bring is stored and forwarded once.
 */
const SECRET = 'reconcile-test-secret';
const API_KEY = 'reconcile-test-key';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('reconciliation sweep', () => {
  let env: TestEnvironment;
  let emulator: CallrEmulator;
  let front: RunningHttpApiFront;
  let callr: CallrClient;
  let poller: RunningSqsEventSource | undefined;
  let sender = 0;
  /** The emulator's clock: the real one, unless a test places its SMS in time. */
  let clock: Date | undefined;

  const table = () => ({ documents: env.clients.documents, tableName: env.tableName });
  const ingest = () => {
    const config = loadIngestConfig({ QUEUE_URL: env.ingestQueueUrl, DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl, CALLR_HMAC_SECRET: SECRET });
    return createIngestHandler({ config, sqs: env.clients.sqs, secrets: staticHmacSecrets([SECRET]), now: () => new Date(), ...createObservability('ingest') });
  };
  const persist = () =>
    createPersistHandler({
      config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: env.inboxTopicArn },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => new Date(),
      numberHashKey: testNumberHashKey(),
      ...createObservability('persist'),
    });
  const sweepDeps = (): SweepDependencies => ({
    callr,
    table: table(),
    sqs: env.clients.sqs,
    ingestQueueUrl: env.ingestQueueUrl,
    numberHashKey: testNumberHashKey(),
    now: () => new Date(),
  });
  /** Around now: the emulator stamps SMS with the real clock. */
  const aroundNow = (): SweepRange => ({ from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) });

  /** Runs the persister on the ingest queue until it is empty. */
  const persistEverything = async () => {
    poller ??= await startSqsEventSource({ sqs: env.clients.sqs, queueUrl: env.ingestQueueUrl, region: env.region, handler: persist(), concurrency: 2 });
    await poller.idle();
  };
  const inbox = async () => (await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map((message) => decodeInboxMessage(message.Body ?? ''));

  /** A handset sends `count` SMS to our number from a number of its own. */
  const receive = (count: number, undelivered: boolean) => {
    const from = `+336100${String(++sender).padStart(5, '0')}`;
    return Array.from({ length: count }, (_, n) => emulator.injectInboundSms({ from, to: '+33987654321', text: `sms ${n}`, undelivered }).hash);
  };

  beforeEach(async () => {
    env = await startTestEnvironment();
    emulator = await startCallrEmulator({ credentials: { apiKey: API_KEY }, retry: { baseDelayMs: 5, maxTries: 2 }, now: () => clock ?? new Date() });
    const handler = ingest();
    front = await startHttpApiFront({ port: 0, routes: [{ method: 'POST', path: '/webhooks/callr', handler: (event: APIGatewayProxyEventV2) => handler(event) }] });
    callr = createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, retries: 1, retryBaseDelayMs: 1 });
    await callr.subscribeWebhook({ type: 'sms.mo', endpoint: `${front.url}/webhooks/callr`, hmacSecret: SECRET });
  });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    await front.close();
    await emulator.close();
    await env.stop();
  });

  it('recovers the SMS the webhook never delivered, exactly once, and says how each arrived', async () => {
    const delivered = receive(3, false);
    const lost = receive(4, true);
    await emulator.whenIdle();
    await persistEverything();
    expect((await inbox()).map((message) => message.id).sort()).toEqual([...delivered].sort());

    const summary = await reconcileInbound(sweepDeps(), aroundNow());
    await persistEverything();

    expect(summary).toMatchObject({ asked: 7, alreadyStored: 3, recovered: 4, recoveredIds: lost, complete: true, gaps: [], skipped: 0 });
    const forwarded = await inbox();
    expect(forwarded.map((message) => message.id).sort()).toEqual([...lost].sort());
    expect(forwarded.every((message) => message.arrival === 'reconciled' && message.eventId === `reconciled-${message.id}` && message.hookHash === null)).toBe(true);
    for (const hash of delivered) expect(await getMessage(table(), hash)).toMatchObject({ arrival: 'webhook' });
    expect(await getMessage(table(), lost[0]!)).toMatchObject({ from: expect.stringMatching(/^\+336100/), to: '+33987654321', text: 'sms 0', arrival: 'reconciled' });

    // The next sweep over the same range finds everything stored, and sends nothing.
    const again = await reconcileInbound(sweepDeps(), aroundNow());
    await persistEverything();
    expect(again).toMatchObject({ asked: 7, alreadyStored: 7, recovered: 0 });
    expect(await inbox()).toEqual([]);
    expect((await listRecentMessages(table(), { limit: 100 })).messages).toHaveLength(7);
  });

  it('stores and forwards once an SMS whose webhook delivery and sweep event are on the queue together', async () => {
    const [hash] = receive(1, true) as [string];
    // The sweep runs first and sees nothing stored...
    const summary = await reconcileInbound(sweepDeps(), aroundNow());
    expect(summary).toMatchObject({ recovered: 1 });
    // ...then CALLR's (late) delivery of the same SMS arrives, before the persister ran.
    const [listed] = await callr.getSmsList({ type: 'IN', from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) });
    const sms = readListedSms(listed, 'IN');
    if (!sms.ok) throw new Error('the listed SMS does not read');
    const late = callrBody(smsMoBody(), { eventId: 'late0000000000000000000000000001', eventAt: new Date(), edit: (event) => void (event.data = sms.sms.raw) });
    expect((await ingest()(callrWebhookEvent({ body: late, secret: SECRET }))).statusCode).toBe(200);

    await persistEverything();

    expect((await inbox()).map((message) => message.id)).toEqual([hash]);
    expect((await listRecentMessages(table(), { limit: 100 })).messages).toEqual([expect.objectContaining({ id: hash })]);
  });

  it('asks nothing of the queue when the webhook delivered everything', async () => {
    receive(5, false);
    await emulator.whenIdle();
    await persistEverything();
    await inbox();
    const progress: string[] = [];

    const summary = await reconcileInbound({ ...sweepDeps(), onProgress: (step) => progress.push(step.stage) }, aroundNow());

    expect(summary).toMatchObject({ asked: 5, alreadyStored: 5, recovered: 0, calls: 1 });
    expect(progress).toEqual(['listed', 'checked']);
    await persistEverything();
    expect(await inbox()).toEqual([]);
  });

  it('lists through a page size CALLR does not publish, and recovers every SMS behind it once', async () => {
    const start = Date.now() - 30_000;
    const lost = Array.from({ length: 12 }, (_, n) => {
      clock = new Date(start + n * 2_000);
      return receive(1, true)[0]!;
    });
    clock = undefined;
    emulator.setLimits({ smsListLimit: 5 });

    const summary = await reconcileInbound({ ...sweepDeps(), listing: { pageLimit: 5 } }, aroundNow());
    await persistEverything();

    expect(summary).toMatchObject({ asked: 12, alreadyStored: 0, recovered: 12, recoveredIds: lost, complete: true });
    expect(summary.calls).toBeGreaterThan(1);
    expect((await inbox()).map((message) => message.id).sort()).toEqual([...lost].sort());
  });

  it('runs as the Lambda does: one sweep per invocation, its counts as metrics, recovered ids in a warning', async () => {
    const lost = receive(2, true);
    const { logger, metrics } = createObservability('reconcile');
    const counted: Array<[string, number]> = [];
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      counted.push([name, value]);
      return metrics;
    });
    const warned = jest.spyOn(logger, 'warn');
    const handler = createReconcileHandler({ ...sweepDeps(), callr: async () => callr, lookBackMs: 3600_000, logger, metrics });

    const summary = await handler({ since: new Date(Date.now() - 60_000).toISOString(), until: new Date(Date.now() + 60_000).toISOString() });
    await persistEverything();

    expect(summary).toMatchObject({ asked: 2, recovered: 2, recoveredIds: lost });
    expect(counted).toEqual([
      [RECONCILE_METRICS.reconciled, 2],
      [RECONCILE_METRICS.asked, 2],
      [RECONCILE_METRICS.incomplete, 0],
    ]);
    expect(warned).toHaveBeenCalledWith(expect.stringMatching(/recovered SMS/), expect.objectContaining({ recovered: 2, recoveredIds: lost }));
    expect((await inbox()).map((message) => message.id).sort()).toEqual([...lost].sort());
  });

  it('does not bring back what an erasure removed: SMS received before the erasure stay erased, later ones are recovered', async () => {
    const start = Date.now() - 30_000;
    clock = new Date(start);
    const [before] = receive(1, false) as [string];
    await emulator.whenIdle();
    await persistEverything();
    await inbox();
    const from = (await getMessage(table(), before))!.from;
    const key = new TextEncoder().encode(TEST_NUMBER_HASH_KEY);
    await eraseNumber(table(), { number: from, key, now: new Date(start + 2_000) });
    expect(await getMessage(table(), before)).toBeUndefined();
    // The same person writes again after the erasure, and the webhook loses it.
    clock = new Date(start + 5_000);
    const after = emulator.injectInboundSms({ from, to: '+33987654321', text: 'after', undelivered: true }).hash;
    clock = undefined;

    const summary = await reconcileInbound(sweepDeps(), aroundNow());
    await persistEverything();

    expect(summary).toMatchObject({ asked: 2, alreadyStored: 0, erased: 1, recovered: 1, recoveredIds: [after] });
    expect(await getMessage(table(), before)).toBeUndefined();
    expect((await inbox()).map((message) => message.id)).toEqual([after]);
  });
});
