import { Agent, type ClientRequestArgs } from 'node:http';
import { createConnection } from 'node:net';
import { api as CallrSdk } from 'callr';
import { formatCallrDate } from '../../functions/callr/dates';
import { parseCallrEvent } from '../../functions/callr/events';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { verifyCallrSignature, type CallrHmacAlgorithm } from '../../functions/callr/signature';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startRecordingReceiver as startReceiver, type RecordedRequest, type RecordingReceiver as Receiver } from '../../local/callr-emulator/recording-receiver';
import { smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';

/** A recorded request with its body parsed (the emulator always sends JSON). */
const json = (request: RecordedRequest): Record<string, any> => JSON.parse(request.body.toString('utf8'));

const API_KEY = 'emulator-test-key';
const SECRET = 'emulator-test-secret';
const NOW = new Date('2024-03-10T08:15:30.123Z');

const fixtureMo = JSON.parse(smsMoBody().toString('utf8'));
const fixtureStatus = JSON.parse(smsStatusBody().toString('utf8'));

describe('CALLR emulator', () => {
  let emulator: CallrEmulator;
  let receiver: Receiver;
  const callr = () => createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, retries: 0 });

  beforeEach(async () => {
    receiver = await startReceiver();
    emulator = await startCallrEmulator({
      credentials: { apiKey: API_KEY },
      retry: { baseDelayMs: 5, maxTries: 4 },
      deliveryTimeoutMs: 2_000,
      statusUpdateDelayMs: 5,
      now: () => NOW,
    });
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  describe('delivery of an inbound SMS', () => {
    it.each<CallrHmacAlgorithm>(['SHA256', 'SHA512'])('posts a %s-signed sms.mo shaped like CALLR\'s, which parses', async (algorithm) => {
      const { hash: hookHash } = await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET, hmacAlgorithm: algorithm });

      const injected = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'Hello world' });
      await emulator.whenIdle();

      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests as [RecordedRequest];
      const { headers, body } = request;
      const event = json(request);
      expect(headers['content-type']).toBe('application/json');
      expect(headers['x-callr-eventid']).toBe(event.event_id);
      expect(verifyCallrSignature({ rawBody: body, header: headers['x-callr-hmacsignature'] as string, secrets: [SECRET], algorithm })).toEqual({ ok: true });

      const received = formatCallrDate(NOW);
      expect(event).toEqual({
        event_id: injected.eventIds[0],
        event_at: '2024-03-10T08:15:30.123Z',
        hook_hash: hookHash,
        type: 'sms.mo',
        try: 0,
        data: {
          ...fixtureMo.data,
          hash: injected.hash,
          b_customer_debit: '0.00',
          date_creation: received,
          date_update: received,
          date_received: received,
          status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: received }],
        },
      });
      expect(Object.keys(event)).toEqual(Object.keys(fixtureMo));
      expect(Object.keys(event.data)).toEqual(Object.keys(fixtureMo.data));
      expect(event.event_id).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(parseCallrEvent(body.toString('utf8'))).toMatchObject({ ok: true, handled: true, event: { type: 'sms.mo', data: { hash: injected.hash } } });
    });

    it.each([
      ['GSM, one part', 'Hello world', 'GSM', 1],
      ['GSM extension characters count twice', '€'.repeat(81), 'GSM', 2],
      ['unicode', 'Salut 👋 ça va ?', 'UNICODE', 1],
      ['long unicode, several parts', 'é👋'.repeat(40), 'UNICODE', 2],
    ])('sets encoding and parts: %s', async (_name, text, encoding, parts) => {
      await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });
      emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text });
      await emulator.whenIdle();
      expect(json(receiver.requests[0]!).data).toMatchObject({ text, encoding, parts });
    });

    it('retries after 5xx with the same event_id and event_at, incrementing try', async () => {
      await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });
      receiver.answer(500, 503);

      const { eventIds } = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'retry me' });
      await emulator.whenIdle();

      expect(receiver.requests.map(json).map((event) => [event.event_id, event.event_at, event.try])).toEqual([
        [eventIds[0], NOW.toISOString(), 0],
        [eventIds[0], NOW.toISOString(), 1],
        [eventIds[0], NOW.toISOString(), 2],
      ]);
      for (const { headers, body } of receiver.requests) {
        expect(verifyCallrSignature({ rawBody: body, header: headers['x-callr-hmacsignature'] as string, secrets: [SECRET] })).toEqual({ ok: true });
      }
      expect(emulator.deliveries().map(({ try: attempt, httpStatus, outcome, willRetry }) => ({ attempt, httpStatus, outcome, willRetry }))).toEqual([
        { attempt: 0, httpStatus: 500, outcome: 'failed', willRetry: true },
        { attempt: 1, httpStatus: 503, outcome: 'failed', willRetry: true },
        { attempt: 2, httpStatus: 200, outcome: 'delivered', willRetry: false },
      ]);
    });

    it('gives up after maxTries', async () => {
      await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });
      receiver.answer(500, 500, 500, 500, 500);

      emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'never taken' });
      await emulator.whenIdle();

      expect(emulator.deliveries().map((attempt) => [attempt.try, attempt.willRetry])).toEqual([
        [0, true],
        [1, true],
        [2, true],
        [3, false],
      ]);
    });

    it('retries an endpoint that cannot be reached, recording the error', async () => {
      const gone = await startReceiver();
      await gone.close();
      await callr().subscribeWebhook({ type: 'sms.mo', endpoint: gone.url, hmacSecret: SECRET });

      emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'nobody home' });
      await emulator.whenIdle();

      expect(emulator.deliveries()).toHaveLength(4);
      expect(emulator.deliveries()[0]).toMatchObject({ outcome: 'failed', error: 'ECONNREFUSED', endpoint: gone.url });
    });
  });

  describe('per-SMS webhooks', () => {
    it('sends a reply to both the global and the per-SMS webhook: same SMS hash, different event ids', async () => {
      const { hash: hookHash } = await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });
      await callr().sendSms({ from: '+13476096124', to: '+15146605859', text: 'Reply YES', webhookEndpoint: receiver.url });
      await emulator.whenIdle();
      receiver.requests.length = 0;

      const reply = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'YES' });
      await emulator.whenIdle();

      expect(reply.eventIds).toHaveLength(2);
      expect(new Set(reply.eventIds).size).toBe(2);
      const events = receiver.requests.map(json).map((event) => ({ eventId: event.event_id, hookHash: event.hook_hash, type: event.type, smsHash: event.data.hash }));
      expect(events).toEqual(
        expect.arrayContaining([
          { eventId: reply.eventIds[0], hookHash, type: 'sms.mo', smsHash: reply.hash },
          { eventId: reply.eventIds[1], hookHash: null, type: 'sms.mo', smsHash: reply.hash },
        ]),
      );
      expect(events).toHaveLength(2);
      for (const { headers, body } of receiver.requests) {
        expect(verifyCallrSignature({ rawBody: body, header: headers['x-callr-hmacsignature'] as string, secrets: [SECRET] })).toEqual({ ok: true });
      }
    });

    it('sends an SMS without a sender from a shortcode, and routes the reply to that shortcode through both webhooks', async () => {
      const { hash: hookHash } = await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });
      const perSms = await startReceiver();
      try {
        const { hash: sentHash } = await callr().sendSms({ to: '+15146605859', text: 'Reply YES to confirm', webhookEndpoint: perSms.url });
        await emulator.whenIdle();
        const sent = emulator.sentSms().find((sms) => sms.hash === sentHash)!;
        expect(sent.from).toBe('38100');
        perSms.requests.length = 0;
        receiver.requests.length = 0;

        const reply = emulator.injectInboundSms({ from: '+15146605859', to: '38100', text: 'YES' });
        await emulator.whenIdle();

        expect(receiver.requests.map(json).map((event) => [event.event_id, event.hook_hash, event.data.hash, event.data.to])).toEqual([[reply.eventIds[0], hookHash, reply.hash, '38100']]);
        expect(perSms.requests.map(json).map((event) => [event.event_id, event.hook_hash, event.data.hash, event.data.to])).toEqual([[reply.eventIds[1], null, reply.hash, '38100']]);
      } finally {
        await perSms.close();
      }
    });

    it('refuses an emulator without a shortcode to send from', async () => {
      await expect(startCallrEmulator({ credentials: { apiKey: API_KEY }, shortcodes: [] })).rejects.toThrow(/shortcodes must be a non-empty list/);
    });

    it('sends an SMS that is not a reply to the global webhook only', async () => {
      await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });
      await callr().sendSms({ from: '+13476096124', to: '+15146605859', text: 'Reply YES', webhookEndpoint: receiver.url });

      const other = emulator.injectInboundSms({ from: '+447700900123', to: '+13476096124', text: 'hi' });

      expect(other.eventIds).toHaveLength(1);
    });

    it('delivers the status updates of a sent SMS to its per-SMS webhook', async () => {
      const other = await startReceiver();
      try {
        const { hash } = await callr().sendSms({ from: 'ACME', to: '+33612345678', text: 'Your code is 1234', webhookEndpoint: other.url, userData: 'order-1234' });
        await emulator.whenIdle();

        expect(other.requests.map(json).map((event) => [event.type, event.hook_hash, event.data.hash, event.data.status])).toEqual([
          ['sms.mt.status_update', null, hash, 'PENDING'],
          ['sms.mt.status_update', null, hash, 'SENT'],
          ['sms.mt.status_update', null, hash, 'DELIVERED'],
        ]);
        const last = json(other.requests[2]!);
        expect(Object.keys(last.data)).toEqual(Object.keys(fixtureStatus.data));
        expect(last.data.status_history.map((change: { new_status: string }) => change.new_status)).toEqual(['PENDING', 'SENT', 'DELIVERED']);
        expect(last.data.options).toEqual({ force_encoding: null, nature: 'ALERTING', user_data: 'order-1234', webhook: { endpoint: other.url } });
        for (const { body } of other.requests) expect(parseCallrEvent(body.toString('utf8'))).toMatchObject({ ok: true, handled: true });
      } finally {
        await other.close();
      }
    });
  });

  describe('JSON-RPC API', () => {
    const rpc = (body: unknown, authorization = `Api-Key ${API_KEY}`) =>
      fetch(emulator.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json-rpc; charset=utf-8', Authorization: authorization },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, text: await response.text() }));

    it('returns a Webhook object without its secret', async () => {
      const { status, text } = await rpc({ jsonrpc: '2.0', id: 7, method: 'webhooks.subscribe', params: ['sms.mo', receiver.url, { hmac_secret: SECRET, hmac_algo: 'SHA256' }] });

      expect(status).toBe(200);
      expect(JSON.parse(text)).toEqual({
        jsonrpc: '2.0',
        id: 7,
        result: { hash: expect.stringMatching(/^[A-Z0-9]{8}$/), type: 'sms.mo', endpoint: receiver.url, options: { hmac_algo: 'SHA256' }, date_creation: formatCallrDate(NOW) },
      });
      expect(text).not.toContain(SECRET);
    });

    it.each([
      ['an unknown method', { jsonrpc: '2.0', id: 1, method: 'calls.realtime', params: [] }, undefined, 200, { code: -32601, message: 'METHOD_NOT_FOUND' }],
      ['a wrong API key', { jsonrpc: '2.0', id: 2, method: 'webhooks.get_list', params: [] }, 'Api-Key nope', 401, { code: 401, message: 'AUTHENTICATION_FAILED' }],
      ['no credentials', { jsonrpc: '2.0', id: 3, method: 'webhooks.get_list', params: [] }, '', 401, { code: 401, message: 'AUTHENTICATION_FAILED' }],
      ['a body that is not JSON', '{oops', undefined, 200, { code: -32700, message: 'PARSE_ERROR' }],
      ['an invalid hmac_algo', { jsonrpc: '2.0', id: 4, method: 'webhooks.subscribe', params: ['sms.mo', 'https://x.test/', { hmac_algo: 'MD5' }] }, undefined, 200, { code: -32602, message: 'INVALID_PARAMS' }],
      ['an endpoint that is not a URL', { jsonrpc: '2.0', id: 5, method: 'webhooks.subscribe', params: ['sms.mo', 'not a url', null] }, undefined, 200, { code: -32602, message: 'INVALID_PARAMS' }],
    ])('answers %s in CALLR\'s error envelope', async (_name, body, authorization, status, error) => {
      const answer = await rpc(body, authorization);
      expect(answer.status).toBe(status);
      const parsed = JSON.parse(answer.text);
      expect(parsed).toMatchObject({ jsonrpc: '2.0', error });
      expect(Object.keys(parsed.error).sort()).toEqual(['code', 'data', 'message']);
    });

    it('refuses GET', async () => {
      expect((await fetch(emulator.url)).status).toBe(405);
    });
  });

  describe('control API', () => {
    const control = (route: string, body?: unknown) =>
      fetch(`${emulator.controlUrl}${route}`, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(
        async (response) => ({ status: response.status, json: (await response.json()) as Record<string, any> }),
      );

    it('injects an inbound SMS and lists deliveries and subscriptions, never secrets', async () => {
      const { hash: hookHash } = await callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url, hmacSecret: SECRET });

      const injected = await control('inbound-sms', { from: '+15146605859', to: '+13476096124', text: 'via control' });
      expect(injected).toEqual({ status: 200, json: { hash: expect.stringMatching(/^[A-Z0-9]{8}$/), eventIds: [expect.any(String)] } });
      expect(await control('idle')).toEqual({ status: 200, json: { idle: true } });

      const deliveries = await control('deliveries');
      expect(deliveries.json.deliveries).toEqual([
        {
          eventId: injected.json.eventIds[0],
          type: 'sms.mo',
          hookHash,
          endpoint: receiver.url,
          try: 0,
          at: NOW.toISOString(),
          outcome: 'delivered',
          httpStatus: 200,
          willRetry: false,
        },
      ]);
      const subscriptions = await control('subscriptions');
      expect(subscriptions.json.subscriptions).toEqual([
        { hash: hookHash, type: 'sms.mo', endpoint: receiver.url, hmacAlgorithm: 'SHA256', signed: true, createdAt: NOW.toISOString() },
      ]);
      const calls = await control('calls');
      expect(JSON.stringify([subscriptions, calls, deliveries])).not.toContain(SECRET);
    });

    it('makes the next JSON-RPC call fail as asked', async () => {
      expect((await control('fail-next', { kind: 'error', message: 'TYPE_ENDPOINT_DUPLICATE', method: 'webhooks.subscribe' })).status).toBe(200);

      await expect(callr().listWebhooks()).resolves.toEqual([]);
      await expect(callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url })).rejects.toMatchObject({ code: 'TYPE_ENDPOINT_DUPLICATE' });
      await expect(callr().subscribeWebhook({ type: 'sms.mo', endpoint: receiver.url })).resolves.toMatchObject({ type: 'sms.mo' });
    });

    it('switches answer shapes: errors without data, a minimal subscribe answer, event_type', async () => {
      const rpcCall = (method: string, params: unknown[]) =>
        fetch(emulator.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json-rpc; charset=utf-8', Authorization: `Api-Key ${API_KEY}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 9, method, params }),
        }).then((response) => response.json() as Promise<Record<string, any>>);

      expect(await control('answer-shapes')).toEqual({ status: 200, json: { answerShapes: { errorData: 'included', subscribeResult: 'full', webhookTypeField: 'type', smsListOrder: 'oldest_first' } } });
      expect((await control('answer-shapes', { errorData: 'omitted', subscribeResult: 'minimal', webhookTypeField: 'event_type' })).status).toBe(200);

      const subscribed = await rpcCall('webhooks.subscribe', ['sms.mo', receiver.url, null]);
      expect(subscribed).toEqual({ jsonrpc: '2.0', id: 9, result: { hash: expect.stringMatching(/^[A-Z0-9]{8}$/) } });
      expect(await rpcCall('webhooks.subscribe', ['sms.mo', receiver.url, null])).toEqual({ jsonrpc: '2.0', id: 9, error: { code: 117, message: 'TYPE_ENDPOINT_DUPLICATE' } });
      expect((await rpcCall('webhooks.get_list', [])).result).toEqual([
        { hash: subscribed.result.hash, event_type: 'sms.mo', endpoint: receiver.url, options: { hmac_algo: null }, date_creation: formatCallrDate(NOW) },
      ]);
      expect(await control('answer-shapes', { errorData: 'sometimes' })).toEqual({ status: 400, json: { error: 'invalid_request', message: expect.stringMatching(/errorData/) } });
    });

    it.each([
      ['inbound-sms', { from: '+1', text: 'no recipient' }, /to/],
      ['inbound-sms', { from: '+1', to: '+2', text: 'maybe', undelivered: 'yes' }, /undelivered/],
      ['fail-next', { kind: 'explode' }, /kind/],
    ])('answers 400 to a bad %s request', async (route, body, message) => {
      const answer = await control(route, body);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: 'invalid_request', message: expect.stringMatching(message) });
    });

    it('answers 404 elsewhere', async () => {
      expect((await control('nope')).status).toBe(404);
      expect((await fetch(emulator.url.replace('/json-rpc/v1.1/', '/other'))).status).toBe(404);
    });
  });

  /**
   * CALLR's official Node SDK (`callr` 1.2.0 from npm, unchanged) as the client. It speaks HTTPS
   * on port 443 only; its own `proxyAgent` option lets an agent carry the connection to the
   * emulator on 127.0.0.1 instead, so every byte of each request is the SDK's.
   */
  describe('driven by CALLR\'s official Node SDK', () => {
    const LOGIN = 'acme-sdk';
    const PASSWORD = 'sdk-password-7c6b';

    class LoopbackAgent extends Agent {
      constructor(private readonly port: number) {
        super({ keepAlive: false });
      }
      override createConnection(_options: ClientRequestArgs) {
        return createConnection({ host: '127.0.0.1', port: this.port });
      }
    }

    let sdkEmulator: CallrEmulator;
    const sdk = (password = PASSWORD) => {
      const api = new CallrSdk(LOGIN, password, { proxyAgent: new LoopbackAgent(sdkEmulator.port) });
      api.apiUrl = sdkEmulator.url;
      return api;
    };
    /** The SDK's callbacks as a promise; its error callback may fire twice (status, then body), the first one counts. */
    const call = (api: CallrSdk, method: string, ...params: unknown[]) =>
      new Promise<unknown>((resolve, reject) => {
        api.call(method, ...params).success(resolve).error(reject);
      });

    beforeEach(async () => {
      sdkEmulator = await startCallrEmulator({ credentials: { login: LOGIN, password: PASSWORD }, retry: { baseDelayMs: 5, maxTries: 2 }, statusUpdateDelayMs: 5, now: () => NOW });
    });
    afterEach(() => sdkEmulator.close());

    it('subscribes, lists, sends an SMS without a sender and unsubscribes, as the SDK sends them', async () => {
      const api = sdk();

      const webhook = (await call(api, 'webhooks.subscribe', 'sms.mo', receiver.url, { hmac_secret: SECRET, hmac_algo: 'SHA256' })) as Record<string, unknown>;
      const listed = await call(api, 'webhooks.get_list');
      const smsHash = await call(api, 'sms.send', '', '+33612345678', 'Hello world!', { webhook: { endpoint: receiver.url } });
      const unsubscribed = await call(api, 'webhooks.unsubscribe', webhook.hash);

      expect(webhook).toMatchObject({ hash: expect.stringMatching(/^[A-Z0-9]{8}$/), type: 'sms.mo', endpoint: receiver.url });
      expect(listed).toEqual([expect.objectContaining({ hash: webhook.hash, type: 'sms.mo', endpoint: receiver.url })]);
      expect(smsHash).toEqual(expect.stringMatching(/^[A-Z0-9]{8}$/));
      expect(sdkEmulator.sentSms()).toEqual([expect.objectContaining({ hash: smsHash, from: '38100', to: '+33612345678' })]);
      expect(unsubscribed).toBe(true);
      expect(sdkEmulator.calls()).toEqual(
        [
          ['webhooks.subscribe', ['sms.mo', receiver.url, { hmac_secret: '[redacted]', hmac_algo: 'SHA256' }]],
          ['webhooks.get_list', []],
          ['sms.send', ['', '+33612345678', 'Hello world!', { webhook: { endpoint: receiver.url } }]],
          ['webhooks.unsubscribe', [webhook.hash]],
        ].map(([method, params]) => ({ method, params, auth: 'Basic', contentType: 'application/json-rpc; charset=utf-8', at: NOW.toISOString(), outcome: 'ok' })),
      );
    });

    it('lists received and sent SMS with sms.get_list, as the SDK asks (type, from, to in UTC)', async () => {
      const api = sdk();
      await call(api, 'webhooks.subscribe', 'sms.mo', receiver.url, null);
      const delivered = sdkEmulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'delivered' });
      const undelivered = sdkEmulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'never delivered', undelivered: true });
      const sentHash = await call(api, 'sms.send', 'ACME', '+33612345678', 'Hello', null);
      await sdkEmulator.whenIdle();
      const second = formatCallrDate(NOW);

      const inbound = (await call(api, 'sms.get_list', 'IN', second, second)) as Array<Record<string, unknown>>;
      const outbound = (await call(api, 'sms.get_list', 'OUT', second, second)) as Array<Record<string, unknown>>;
      const before = await call(api, 'sms.get_list', 'IN', '2024-03-10 08:15:00', '2024-03-10 08:15:29');

      expect(receiver.requests).toHaveLength(1);
      expect(undelivered.eventIds).toEqual([]);
      // The same SMS object as the delivered event carried, and the undelivered one in the same shape.
      const deliveredData = json(receiver.requests[0] as RecordedRequest).data;
      expect(deliveredData.hash).toBe(delivered.hash);
      expect(inbound).toEqual([deliveredData, { ...deliveredData, hash: undelivered.hash, text: 'never delivered', parts: 1 }]);
      expect(outbound).toEqual([expect.objectContaining({ type: 'OUT', hash: sentHash, from: 'ACME', to: '+33612345678', text: 'Hello' })]);
      expect(before).toEqual([]);
    });

    it.each<[string, unknown[]]>([
      ['a direction CALLR does not have', ['BOTH', '2024-03-10 08:00:00', '2024-03-10 09:00:00']],
      ['an ISO 8601 date, which sms.get_list does not document', ['IN', '2024-03-10T08:00:00Z', '2024-03-10 09:00:00']],
      ['a date that does not exist', ['IN', '2024-03-10 08:00:00', '2024-02-30 09:00:00']],
      ['no dates', ['IN']],
    ])('refuses sms.get_list with %s as INVALID_PARAMS', async (_name, params) => {
      const error = await call(sdk(), 'sms.get_list', ...params).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ message: 'INVALID_PARAMS' });
    });

    it('takes the minimal {hash} answer of webhooks.subscribe', async () => {
      sdkEmulator.setAnswerShapes({ subscribeResult: 'minimal' });
      await expect(call(sdk(), 'webhooks.subscribe', 'sms.mo', receiver.url, null)).resolves.toEqual({ hash: expect.stringMatching(/^[A-Z0-9]{8}$/) });
    });

    it.each(['included', 'omitted'] as const)('reports a duplicate (error data %s) the way the SDK reads errors: token as message, code', async (errorData) => {
      sdkEmulator.setAnswerShapes({ errorData });
      await call(sdk(), 'webhooks.subscribe', 'sms.mo', receiver.url, null);

      const error = await call(sdk(), 'webhooks.subscribe', 'sms.mo', receiver.url, null).catch((caught: unknown) => caught);

      expect(error).toMatchObject({ message: 'TYPE_ENDPOINT_DUPLICATE', code: 117 });
    });

    it('refuses a wrong password, which the SDK sees as a non-200 answer', async () => {
      const error = await call(sdk('wrong-password'), 'webhooks.get_list').catch((caught: unknown) => caught);

      expect(error).toMatchObject({ message: 'HTTP_CODE_ERROR', data: { http_code: 401 } });
      expect(sdkEmulator.calls()).toMatchObject([{ method: 'webhooks.get_list', auth: 'Basic', outcome: 'AUTHENTICATION_FAILED' }]);
    });
  });
});
