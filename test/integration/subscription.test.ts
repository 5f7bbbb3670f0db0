import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { verifyCallrSignature } from '../../functions/callr/signature';
import { createSubscriptionHandler } from '../../functions/subscription/on-event';
import { parseSubscriptionProperties, subscribedEndpoint } from '../../functions/subscription/properties';
import type { SubscriptionDependencies } from '../../functions/subscription/subscription';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startRecordingReceiver, type RecordingReceiver } from '../../local/callr-emulator/recording-receiver';

/**
 * The custom resource's onEvent, end to end against the CALLR emulator: real client, real HTTP,
 * real Powertools logger and metrics (their output captured), secrets from an in-memory store
 * standing in for Secrets Manager.
 */

const API_KEY = 'callr-api-key-7d1e4f';
const LOGIN = { login: 'acme-ops', password: 'callr-password-9a8b7c' };
const HMAC_V1 = 'hmac-secret-version-one-3f2e1d';
const HMAC_V2 = 'hmac-secret-version-two-6c5b4a';
const RESPONSE_URL_SIGNATURE = 'X-Amz-Signature=presigned0123456789abcdef';

const ARN = {
  hmac: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-hmac-AbCdEf',
  apiKey: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-api-key-AbCdEf',
  basic: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-basic-AbCdEf',
  wrongKey: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-wrong-AbCdEf',
  notJson: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-broken-AbCdEf',
  deleted: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-deleted-AbCdEf',
} as const;

const SECRET_VALUES = [API_KEY, LOGIN.password, HMAC_V1, HMAC_V2, 'wrong-key-5e5e5e', `apiKey ${API_KEY}`, RESPONSE_URL_SIGNATURE];

class ResourceNotFoundException extends Error {
  override name = 'ResourceNotFoundException';
}

describe('webhook subscription custom resource against the CALLR emulator', () => {
  let emulator: CallrEmulator;
  let receiver: RecordingReceiver;
  let secrets: Map<string, string>;
  let output: string[];
  let metrics: Metrics;
  let deps: SubscriptionDependencies;
  let endpointCounter = 0;
  let endpoint: string;

  const onEvent = (event: CloudFormationCustomResourceEvent) => createSubscriptionHandler(deps)(event);
  const publishedOutput = () => {
    metrics.publishStoredMetrics();
    return output.join('');
  };
  const callsSince = (count: number) => emulator.calls().slice(count).map((call) => `${call.method} ${call.outcome}`);
  const directClient = () => createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, retries: 0 });

  const properties = (overrides: Record<string, string | undefined> = {}) => ({
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider-onEvent',
    Endpoint: endpoint,
    EventType: 'sms.mo',
    HmacAlgorithm: 'SHA256',
    HmacSecretArn: ARN.hmac,
    CredentialsSecretArn: ARN.apiKey,
    ApiUrl: emulator.url,
    SecretVersion: 'v1',
    ...overrides,
  });

  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider-onEvent',
    ResponseURL: `https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x?${RESPONSE_URL_SIGNATURE}`,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/callr-inbound/1',
    RequestId: '5b9c1a0e-1111-4222-8333-944455556666',
    LogicalResourceId: 'SmsMoSubscription',
    ResourceType: 'Custom::CallrWebhookSubscription',
  };
  const createEvent = (props = properties()): CloudFormationCustomResourceCreateEvent => ({ ...common, RequestType: 'Create', ResourceProperties: props });
  const updateEvent = (physicalId: string, props: ReturnType<typeof properties>, oldProps: ReturnType<typeof properties>): CloudFormationCustomResourceUpdateEvent => ({
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
    OldResourceProperties: oldProps,
  });
  const deleteEvent = (physicalId: string, props = properties()): CloudFormationCustomResourceDeleteEvent => ({
    ...common,
    RequestType: 'Delete',
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
  });

  /** The URL CALLR is subscribed to for these properties (Endpoint + secret version and key). */
  const subscribedUrl = (props: ReturnType<typeof properties>) => subscribedEndpoint(parseSubscriptionProperties(props));
  const pathOf = (url: string) => new URL(url, 'http://127.0.0.1').pathname;
  /** The hooks CALLR has for this test's endpoint, whatever their query string. */
  const hooksHere = () => emulator.subscriptions().filter((webhook) => pathOf(webhook.endpoint) === pathOf(endpoint));

  /** What CALLR now signs deliveries to `endpoint` with: inject an SMS and check each delivery against `accepted`. */
  const deliveriesSignedWith = async (...accepted: string[]) => {
    const before = receiver.requests.length;
    emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'which secret?' });
    await emulator.whenIdle();
    return receiver.requests
      .slice(before)
      .filter((request) => pathOf(request.path) === pathOf(endpoint))
      .map((request) => verifyCallrSignature({ rawBody: request.body, header: request.headers['x-callr-hmacsignature'] as string, secrets: accepted }).ok);
  };

  beforeAll(async () => {
    emulator = await startCallrEmulator({ credentials: [{ apiKey: API_KEY }, LOGIN], retry: { baseDelayMs: 5, maxTries: 2 } });
    receiver = await startRecordingReceiver();
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.close();
  });

  beforeEach(() => {
    endpoint = `${receiver.url}/${++endpointCounter}`;
    secrets = new Map([
      [ARN.hmac, HMAC_V1],
      [ARN.apiKey, JSON.stringify({ apiKey: API_KEY })],
      [ARN.basic, JSON.stringify(LOGIN)],
      [ARN.wrongKey, JSON.stringify({ apiKey: 'wrong-key-5e5e5e' })],
      [ARN.notJson, `apiKey ${API_KEY}`],
    ]);
    output = [];
    // Powertools writes info and metrics to stdout, warnings and errors to stderr.
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }
    metrics = new Metrics({ namespace: 'CallrInboundSmsTest', serviceName: 'subscription-test' });
    deps = {
      createClient: createCallrClient,
      readSecret: async (arn) => {
        const value = secrets.get(arn);
        if (value === undefined) throw new ResourceNotFoundException(`Secrets Manager can't find the specified secret.`);
        return value;
      },
      clientOptions: { timeoutMs: 1_000, retries: 1, retryBaseDelayMs: 5 },
      logger: new Logger({ serviceName: 'subscription-test', logLevel: 'DEBUG' }),
      metrics,
    };
  });
  afterEach(() => {
    const everything = publishedOutput();
    jest.restoreAllMocks();
    for (const secret of SECRET_VALUES) expect(everything).not.toContain(secret);
  });

  describe('Create', () => {
    it.each([
      ['an API key', ARN.apiKey, 'Api-Key'],
      ['a login and password', ARN.basic, 'Basic'],
    ])('subscribes with %s and answers the webhook hash, nothing else', async (_name, credentialsArn, scheme) => {
      const before = emulator.calls().length;

      const result = await onEvent(createEvent(properties({ CredentialsSecretArn: credentialsArn })));

      const hash = result.PhysicalResourceId;
      expect(result).toEqual({ PhysicalResourceId: expect.stringMatching(/^[A-Z0-9]{8}$/), Data: { WebhookHash: hash } });
      const url = subscribedUrl(properties());
      expect(emulator.calls().slice(before)).toMatchObject([{ method: 'webhooks.subscribe', auth: scheme, outcome: 'ok', params: ['sms.mo', url, { hmac_algo: 'SHA256' }] }]);
      expect(emulator.subscriptions()).toContainEqual(expect.objectContaining({ hash, type: 'sms.mo', endpoint: url, hmacAlgorithm: 'SHA256', signed: true }));
      expect(await deliveriesSignedWith(HMAC_V1)).toEqual([true]);
      expect(publishedOutput()).toContain('"WebhookSubscribed"');
    });

    it.each([
      ['with data', 'included'],
      ['without data', 'omitted'],
    ] as const)('adopts an existing subscription of the same type and URL (duplicate answered %s), so that our secret is in force', async (_name, errorData) => {
      const foreign = await directClient().subscribeWebhook({ type: 'sms.mo', endpoint: subscribedUrl(properties()), hmacSecret: 'someone-elses-secret' });
      const before = emulator.calls().length;
      emulator.setAnswerShapes({ errorData });

      const result = await onEvent(createEvent()).finally(() => emulator.setAnswerShapes({ errorData: 'included' }));

      expect(result.PhysicalResourceId).not.toBe(foreign.hash);
      expect(callsSince(before)).toEqual([
        'webhooks.subscribe TYPE_ENDPOINT_DUPLICATE',
        'webhooks.get_list ok',
        'webhooks.unsubscribe ok',
        'webhooks.subscribe ok',
      ]);
      expect(hooksHere().map((webhook) => webhook.hash)).toEqual([result.PhysicalResourceId]);
      expect(await deliveriesSignedWith(HMAC_V1)).toEqual([true]);
      expect(publishedOutput()).toContain('"WebhookAdopted"');
    });

    it('fails with CALLR\'s code in the message when CALLR refuses', async () => {
      emulator.failNext({ kind: 'error', message: 'ACCOUNT_SUSPENDED', code: 12, method: 'webhooks.subscribe' });

      const error = await onEvent(createEvent()).catch((caught: unknown) => caught);

      expect(error).toMatchObject({ name: 'SubscriptionFailedError' });
      expect((error as Error).message).toMatch(/^Could not subscribe the sms\.mo webhook .* at CALLR: CALLR refused webhooks\.subscribe: ACCOUNT_SUSPENDED/);
      expect(output.join('')).toContain('"CALLR webhook subscription failed"');
    });

    it('refuses wrong credentials without echoing them', async () => {
      const error = await onEvent(createEvent(properties({ CredentialsSecretArn: ARN.wrongKey }))).catch((caught: unknown) => caught);

      expect((error as Error).message).toMatch(/AUTHENTICATION_FAILED/);
      expect((error as Error).message).not.toContain('wrong-key-5e5e5e');
    });

    it('gives up on a CALLR that does not answer, within its bounded timeout and retries', async () => {
      deps = { ...deps, clientOptions: { timeoutMs: 150, retries: 1, retryBaseDelayMs: 5 } };
      emulator.failNext({ kind: 'hang', times: 2 });

      const error = await onEvent(createEvent()).catch((caught: unknown) => caught);

      expect((error as Error).message).toMatch(/CALLR webhooks\.subscribe failed after 2 attempts: no answer within 150 ms/);
    });

    it('explains an unusable credentials secret without quoting it', async () => {
      const error = await onEvent(createEvent(properties({ CredentialsSecretArn: ARN.notJson }))).catch((caught: unknown) => caught);

      expect(error).toMatchObject({ name: 'CredentialsSecretError' });
      expect((error as Error).message).toBe(
        'The CALLR credentials secret is unusable: it is not JSON. Store it as JSON: {"apiKey":"..."} or {"login":"...","password":"..."}',
      );
    });

    it('names a secret it cannot read by ARN', async () => {
      const error = await onEvent(createEvent(properties({ HmacSecretArn: ARN.deleted }))).catch((caught: unknown) => caught);

      expect(error).toMatchObject({ name: 'SecretUnavailableError', secretId: ARN.deleted });
      expect((error as Error).message).toBe(`Could not read secret ${ARN.deleted}: the HMAC secret could not be loaded (ResourceNotFoundException)`);
    });

    it('lists every invalid property', async () => {
      const error = await onEvent(createEvent(properties({ Endpoint: 'ftp://x', EventType: undefined, HmacAlgorithm: 'MD5' }))).catch((caught: unknown) => caught);

      expect(error).toMatchObject({ name: 'SubscriptionPropertiesError' });
      expect((error as Error).message).toBe(
        'Invalid CALLR webhook subscription properties: Endpoint must be an http(s) URL without credentials in it; EventType is required; HmacAlgorithm must be one of SHA256, SHA512',
      );
    });
  });

  describe('Update', () => {
    it('subscribes a changed endpoint anew, leaving the old hook for CloudFormation\'s Delete', async () => {
      const oldProps = properties();
      const { PhysicalResourceId: oldHash } = await onEvent(createEvent(oldProps));
      const newEndpoint = `${endpoint}-moved`;
      const newProps = properties({ Endpoint: newEndpoint });

      const result = await onEvent(updateEvent(oldHash, newProps, oldProps));

      expect(result).toEqual({ PhysicalResourceId: expect.not.stringMatching(oldHash), Data: { WebhookHash: result.PhysicalResourceId } });
      expect(emulator.subscriptions().map((webhook) => webhook.hash)).toEqual(expect.arrayContaining([oldHash, result.PhysicalResourceId]));

      await expect(onEvent(deleteEvent(oldHash, oldProps))).resolves.toEqual({ PhysicalResourceId: oldHash });
      expect(emulator.subscriptions().map((webhook) => webhook.hash)).not.toContain(oldHash);
      expect(emulator.subscriptions()).toContainEqual(expect.objectContaining({ hash: result.PhysicalResourceId, endpoint: subscribedUrl(newProps) }));
    });

    it('leaves the old hook in place when the rotated secret cannot be read', async () => {
      const oldProps = properties();
      const { PhysicalResourceId: oldHash } = await onEvent(createEvent(oldProps));
      const before = emulator.calls().length;

      const error = await onEvent(updateEvent(oldHash, properties({ SecretVersion: 'v2', HmacSecretArn: ARN.deleted }), oldProps)).catch((caught: unknown) => caught);

      expect(error).toMatchObject({ name: 'SecretUnavailableError', secretId: ARN.deleted });
      expect(callsSince(before)).toEqual([]);
      expect(await deliveriesSignedWith(HMAC_V1)).toEqual([true]);
    });

    it('rolls an endpoint change back by adopting the original hook', async () => {
      const original = properties();
      const { PhysicalResourceId: originalHash } = await onEvent(createEvent(original));
      const moved = properties({ Endpoint: `${endpoint}-moved` });
      const { PhysicalResourceId: movedHash } = await onEvent(updateEvent(originalHash, moved, original));

      // Rollback: CloudFormation updates back to the original properties, then deletes the moved hook.
      const rolledBack = await onEvent(updateEvent(movedHash, original, moved));
      await onEvent(deleteEvent(movedHash, moved));

      const left = emulator.subscriptions().filter((webhook) => webhook.endpoint.startsWith(endpoint));
      expect(left).toEqual([expect.objectContaining({ hash: rolledBack.PhysicalResourceId, endpoint: subscribedUrl(original) })]);
      expect(await deliveriesSignedWith(HMAC_V1)).toEqual([true]);
    });

    it('keeps the subscription when nothing CALLR cares about changed', async () => {
      const oldProps = properties();
      const { PhysicalResourceId: hash } = await onEvent(createEvent(oldProps));
      const before = emulator.calls().length;

      const result = await onEvent(updateEvent(hash, { ...oldProps, ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider-v2' }, oldProps));

      expect(result).toEqual({ PhysicalResourceId: hash, Data: { WebhookHash: hash } });
      expect(callsSince(before)).toEqual([]);
    });
  });

  describe('Delete', () => {
    it('unsubscribes, and succeeds again once the hook is gone', async () => {
      const { PhysicalResourceId: hash } = await onEvent(createEvent());
      const before = emulator.calls().length;

      await expect(onEvent(deleteEvent(hash))).resolves.toEqual({ PhysicalResourceId: hash });
      await expect(onEvent(deleteEvent(hash))).resolves.toEqual({ PhysicalResourceId: hash });

      expect(callsSince(before)).toEqual(['webhooks.unsubscribe ok', 'webhooks.unsubscribe NOT_FOUND']);
      expect(emulator.subscriptions().map((webhook) => webhook.hash)).not.toContain(hash);
      const published = publishedOutput();
      expect(published).toContain('"WebhookUnsubscribed"');
      expect(published).toContain('"WebhookAlreadyGone"');
    });

    it.each([
      ['CALLR answers an error', { kind: 'error', message: 'INTERNAL_ERROR' } as const],
      ['CALLR answers 503', { kind: 'http', status: 503, times: 2 } as const],
      ['CALLR hangs', { kind: 'hang', times: 2 } as const],
    ])('succeeds when %s, logging and counting the failure', async (_name, failure) => {
      deps = { ...deps, clientOptions: { timeoutMs: 150, retries: 1, retryBaseDelayMs: 5 } };
      const { PhysicalResourceId: hash } = await onEvent(createEvent());
      emulator.failNext({ ...failure, method: 'webhooks.unsubscribe' });

      await expect(onEvent(deleteEvent(hash))).resolves.toEqual({ PhysicalResourceId: hash });

      const published = publishedOutput();
      expect(published).toContain('"WebhookUnsubscribeFailed"');
      expect(published).toContain('Could not unsubscribe the CALLR webhook; the deletion goes on');
    });

    it.each([
      ['the Provider framework marker', 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'],
      ['a request id', '5b9c1a0e-1111-4222-8333-944455556666'],
      ['a CloudFormation-style id', 'callr-inbound-SmsMoSubscription-1A2B3C4D'],
    ])('succeeds without calling CALLR for a placeholder id (%s)', async (_name, physicalId) => {
      const before = emulator.calls().length;

      await expect(onEvent(deleteEvent(physicalId))).resolves.toEqual({ PhysicalResourceId: physicalId });

      expect(callsSince(before)).toEqual([]);
    });

    it('succeeds when the credentials secret is already deleted', async () => {
      const { PhysicalResourceId: hash } = await onEvent(createEvent());
      secrets.delete(ARN.apiKey);

      await expect(onEvent(deleteEvent(hash))).resolves.toEqual({ PhysicalResourceId: hash });

      expect(publishedOutput()).toContain('"WebhookUnsubscribeFailed"');
      expect(emulator.subscriptions().map((webhook) => webhook.hash)).toContain(hash);
    });

    it('succeeds when the properties are broken', async () => {
      await expect(onEvent(deleteEvent('ABCD1234', properties({ Endpoint: 'nope' })))).resolves.toEqual({ PhysicalResourceId: 'ABCD1234' });
      expect(publishedOutput()).toContain('"WebhookUnsubscribeFailed"');
    });
  });

  it('never logs the ResponseURL or the event itself', async () => {
    await onEvent(createEvent());
    const logged = output.join('');
    expect(logged).toContain('"CALLR webhook subscription event"');
    expect(logged).not.toContain('cloudformation-custom-resource-response');
    expect(logged).not.toContain('ResourceProperties');
  });
});
