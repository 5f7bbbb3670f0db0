import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createDynamoDbClients } from '../aws/dynamodb';
import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createSqsClient } from '../aws/sqs';
import { createCallrClient, type CallrClient } from '../callr/json-rpc-client';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { withLambdaMiddleware } from '../observability/lambda-middleware';
import { createNumberHashKeyLoader } from '../privacy/number-hash-key';
import { parseCallrCredentials } from '../subscription/credentials';
import { secretsManagerReader } from '../subscription/secrets';
import { loadReconcileConfig } from './config';
import { createReconcileHandler } from './create-reconcile-handler';

/**
 * Lambda entry: wiring only. The CALLR client is the custom resource's: the same credentials
 * secret, read on each sweep (a sweep runs every few minutes at most, and a rotation must reach
 * it), the same timeouts and bounded retries.
 */
const config = loadReconcileConfig(process.env);
const secrets = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() });
const readSecret = secretsManagerReader(secrets);
const numberHashKey = createNumberHashKeyLoader(config.numberHashKey, { secrets: () => secrets });
const observability = createObservability(SERVICE_NAMES.reconcile, process.env, { numberHashKey: numberHashKey.current });

async function callrClient(): Promise<CallrClient> {
  const credentials = parseCallrCredentials(await readSecret(config.callrCredentialsSecretId));
  return createCallrClient({
    apiUrl: config.callrApiUrl,
    credentials,
    timeoutMs: config.callrTimeoutMs,
    retries: config.callrRetries,
    onRetry: (retry) => observability.logger.warn('Retrying a CALLR call', { ...retry }),
  });
}

export const handler = withLambdaMiddleware(
  createReconcileHandler({
    callr: callrClient,
    table: { documents: createDynamoDbClients().documents, tableName: config.tableName },
    sqs: createSqsClient(),
    ingestQueueUrl: config.ingestQueueUrl,
    lookBackMs: config.lookBackMs,
    numberHashKey,
    now: () => new Date(),
    ...observability,
  }),
  observability,
);
