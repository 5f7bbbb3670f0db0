import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { loadIngestConfig } from '../../functions/ingest/config';
import { createIngestHandler } from '../../functions/ingest/create-ingest-handler';
import { secretsManagerHmacSecrets } from '../../functions/ingest/hmac-secrets';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { createObservability } from '../../functions/observability/observability';
import { localLambdaContext } from '../../local/lambda-context';
import { createSubscriptionHandler } from '../../functions/subscription/on-event';
import { parseSubscriptionProperties, SUBSCRIPTION_QUERY, subscribedEndpoint } from '../../functions/subscription/properties';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startHttpApiFront, type RunningHttpApiFront } from '../../local/http-api-front';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { fakeSecretsManager, type FakeSecretsManager } from '../support/secrets-manager-fake';
import { drainQueue } from '../support/sqs-events';

/**
 * A secret rotation through CloudFormation's real sequences of custom-resource events, against
 * the CALLR emulator, with CALLR's deliveries going to the real ingest handler behind the local
 * API Gateway front, its secrets read from Secrets Manager (AWSCURRENT, and AWSPREVIOUS within
 * the grace) exactly as in Lambda. After every step, CALLR must have at least one hook for the
 * endpoint, and the ingest must accept (200) everything CALLR delivers through it.
 */

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const API_KEY = 'callr-api-key-rotation-1a2b';
const HMAC_V1 = 'hmac-secret-rotation-one-5d4c3b';
const HMAC_V2 = 'hmac-secret-rotation-two-9e8f7a';
const GRACE_SECONDS = 86_400;
const ARN = {
  hmac: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-hmac-RoTaTe',
  credentials: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-credentials-RoTaTe',
} as const;

describe('HMAC secret rotation through CloudFormation sequences, delivered to the real ingest', () => {
  let env: TestEnvironment;
  let emulator: CallrEmulator;
  let front: RunningHttpApiFront;
  let secretsManager: FakeSecretsManager;
  let nowMs: number;
  let testCounter = 0;
  let endpoint: string;

  const onEvent = (event: CloudFormationCustomResourceEvent) =>
    createSubscriptionHandler({
      createClient: createCallrClient,
      readSecret: async (arn) => {
        if (arn === ARN.credentials) return JSON.stringify({ apiKey: API_KEY });
        const current = secretsManager.stages.AWSCURRENT;
        if (!current || current instanceof Error || !current.SecretString) throw new Error(`no secret ${arn}`);
        return current.SecretString;
      },
      clientOptions: { timeoutMs: 1_000, retries: 0 },
    })(event);

  /** What an operator does before deploying a new `hmacSecretVersion`: put a new value. */
  const putSecretValue = (value: string) => {
    nowMs += 60_000;
    const { AWSCURRENT: current } = secretsManager.stages;
    if (current) secretsManager.stages.AWSPREVIOUS = current;
    secretsManager.stages.AWSCURRENT = { SecretString: value, CreatedDate: new Date(nowMs) };
  };

  const properties = (overrides: Record<string, string> = {}) => ({
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider-onEvent',
    Endpoint: endpoint,
    EventType: 'sms.mo',
    HmacAlgorithm: 'SHA256',
    HmacSecretArn: ARN.hmac,
    CredentialsSecretArn: ARN.credentials,
    ApiUrl: emulator.url,
    SecretVersion: '1',
    ...overrides,
  });
  type Properties = ReturnType<typeof properties>;

  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider-onEvent',
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/callr-inbound/1',
    RequestId: '5b9c1a0e-1111-4222-8333-944455556666',
    LogicalResourceId: 'WebhookSmsMo',
    ResourceType: 'Custom::CallrWebhook',
  };
  const create = async (props: Properties) =>
    (await onEvent({ ...common, RequestType: 'Create', ResourceProperties: props } satisfies CloudFormationCustomResourceCreateEvent)).PhysicalResourceId;
  const update = async (physicalId: string, props: Properties, oldProps: Properties) =>
    (
      await onEvent({
        ...common,
        RequestType: 'Update',
        PhysicalResourceId: physicalId,
        ResourceProperties: props,
        OldResourceProperties: oldProps,
      } satisfies CloudFormationCustomResourceUpdateEvent)
    ).PhysicalResourceId;
  const remove = async (physicalId: string, props: Properties) => {
    await onEvent({ ...common, RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: props } satisfies CloudFormationCustomResourceDeleteEvent);
  };

  /** This test's hooks at CALLR (the tests share the emulator; each has its own endpoint query). */
  const hooksHere = () => emulator.subscriptions().filter((webhook) => webhook.endpoint.startsWith(`${endpoint}&`));
  const callsSince = (count: number) => emulator.calls().slice(count).map((call) => `${call.method} ${call.outcome}`);

  /**
   * The promise after each step: CALLR has at least one hook here, and an SMS injected now is
   * delivered through every one of them and answered 200 by the ingest, at the first try.
   */
  const expectDeliveredAndAccepted = async () => {
    const hooks = hooksHere().map((webhook) => webhook.hash);
    expect(hooks.length).toBeGreaterThanOrEqual(1);
    const before = emulator.deliveries().length;
    emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: `step ${Date.now()}` });
    await emulator.whenIdle();
    const here = emulator
      .deliveries()
      .slice(before)
      .filter((attempt) => attempt.hookHash !== null && hooks.includes(attempt.hookHash));
    expect(here.map((attempt) => [attempt.hookHash, attempt.httpStatus])).toEqual(expect.arrayContaining(hooks.map((hash) => [hash, 200])));
    expect(here).toHaveLength(hooks.length);
  };

  beforeAll(async () => {
    env = await startTestEnvironment();
    nowMs = Date.parse('2026-01-10T08:00:00.000Z');
    secretsManager = fakeSecretsManager({});
    const config = loadIngestConfig({ QUEUE_URL: env.ingestQueueUrl, DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl, CALLR_HMAC_SECRET: 'unused' });
    // Wrapped as in Lambda, so that each request's metrics are published (and dropped: disabled here).
    const observability = createObservability('ingest');
    const ingest = withLambdaMiddleware(
      createIngestHandler({
        config,
        sqs: env.clients.sqs,
        // The ingest's own secret source, as in Lambda: AWSCURRENT, and AWSPREVIOUS for the grace.
        secrets: secretsManagerHmacSecrets({ client: secretsManager.client, secretId: ARN.hmac, maxAgeSeconds: 0, previousGraceSeconds: GRACE_SECONDS, nowMs: () => nowMs }),
        now: () => new Date(),
        ...observability,
      }),
      observability,
    );
    const handler = (event: Parameters<typeof ingest>[0]) => ingest(event, localLambdaContext('ingest', env.region, 10_000));
    front = await startHttpApiFront({ port: 0, routes: [{ method: 'POST', path: '/webhooks/callr', handler }] });
    // One try: a refused delivery shows at once instead of being retried.
    emulator = await startCallrEmulator({ credentials: { apiKey: API_KEY }, retry: { baseDelayMs: 5, maxTries: 1 } });
  });
  afterAll(async () => {
    await emulator?.close();
    await front?.close();
    await env?.stop();
  });

  beforeEach(() => {
    secretsManager.stages.AWSCURRENT = { SecretString: HMAC_V1, CreatedDate: new Date(nowMs) };
    delete secretsManager.stages.AWSPREVIOUS;
    endpoint = `${front.url}/webhooks/callr?test=${++testCounter}`;
  });

  it('creates, rotates (both hooks in force), cleans up the old id, and deletes', async () => {
    const v1 = properties();
    const first = await create(v1);
    await expectDeliveredAndAccepted();

    putSecretValue(HMAC_V2);
    const v2 = properties({ SecretVersion: '2' });
    const before = emulator.calls().length;
    const second = await update(first, v2, v1);

    expect(second).not.toBe(first);
    expect(callsSince(before)).toEqual(['webhooks.subscribe ok']); // nothing unsubscribed before the new hook is in force
    expect(hooksHere().map((webhook) => webhook.hash).sort()).toEqual([first, second].sort());
    await expectDeliveredAndAccepted();

    // The update succeeded: CloudFormation deletes the old id.
    await remove(first, v1);
    expect(hooksHere().map((webhook) => webhook.hash)).toEqual([second]);
    expect(hooksHere()[0]!.endpoint).toContain(`${SUBSCRIPTION_QUERY.secretVersion}=2`);
    await expectDeliveredAndAccepted();

    await remove(second, v2);
    expect(hooksHere()).toEqual([]);
  });

  it.each([
    ['a new secret version', { SecretVersion: '2' }, HMAC_V2],
    ['a new algorithm', { HmacAlgorithm: 'SHA512' }, undefined],
  ])('keeps the old hook in force when an update with %s rolls back (CloudFormation deletes the new id)', async (_name, change, newSecret) => {
    const v1 = properties();
    const first = await create(v1);
    if (newSecret) putSecretValue(newSecret);
    const v2 = properties(change);
    const second = await update(first, v2, v1);
    await expectDeliveredAndAccepted();

    // Another resource failed: the rollback's cleanup deletes the id the failed update created.
    await remove(second, v2);

    expect(hooksHere().map((webhook) => webhook.hash)).toEqual([first]);
    await expectDeliveredAndAccepted();
  });

  it('stays in force through a rollback that updates back to the old properties, then deletes the new id', async () => {
    const v1 = properties();
    const first = await create(v1);
    putSecretValue(HMAC_V2);
    const v2 = properties({ SecretVersion: '2' });
    const second = await update(first, v2, v1);

    const rolledBack = await update(second, v1, v2);
    await expectDeliveredAndAccepted();
    await remove(second, v2);

    expect(hooksHere().map((webhook) => webhook.hash)).toEqual([rolledBack]);
    expect(hooksHere()[0]!.endpoint).toBe(subscribedEndpoint(parseSubscriptionProperties(v1)));
    await expectDeliveredAndAccepted();
  });

  it('keeps the hook untouched when a rotation CALLR refused is rolled back', async () => {
    const v1 = properties();
    const first = await create(v1);
    putSecretValue(HMAC_V2);
    const v2 = properties({ SecretVersion: '2' });
    emulator.failNext({ kind: 'error', message: 'INTERNAL_ERROR', method: 'webhooks.subscribe' });

    await expect(update(first, v2, v1)).rejects.toThrow(/INTERNAL_ERROR/);
    expect(hooksHere().map((webhook) => webhook.hash)).toEqual([first]);
    await expectDeliveredAndAccepted();

    // The rollback of the failed resource: an Update back to the old properties, on the old id.
    const before = emulator.calls().length;
    await expect(update(first, v1, v2)).resolves.toBe(first);

    expect(callsSince(before)).toEqual(['webhooks.subscribe TYPE_ENDPOINT_DUPLICATE', 'webhooks.get_list ok']);
    expect(hooksHere().map((webhook) => webhook.hash)).toEqual([first]);
    await expectDeliveredAndAccepted();
  });

  it('takes in a delivery to the subscribed URL, query string and all, verifying the body only', async () => {
    const v1 = properties();
    await create(v1);
    const subscribed = hooksHere()[0]!.endpoint;
    expect(new URL(subscribed).searchParams.get('test')).toBe(String(testCounter));
    expect(new URL(subscribed).searchParams.get(SUBSCRIPTION_QUERY.secretVersion)).toBe('1');
    await drainQueue(env.clients.sqs, env.ingestQueueUrl);

    const { eventIds } = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'through the query string' });
    await emulator.whenIdle();

    const [queued] = await drainQueue(env.clients.sqs, env.ingestQueueUrl);
    expect(queued?.MessageAttributes?.eventId?.StringValue ?? JSON.stringify(queued)).toContain(eventIds[0]!);
  });
});
