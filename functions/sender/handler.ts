import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createDynamoDbClients } from '../aws/dynamodb';
import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createSnsClient } from '../aws/sns';
import { createSqsClient } from '../aws/sqs';
import { createCallrClient } from '../callr/json-rpc-client';
import { inboxTopicPublisher } from '../outbox/publish';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { withLambdaMiddleware } from '../observability/lambda-middleware';
import { parseCallrCredentials } from '../subscription/credentials';
import { secretsManagerReader } from '../subscription/secrets';
import { loadSenderConfig } from './config';
import type { Context, SQSEvent } from 'aws-lambda';
import { createSenderHandler, type SenderHandler } from './create-sender-handler';
import { createOptOutChecker } from '../optouts/registry';
import { createNumberHashKeyLoader } from '../privacy/number-hash-key';
import { callrOutboundListing, findSentSmsIn } from './lost-answers';

/**
 * Lambda entry: wiring only. The CALLR credentials are read from Secrets Manager once, on the first
 * invocation (the bundle is CommonJS: no top-level await), and kept; a rotation reaches the sender
 * with its next cold start. A failed read is not kept: the next invocation tries again.
 */
const config = loadSenderConfig(process.env);
const observability = createObservability(SERVICE_NAMES.sender);
const secrets = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() });
const sqs = createSqsClient();
const sns = createSnsClient();
const documents = createDynamoDbClients().documents;
const table = { documents, tableName: config.tableName };
const numberHashKey = createNumberHashKeyLoader(config.numberHashKey, { secrets: () => secrets });

let ready: Promise<SenderHandler> | undefined;

async function createHandler(): Promise<SenderHandler> {
  // loadSenderConfig requires it inside Lambda.
  const credentials = parseCallrCredentials(await secretsManagerReader(secrets)(config.callrCredentialsSecretId!));
  const callr = createCallrClient({ apiUrl: config.callrApiUrl, credentials, timeoutMs: config.callrTimeoutMs });
  return createSenderHandler({
    table,
    sqs,
    callr,
    webhookUrl: config.webhookUrl,
    optOuts: createOptOutChecker({ table, key: () => numberHashKey.load() }),
    publish: inboxTopicPublisher(sns, config.inboxTopicArn),
    findSentSms: findSentSmsIn(callrOutboundListing(callr)),
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    now: () => new Date(),
    claimStaleAfterMs: config.claimStaleAfterMs,
    lookupGiveUpAfterMs: config.lookupGiveUpAfterMs,
    retention: config.retention,
    ...observability,
  });
}

export const handler = withLambdaMiddleware(async (event: SQSEvent, context: Context) => {
  ready ??= createHandler().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return (await ready)(event, context);
}, observability);
