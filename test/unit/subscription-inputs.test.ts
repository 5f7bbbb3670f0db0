import { parseCallrCredentials } from '../../functions/subscription/credentials';
import { loadSubscriptionConfig } from '../../functions/subscription/config';
import { CredentialsSecretError, SubscriptionPropertiesError } from '../../functions/subscription/errors';
import { parseSubscriptionProperties, sameSubscription, subscribedEndpoint } from '../../functions/subscription/properties';
import { looksLikeWebhookHash, sameUrl } from '../../functions/subscription/subscription';

const valid = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:onEvent',
  Endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/callr',
  EventType: 'sms.mo',
  HmacAlgorithm: 'SHA512',
  HmacSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hmac',
  CredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr',
  ApiUrl: 'https://api.callr.com/json-rpc/v1.1/',
  SecretVersion: '2024-03-10',
};

describe('subscription properties', () => {
  it('parses a full set, ignoring ServiceToken', () => {
    const { ServiceToken: _ignored, ...expected } = valid;
    expect(parseSubscriptionProperties(valid)).toEqual(expected);
  });

  it('defaults the algorithm and the API URL', () => {
    const { HmacAlgorithm: _a, ApiUrl: _b, SecretVersion: _c, ...minimal } = valid;
    expect(parseSubscriptionProperties(minimal)).toEqual({
      Endpoint: valid.Endpoint,
      EventType: 'sms.mo',
      HmacAlgorithm: 'SHA256',
      HmacSecretArn: valid.HmacSecretArn,
      CredentialsSecretArn: valid.CredentialsSecretArn,
      ApiUrl: 'https://api.callr.com/json-rpc/v1.1/',
    });
  });

  it.each([
    ['no properties at all', undefined, ['Endpoint is required', 'EventType is required', 'HmacSecretArn is required', 'CredentialsSecretArn is required']],
    ['an endpoint with credentials', { ...valid, Endpoint: 'https://u:p@x.test/' }, ['Endpoint must be an http(s) URL without credentials in it']],
    ['a relative endpoint', { ...valid, Endpoint: '/webhooks/callr' }, ['Endpoint must be an http(s) URL without credentials in it']],
    ['an event type with spaces', { ...valid, EventType: 'sms mo' }, ['EventType must be a CALLR event type such as sms.mo or sms.mt.status_update']],
    ['a lower-case algorithm', { ...valid, HmacAlgorithm: 'sha256' }, ['HmacAlgorithm must be one of SHA256, SHA512']],
    ['a blank secret ARN', { ...valid, HmacSecretArn: '  ' }, ['HmacSecretArn is required']],
    ['an API URL that is not one', { ...valid, ApiUrl: 'callr' }, ['ApiUrl must be an http(s) URL without credentials in it']],
  ])('refuses %s, listing every problem', (_name, input, problems) => {
    let caught: unknown;
    try {
      parseSubscriptionProperties(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SubscriptionPropertiesError);
    expect((caught as SubscriptionPropertiesError).problems).toEqual(problems);
  });

  it.each([
    ['the same', {}, true, true],
    ['only the ServiceToken', { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:other' }, true, true],
    ['a new secret version', { SecretVersion: 'next' }, false, false],
    ['another algorithm', { HmacAlgorithm: 'SHA256' }, false, false],
    ['another HMAC secret', { HmacSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hmac-2' }, false, false],
    ['another endpoint', { Endpoint: 'https://other.test/webhooks/callr' }, false, false],
    ['another event type', { EventType: 'sms.mt.status_update' }, true, false],
    ['another CALLR account', { CredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:other' }, true, false],
  ])('compares %s (%j): same subscribed URL %s, same subscription %s', (_name, change, sameUrl, subscription) => {
    const before = parseSubscriptionProperties(valid);
    const after = parseSubscriptionProperties({ ...valid, ...change });
    expect([subscribedEndpoint(before) === subscribedEndpoint(after), sameSubscription(before, after)]).toEqual([sameUrl, subscription]);
  });

  it('subscribes the endpoint with the secret version and a key of how CALLR signs, keeping its own query', () => {
    const url = new URL(subscribedEndpoint(parseSubscriptionProperties({ ...valid, Endpoint: `${valid.Endpoint}?stage=prod` })));

    expect(`${url.origin}${url.pathname}`).toBe(valid.Endpoint);
    expect(Object.fromEntries(url.searchParams)).toEqual({ stage: 'prod', callrSecretVersion: '2024-03-10', callrSubscription: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(url.toString()).not.toContain('secret:hmac');
  });
});

describe('CALLR credentials secret', () => {
  it.each([
    ['an API key', '{"apiKey":"k-123"}', { apiKey: 'k-123' }],
    ['a login and password', '{"login":"acme","password":"p-456"}', { login: 'acme', password: 'p-456' }],
    ['extra fields', '{"apiKey":"k-123","note":"prod"}', { apiKey: 'k-123' }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseCallrCredentials(text)).toEqual(expected);
  });

  it.each([
    ['plain text', 's3cr3t-value', 'it is not JSON'],
    ['a JSON string', '"s3cr3t-value"', 'it is not a JSON object'],
    ['an empty object', '{}', 'it has neither apiKey nor login and password'],
    ['both forms', '{"apiKey":"s3cr3t-value","login":"a","password":"b"}', 'it holds both apiKey and login/password; keep one form'],
    ['an empty key', '{"apiKey":""}', 'apiKey must be a non-empty string'],
    ['a numeric key', '{"apiKey":12345678}', 'apiKey must be a non-empty string'],
    ['no password', '{"login":"acme"}', 'password must be a non-empty string'],
    ['blank login and password', '{"login":" ","password":""}', 'login and password must be non-empty strings'],
    ['a login with a colon', '{"login":"a:b","password":"s3cr3t-value"}', 'login cannot contain ":" (Basic authentication)'],
  ])('refuses %s without quoting the secret', (_name, text, problem) => {
    let caught: unknown;
    try {
      parseCallrCredentials(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CredentialsSecretError);
    expect((caught as Error).message).toBe(`The CALLR credentials secret is unusable: ${problem}. Store it as JSON: {"apiKey":"..."} or {"login":"...","password":"..."}`);
    expect((caught as Error).message).not.toContain('s3cr3t-value');
  });
});

describe('webhook hash or placeholder', () => {
  it.each([
    ['IAYHJ6F3', true],
    ['AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', false],
    ['5b9c1a0e-1111-4222-8333-944455556666', false],
    ['stack-Logical-1A2B', false],
    ['', false],
  ])('%s → %s', (id, expected) => {
    expect(looksLikeWebhookHash(id)).toBe(expected);
  });
});

describe('subscription Lambda config', () => {
  it('has defaults and reads overrides', () => {
    expect(loadSubscriptionConfig({})).toEqual({ timeoutMs: 8000, retries: 2 });
    expect(loadSubscriptionConfig({ CALLR_TIMEOUT_MS: '3000', CALLR_RETRIES: '0' })).toEqual({ timeoutMs: 3000, retries: 0 });
  });

  it.each([
    ['CALLR_TIMEOUT_MS', 'soon', 'CALLR_TIMEOUT_MS must be an integer >= 1 (got "soon"); unset it for the default 8000'],
    ['CALLR_RETRIES', '-1', 'CALLR_RETRIES must be an integer >= 0 (got "-1"); unset it for the default 2'],
  ])('refuses a bad %s', (name, value, message) => {
    expect(() => loadSubscriptionConfig({ [name]: value })).toThrow(message);
  });
});

describe('the subscribed URL as CALLR lists it', () => {
  it.each([
    ['the same text: same', 'https://x.test/webhooks/callr?a=1&b=2', 'https://x.test/webhooks/callr?a=1&b=2', true],
    ['parameters in another order: same', 'https://x.test/webhooks/callr?b=2&a=1', 'https://x.test/webhooks/callr?a=1&b=2', true],
    ['an upper-case host: same', 'https://X.TEST/webhooks/callr?a=1', 'https://x.test/webhooks/callr?a=1', true],
    ['another parameter value: not the same', 'https://x.test/webhooks/callr?a=2', 'https://x.test/webhooks/callr?a=1', false],
    ['no query string: not the same', 'https://x.test/webhooks/callr', 'https://x.test/webhooks/callr?a=1', false],
  ])('%s', (_name, listed, subscribed, expected) => {
    expect(sameUrl(listed, subscribed)).toBe(expected);
  });
});
