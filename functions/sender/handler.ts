import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createDynamoDbClients } from '../aws/dynamodb';
import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createSqsClient } from '../aws/sqs';
import { createCallrClient } from '../callr/json-rpc-client';
import { inboxQueuePublisher } from '../outbox/publish';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { withLambdaMiddleware } from '../observability/lambda-middleware';
import { parseCallrCredentials } from '../subscription/credentials';
import { secretsManagerReader } from '../subscription/secrets';
import { loadSenderConfig } from './config';
import type { Context, SQSEvent } from 'aws-lambda';
import { createSenderHandler, type SenderHandler } from './create-sender-handler';
import type { FindSentSms } from './lost-answers';
import { noOptOutRegistry } from './opt-outs';

/**
 * Lambda entry: wiring only. The CALLR credentials are read from Secrets Manager once, on the first
 * invocation (the bundle is CommonJS: no top-level await), and kept; a rotation reaches the sender
 * with its next cold start. A failed read is not kept: the next invocation tries again.
 */
const config = loadSenderConfig(process.env);
const observability = createObservability(SERVICE_NAMES.sender);
const secrets = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() });
const sqs = createSqsClient();
const documents = createDynamoDbClients().documents;

/** Until CALLR's SMS listing is wired in, a lost answer stays unknown (and alarmed): never concluded from no lookup. */
const findSentSms: FindSentSms = async () => {
  throw new Error("looking up a send whose answer was lost needs CALLR's SMS listing (sms.get_list), not wired in yet");
};

let ready: Promise<SenderHandler> | undefined;

async function createHandler(): Promise<SenderHandler> {
  const credentials = parseCallrCredentials(await secretsManagerReader(secrets)(config.callrCredentialsSecretId));
  const callr = createCallrClient({ apiUrl: config.callrApiUrl, credentials, timeoutMs: config.callrTimeoutMs });
  return createSenderHandler({
    table: { documents, tableName: config.tableName },
    sqs,
    callr,
    webhookUrl: config.webhookUrl,
    optOuts: noOptOutRegistry,
    publish: inboxQueuePublisher(sqs, config.inboxQueueUrl),
    findSentSms,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    now: () => new Date(),
    claimStaleAfterMs: config.claimStaleAfterMs,
    lookupGiveUpAfterMs: config.lookupGiveUpAfterMs,
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
