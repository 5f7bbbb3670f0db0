import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import type { handler as IngestEntry } from '../../functions/ingest/handler';
import { IngestConfigError } from '../../functions/ingest/errors';
import { smsMoBody } from '../fixtures/callr-fixtures';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { callrBody, callrWebhookEvent } from '../support/http-api-events';

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
});
