import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import type { handler as IngestEntry } from '../../functions/ingest/handler';
import { IngestConfigError } from '../../functions/ingest/errors';
import { smsMoBody } from '../fixtures/callr-fixtures';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { callrBody, callrWebhookEvent } from '../support/http-api-events';
import { waitFor } from '../support/wait';

/**
 * The Lambda entry as Lambda loads it: configuration from the environment, clients built at cold
 * start with a default SQSClient, the middy wrapping around it.
 */
describe('ingest Lambda entry', () => {
  let env: TestEnvironment;
  let restoreDns: () => void = () => undefined;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // A default SQSClient sends to the queue URL's host, which fauxqs names sqs.<region>.localhost.
    const { interceptLocalhostDns } = await import('fauxqs');
    restoreDns = interceptLocalhostDns();
    env = await startTestEnvironment();
  });

  afterEach(() => {
    process.env = { ...savedEnv };
  });

  afterAll(async () => {
    restoreDns();
    await env.stop();
  });

  function loadEntry(variables: Record<string, string>): typeof IngestEntry {
    process.env = {
      ...savedEnv,
      AWS_REGION: env.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...variables,
    };
    let entry: typeof IngestEntry | undefined;
    jest.isolateModules(() => {
      entry = (require('../../functions/ingest/handler') as { handler: typeof IngestEntry }).handler;
    });
    if (!entry) throw new Error('functions/ingest/handler exported no handler');
    return entry;
  }

  it('verifies and queues a signed event, wired from the environment', async () => {
    const handler = loadEntry({
      QUEUE_URL: env.ingestQueueUrl,
      DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl,
      CALLR_HMAC_SECRET: 'entry-secret',
    });
    const body = callrBody(smsMoBody(), { eventAt: new Date() });
    const result = await handler(callrWebhookEvent({ body, secret: 'entry-secret' }), { functionName: 'ingest', awsRequestId: 'r1' } as Context);

    expect({ statusCode: result.statusCode, body: JSON.parse(String(result.body)) }).toEqual({
      statusCode: 200,
      body: { status: 'accepted', message: 'Event queued for processing.', eventId: 'c5df14852226895334vk6tjqfCS3PFEG' },
    });
    const { Messages } = await env.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: env.ingestQueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages?.map((message) => Buffer.from(message.Body ?? '', 'base64').equals(body))).toEqual([true]);
  });

  it('refuses to start when misconfigured, listing what to fix', () => {
    let error: unknown;
    try {
      loadEntry({ DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl, HMAC_ALGORITHM: 'SHA1', CALLR_HMAC_SECRET: 's' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe(IngestConfigError.name);
    expect((error as IngestConfigError).problems).toEqual([
      expect.stringMatching(/^QUEUE_URL is required/),
      expect.stringMatching(/^HMAC_ALGORITHM must be one of SHA256, SHA512/),
    ]);
  });

  describe('with the secret in Secrets Manager', () => {
    const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-hmac-AbCdEf';
    let secretsManager: Server;
    let requests: string[] = [];
    /** Answers for the next requests, in order; then the secret. */
    let failuresToAnswer = 0;

    beforeAll(async () => {
      // Secrets Manager's JSON protocol, spoken on 127.0.0.1 and reached through the SDK's own
      // AWS_ENDPOINT_URL_SECRETS_MANAGER: the entry builds its client with the factory's defaults.
      secretsManager = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          requests.push(`${String(request.headers['x-amz-target'])} ${body}`);
          response.setHeader('content-type', 'application/x-amz-json-1.1');
          if (failuresToAnswer > 0) {
            failuresToAnswer -= 1;
            response.statusCode = 400;
            response.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'not yet allowed' }));
            return;
          }
          response.end(JSON.stringify({ ARN: SECRET_ARN, Name: 'callr-hmac', SecretString: 'stored-secret', CreatedDate: 1_700_000_000 }));
        });
      });
      await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await new Promise((resolve) => secretsManager.close(resolve));
    });

    beforeEach(() => {
      requests = [];
      failuresToAnswer = 0;
    });

    function loadEntryWithSecretsManager() {
      return loadEntry({
        QUEUE_URL: env.ingestQueueUrl,
        DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl,
        HMAC_SECRET_ARN: SECRET_ARN,
        HMAC_PREVIOUS_SECRET_GRACE_SECONDS: '0',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`,
      });
    }

    const invoke = (handler: typeof IngestEntry) =>
      handler(
        callrWebhookEvent({ body: callrBody(smsMoBody(), { eventAt: new Date() }), secret: 'stored-secret' }),
        { functionName: 'ingest', awsRequestId: 'r2' } as Context,
      );

    it('fetches the secret during init, and the first request uses that fetch', async () => {
      const handler = loadEntryWithSecretsManager();
      await waitFor('the secret fetched before any request', () => requests.length === 1);
      const result = await invoke(handler);
      expect(result.statusCode).toBe(200);
      expect(requests).toEqual([`secretsmanager.GetSecretValue ${JSON.stringify({ SecretId: SECRET_ARN, VersionStage: 'AWSCURRENT' })}`]);
    });

    it('loads the secret again on the first request when the fetch during init failed', async () => {
      failuresToAnswer = 1;
      const handler = loadEntryWithSecretsManager();
      await waitFor('the failed fetch during init', () => requests.length === 1);
      // The failed prefetch settles (and is dropped) before the request arrives.
      await new Promise((resolve) => setImmediate(resolve));
      const result = await invoke(handler);
      expect(result.statusCode).toBe(200);
      expect(requests).toHaveLength(2);
    });
  });
});
