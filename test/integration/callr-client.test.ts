import {
  CallrApiError,
  CallrClientConfigError,
  CallrTransportError,
  deriveCallrErrorCode,
  isAuthenticationFailure,
  isDuplicateSubscription,
  isNotFound,
} from '../../functions/callr/errors';
import { createCallrClient, type CallrClientOptions, type CallrCredentials } from '../../functions/callr/json-rpc-client';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';

const API_KEY = 'key-0f9e8d7c6b5a';
const LOGIN = { login: 'acme', password: 'pw-4b3c2d1e0f' } as const;
const HMAC_SECRET = 'hmac-secret-a1b2c3d4e5';

describe('CALLR JSON-RPC client against the emulator', () => {
  let emulator: CallrEmulator;
  let endpointCounter = 0;
  const newEndpoint = () => `https://hooks.example.test/webhooks/callr/${++endpointCounter}`;

  const client = (overrides: Partial<CallrClientOptions> = {}) =>
    createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, timeoutMs: 2_000, retries: 2, retryBaseDelayMs: 5, ...overrides });

  const callsSince = (count: number) => emulator.calls().slice(count);

  beforeAll(async () => {
    emulator = await startCallrEmulator({ credentials: [{ apiKey: API_KEY }, LOGIN] });
  });
  afterAll(() => emulator.close());

  it.each<[string, CallrCredentials, string]>([
    ['an API key', { apiKey: API_KEY }, 'Api-Key'],
    ['a login and password', LOGIN, 'Basic'],
  ])('subscribes with %s, sending CALLR\'s JSON-RPC request', async (_name, credentials, scheme) => {
    const endpoint = newEndpoint();
    const before = emulator.calls().length;

    const webhook = await client({ credentials }).subscribeWebhook({ type: 'sms.mo', endpoint, hmacSecret: HMAC_SECRET, hmacAlgorithm: 'SHA512' });

    expect(webhook).toEqual({ hash: expect.stringMatching(/^[A-Z0-9]{8}$/), type: 'sms.mo', endpoint, hmacAlgorithm: 'SHA512' });
    expect(callsSince(before)).toEqual([
      {
        method: 'webhooks.subscribe',
        params: ['sms.mo', endpoint, { hmac_secret: '[redacted]', hmac_algo: 'SHA512' }],
        auth: scheme,
        contentType: 'application/json-rpc; charset=utf-8',
        at: expect.any(String),
        outcome: 'ok',
      },
    ]);
  });

  it('lists and unsubscribes webhooks', async () => {
    const endpoint = newEndpoint();
    const callr = client();
    const { hash } = await callr.subscribeWebhook({ type: 'sms.mt.status_update', endpoint, hmacSecret: HMAC_SECRET });

    expect(await callr.listWebhooks()).toContainEqual({ hash, type: 'sms.mt.status_update', endpoint, hmacAlgorithm: 'SHA256' });
    await callr.unsubscribeWebhook(hash);
    expect((await callr.listWebhooks()).map((webhook) => webhook.hash)).not.toContain(hash);
  });

  it('sends an SMS and returns its hash', async () => {
    const { hash } = await client().sendSms({ from: 'ACME', to: '+33612345678', text: 'Hello', webhookEndpoint: newEndpoint() });
    expect(hash).toMatch(/^[A-Z0-9]{8}$/);
    expect(emulator.sentSms().map((sms) => sms.hash)).toContain(hash);
  });

  it('reports a duplicate subscription as TYPE_ENDPOINT_DUPLICATE, without retrying', async () => {
    const endpoint = newEndpoint();
    await client().subscribeWebhook({ type: 'sms.mo', endpoint, hmacSecret: HMAC_SECRET });
    const before = emulator.calls().length;

    const error = await client().subscribeWebhook({ type: 'sms.mo', endpoint, hmacSecret: HMAC_SECRET }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CallrApiError);
    expect(isDuplicateSubscription(error)).toBe(true);
    expect((error as CallrApiError).code).toBe('TYPE_ENDPOINT_DUPLICATE');
    expect(callsSince(before)).toHaveLength(1);
  });

  it('reports an unknown webhook as not found', async () => {
    const error = await client().unsubscribeWebhook('ZZZZ9999').catch((caught: unknown) => caught);
    expect(isNotFound(error)).toBe(true);
  });

  it.each<[string, CallrCredentials]>([
    ['a wrong API key', { apiKey: 'not-the-key-123' }],
    ['a wrong password', { login: LOGIN.login, password: 'wrong-password-456' }],
  ])('refuses %s in CALLR\'s error envelope, without retrying or echoing it', async (_name, credentials) => {
    const before = emulator.calls().length;

    const error = await client({ credentials }).listWebhooks().catch((caught: unknown) => caught);

    expect(isAuthenticationFailure(error)).toBe(true);
    expect(error).toMatchObject({ code: 'AUTHENTICATION_FAILED', httpStatus: 401 });
    expect(callsSince(before)).toMatchObject([{ method: 'webhooks.get_list', outcome: 'AUTHENTICATION_FAILED' }]);
    for (const value of Object.values(credentials)) expect(JSON.stringify({ error, message: (error as Error).message })).not.toContain(value);
  });

  it('never retries a JSON-RPC error answer, even a server-side one', async () => {
    emulator.failNext({ kind: 'error', message: 'INTERNAL_ERROR', code: 500 });
    const before = emulator.calls().length;

    await expect(client().listWebhooks()).rejects.toMatchObject({ name: 'CallrApiError', code: 'INTERNAL_ERROR', callrCode: 500 });
    expect(callsSince(before)).toHaveLength(1);
  });

  it('retries a 5xx without envelope, then succeeds', async () => {
    emulator.failNext({ kind: 'http', status: 503, times: 2 });
    const before = emulator.calls().length;
    const retries: unknown[] = [];

    await expect(client({ onRetry: (retry) => retries.push(retry) }).listWebhooks()).resolves.toEqual(expect.any(Array));

    expect(callsSince(before).map((call) => call.outcome)).toEqual(['http_503', 'http_503', 'ok']);
    expect(retries).toEqual([
      { method: 'webhooks.get_list', attempt: 1, failure: 'http_status', httpStatus: 503, delayMs: expect.any(Number) },
      { method: 'webhooks.get_list', attempt: 2, failure: 'http_status', httpStatus: 503, delayMs: expect.any(Number) },
    ]);
  });

  it('gives up after its bounded retries on 5xx', async () => {
    emulator.failNext({ kind: 'http', status: 502, times: 2 });
    const before = emulator.calls().length;

    const error = await client({ retries: 1 }).listWebhooks().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CallrTransportError);
    expect(error).toMatchObject({ failure: 'http_status', httpStatus: 502, attempts: 2 });
    expect(callsSince(before)).toHaveLength(2);
  });

  it('does not retry a 4xx without envelope', async () => {
    emulator.failNext({ kind: 'http', status: 404 });
    const before = emulator.calls().length;

    await expect(client().listWebhooks()).rejects.toMatchObject({ name: 'CallrTransportError', failure: 'http_status', httpStatus: 404, attempts: 1 });
    expect(callsSince(before)).toHaveLength(1);
  });

  it('times out a hanging CALLR, retrying a bounded number of times', async () => {
    emulator.failNext({ kind: 'hang', times: 2 });
    const before = emulator.calls().length;

    const error = await client({ timeoutMs: 150, retries: 1 }).listWebhooks().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CallrTransportError);
    expect(error).toMatchObject({ failure: 'timeout', attempts: 2, retryable: true });
    expect(callsSince(before).map((call) => call.outcome)).toEqual(['hang', 'hang']);
  });

  it('reports an unreachable CALLR as a network error', async () => {
    const closed = await startCallrEmulator({ credentials: { apiKey: API_KEY } });
    const url = closed.url;
    await closed.close();

    const error = await createCallrClient({ apiUrl: url, credentials: { apiKey: API_KEY }, retries: 1, retryBaseDelayMs: 1 })
      .listWebhooks()
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'CallrTransportError', failure: 'network', attempts: 2 });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).not.toContain(API_KEY);
  });

  it('scrubs the secrets it sent from what CALLR echoes back', async () => {
    emulator.failNext({ kind: 'error', message: `bad hmac_secret ${HMAC_SECRET} for key ${API_KEY}`, code: 7, data: { echoed: HMAC_SECRET } });

    const error = (await client()
      .subscribeWebhook({ type: 'sms.mo', endpoint: newEndpoint(), hmacSecret: HMAC_SECRET })
      .catch((caught: unknown) => caught)) as CallrApiError;

    expect(error).toBeInstanceOf(CallrApiError);
    expect(error.callrMessage).toBe('bad hmac_secret [redacted] for key [redacted]');
    expect(error.data).toEqual({ echoed: '[redacted]' });
    expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(new RegExp(`${HMAC_SECRET}|${API_KEY}`));
  });

  describe('answers in every shape CALLR may give them', () => {
    afterEach(() => {
      emulator.setAnswerShapes({ errorData: 'included', subscribeResult: 'full', webhookTypeField: 'type' });
    });

    it.each([
      ['a duplicate subscription', 'TYPE_ENDPOINT_DUPLICATE', isDuplicateSubscription],
      ['an unknown webhook', 'NOT_FOUND', isNotFound],
    ] as const)('reads an error without data as a CALLR API error with its code: %s', async (_name, token, classify) => {
      emulator.setAnswerShapes({ errorData: 'omitted' });
      const endpoint = newEndpoint();
      await client().subscribeWebhook({ type: 'sms.mo', endpoint, hmacSecret: HMAC_SECRET });
      const before = emulator.calls().length;

      const error = await (token === 'NOT_FOUND' ? client().unsubscribeWebhook('ZZZZ9999') : client().subscribeWebhook({ type: 'sms.mo', endpoint, hmacSecret: HMAC_SECRET })).catch(
        (caught: unknown) => caught,
      );

      expect(error).toBeInstanceOf(CallrApiError);
      expect(error).toMatchObject({ code: token, callrMessage: token, data: undefined });
      expect(classify(error)).toBe(true);
      expect(callsSince(before)).toHaveLength(1);
    });

    it('takes a subscription answered with nothing but its hash', async () => {
      emulator.setAnswerShapes({ subscribeResult: 'minimal' });
      const endpoint = newEndpoint();

      const webhook = await client().subscribeWebhook({ type: 'sms.mo', endpoint, hmacSecret: HMAC_SECRET, hmacAlgorithm: 'SHA512' });

      expect(webhook).toEqual({ hash: expect.stringMatching(/^[A-Z0-9]{8}$/), type: 'sms.mo', endpoint, hmacAlgorithm: 'SHA512' });
      expect(emulator.subscriptions()).toContainEqual(expect.objectContaining({ hash: webhook.hash, endpoint }));
    });

    it('reads the event type of a listed webhook from event_type when there is no type', async () => {
      const endpoint = newEndpoint();
      const { hash } = await client().subscribeWebhook({ type: 'sms.mt.status_update', endpoint, hmacSecret: HMAC_SECRET });
      emulator.setAnswerShapes({ webhookTypeField: 'event_type' });

      expect(await client().listWebhooks()).toContainEqual({ hash, type: 'sms.mt.status_update', endpoint, hmacAlgorithm: 'SHA256' });
    });

    it('skips a listed webhook it cannot use, with a warning, and keeps the others', async () => {
      const listed = [
        { hash: 'GOOD0001', type: 'sms.mo', endpoint: 'https://a.test/webhooks/callr' },
        { hash: 'NOEND002', type: 'sms.mo' },
        { hash: 'NOTYPE03', endpoint: 'https://b.test/webhooks/callr', options: null },
        { type: 'sms.mo', endpoint: 'https://c.test/webhooks/callr' },
        'not an object',
        { hash: 'LEGACY04', event_type: 'sms.mo', endpoint: 'https://d.test/webhooks/callr', options: { hmac_algo: 42 } },
      ];
      // A stand-in answer for shapes the emulator never gives: items missing what adoption needs.
      const cannedFetch: typeof fetch = async () => new Response(JSON.stringify({ jsonrpc: '2.0', id: 1, result: listed }), { status: 200 });
      const warnings: unknown[] = [];

      const webhooks = await client({ fetch: cannedFetch, onWarning: (warning) => warnings.push(warning) }).listWebhooks();

      expect(webhooks).toEqual([
        { hash: 'GOOD0001', type: 'sms.mo', endpoint: 'https://a.test/webhooks/callr' },
        { hash: 'LEGACY04', type: 'sms.mo', endpoint: 'https://d.test/webhooks/callr' },
      ]);
      expect(warnings).toEqual([
        { method: 'webhooks.get_list', message: 'Skipped a listed CALLR webhook without what adoption needs', index: 1, hash: 'NOEND002', missing: ['endpoint'] },
        { method: 'webhooks.get_list', message: 'Skipped a listed CALLR webhook without what adoption needs', index: 2, hash: 'NOTYPE03', missing: ['type'] },
        { method: 'webhooks.get_list', message: 'Skipped a listed CALLR webhook without what adoption needs', index: 3, missing: ['hash'] },
        { method: 'webhooks.get_list', message: 'Skipped a listed CALLR webhook without what adoption needs', index: 4, missing: ['hash', 'type', 'endpoint'] },
      ]);
    });

    it('still refuses a subscription answer without a hash', async () => {
      const cannedFetch: typeof fetch = async () => new Response(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { type: 'sms.mo' } }), { status: 200 });

      await expect(client({ fetch: cannedFetch }).subscribeWebhook({ type: 'sms.mo', endpoint: newEndpoint() })).rejects.toMatchObject({
        name: 'CallrTransportError',
        failure: 'invalid_response',
      });
    });
  });

  describe('sms.send is never repeated: CALLR would send the SMS twice', () => {
    it.each([
      ['a 503', { kind: 'http', status: 503 } as const, 'http_503', { failure: 'http_status', httpStatus: 503 }],
      ['a 500', { kind: 'http', status: 500 } as const, 'http_500', { failure: 'http_status', httpStatus: 500 }],
      ['a timeout', { kind: 'hang' } as const, 'hang', { failure: 'timeout' }],
    ])('makes one attempt on %s, and says so', async (_name, failure, outcome, expected) => {
      // Once only: a retry would succeed, and the SMS would go out after all (twice, had the first reached the network).
      emulator.failNext({ ...failure, method: 'sms.send' });
      const before = emulator.calls().length;
      const retries: unknown[] = [];

      const error = await client({ timeoutMs: 200, retries: 2, onRetry: (retry) => retries.push(retry) })
        .sendSms({ to: '+33612345678', text: 'Your code is 1234' })
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(CallrTransportError);
      expect(error).toMatchObject({ ...expected, attempts: 1, retryable: false });
      expect((error as Error).message).toMatch(/not retried: sms\.send is not safe to repeat/);
      expect(callsSince(before).map((call) => `${call.method} ${call.outcome}`)).toEqual([`sms.send ${outcome}`]);
      expect(retries).toEqual([]);
    });

    it('still retries a call that is safe to repeat on the same failures', async () => {
      emulator.failNext({ kind: 'http', status: 503, method: 'webhooks.get_list' });
      emulator.failNext({ kind: 'hang', method: 'webhooks.get_list' });
      const before = emulator.calls().length;

      await expect(client({ timeoutMs: 200, retries: 2 }).listWebhooks()).resolves.toEqual(expect.any(Array));

      expect(callsSince(before).map((call) => call.outcome)).toEqual(['http_503', 'hang', 'ok']);
    });

    it('retries sms.send only when the connection was refused, so nothing reached CALLR', async () => {
      const closed = await startCallrEmulator({ credentials: { apiKey: API_KEY } });
      await closed.close();
      const retries: unknown[] = [];

      const error = await createCallrClient({ apiUrl: closed.url, credentials: { apiKey: API_KEY }, retries: 1, retryBaseDelayMs: 1, onRetry: (retry) => retries.push(retry) })
        .sendSms({ to: '+33612345678', text: 'hello' })
        .catch((caught: unknown) => caught);

      expect(error).toMatchObject({ name: 'CallrTransportError', failure: 'network', attempts: 2 });
      expect(retries).toHaveLength(1);
    });
  });

  it('sends an SMS without a sender, so that CALLR picks a shortcode that can be answered', async () => {
    const before = emulator.calls().length;

    const { hash } = await client().sendSms({ to: '+33612345678', text: 'Reply STOP to opt out' });

    expect(callsSince(before)).toMatchObject([{ method: 'sms.send', params: ['', '+33612345678', 'Reply STOP to opt out', null], outcome: 'ok' }]);
    expect(emulator.sentSms()).toContainEqual(expect.objectContaining({ hash, from: expect.stringMatching(/^[0-9]{3,8}$/) }));
  });

  it.each([
    ['a URL with credentials in it', { apiUrl: 'https://user:pass@api.callr.com/json-rpc/v1.1/' }, /must not carry credentials/],
    ['not a URL', { apiUrl: 'api.callr.com' }, /not a valid URL/],
    ['an empty API key', { credentials: { apiKey: ' ' } }, /apiKey must be a non-empty string/],
    ['an empty password', { credentials: { login: 'acme', password: '' } }, /non-empty login and password/],
    ['a zero timeout', { timeoutMs: 0 }, /timeoutMs must be a positive integer/],
  ])('refuses %s at creation', (_name, overrides, message) => {
    expect(() => createCallrClient({ credentials: { apiKey: API_KEY }, ...overrides } as CallrClientOptions)).toThrow(CallrClientConfigError);
    expect(() => createCallrClient({ credentials: { apiKey: API_KEY }, ...overrides } as CallrClientOptions)).toThrow(message);
  });
});

describe('deriveCallrErrorCode', () => {
  it.each([
    ['CALLR token as message', { code: 117, message: 'TYPE_ENDPOINT_DUPLICATE' }, 'TYPE_ENDPOINT_DUPLICATE'],
    ['token in data.code', { code: 3, message: 'Webhook not found', data: { code: 'HOOK_NOT_FOUND' } }, 'HOOK_NOT_FOUND'],
    ['JSON-RPC standard code', { code: -32601, message: 'Method not found' }, 'METHOD_NOT_FOUND'],
    ['HTTP 401 with prose', { code: 1, message: 'Authentication failed', httpStatus: 401 }, 'AUTHENTICATION_FAILED'],
    ['anything else', { code: 42, message: 'Something odd happened' }, 'CALLR_ERROR_42'],
  ])('%s', (_name, answer, expected) => {
    expect(deriveCallrErrorCode(answer)).toBe(expected);
  });

  it.each([
    ['NOT_FOUND', true],
    ['WEBHOOK_NOT_FOUND', true],
    ['NOT_FOUND_HERE', false],
    ['TYPE_ENDPOINT_DUPLICATE', false],
  ])('isNotFound(%s) is %s', (token, expected) => {
    expect(isNotFound(new CallrApiError('webhooks.unsubscribe', { code: 1, message: token }, 200))).toBe(expected);
  });
});
