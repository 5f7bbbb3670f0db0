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
