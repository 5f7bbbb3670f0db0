import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadIngestConfig } from '../../functions/ingest/config';
import { createIngestHandler } from '../../functions/ingest/create-ingest-handler';
import { createHmacSecretSource } from '../../functions/ingest/hmac-secrets';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { createObservability } from '../../functions/observability/observability';
import { localLambdaContext } from '../../local/lambda-context';
import { smsMoBody } from '../../test/fixtures/callr-fixtures';
import { callrBody, callrWebhookEvent } from '../../test/support/http-api-events';
import type { BenchEnvironment } from '../harness/emulators';

/**
 * One signed `sms.mo` webhook request through the ingest Lambda as Lambda runs it (middleware,
 * logs and metrics serialised), and its baseline: the one SendMessage no ingest can avoid, of the
 * same base64 body, to the same emulator, through the same client.
 */
export interface IngestWorkload {
  /** The request's raw body and the secret it is signed with. */
  readonly body: Buffer;
  readonly secret: string;
  /** Throws unless the request is answered 200 accepted. */
  request(): Promise<void>;
  bareSend(): Promise<void>;
  readonly bodyBytes: number;
}

const SECRET = 'bench-ingest-secret-2f9a';

export async function createIngestWorkload(env: BenchEnvironment, label: string): Promise<IngestWorkload> {
  const queues = await env.createQueues(label);
  return ingestWorkloadOn({ sqs: env.clients.sqs, region: env.region, ...queues });
}

/** The same workload on any SQS client: the emulator's, or one answered in-process (ingest.cpu). */
export function ingestWorkloadOn(target: {
  readonly sqs: SQSClient;
  readonly region: string;
  readonly ingestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The raw body to sign; by default the sms.mo fixture with event_at now. */
  readonly body?: Buffer;
}): IngestWorkload {
  const config = loadIngestConfig({
    QUEUE_URL: target.ingestQueueUrl,
    DEAD_LETTER_QUEUE_URL: target.deadLetterQueueUrl,
    CALLR_HMAC_SECRET: SECRET,
  });
  const observability = createObservability('ingest-bench');
  const handler = withLambdaMiddleware(
    createIngestHandler({
      config,
      sqs: target.sqs,
      secrets: createHmacSecretSource(config.hmacSecrets, {
        secretsManager: () => {
          throw new Error('the ingest benchmark uses a static secret');
        },
      }),
      now: () => new Date(),
      ...observability,
    }),
    observability,
  );
  // A context per invocation, as Lambda gives: its deadline is 10 s from the request's start
  // (the ingest's timeout). One context for a whole run would reach its deadline after that long,
  // and middy would then abort every request (the memory benchmark runs for longer than that).
  const context = () => localLambdaContext('ingest-bench', target.region, 10_000);

  // event_at is now: the benchmark lasts minutes, far inside the accepted window.
  const body = target.body ?? callrBody(smsMoBody(), { eventAt: new Date() });
  const event: APIGatewayProxyEventV2 = callrWebhookEvent({ body, secret: SECRET });
  const base64Body = body.toString('base64');

  return {
    body,
    secret: SECRET,
    bodyBytes: body.length,
    async request() {
      const answer = await handler(event, context());
      if (answer.statusCode !== 200) throw new Error(`ingest benchmark: answered ${answer.statusCode} ${String(answer.body)}`);
    },
    async bareSend() {
      await target.sqs.send(new SendMessageCommand({ QueueUrl: target.ingestQueueUrl, MessageBody: base64Body }));
    },
  };
}
