import { createHmac } from 'node:crypto';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createObservability } from '../../functions/observability/observability';
import { loadIngestConfig, MAX_BODY_BYTES, type IngestEnv } from '../../functions/ingest/config';
import { createIngestHandler } from '../../functions/ingest/create-ingest-handler';
import { createHmacSecretSource, secretsManagerHmacSecrets, type HmacSecretSource } from '../../functions/ingest/hmac-secrets';
import { HmacSecretUnavailableError } from '../../functions/ingest/errors';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { ATTRIBUTE, decodeEventBody } from '../../functions/queues/queue-message';
import { fromSqsSafeText } from '../../functions/queues/sqs-safe-json';
import { createQueues, type LocalQueues } from '../../local/provision';
import { callrV2Body, smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { fakeSecretsManager } from '../support/secrets-manager-fake';
import { callrBody, callrWebhookEvent, httpApiEvent, type CallrBodyChanges } from '../support/http-api-events';

/**
 * The ingest handler, wrapped as in Lambda, against a real SQS (fauxqs): what each request is
 * answered, and what each queue holds afterwards.
 */

const SECRET = 'current-secret-4c1d';
const PREVIOUS_SECRET = 'previous-secret-9e7a';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY_MS = 24 * 3600_000;

const mo = (changes: CallrBodyChanges = {}) => callrBody(smsMoBody(), { eventAt: NOW, ...changes });
const statusUpdate = (changes: CallrBodyChanges = {}) => callrBody(smsStatusBody(), { eventAt: NOW, ...changes });
const eventIdOf = (body: Buffer): string => JSON.parse(body.toString('utf8')).event_id;
/** v1 `event_id` or v2 `id`. */
const eventIdOrIdOf = (body: Buffer): string => {
  const json = JSON.parse(body.toString('utf8'));
  return json.event_id ?? json.id;
};
const text = (value: string) => ({ DataType: 'String', StringValue: value });

/** Everything Powertools prints (POWERTOOLS_DEV sends it to the global console), parsed. */
const printed: string[] = [];
const printedJson = () =>
  printed.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('ingest handler against SQS', () => {
  let env: TestEnvironment;
  let queues: LocalQueues;
  let logger: Logger;
  let metrics: Metrics;
  let queueCounter = 0;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    ({ logger, metrics } = createObservability('ingest-test'));
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
      });
    }
    env = await startTestEnvironment();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    process.env = savedEnv;
    await env.stop();
  });

  beforeEach(async () => {
    printed.length = 0;
    const suffix = `${process.pid}-ingest-${++queueCounter}`;
    queues = await createQueues(env.clients, {
      ingestQueue: `ingest-${suffix}`,
      deadLetterQueue: `dead-letter-${suffix}`,
      inboxTopic: `inbox-${suffix}`,
      inboxQueue: `inbox-${suffix}`,
      inboxDeadLetterQueue: `inbox-dead-letter-${suffix}`,
    });
  });

  const lambdaContext = (): Context => ({
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'ingest-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ingest-test',
    memoryLimitInMB: '256',
    awsRequestId: 'lambda-request-1',
    logGroupName: '/aws/lambda/ingest-test',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  });

  function ingest(options: { env?: IngestEnv; secrets?: HmacSecretSource } = {}) {
    const config = loadIngestConfig({
      QUEUE_URL: queues.ingestQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      CALLR_HMAC_SECRET: `${SECRET},${PREVIOUS_SECRET}`,
      ...options.env,
    });
    const secrets =
      options.secrets ??
      createHmacSecretSource(config.hmacSecrets, {
        secretsManager: () => {
          throw new Error('these tests configure no Secrets Manager');
        },
      });
    const handler = withLambdaMiddleware(
      createIngestHandler({ config, sqs: env.clients.sqs, secrets, now: () => NOW, logger, metrics }),
      { logger, metrics },
    );
    return async (event: APIGatewayProxyEventV2) => answerOf(await handler(event, lambdaContext()));
  }

  function answerOf(result: APIGatewayProxyStructuredResultV2) {
    expect(result.headers).toEqual({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    return { statusCode: result.statusCode, body: JSON.parse(String(result.body)) as unknown };
  }

  async function receiveAll(queueUrl: string): Promise<Message[]> {
    const { Messages } = await env.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    return Messages ?? [];
  }

  /** The one message a queue holds: its decoded bytes and its attributes. */
  async function onlyMessage(queueUrl: string) {
    const messages = await receiveAll(queueUrl);
    expect(messages).toHaveLength(1);
    const [message] = messages as [Message];
    const attributes = Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, text(value.StringValue ?? '')]),
    );
    return {
      bytes: decodeEventBody(message.Body ?? '', message.MessageAttributes?.[ATTRIBUTE.bodyEncoding]?.StringValue),
      attributes,
    };
  }

  async function expectQueuesEmpty(...urls: string[]) {
    for (const url of urls) expect(await receiveAll(url)).toEqual([]);
  }

  const accepted = (eventId: string) => ({
    statusCode: 200,
    body: { status: 'accepted', message: 'Event queued for processing.', eventId },
  });
  const queuedAttributes = (eventType: string, eventId: string, requestId: string) => ({
    eventType: text(eventType),
    eventId: text(eventId),
    receivedAt: text(NOW.toISOString()),
    requestId: text(requestId),
    bodyEncoding: text('base64'),
  });

  describe('accepted: queued byte for byte', () => {
    it.each([
      ['an inbound SMS', 'sms.mo', mo()],
      ['a status update', 'sms.mt.status_update', statusUpdate()],
      ['emoji, U+FFFE and escaped NUL in the text', 'sms.mo', mo({ data: { text: 'vote 🗳️ #42 👍🏽 \uFFFE\uFFFF end \u0000' } })],
      ['a body of exactly 256 KiB', 'sms.mo', padTo(MAX_BODY_BYTES)],
      ['an event at the edge of the past window', 'sms.mo', mo({ eventAt: new Date(NOW.getTime() - 7 * DAY_MS) })],
      ['an event at the edge of the future window', 'sms.mo', mo({ eventAt: new Date(NOW.getTime() + 5 * 60_000) })],
    ])('%s', async (_name, eventType, body) => {
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET, requestId: 'req-accepted' }));

      expect(answer).toEqual(accepted(eventIdOf(body)));
      const queued = await onlyMessage(queues.ingestQueueUrl);
      expect(queued.bytes.equals(body)).toBe(true);
      expect(queued.attributes).toEqual(queuedAttributes(eventType, eventIdOf(body), 'req-accepted'));
      await expectQueuesEmpty(queues.deadLetterQueueUrl);
    });

    it('an event_id holding U+FFFE, a control and an emoji, which the eventId attribute carries escaped', async () => {
      const eventId = 'odd-\uFFFE-\u0001-👍';
      const body = mo({ eventId });
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET, eventIdHeader: 'plain-header-id' }));

      expect(answer).toEqual(accepted(eventId));
      const queued = await onlyMessage(queues.ingestQueueUrl);
      expect(queued.bytes.equals(body)).toBe(true);
      expect(queued.attributes[ATTRIBUTE.eventId]).toEqual(text('odd-\\ufffe-\\u0001-\\ud83d\\udc4d'));
    });

    it('decodes a base64-encoded request body before verifying and queueing it', async () => {
      const body = mo({ data: { text: 'base64 path ✓ 🚀' } });
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET, isBase64Encoded: true }));

      expect(answer).toEqual(accepted(eventIdOf(body)));
      expect((await onlyMessage(queues.ingestQueueUrl)).bytes.equals(body)).toBe(true);
    });

    it.each(['x-callr-hmacsignature', 'X-CALLR-HMACSIGNATURE', 'X-CALLR-HmacSignature'])(
      'finds the signature header written %s',
      async (signatureHeaderName) => {
        const body = mo();
        const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET, signatureHeaderName }));
        expect(answer).toEqual(accepted(eventIdOf(body)));
      },
    );

    it('accepts a body signed with the previous secret during a rotation', async () => {
      const body = mo();
      expect(await ingest()(callrWebhookEvent({ body, secret: PREVIOUS_SECRET }))).toEqual(accepted(eventIdOf(body)));
      expect((await onlyMessage(queues.ingestQueueUrl)).bytes.equals(body)).toBe(true);
    });

    // CloudFormation updates the ingest before the custom resource re-subscribes CALLR with the new
    // hmac_algo: events signed under either algorithm must be accepted whatever HMAC_ALGORITHM says.
    it.each([
      ['SHA512', 'SHA256'],
      ['SHA256', 'SHA512'],
      ['SHA512', 'SHA512'],
      ['SHA256', 'SHA256'],
    ] as const)('accepts a %s signature while HMAC_ALGORITHM=%s', async (signedWith, configured) => {
      const body = mo();
      const answer = await ingest({ env: { HMAC_ALGORITHM: configured } })(
        callrWebhookEvent({ body, secret: SECRET, algorithm: signedWith }),
      );
      expect(answer).toEqual(accepted(eventIdOf(body)));
    });
  });

  it('ignores an authentic event of a type it does not process, storing nothing', async () => {
    const body = mo({ type: 'call.hangup', edit: (event) => Object.assign(event, { data: { call_id: 7 } }) });
    const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET }));

    expect(answer).toEqual({
      statusCode: 202,
      body: {
        status: 'ignored',
        message: 'Event type call.hangup is not processed by this endpoint; nothing was stored.',
        eventId: eventIdOf(body),
      },
    });
    await expectQueuesEmpty(queues.ingestQueueUrl, queues.deadLetterQueueUrl);
  });

  describe('tolerant: authentic events that were quarantined for fields nobody stores are taken in (issue 6)', () => {
    const history = (change: Record<string, unknown>) => ({ status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: '2017-01-24 01:51:29', ...change }] });
    it.each([
      ['date_received, date_update and date_sent with milliseconds', mo({ data: { date_received: '2026-03-01 11:59:58.123', date_update: '2026-03-01 11:59:58.456', date_sent: '2026-03-01 11:59:57.789' } })],
      ['date_sent null', mo({ data: { date_sent: null } })],
      ['encoding null', mo({ data: { encoding: null } })],
      ['parts "1"', mo({ data: { parts: '1' } })],
      ['status_history[].updated_at with milliseconds', mo({ data: history({ updated_at: '2017-01-24 01:51:29.123' }) })],
      ['old_status null', mo({ data: history({ old_status: null }) })],
      ['an unknown status value', statusUpdate({ data: { status: 'REMOTE_QUEUED_NEW' } })],
      ['an unreadable date', mo({ data: { date_received: '2017-02-30 10:00:00' } })],
      ['extra fields at every level', mo({ edit: (e) => Object.assign(e, { novel: 1 }), data: { novel: { a: [1] }, ...history({ novel: true }) } })],
      ['event_at in CALLR date format', mo({ eventAt: '2026-03-01 11:59:59.500' })],
      ['a REST v2 inbound SMS', callrV2Body({ at: NOW })],
    ])('%s: accepted and queued byte for byte', async (_name, body) => {
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET }));

      expect(answer).toEqual(accepted(eventIdOrIdOf(body)));
      expect((await onlyMessage(queues.ingestQueueUrl)).bytes.equals(body)).toBe(true);
      await expectQueuesEmpty(queues.deadLetterQueueUrl);
    });

    it('counts each field read leniently as lenientField, with the field as dimension', async () => {
      const body = mo({ data: { parts: '1', network: 20801 } });
      expect(await ingest()(callrWebhookEvent({ body, secret: SECRET }))).toEqual(accepted(eventIdOf(body)));

      const lenient = printedJson()
        .filter((line) => '_aws' in line && 'lenientField' in line)
        .map((line) => ({ field: line.field, value: line.lenientField, service: line.service }));
      expect(lenient).toEqual([
        { field: 'data.parts', value: 1, service: 'ingest-test' },
        { field: 'data.network', value: 1, service: 'ingest-test' },
      ]);
    });

    it('reads the signature from the header HMAC_SIGNATURE_HEADER names', async () => {
      const body = callrV2Body({ at: NOW });
      const handler = ingest({ env: { HMAC_SIGNATURE_HEADER: 'X-Callr-Signature-V2' } });

      expect(await handler(callrWebhookEvent({ body, secret: SECRET, signatureHeaderName: 'x-callr-signature-v2' }))).toEqual(accepted(eventIdOrIdOf(body)));
      expect(await handler(callrWebhookEvent({ body, secret: SECRET }))).toEqual({
        statusCode: 401,
        body: { error: 'missing_signature', message: 'Header X-Callr-Signature-V2 is required; nothing was stored.' },
      });
    });
  });

  describe('rejected: nothing stored', () => {
    const missing = {
      statusCode: 401,
      body: { error: 'missing_signature', message: 'Header X-CALLR-HmacSignature is required; nothing was stored.' },
    };
    const invalid = {
      statusCode: 401,
      body: { error: 'invalid_signature', message: 'Header X-CALLR-HmacSignature does not match the request body; nothing was stored.' },
    };
    const tooLarge = {
      statusCode: 413,
      body: { error: 'payload_too_large', message: `Request body exceeds ${MAX_BODY_BYTES} bytes; nothing was stored.` },
    };
    const signedWithSha1 = () => {
      const body = mo();
      return callrWebhookEvent({ body, signature: createHmac('sha1', SECRET).update(body).digest('base64') });
    };
    const tampered = () => {
      const body = mo();
      const event = callrWebhookEvent({ body, secret: SECRET });
      return { ...event, body: String(event.body).replace('Hello world', 'Hello wordl') };
    };

    it.each([
      ['no signature header', () => callrWebhookEvent({ body: mo() }), missing],
      ['an empty signature header', () => callrWebhookEvent({ body: mo(), signature: '' }), missing],
      ['no body and no signature', () => httpApiEvent({}), missing],
      ['a signature made with an unknown secret', () => callrWebhookEvent({ body: mo(), secret: 'someone-else' }), invalid],
      ['a signature of neither CALLR algorithm (HMAC-SHA1, 20 bytes)', signedWithSha1, invalid],
      ['a body changed after signing', tampered, invalid],
      ['a signature that is not base64', () => callrWebhookEvent({ body: mo(), signature: 'not-a-signature!' }), invalid],
      ['invalid JSON with a wrong signature (signature before parsing)', () => callrWebhookEvent({ body: '{oops', secret: 'wrong' }), invalid],
      ['a body of 256 KiB + 1 byte, validly signed', () => callrWebhookEvent({ body: padTo(MAX_BODY_BYTES + 1), secret: SECRET }), tooLarge],
      ['an oversized body without signature (size before signature)', () => callrWebhookEvent({ body: padTo(MAX_BODY_BYTES + 1) }), tooLarge],
      ['an oversized base64-encoded body', () => callrWebhookEvent({ body: padTo(MAX_BODY_BYTES + 1), secret: SECRET, isBase64Encoded: true }), tooLarge],
    ])('%s', async (_name, makeEvent, expected) => {
      expect(await ingest()(makeEvent())).toEqual(expected);
      await expectQueuesEmpty(queues.ingestQueueUrl, queues.deadLetterQueueUrl);
    });
  });

  describe('quarantined: the raw body on the dead-letter queue, nothing on the ingest queue', () => {
    const headerEventId = 'from-the-header-0123456789abcdef';
    it.each([
      ['invalid JSON', Buffer.from('{"event_id": "x", oops', 'utf8'), 'invalid_json', headerEventId, /JSON/],
      ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_json', headerEventId, /^body is not valid UTF-8$/],
      ['an MO without data.hash', mo({ edit: (e) => delete e.data?.hash }), 'invalid_shape', headerEventId, /^data\.hash: /],
      ['an MO with a numeric text', mo({ data: { text: 42 } }), 'invalid_shape', headerEventId, /^data\.text: /],
      ['a v2 inbound SMS without payload.sid', callrV2Body({ at: NOW, edit: (e) => void delete e.payload.sid }), 'invalid_shape', headerEventId, /^payload\.sid: /],
      ['an event older than 7 days', mo({ eventAt: new Date(NOW.getTime() - 7 * DAY_MS - 1) }), 'event_too_old', undefined, /^event_at 2026-02-22T11:59:59\.999Z is more than 604800 s before it was received \(2026-03-01T12:00:00\.000Z\)$/],
      ['an event more than 5 minutes ahead', mo({ eventAt: new Date(NOW.getTime() + 5 * 60_000 + 1) }), 'event_in_future', undefined, /^event_at 2026-03-01T12:05:00\.001Z is more than 300 s after it was received/],
      ['an old event of a type not processed (age before type)', mo({ type: 'did.created', eventAt: '2017-01-24T01:51:29.533Z' }), 'event_too_old', undefined, /^event_at 2017-01-24/],
    ])('%s', async (_name, body, reason, eventIdHeader, detail) => {
      // The body's event id whenever it can be read (docs/http-contract.md), the header's otherwise.
      const bodyEventId = reason !== 'invalid_json' ? eventIdOrIdOf(body) : undefined;
      const eventId = bodyEventId ?? headerEventId;
      const answer = await ingest()(
        callrWebhookEvent({ body, secret: SECRET, eventIdHeader: eventIdHeader ?? eventId, requestId: 'req-q' }),
      );

      expect(answer).toEqual({
        statusCode: 202,
        body: {
          status: 'quarantined',
          reason,
          message: `Event is authentic but unusable (${reason}); it was kept on the dead-letter queue for an operator.`,
          eventId,
        },
      });
      const deadLetter = await onlyMessage(queues.deadLetterQueueUrl);
      expect(deadLetter.bytes.equals(body)).toBe(true);
      expect(deadLetter.attributes).toEqual({
        ...(bodyEventId ? { eventType: text(JSON.parse(body.toString()).type) } : {}),
        eventId: text(eventId),
        receivedAt: text(NOW.toISOString()),
        requestId: text('req-q'),
        bodyEncoding: text('base64'),
        deadLetterReason: text(reason),
        deadLetterDetail: { DataType: 'String', StringValue: expect.stringMatching(detail) },
        deadLetterSource: text('ingest'),
      });
      await expectQueuesEmpty(queues.ingestQueueUrl);
    });

    // SQS applies its body character rules to attribute values too; the detail quotes the value.
    it.each([
      ['U+FFFE', '\uFFFE'],
      ['U+0001', '\u0001'],
      ['an emoji (above U+FFFF)', '2017-01-24 01:51:29 👍🏽'],
    ])('an authentic event whose date quotes %s into the detail, readable on the dead-letter queue', async (_name, eventAt) => {
      const body = mo({ eventAt });
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET }));

      expect(answer).toMatchObject({ statusCode: 202, body: { status: 'quarantined', reason: 'invalid_shape' } });
      const deadLetter = await onlyMessage(queues.deadLetterQueueUrl);
      expect(deadLetter.bytes.equals(body)).toBe(true);
      const detail = String(deadLetter.attributes[ATTRIBUTE.deadLetterDetail]?.StringValue);
      expect(detail).toMatch(/^[\x20-\x7e]+$/);
      expect(fromSqsSafeText(detail)).toBe(`event_at: not a date (ISO 8601, or YYYY-MM-DD HH:MM:SS[.sss] UTC): ${eventAt}`);
    });

    it('answers with the reason code only: the detail, which quotes the body, stays on the dead-letter message', async () => {
      const body = mo({ eventAt: 'my one-time code is 918273' });
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET }));

      expect(JSON.stringify(answer)).not.toContain('918273');
      expect((await onlyMessage(queues.deadLetterQueueUrl)).attributes[ATTRIBUTE.deadLetterDetail]).toEqual(
        text('event_at: not a date (ISO 8601, or YYYY-MM-DD HH:MM:SS[.sss] UTC): my one-time code is 918273'),
      );
    });

    it('honours a configured event window', async () => {
      const body = mo({ eventAt: new Date(NOW.getTime() - 3601_000) });
      const answer = await ingest({ env: { EVENT_MAX_AGE_SECONDS: '3600' } })(callrWebhookEvent({ body, secret: SECRET }));
      expect(answer).toMatchObject({ statusCode: 202, body: { status: 'quarantined', reason: 'event_too_old' } });
    });

    it('quarantines without an event id when neither body nor header has one', async () => {
      const body = Buffer.from('not json at all', 'utf8');
      const answer = await ingest()(callrWebhookEvent({ body, secret: SECRET }));
      expect(answer).toEqual({
        statusCode: 202,
        body: {
          status: 'quarantined',
          reason: 'invalid_json',
          message: 'Event is authentic but unusable (invalid_json); it was kept on the dead-letter queue for an operator.',
        },
      });
      expect((await onlyMessage(queues.deadLetterQueueUrl)).attributes[ATTRIBUTE.eventId]).toBeUndefined();
    });
  });

  describe('failures: 5xx so that CALLR retries, no internal detail in the answer', () => {
    const queueUnavailable = {
      statusCode: 503,
      body: { error: 'queue_unavailable', message: 'The event could not be queued; retry later.' },
    };
    const secretUnavailable = {
      statusCode: 500,
      body: { error: 'secret_unavailable', message: 'The signing secret could not be loaded; retry later.' },
    };

    it('answers 503 when the ingest queue cannot be written', async () => {
      const missingQueue = queues.ingestQueueUrl.replace(/[^/]+$/, 'no-such-queue');
      const answer = await ingest({ env: { QUEUE_URL: missingQueue } })(callrWebhookEvent({ body: mo(), secret: SECRET }));
      expect(answer).toEqual(queueUnavailable);
      await expectQueuesEmpty(queues.deadLetterQueueUrl);
    });

    it('answers 503 when the dead-letter queue cannot be written during a quarantine', async () => {
      const missingQueue = queues.deadLetterQueueUrl.replace(/[^/]+$/, 'no-such-dead-letter-queue');
      const answer = await ingest({ env: { DEAD_LETTER_QUEUE_URL: missingQueue } })(
        callrWebhookEvent({ body: Buffer.from('{oops'), secret: SECRET }),
      );
      expect(answer).toEqual(queueUnavailable);
      await expectQueuesEmpty(queues.ingestQueueUrl);
    });

    it.each([
      ['reports the secret unavailable', new HmacSecretUnavailableError('could not load AWSCURRENT of secret x', { cause: new Error('AccessDenied') })],
      ['throws something unexpected', new Error('socket hang up')],
    ])('answers 500 when the secret source %s', async (_name, error) => {
      const failing: HmacSecretSource = { getSecrets: () => Promise.reject(error), refresh: () => Promise.reject(error) };
      const answer = await ingest({ secrets: failing })(callrWebhookEvent({ body: mo(), secret: SECRET }));
      expect(answer).toEqual(secretUnavailable);
      await expectQueuesEmpty(queues.ingestQueueUrl, queues.deadLetterQueueUrl);
    });
  });

  describe('a rotation seen by a warm instance (secrets cached for 5 minutes)', () => {
    const ROTATED_SECRET = 'rotated-secret-77b2';

    /** An instance that verified one event with SECRET; then the secret is rotated and a minute passes. */
    async function warmInstanceAfterRotation() {
      const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: SECRET, CreatedDate: new Date(NOW.getTime() - DAY_MS) } });
      let nowMs = NOW.getTime();
      const secrets = secretsManagerHmacSecrets({
        client: fake.client,
        secretId: 'callr-hmac',
        maxAgeSeconds: 300,
        previousGraceSeconds: 86_400,
        nowMs: () => nowMs,
      });
      const handler = ingest({ secrets });
      const before = mo({ eventId: 'signed-before-the-rotation-00000' });
      expect(await handler(callrWebhookEvent({ body: before, secret: SECRET }))).toEqual(accepted(eventIdOf(before)));

      fake.stages.AWSCURRENT = { SecretString: ROTATED_SECRET, CreatedDate: new Date(nowMs) };
      fake.stages.AWSPREVIOUS = { SecretString: SECRET, CreatedDate: new Date(NOW.getTime() - DAY_MS) };
      nowMs += 60_000;
      fake.calls.length = 0;
      return { handler, fake, advanceSeconds: (seconds: number) => (nowMs += seconds * 1000) };
    }

    it('accepts an event signed with the new secret at once, and still one signed with the previous', async () => {
      const { handler, fake } = await warmInstanceAfterRotation();
      const signedWithNew = mo({ eventId: 'signed-with-the-rotated-secret-1' });
      const signedWithPrevious = mo({ eventId: 'signed-with-the-old-secret-00002' });

      expect(await handler(callrWebhookEvent({ body: signedWithNew, secret: ROTATED_SECRET }))).toEqual(accepted(eventIdOf(signedWithNew)));
      expect(await handler(callrWebhookEvent({ body: signedWithPrevious, secret: SECRET }))).toEqual(accepted(eventIdOf(signedWithPrevious)));
      expect(fake.calls.map((call) => call.VersionStage)).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
      expect(printedJson()).toContainEqual(expect.objectContaining({ message: 'HMAC secrets reloaded after a signature matched none of them' }));
    });

    it('answers forged requests 401, reloading at most once per 30 s whatever their number', async () => {
      const { handler, fake, advanceSeconds } = await warmInstanceAfterRotation();
      const forged = () => handler(callrWebhookEvent({ body: mo(), secret: 'forged' }));

      const answers = await Promise.all([forged(), forged(), forged()]);
      advanceSeconds(29);
      answers.push(await forged());
      expect(answers.map((answer) => answer.statusCode)).toEqual([401, 401, 401, 401]);
      expect(fake.calls).toHaveLength(2);

      advanceSeconds(1);
      expect((await forged()).statusCode).toBe(401);
      expect(fake.calls).toHaveLength(4);
      // Only the event of the warm-up was queued.
      expect((await onlyMessage(queues.ingestQueueUrl)).attributes[ATTRIBUTE.eventId]).toEqual(text('signed-before-the-rotation-00000'));
      await expectQueuesEmpty(queues.deadLetterQueueUrl);
    });
  });

  describe('ALLOW_UNSIGNED (local development)', () => {
    const unsignedNoSecret = { env: { ALLOW_UNSIGNED: 'true', CALLR_HMAC_SECRET: '' } };
    const unsignedWithSecret = { env: { ALLOW_UNSIGNED: 'true' } };

    it.each([
      ['lets a request without signature through, without a secret', unsignedNoSecret, {}],
      ['lets a request without signature through, with a secret', unsignedWithSecret, {}],
      ['lets a signed request through when no secret can check it', unsignedNoSecret, { secret: 'anything' }],
      ['still accepts a valid signature', unsignedWithSecret, { secret: SECRET }],
    ])('%s', async (_name, options, signing) => {
      const body = mo();
      expect(await ingest(options)(callrWebhookEvent({ body, ...signing }))).toEqual(accepted(eventIdOf(body)));
      expect((await onlyMessage(queues.ingestQueueUrl)).bytes.equals(body)).toBe(true);
    });

    it('warns that the request was not verified', async () => {
      await ingest(unsignedNoSecret)(callrWebhookEvent({ body: mo() }));
      expect(printedJson()).toContainEqual(
        expect.objectContaining({ level: 'WARN', message: expect.stringContaining('ALLOW_UNSIGNED=true') }),
      );
    });

    it('still refuses a wrong signature when a secret is configured', async () => {
      const answer = await ingest(unsignedWithSecret)(callrWebhookEvent({ body: mo(), secret: 'forged' }));
      expect(answer).toEqual({
        statusCode: 401,
        body: { error: 'invalid_signature', message: 'Header X-CALLR-HmacSignature does not match the request body; nothing was stored.' },
      });
      await expectQueuesEmpty(queues.ingestQueueUrl, queues.deadLetterQueueUrl);
    });
  });

  describe('logs and metrics', () => {
    it('logs with the CALLR event_id as correlation id, and forgets it after the request', async () => {
      const body = mo({ eventId: 'correlate-me-0123456789abcdefghij' });
      const handler = ingest();
      await handler(callrWebhookEvent({ body, secret: SECRET }));
      await handler(httpApiEvent({ body: mo() }));

      const logs = printedJson().filter((line) => 'level' in line);
      expect(logs).toContainEqual(expect.objectContaining({ message: 'event accepted', correlation_id: 'correlate-me-0123456789abcdefghij', event_type: 'sms.mo' }));
      const rejection = logs.find((line) => line.message === 'request rejected');
      expect(rejection).toMatchObject({ reason: 'missing_signature' });
      expect(rejection).not.toHaveProperty('correlation_id');
    });

    it('never prints a secret, a signature or the message text', async () => {
      const body = mo({ data: { text: 'my one-time code is 918273' } });
      const event = callrWebhookEvent({ body, secret: SECRET });
      const handler = ingest();
      await handler(event);
      await handler(callrWebhookEvent({ body, secret: PREVIOUS_SECRET }));
      await handler(callrWebhookEvent({ body: Buffer.from('{"text":"my one-time code is 918273"'), secret: SECRET }));

      const output = printed.join('\n');
      expect(output).toContain('event accepted');
      for (const secretThing of [SECRET, PREVIOUS_SECRET, String(event.headers['x-callr-hmacsignature']), '918273']) {
        expect(output).not.toContain(secretThing);
      }
    });

    it('counts each outcome, with its reason or event type as a dimension', async () => {
      const handler = ingest();
      await handler(callrWebhookEvent({ body: mo(), secret: SECRET }));
      await handler(callrWebhookEvent({ body: mo({ type: 'did.created' }), secret: SECRET }));
      await handler(callrWebhookEvent({ body: Buffer.from('[1,'), secret: SECRET }));
      await handler(callrWebhookEvent({ body: mo(), secret: 'forged' }));
      await ingest({ env: { QUEUE_URL: queues.ingestQueueUrl.replace(/[^/]+$/, 'gone') } })(
        callrWebhookEvent({ body: mo(), secret: SECRET }),
      );

      const counted = printedJson()
        .filter((line) => '_aws' in line)
        .map((line) => {
          const blob = line as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
          const [directive] = blob._aws.CloudWatchMetrics as [(typeof blob._aws.CloudWatchMetrics)[number]];
          const [name] = directive.Metrics.map((metric) => metric.Name) as [string];
          const dimensions = Object.fromEntries(directive.Dimensions.flat().map((dimension) => [dimension, line[dimension]]));
          return { namespace: directive.Namespace, name, value: line[name], dimensions };
        })
        .filter((metric) => metric.name !== 'ColdStart');
      expect(counted).toEqual([
        { namespace: 'CallrInboundSms', name: 'EventsAccepted', value: 1, dimensions: { service: 'ingest-test', eventType: 'sms.mo' } },
        { namespace: 'CallrInboundSms', name: 'EventsIgnored', value: 1, dimensions: { service: 'ingest-test', eventType: 'did.created' } },
        { namespace: 'CallrInboundSms', name: 'EventsQuarantined', value: 1, dimensions: { service: 'ingest-test', reason: 'invalid_json' } },
        { namespace: 'CallrInboundSms', name: 'RequestsRejected', value: 1, dimensions: { service: 'ingest-test', reason: 'invalid_signature' } },
        { namespace: 'CallrInboundSms', name: 'RequestsFailed', value: 1, dimensions: { service: 'ingest-test', reason: 'queue_unavailable' } },
      ]);
    });
  });
});

/** A valid, fresh MO whose serialised body is exactly `size` bytes long. */
function padTo(size: number): Buffer {
  const empty = mo({ data: { text: '' } });
  const padded = mo({ data: { text: 'a'.repeat(size - empty.length) } });
  if (padded.length !== size) throw new Error(`padTo(${size}) made ${padded.length} bytes`);
  return padded;
}
