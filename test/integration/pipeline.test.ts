import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createIngestHandler } from '../../functions/ingest/create-ingest-handler';
import { loadIngestConfig } from '../../functions/ingest/config';
import { staticHmacSecrets } from '../../functions/ingest/hmac-secrets';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { testNumberHashKey } from '../support/number-hash-key';
import { getMessage, listMessagesBySender } from '../../functions/messages/message-store';
import { createObservability } from '../../functions/observability/observability';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { localLambdaContext } from '../../local/lambda-context';
import { startSqsEventSource, type RunningSqsEventSource } from '../../local/sqs-event-source';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { drainQueue } from '../support/sqs-events';
import { callrBody, callrWebhookEvent } from '../support/http-api-events';
import { callrV2Body, smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';
import { getOutboundStatus } from '../../functions/messages/status-store';

/**
 * Issue 2's promise end to end on the emulators: a signed CALLR request goes through the real
 * ingest handler, a real queue, the Lambda-like poller and the real persist handler into the real
 * table — once, however often and through however many webhooks CALLR delivers it.
 */
const SECRET = 'pipeline-test-secret';

// Handlers log and count as in Lambda; keep jest's report readable.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('ingest → SQS → persist → DynamoDB', () => {
  let env: TestEnvironment;
  let poller: RunningSqsEventSource;
  let ingest: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  const table = () => ({ documents: env.clients.documents, tableName: env.tableName });

  beforeAll(async () => {
    env = await startTestEnvironment();
    const config = loadIngestConfig({
      QUEUE_URL: env.ingestQueueUrl,
      DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl,
      CALLR_HMAC_SECRET: SECRET,
    });
    // Wrapped as in Lambda, so each request's metrics are published (and dropped: disabled here).
    const observability = createObservability('ingest');
    const wrapped = withLambdaMiddleware(
      createIngestHandler({ config, sqs: env.clients.sqs, secrets: staticHmacSecrets([SECRET]), now: () => new Date(), ...observability }),
      observability,
    );
    ingest = (event) => wrapped(event, localLambdaContext('ingest', env.region, 10_000));
    const persist = createPersistHandler({
      config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxTopicArn: env.inboxTopicArn },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      sns: env.clients.sns,
      now: () => new Date(),
      numberHashKey: testNumberHashKey(),
      ...createObservability('persist'),
    });
    poller = await startSqsEventSource({
      sqs: env.clients.sqs,
      queueUrl: env.ingestQueueUrl,
      region: env.region,
      handler: (event) => persist(event),
    });
  });

  afterAll(async () => {
    await poller.stop();
    await env.stop();
  });

  const moBody = (eventId: string, hash: string, changes: { hookHash?: string | null; from?: string } = {}) =>
    callrBody(smsMoBody(), {
      eventId,
      eventAt: new Date(),
      data: { hash, ...(changes.from ? { from: changes.from } : {}) },
      edit: (event) => {
        if (changes.hookHash !== undefined) event.hook_hash = changes.hookHash;
      },
    });

  it('stores an event delivered twice (a CALLR retry) once and forwards it once', async () => {
    const body = moBody('retry000000000000000000000000001', 'PIPE0001', { from: '+33600000001' });
    const first = await ingest(callrWebhookEvent({ body, secret: SECRET }));
    const retry = await ingest(callrWebhookEvent({ body, secret: SECRET }));
    expect([first.statusCode, retry.statusCode]).toEqual([200, 200]);
    await poller.idle();

    expect(await listMessagesBySender(table(), { from: '+33600000001' })).toEqual([
      expect.objectContaining({ id: 'PIPE0001', eventId: 'retry000000000000000000000000001' }),
    ]);
    const forwarded = (await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map((m) => JSON.parse(m.Body ?? '{}').id);
    expect(forwarded).toEqual(['PIPE0001']);
  });

  it('stores once an SMS delivered through the global and the per-SMS webhook under two event ids', async () => {
    const viaGlobal = moBody('global00000000000000000000000001', 'PIPE0002', { hookHash: 'IAYHJ6F3', from: '+33600000002' });
    const viaDynamic = moBody('dynamic0000000000000000000000001', 'PIPE0002', { hookHash: null, from: '+33600000002' });
    const answers = await Promise.all([
      ingest(callrWebhookEvent({ body: viaGlobal, secret: SECRET })),
      ingest(callrWebhookEvent({ body: viaDynamic, secret: SECRET })),
    ]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    await poller.idle();

    expect(await listMessagesBySender(table(), { from: '+33600000002' })).toHaveLength(1);
    expect(await getMessage(table(), 'PIPE0002')).toMatchObject({ id: 'PIPE0002', from: '+33600000002' });
    const forwarded = (await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map((m) => JSON.parse(m.Body ?? '{}').id);
    expect(forwarded).toEqual(['PIPE0002']);
  });

  it('lets no forged request in', async () => {
    const body = moBody('forged00000000000000000000000001', 'PIPE0003');
    const answer = await ingest(callrWebhookEvent({ body, secret: 'not-the-secret' }));
    expect(answer.statusCode).toBe(401);
    await poller.idle();
    expect(await getMessage(table(), 'PIPE0003')).toBeUndefined();
  });

  it('keeps emoji text byte for byte from the webhook to the table and the inbox', async () => {
    const text = 'Vote 👍 pour «Zoé» — 投票 \u{1F600}';
    const body = callrBody(smsMoBody(), { eventId: 'emoji000000000000000000000000001', eventAt: new Date(), data: { hash: 'PIPE0004', text } });
    expect((await ingest(callrWebhookEvent({ body, secret: SECRET }))).statusCode).toBe(200);
    await poller.idle();
    expect((await getMessage(table(), 'PIPE0004'))?.text).toBe(text);
    const [forwarded] = await drainQueue(env.clients.sqs, env.inboxQueueUrl);
    expect(JSON.parse(forwarded?.Body ?? '{}')).toMatchObject({ id: 'PIPE0004', text });
  });

  describe('the tolerant reader, end to end: stored, not quarantined (issue 6)', () => {
    let counter = 0;
    const history = (change: Record<string, unknown>) => ({ status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: '2017-01-24 01:51:29', ...change }] });
    it.each([
      ['date_received, date_update and date_sent with .123', { date_received: '2024-05-01 10:00:00.123', date_update: '2024-05-01 10:00:00.123', date_sent: '2024-05-01 10:00:00.123' }, { receivedAt: '2024-05-01T10:00:00.123Z' }],
      ['date_sent null', { date_sent: null }, {}],
      ['encoding null', { encoding: null }, { encoding: null }],
      ['parts "1"', { parts: '1' }, { parts: null }],
      ['status_history[].updated_at with .123', history({ updated_at: '2017-01-24 01:51:29.123' }), {}],
      ['old_status null', history({ old_status: null }), {}],
      ['an unknown status value', { status: 'SOMETHING_NEW' }, {}],
      ['extra fields at every level', { novel: { deep: [1] }, options: { novel: true }, ...history({ novel: 1 }) }, {}],
    ])('an sms.mo with %s', async (_name, data, expected) => {
      const hash = `TOLERANT${++counter}`;
      const eventId = `tolerant-${counter}`.padEnd(32, '0');
      const body = callrBody(smsMoBody(), { eventId, eventAt: new Date(), data: { hash, ...data }, edit: (event) => Object.assign(event, { novel: 'envelope' }) });

      expect(await ingest(callrWebhookEvent({ body, secret: SECRET }))).toMatchObject({ statusCode: 200 });
      await poller.idle();

      expect(await getMessage(table(), hash)).toMatchObject({ id: hash, eventId, text: 'Hello world', ...expected });
      expect(await drainQueue(env.clients.sqs, env.deadLetterQueueUrl)).toEqual([]);
      const forwarded = (await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map((m) => JSON.parse(m.Body ?? '{}').id);
      expect(forwarded).toEqual([hash]);
    });

    it('a status update with an unknown status, old_status null and .123 dates', async () => {
      const eventAt = new Date();
      const body = callrBody(smsStatusBody(), {
        eventId: 'tolerant-status'.padEnd(32, '0'),
        eventAt,
        data: { hash: 'TOLSTAT1', status: 'REMOTE_QUEUED', date_sent: null, status_history: [{ old_status: null, new_status: 'REMOTE_QUEUED', updated_at: '2024-05-01 10:00:00.123', novel: 1 }] },
      });
      expect(await ingest(callrWebhookEvent({ body, secret: SECRET }))).toMatchObject({ statusCode: 200 });
      await poller.idle();

      expect(await getOutboundStatus(table(), 'TOLSTAT1')).toMatchObject({
        status: 'REMOTE_QUEUED',
        history: [{ oldStatus: null, newStatus: 'REMOTE_QUEUED', at: '2024-05-01T10:00:00.123Z' }],
        eventAt: eventAt.toISOString(),
      });
      expect(await drainQueue(env.clients.sqs, env.deadLetterQueueUrl)).toEqual([]);
    });
  });

  describe('REST v2 events', () => {
    const v2Body = (id: string, sid: string, from: string) => callrV2Body({ id, at: new Date(), payload: { sid, from } });
    const forwardedIds = async () => (await drainQueue(env.clients.sqs, env.inboxQueueUrl)).map((m) => JSON.parse(m.Body ?? '{}'));

    it('stores a v2.sms.inbound.received as the same message a v1 sms.mo gives, saying which format it came in', async () => {
      const body = v2Body('v2only00000000000000000000000001', 'pipev201', '+33600000021');
      expect(await ingest(callrWebhookEvent({ body, secret: SECRET }))).toMatchObject({ statusCode: 200 });
      await poller.idle();

      expect(await getMessage(table(), 'PIPEV201')).toMatchObject({ id: 'PIPEV201', from: '+33600000021', text: 'Hello world', encoding: 'GSM', eventId: 'v2only00000000000000000000000001' });
      const [forwarded] = await forwardedIds();
      expect(forwarded).toMatchObject({ id: 'PIPEV201', source: { format: 'callr.v2', eventType: 'v2.sms.inbound.received' } });
    });

    it('stores once and forwards once the same SMS delivered by a v1 webhook (hash upper case) and a v2 webhook (sid lower case)', async () => {
      const viaV1 = moBody('bothv1000000000000000000000000001', 'PIPEBOTH', { from: '+33600000022' });
      const viaV2 = v2Body('bothv2000000000000000000000000001', 'pipeboth', '+33600000022');
      const answers = await Promise.all([ingest(callrWebhookEvent({ body: viaV1, secret: SECRET })), ingest(callrWebhookEvent({ body: viaV2, secret: SECRET }))]);
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
      await poller.idle();

      expect(await listMessagesBySender(table(), { from: '+33600000022' })).toEqual([expect.objectContaining({ id: 'PIPEBOTH' })]);
      expect((await forwardedIds()).map((message) => message.id)).toEqual(['PIPEBOTH']);
    });

    it('takes a v2 retry (same id) as the same event: stored once, forwarded once', async () => {
      const body = v2Body('v2retry0000000000000000000000001', 'pipev2rt', '+33600000023');
      for (let attempt = 0; attempt < 2; attempt++) expect(await ingest(callrWebhookEvent({ body, secret: SECRET }))).toMatchObject({ statusCode: 200 });
      await poller.idle();

      expect(await listMessagesBySender(table(), { from: '+33600000023' })).toEqual([expect.objectContaining({ id: 'PIPEV2RT', eventId: 'v2retry0000000000000000000000001' })]);
      expect((await forwardedIds()).map((message) => message.id)).toEqual(['PIPEV2RT']);
    });
  });
});
