import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createIngestHandler } from '../../functions/ingest/create-ingest-handler';
import { loadIngestConfig } from '../../functions/ingest/config';
import { staticHmacSecrets } from '../../functions/ingest/hmac-secrets';
import { createPersistHandler } from '../../functions/persist/create-persist-handler';
import { getMessage, listMessagesBySender } from '../../functions/messages/message-store';
import { createObservability } from '../../functions/observability/observability';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { localLambdaContext } from '../../local/lambda-context';
import { startSqsEventSource, type RunningSqsEventSource } from '../../local/sqs-event-source';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { drainQueue } from '../support/sqs-events';
import { callrBody, callrWebhookEvent } from '../support/http-api-events';
import { smsMoBody } from '../fixtures/callr-fixtures';

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
      config: { tableName: env.tableName, deadLetterQueueUrl: env.deadLetterQueueUrl, inboxQueueUrl: env.inboxQueueUrl },
      documents: env.clients.documents,
      sqs: env.clients.sqs,
      now: () => new Date(),
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
});
