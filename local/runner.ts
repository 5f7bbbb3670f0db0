import { join } from 'node:path';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { createCallrClient, type CallrClient } from '../functions/callr/json-rpc-client';
import { subscribeWebhook, unsubscribeWebhook } from '../functions/subscription/subscription';
import { loadIngestConfig } from '../functions/ingest/config';
import { createIngestHandler } from '../functions/ingest/create-ingest-handler';
import { createHmacSecretSource } from '../functions/ingest/hmac-secrets';
import { loadPersistConfig } from '../functions/persist/config';
import { createNumberHashKeyLoader, staticNumberHashKey } from '../functions/privacy/number-hash-key';
import { createPersistHandler } from '../functions/persist/create-persist-handler';
import { ALL_INDEX_NAMES, TABLE_INDEXES_VARIABLE } from '../functions/messages/table-indexes';
import { DEFAULT_RECONCILE_LOOK_BACK_SECONDS } from '../functions/reconcile/config';
import { reconcileInbound, type SweepDependencies, type SweepSummary } from '../functions/reconcile/sweep';
import { LOCAL_RESOURCE_NAMES, PERSIST_BATCH_SIZE, PERSIST_TIMEOUT_SECONDS } from '../functions/queues/queue-design';
import { createObservability, SERVICE_NAMES } from '../functions/observability/observability';
import { withLambdaMiddleware } from '../functions/observability/lambda-middleware';
import { createLocalClients, type LocalClients } from './aws-clients';
import { startCallrEmulator, type CallrEmulator, type DeliveryAttempt, type DeliveryRetryPolicy } from './callr-emulator';
import { PORT_VARIABLES, type LocalConfig, type PortName } from './config';
import { startDynamoEmulator, startSqsEmulator } from './emulators';
import { assertDataDirFree, writeEndpoints, type LocalEndpoints } from './endpoints';
import { loadOrCreateHmacSecret } from './hmac-secret';
import { loadOrCreateNumberHashKey } from './number-hash-key';
import { startHttpApiFront, PortInUseError } from './http-api-front';
import { localLambdaContext } from './lambda-context';
import { createMessageTable, createQueues } from './provision';
import { startLocalSender } from './sender';
import { startSqsEventSource } from './sqs-event-source';

/**
 * Local mode: the real ingest and persist handlers, wrapped as in Lambda, on embedded stand-ins —
 * dynalite (on disk), fauxqs, an API Gateway HTTP API front, a Lambda-like SQS poller and the CALLR
 * emulator — wired as the CDK construct wires them in AWS. Only endpoints and configuration differ.
 */

export const WEBHOOK_ROUTE = '/webhooks/callr';

/**
 * Persist batches in flight at once locally: five, as Lambda's SQS event source starts with five
 * concurrent batches before it scales up. With two, each batch's sequential round trips (put,
 * forward, mark) left the store waiting on I/O while the intake kept coming (docs/performance.md,
 * "Local mode: why the store lagged").
 */
export const PERSIST_LOCAL_CONCURRENCY = 5;
/** How long shutdown waits for the ingest queue to drain. */
const SHUTDOWN_DRAIN_MS = 5_000;
/** CALLR calls bounded for a quick start and shutdown (the Lambda's defaults allow more). */
const CALLR_CALL_BOUNDS = { timeoutMs: 3_000, retries: 1 };

export interface LocalPipeline {
  readonly endpoints: LocalEndpoints;
  readonly endpointsFile: string;
  /** The CALLR emulator, when local mode runs one (not with a real CALLR account). */
  readonly emulator: CallrEmulator | undefined;
  readonly clients: LocalClients;
  /**
   * The key of the phone numbers' keyed hash (what NUMBER_HASH_KEY gives a handler locally),
   * generated once and kept in the data directory beside the HMAC secret.
   */
  readonly numberHashKey: string;
  /** The sweep run at start (undefined when CALLR could not be asked). */
  readonly startupSweep: SweepSummary | undefined;
  /** Resolves when the ingest queue is drained and no batch is in flight. */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops taking requests, drains in-flight work, unsubscribes the webhooks, stops everything. */
  stop(): Promise<void>;
}

export interface LocalPipelineOptions {
  /** Human-readable progress lines (the banner is printed by the caller). */
  readonly log?: (line: string) => void;
  /** The emulator's delivery retries (tests shorten them). */
  readonly emulatorRetry?: Partial<DeliveryRetryPolicy>;
}

/** A port already taken, named with the variable that moves it. */
export class LocalPortInUseError extends Error {
  constructor(readonly port: number, readonly variable: string, options?: { cause?: unknown }) {
    super(`port ${port} is already in use: stop what is using it, or set ${variable} to another port`, options);
    this.name = 'LocalPortInUseError';
  }
}

async function onPort<T>(name: PortName, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof PortInUseError || code === 'EADDRINUSE') {
      throw new LocalPortInUseError(port, PORT_VARIABLES[name], { cause: error });
    }
    throw error;
  }
}

export async function startLocalPipeline(config: LocalConfig, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const log = options.log ?? (() => undefined);
  // Whatever started is stopped again, in reverse order, whether start fails half-way or stop() is called.
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse().splice(0)) {
      try {
        await stop();
      } catch (error) {
        log(`while stopping: ${(error as Error).message}`);
      }
    }
  };

  try {
    assertDataDirFree(config.dataDir);
    const dynamo = await onPort('dynamodb', config.ports.dynamodb, () =>
      startDynamoEmulator({ port: config.ports.dynamodb, dataDir: join(config.dataDir, 'dynamodb'), ownThread: true }),
    );
    stops.push(() => dynamo.close());
    const sqsEmulator = await onPort('sqs', config.ports.sqs, () =>
      startSqsEmulator({ port: config.ports.sqs, region: config.region }),
    );
    stops.push(() => sqsEmulator.close());

    const clients = createLocalClients({
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqsEmulator.endpoint,
      region: config.region,
    });
    stops.push(() => clients.destroy());

    const tableName = LOCAL_RESOURCE_NAMES.table;
    const { missingIndexes } = await createMessageTable(clients.dynamodb, tableName);
    if (missingIndexes.length > 0) {
      log(
        `the local table in ${config.dataDir} predates the ${missingIndexes.join(', ')} index(es): what needs them refuses ` +
          `(replies get no inReplyTo, erasure and messages --keyword say so) and its messages are still stored. To get them, stop, delete ${join(config.dataDir, 'dynamodb')} (its messages go) and start again.`,
      );
    }
    const queues = await createQueues(clients, LOCAL_RESOURCE_NAMES);
    // The first secret is the one CALLR signs with; the others are still accepted (rotation).
    const hmacSecret = loadOrCreateHmacSecret(config.dataDir, config.hmacSecrets?.[0]);
    const acceptedSecrets = [hmacSecret, ...(config.hmacSecrets?.slice(1) ?? [])];
    const numberHashKey = loadOrCreateNumberHashKey(config.dataDir);

    // The handlers are configured through their Lambda environment contracts, as the stack does.
    const ingestObservability = createObservability(SERVICE_NAMES.ingest);
    const ingestConfig = loadIngestConfig({
      QUEUE_URL: queues.ingestQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      CALLR_HMAC_SECRET: acceptedSecrets.join(','),
      HMAC_ALGORITHM: config.hmacAlgorithm,
    });
    const ingest = withLambdaMiddleware(
      createIngestHandler({
        config: ingestConfig,
        sqs: clients.sqs,
        secrets: createHmacSecretSource(ingestConfig.hmacSecrets, {
          secretsManager: () => {
            throw new Error('local mode has no Secrets Manager: the HMAC secret is given directly');
          },
        }),
        now: () => new Date(),
        ...ingestObservability,
      }),
      ingestObservability,
    );

    const persistConfig = loadPersistConfig({
      TABLE_NAME: tableName,
      // As the construct tells the Lambda: a table on disk from before an index is not asked it.
      [TABLE_INDEXES_VARIABLE]: ALL_INDEX_NAMES.filter((name) => !missingIndexes.includes(name)).join(','),
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      INBOX_TOPIC_ARN: queues.inboxTopicArn,
      NUMBER_HASH_KEY: numberHashKey,
    });
    const persistNumberHashKey = createNumberHashKeyLoader(persistConfig.numberHashKey!, {
      secrets: () => {
        throw new Error('local mode has no Secrets Manager: the number hash key is given directly');
      },
    });
    const persistObservability = createObservability(SERVICE_NAMES.persist, process.env, { numberHashKey: persistNumberHashKey.current });
    const persist = withLambdaMiddleware(
      createPersistHandler({
        config: { ...persistConfig, ...(config.optOutWords ? { optOutWords: config.optOutWords } : {}) },
        documents: clients.documents,
        sqs: clients.sqs,
        sns: clients.sns,
        now: () => new Date(),
        numberHashKey: persistNumberHashKey,
        ...persistObservability,
      }),
      persistObservability,
    );

    let emulator: CallrEmulator | undefined;
    let callr: CallrClient;
    if (config.callr.kind === 'emulator') {
      const credentials = config.callr.credentials;
      emulator = await onPort('callrEmulator', config.ports.callrEmulator, () =>
        startCallrEmulator({
          port: config.ports.callrEmulator,
          credentials,
          retry: options.emulatorRetry,
          onDeliveryAttempt: (attempt) => log(describeAttempt(attempt)),
          // CALLR keeps the SMS it received: so does the emulator, and the sweep below finds them after a crash.
          smsFile: join(config.dataDir, EMULATOR_SMS_FILE),
        }),
      );
      const running = emulator;
      stops.push(() => running.close());
      callr = createCallrClient({ apiUrl: emulator.url, credentials, ...CALLR_CALL_BOUNDS });
    } else {
      callr = createCallrClient({ apiUrl: config.callr.apiUrl, credentials: config.callr.credentials, ...CALLR_CALL_BOUNDS });
    }

    // The same subscription code as the custom resource: subscribe once the front is up (below),
    // unsubscribe on stop.
    const webhookHashes: string[] = [];
    stops.push(async () => {
      // Each on its own: one that fails must not leave the others subscribed.
      await Promise.all(
        webhookHashes.map(async (hash) => {
          try {
            log(`unsubscribed webhook ${hash} (${await unsubscribeWebhook(callr, hash)})`);
          } catch (error) {
            log(`could not unsubscribe webhook ${hash}: ${(error as Error).message}; remove it at CALLR by hand`);
          }
        }),
      );
    });
    // Started in this order so that stopping in reverse is the shutdown we want: the front stops
    // taking requests, the poller drains, then the webhooks are unsubscribed while the emulator is
    // still there to hear it.
    const eventSource = await startSqsEventSource({
      sqs: clients.sqs,
      queueUrl: queues.ingestQueueUrl,
      region: config.region,
      handler: (event: SQSEvent) =>
        persist(event, localLambdaContext('callr-inbound-sms-persist', config.region, PERSIST_TIMEOUT_SECONDS * 1000)),
      batchSize: PERSIST_BATCH_SIZE,
      handlerTimeoutMs: PERSIST_TIMEOUT_SECONDS * 1000,
      // Lambda runs several batches at once; so does local mode, so that races between batches
      // (the same SMS through two webhooks, say) happen here too.
      concurrency: PERSIST_LOCAL_CONCURRENCY,
    });
    stops.push(async () => {
      // Events already answered 200 live only in the in-memory queue: store them before stopping.
      try {
        await eventSource.idle(SHUTDOWN_DRAIN_MS);
      } catch {
        log(`stopping with events still on the ingest queue after ${SHUTDOWN_DRAIN_MS / 1000} s; they are lost with the in-memory queue`);
      }
      await eventSource.stop();
    });

    const front = await onPort('http', config.ports.http, () =>
      startHttpApiFront({
        port: config.ports.http,
        routes: [
          {
            method: 'POST',
            path: WEBHOOK_ROUTE,
            handler: (event: APIGatewayProxyEventV2) =>
              ingest(event, localLambdaContext('callr-inbound-sms-ingest', config.region, 10_000)),
          },
        ],
      }),
    );
    stops.push(() => front.close());

    const webhookUrl =
      config.callr.kind === 'emulator'
        ? `${front.url}${WEBHOOK_ROUTE}`
        : `${config.callr.publicUrl.replace(/\/+$/, '')}${WEBHOOK_ROUTE}`;
    for (const type of config.eventTypes) {
      const { hash } = await subscribeWebhook(callr, {
        type,
        endpoint: webhookUrl,
        hmacSecret,
        hmacAlgorithm: config.hmacAlgorithm,
      });
      webhookHashes.push(hash);
    }

    // After the front: every SMS it sends names our webhook, for its statuses and replies.
    const sender = await startLocalSender({
      clients,
      callr,
      region: config.region,
      tableName,
      inboxTopicArn: queues.inboxTopicArn,
      webhookUrl,
      numberHashKey,
    });
    stops.push(() => sender.eventSource.stop());

    const endpoints: LocalEndpoints = {
      webhookUrl,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqsEmulator.endpoint,
      callrApiUrl: config.callr.kind === 'emulator' ? (emulator?.url ?? '') : config.callr.apiUrl,
      callrEmulatorUrl: emulator ? `http://127.0.0.1:${emulator.port}` : null,
      callrEmulatorApiKey: config.callr.kind === 'emulator' && 'apiKey' in config.callr.credentials ? config.callr.credentials.apiKey : null,
      region: config.region,
      tableName,
      ...queues,
      outboxQueueUrl: sender.outboxQueueUrl,
      outboxDeadLetterQueueUrl: sender.outboxDeadLetterQueueUrl,
      hmacSecret,
      hmacAlgorithm: config.hmacAlgorithm,
      webhookHashes,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    const endpointsFile = writeEndpoints(config.dataDir, endpoints);

    // What a crash lost (events answered 200, still in the in-memory queue) is at CALLR: one sweep
    // over the look-back hands it to the pipeline again, through the same de-duplication.
    const startupSweep = await sweepAtStart(
      {
        callr,
        table: { documents: clients.documents, tableName },
        sqs: clients.sqs,
        ingestQueueUrl: queues.ingestQueueUrl,
        numberHashKey: staticNumberHashKey(numberHashKey),
        now: () => new Date(),
      },
      log,
    );

    let stopping: Promise<void> | undefined;
    return {
      endpoints,
      endpointsFile,
      emulator,
      clients,
      numberHashKey,
      startupSweep,
      idle: (timeoutMs) => eventSource.idle(timeoutMs),
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The look-back of the sweep at start: the scheduled sweep's default. */
export const STARTUP_SWEEP_LOOK_BACK_MS = DEFAULT_RECONCILE_LOOK_BACK_SECONDS * 1000;
/** Where the emulator keeps its SMS, in the data directory. */
export const EMULATOR_SMS_FILE = 'callr-emulator-sms.json';

/** Never fails the start: a CALLR that cannot be reached is said, and `callr-mo reconcile` can run later. */
async function sweepAtStart(deps: SweepDependencies, log: (line: string) => void): Promise<SweepSummary | undefined> {
  const to = deps.now();
  const range = { from: new Date(to.getTime() - STARTUP_SWEEP_LOOK_BACK_MS), to };
  try {
    const summary = await reconcileInbound(deps, range);
    log(
      `reconciled the last ${STARTUP_SWEEP_LOOK_BACK_MS / 3_600_000} h with CALLR: ${summary.asked} inbound SMS, ${summary.alreadyStored} already stored, ` +
        `${summary.recovered} recovered${summary.complete ? '' : ' (not listed in full: run callr-mo reconcile)'}`,
    );
    return summary;
  } catch (error) {
    log(`could not reconcile with CALLR at start (${(error as Error).message}); run callr-mo reconcile --since <ISO> once it answers`);
    return undefined;
  }
}

function describeAttempt(attempt: DeliveryAttempt): string {
  const result = attempt.httpStatus !== undefined ? `HTTP ${attempt.httpStatus}` : (attempt.error ?? 'no answer');
  const retry = attempt.outcome === 'failed' ? (attempt.willRetry ? ', will retry' : ', giving up') : '';
  return `CALLR → ${attempt.type} ${attempt.eventId} try ${attempt.try} to ${attempt.hookHash ?? 'per-SMS webhook'}: ${result}${retry}`;
}
