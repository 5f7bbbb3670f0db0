import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createDynamoDbClients } from '../aws/dynamodb';
import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createSnsClient } from '../aws/sns';
import { createSqsClient } from '../aws/sqs';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { withLambdaMiddleware } from '../observability/lambda-middleware';
import { createNumberHashKeyLoader, NumberHashKeyUnavailableError } from '../privacy/number-hash-key';
import { loadPersistConfig } from './config';
import { createPersistHandler } from './create-persist-handler';

/**
 * Lambda entry: wiring only, at cold start. A bad environment fails the init with a message that
 * names every variable at fault (PersistConfigError).
 */
const config = loadPersistConfig(process.env);
if (!config.numberHashKey) throw new NumberHashKeyUnavailableError('the persist Lambda needs NUMBER_HASH_KEY_ARN (or NUMBER_HASH_KEY outside Lambda)');
const numberHashKey = createNumberHashKeyLoader(config.numberHashKey, {
  secrets: () => new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() }),
});
// Started now, during init, so that the first batch does not wait for it.
numberHashKey.load().catch(() => undefined);
const observability = createObservability(SERVICE_NAMES.persist, process.env, { numberHashKey: numberHashKey.current });

export const handler = withLambdaMiddleware(
  createPersistHandler({
    config,
    documents: createDynamoDbClients().documents,
    sqs: createSqsClient(),
    sns: createSnsClient(),
    now: () => new Date(),
    numberHashKey,
    ...observability,
  }),
  observability,
);
