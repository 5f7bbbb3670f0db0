import type { SQSEvent } from 'aws-lambda';
import type { CallrClient } from '../functions/callr/json-rpc-client';
import { createObservability, SERVICE_NAMES } from '../functions/observability/observability';
import { withLambdaMiddleware } from '../functions/observability/lambda-middleware';
import { createOptOutChecker } from '../functions/optouts/registry';
import { inboxTopicPublisher } from '../functions/outbox/publish';
import { createNumberHashKeyLoader, NUMBER_HASH_KEY_VARIABLE } from '../functions/privacy/number-hash-key';
import { LOCAL_RESOURCE_NAMES, SENDER_BATCH_SIZE, SENDER_TIMEOUT_SECONDS } from '../functions/queues/queue-design';
import { loadSenderConfig } from '../functions/sender/config';
import { createSenderHandler } from '../functions/sender/create-sender-handler';
import { callrOutboundListing, findSentSmsIn } from '../functions/sender/lost-answers';
import type { LocalClients } from './aws-clients';
import { localLambdaContext } from './lambda-context';
import { createOutboxQueues, type OutboxQueues } from './provision';
import { startSqsEventSource, type RunningSqsEventSource } from './sqs-event-source';

/**
 * Local mode's outbox: the queue and its dead-letter queue on fauxqs, and the real sender handler,
 * wrapped as in Lambda, behind a Lambda-like poller, configured through its Lambda environment
 * contract as the construct does. The CALLR client is local mode's (the emulator's, or a real
 * account's), given directly: there is no Secrets Manager here.
 */
export interface LocalSender extends OutboxQueues {
  readonly eventSource: RunningSqsEventSource;
}

export interface LocalSenderOptions {
  readonly clients: LocalClients;
  readonly callr: Pick<CallrClient, 'sendSms' | 'getSmsList'>;
  readonly region: string;
  readonly tableName: string;
  readonly inboxTopicArn: string;
  readonly webhookUrl: string;
  readonly numberHashKey: string;
}

export async function startLocalSender(options: LocalSenderOptions): Promise<LocalSender> {
  const queues = await createOutboxQueues(options.clients.sqs, LOCAL_RESOURCE_NAMES);
  const config = loadSenderConfig({
    TABLE_NAME: options.tableName,
    INBOX_TOPIC_ARN: options.inboxTopicArn,
    DEAD_LETTER_QUEUE_URL: queues.outboxDeadLetterQueueUrl,
    WEBHOOK_URL: options.webhookUrl,
    [NUMBER_HASH_KEY_VARIABLE]: options.numberHashKey,
  });
  const table = { documents: options.clients.documents, tableName: config.tableName };
  const numberHashKey = createNumberHashKeyLoader(config.numberHashKey, {
    secrets: () => {
      throw new Error('local mode has no Secrets Manager: the number hash key is given directly');
    },
  });
  const observability = createObservability(SERVICE_NAMES.sender);
  const sender = withLambdaMiddleware(
    createSenderHandler({
      table,
      sqs: options.clients.sqs,
      callr: options.callr,
      webhookUrl: config.webhookUrl,
      optOuts: createOptOutChecker({ table, key: () => numberHashKey.load() }),
      publish: inboxTopicPublisher(options.clients.sns, config.inboxTopicArn),
      findSentSms: findSentSmsIn(callrOutboundListing(options.callr)),
      deadLetterQueueUrl: config.deadLetterQueueUrl,
      now: () => new Date(),
      claimStaleAfterMs: config.claimStaleAfterMs,
      lookupGiveUpAfterMs: config.lookupGiveUpAfterMs,
      retention: config.retention,
      ...observability,
    }),
    observability,
  );
  const eventSource = await startSqsEventSource({
    sqs: options.clients.sqs,
    queueUrl: queues.outboxQueueUrl,
    region: options.region,
    handler: (event: SQSEvent) => sender(event, localLambdaContext('callr-inbound-sms-sender', options.region, SENDER_TIMEOUT_SECONDS * 1000)),
    batchSize: SENDER_BATCH_SIZE,
    handlerTimeoutMs: SENDER_TIMEOUT_SECONDS * 1000,
  });
  return { ...queues, eventSource };
}
