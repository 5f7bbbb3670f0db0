import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseCallrEventBytes } from '../functions/callr/events';
import { toInboundMessage } from '../functions/messages/inbound-message';
import { ATTRIBUTE, decodeEventBody } from '../functions/queues/queue-message';
import { createCallrClient, type CallrClient } from '../functions/callr/json-rpc-client';
import { loadIngestConfig } from '../functions/ingest/config';
import { createIngestHandler } from '../functions/ingest/create-ingest-handler';
import { staticHmacSecrets } from '../functions/ingest/hmac-secrets';
import { loadPersistConfig } from '../functions/persist/config';
import { createPersistHandler } from '../functions/persist/create-persist-handler';
import { withLambdaMiddleware } from '../functions/observability/lambda-middleware';
import { createObservability, SERVICE_NAMES } from '../functions/observability/observability';
import {
  INGEST_VISIBILITY_TIMEOUT_SECONDS,
  LOCAL_RESOURCE_NAMES,
  PERSIST_BATCH_SIZE,
  PERSIST_TIMEOUT_SECONDS,
} from '../functions/queues/queue-design';
import { subscribeWebhook } from '../functions/subscription/subscription';
import { createLocalClients, type LocalClients } from '../local/aws-clients';
import { startCallrEmulator, type CallrEmulator } from '../local/callr-emulator';
import { startDynamoEmulator, startSqsEmulator } from '../local/emulators';
import { startHttpApiFront } from '../local/http-api-front';
import { localLambdaContext } from '../local/lambda-context';
import { createMessageTable, createQueues, type LocalQueues } from '../local/provision';
import { WEBHOOK_ROUTE } from '../local/runner';
import { startSqsEventSource, type RunningSqsEventSource, type SqsBatchHandler } from '../local/sqs-event-source';
import { seededRandom } from '../cli/mo-generator';
import { createFaultInjector, type FaultInjector, type ReachedCall } from './faults';
import type { ChaosRates } from './options';
import { CHAOS_CALLR_API_KEY, CHAOS_HMAC_SECRET, CHAOS_NUMBER_HASH_KEY } from './test-secrets';
import { staticNumberHashKey } from '../functions/privacy/number-hash-key';

/**
 * Local mode's pieces, assembled as bin/local.ts assembles them (dynalite, fauxqs, the API Gateway
 * front, the Lambda-like SQS poller, the CALLR emulator, the real ingest and persist handlers
 * wrapped as in Lambda), with faults injected where AWS fails: SDK middleware on the clients the
 * handlers are given, a wrapper that crashes the persister half-way through a batch, and a front
 * that answers after the emulator's delivery timeout. All on 127.0.0.1, on free ports.
 *
 * Time is scaled: the ingest visibility timeout, the persist timeout and the persister's clock
 * (which ages forward claims) all run `timeScale` times faster, so their relations — a record
 * comes back only after an abandoned claim went stale, which takes longer than a live batch may
 * run — are those of a deployment, in seconds rather than minutes.
 */

export interface ChaosPipelineOptions {
  readonly seed: number;
  readonly rates: ChaosRates;
  /** How many times faster than real the persister's timeouts, visibility and clock run. */
  readonly timeScale: number;
  /** The emulator's delivery timeout; an injected delivery timeout answers just after it. */
  readonly deliveryTimeoutMs: number;
  readonly deliveryRetry: { readonly baseDelayMs: number; readonly maxTries: number };
  /** Told about each attempt that reached DynamoDB or SQS through a faulty client. */
  readonly onReached?: (call: ReachedCall) => void;
  /** Replaces the persister the poller invokes (tests: a broken one, to show the books catch it). */
  readonly persistWrapper?: (persist: SqsBatchHandler) => SqsBatchHandler;
}

export interface ChaosPipeline {
  readonly webhookUrl: string;
  readonly emulator: CallrEmulator;
  /** A CALLR API client on the emulator (sms.send with a per-SMS webhook). */
  readonly callr: CallrClient;
  readonly queues: LocalQueues;
  readonly tableName: string;
  /** Clients without faults, for provisioning and for counting at the end. */
  readonly clean: LocalClients;
  readonly injector: FaultInjector;
  readonly eventSource: RunningSqsEventSource;
  /** Injected faults that are not SDK calls. */
  readonly injected: { crashes: number; crashedRecordsDone: number; deliveryTimeouts: number };
  /**
   * SMS hashes of the records of invocations that outlived the persist timeout. Lambda would have
   * stopped them there; the harness cannot, so they may still forward after a redelivery took
   * their stale claim over (a second forward AWS would not make).
   */
  readonly outlivedTimeout: Set<string>;
  stop(): Promise<void>;
}

export async function startChaosPipeline(options: ChaosPipelineOptions): Promise<ChaosPipeline> {
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse().splice(0)) {
      try {
        await stop();
      } catch {
        // Keep stopping the rest: a half-stopped harness would hold ports and timers.
      }
    }
  };
  try {
    const { rates } = options;
    const region = 'us-east-1';
    const dynamo = await startDynamoEmulator();
    stops.push(() => dynamo.close());
    const sqsEmulator = await startSqsEmulator({ region });
    stops.push(() => sqsEmulator.close());
    const endpoints = { dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqsEmulator.endpoint, region };
    // One set of clients per role, built by local mode's factory, so each role gets its own faults.
    const clean = createLocalClients(endpoints);
    const ingestClients = createLocalClients(endpoints);
    const persistClients = createLocalClients(endpoints);
    stops.push(() => {
      clean.destroy();
      ingestClients.destroy();
      persistClients.destroy();
    });

    const tableName = LOCAL_RESOURCE_NAMES.table;
    await createMessageTable(clean.dynamodb, tableName);
    const queues = await createQueues(clean, LOCAL_RESOURCE_NAMES);

    const injector = createFaultInjector(options.seed, {
      onReached: options.onReached,
      keepReached: false,
      queueNames: { [queues.ingestQueueUrl]: 'ingest', [queues.deadLetterQueueUrl]: 'dead-letter', [queues.inboxTopicArn]: 'inbox' },
    });
    const toQueue = (url: string) => (input: Record<string, unknown>) => input.QueueUrl === url;
    injector.install(ingestClients.sqs, 'ingest-sqs', [
      {
        operations: ['SendMessage'],
        when: toQueue(queues.ingestQueueUrl),
        rates: { error_500: rates.ingestQueueFailure / 2, lost_answer_500: rates.ingestQueueFailure / 4, lost_answer_reset: rates.ingestQueueFailure / 4 },
      },
    ]);
    injector.install(persistClients.dynamodb, 'persist-dynamodb', [
      {
        operations: ['PutItem', 'UpdateItem', 'GetItem'],
        rates: {
          lost_answer_500: rates.dynamoLostAnswer / 2,
          lost_answer_reset: rates.dynamoLostAnswer / 2,
          throttled: rates.dynamoThrottle,
          error_500: rates.dynamoError,
        },
      },
    ]);
    injector.install(persistClients.sns, 'persist-sns', [
      {
        operations: ['PublishBatch'],
        rates: { error_500: rates.inboxFailure, lost_answer_500: rates.inboxLostAnswer / 2, lost_answer_reset: rates.inboxLostAnswer / 2 },
      },
    ]);

    const ingestObservability = createObservability(SERVICE_NAMES.ingest);
    const ingestConfig = loadIngestConfig({
      QUEUE_URL: queues.ingestQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      CALLR_HMAC_SECRET: CHAOS_HMAC_SECRET,
      HMAC_ALGORITHM: 'SHA256',
    });
    const ingest = withLambdaMiddleware(
      createIngestHandler({
        config: ingestConfig,
        sqs: ingestClients.sqs,
        secrets: staticHmacSecrets([CHAOS_HMAC_SECRET]),
        now: () => new Date(),
        ...ingestObservability,
      }),
      ingestObservability,
    );

    // The persister's clock runs timeScale times faster from the start of the run.
    const startedAt = Date.now();
    const scaledNow = () => new Date(startedAt + (Date.now() - startedAt) * options.timeScale);
    const numberHashKey = staticNumberHashKey(CHAOS_NUMBER_HASH_KEY);
    const persistObservability = createObservability(SERVICE_NAMES.persist, process.env, { numberHashKey: numberHashKey.current });
    const persist = withLambdaMiddleware(
      createPersistHandler({
        config: loadPersistConfig({ TABLE_NAME: tableName, DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl, INBOX_TOPIC_ARN: queues.inboxTopicArn }),
        documents: persistClients.documents,
        sqs: persistClients.sqs,
        sns: persistClients.sns,
        now: scaledNow,
        numberHashKey,
        ...persistObservability,
      }),
      persistObservability,
    );

    const injected = { crashes: 0, crashedRecordsDone: 0, deliveryTimeouts: 0 };
    const outlivedTimeout = new Set<string>();
    const crashRandom = seededRandom(options.seed ^ 0x5eed);
    const persistTimeoutMs = Math.max(1, Math.round((PERSIST_TIMEOUT_SECONDS * 1000) / options.timeScale));
    const context = () => localLambdaContext('callr-inbound-sms-persist', region, persistTimeoutMs);
    const eventSource = await startSqsEventSource({
      sqs: clean.sqs,
      queueUrl: queues.ingestQueueUrl,
      region,
      handler: (options.persistWrapper ?? ((handler) => handler))(async (event: SQSEvent) => {
        const startedAt = Date.now();
        try {
          return await invokePersist(event);
        } finally {
          if (Date.now() - startedAt > persistTimeoutMs) for (const hash of event.Records.flatMap(smsHashOfRecord)) outlivedTimeout.add(hash);
        }
      }),
      batchSize: PERSIST_BATCH_SIZE,
      handlerTimeoutMs: persistTimeoutMs,
      visibilityTimeoutSeconds: Math.max(1, Math.round(INGEST_VISIBILITY_TIMEOUT_SECONDS / options.timeScale)),
      waitTimeSeconds: 1,
      concurrency: 2,
      logger: persistObservability.logger,
    });
    stops.push(() => eventSource.stop());

    async function invokePersist(event: SQSEvent) {
      if (event.Records.length > 1 && crashRandom() < rates.persistCrash) {
        // The invocation dies after some of its records were fully handled: none is
        // acknowledged, all come back after the visibility timeout.
        const done = 1 + Math.floor(crashRandom() * (event.Records.length - 1));
        injected.crashes += 1;
        injected.crashedRecordsDone += done;
        await persist({ Records: event.Records.slice(0, done) }, context());
        throw new Error(`injected crash after ${done} of ${event.Records.length} records`);
      }
      return persist(event, context());
    }

    const timeoutRandom = seededRandom(options.seed ^ 0x7173);
    const front = await startHttpApiFront({
      port: 0,
      routes: [
        {
          method: 'POST',
          path: WEBHOOK_ROUTE,
          handler: async (event: APIGatewayProxyEventV2) => {
            const answer = await ingest(event, localLambdaContext('callr-inbound-sms-ingest', region, 10_000));
            if (timeoutRandom() < rates.deliveryTimeout) {
              // The event is taken in, but CALLR gives up waiting and delivers it again (same event_id).
              injected.deliveryTimeouts += 1;
              await new Promise((resolve) => setTimeout(resolve, options.deliveryTimeoutMs + 100));
            }
            return answer;
          },
        },
      ],
      logger: ingestObservability.logger,
      drainTimeoutMs: options.deliveryTimeoutMs + 500,
    });
    stops.push(() => front.close());

    const credentials = { apiKey: CHAOS_CALLR_API_KEY };
    const emulator = await startCallrEmulator({
      port: 0,
      credentials,
      retry: options.deliveryRetry,
      deliveryTimeoutMs: options.deliveryTimeoutMs,
      statusUpdateDelayMs: 20,
    });
    stops.push(() => emulator.close());
    const callr = createCallrClient({ apiUrl: emulator.url, credentials, timeoutMs: 5_000, retries: 0 });
    const webhookUrl = `${front.url}${WEBHOOK_ROUTE}`;
    await subscribeWebhook(callr, { type: 'sms.mo', endpoint: webhookUrl, hmacSecret: CHAOS_HMAC_SECRET, hmacAlgorithm: 'SHA256' });

    let stopping: Promise<void> | undefined;
    return {
      webhookUrl,
      emulator,
      callr,
      queues,
      tableName,
      clean,
      injector,
      eventSource,
      injected,
      outlivedTimeout,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The SMS hash of an ingest record holding an inbound SMS; none for anything else. */
function smsHashOfRecord(record: SQSRecord): string[] {
  try {
    const parsed = parseCallrEventBytes(decodeEventBody(record.body, record.messageAttributes[ATTRIBUTE.bodyEncoding]?.stringValue));
    return parsed.ok && parsed.handled && parsed.event.type !== 'sms.mt.status_update' ? [toInboundMessage(parsed.event, new Date(0)).id] : [];
  } catch {
    return [];
  }
}
