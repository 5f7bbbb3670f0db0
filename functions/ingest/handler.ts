import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createSqsClient } from '../aws/sqs';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { loadIngestConfig } from './config';
import { createHmacSecretSource } from './hmac-secrets';
import { createIngestHandler } from './create-ingest-handler';
import { withLambdaMiddleware } from '../observability/lambda-middleware';

// Built once per cold start; a misconfiguration stops the Lambda here, with every problem listed.
const config = loadIngestConfig(process.env);
const observability = createObservability(SERVICE_NAMES.ingest);

export const handler = withLambdaMiddleware(
  createIngestHandler({
    config,
    sqs: createSqsClient(),
    secrets: createHmacSecretSource(config.hmacSecrets, { secretsManager: () => createSecretsManagerClient() }),
    now: () => new Date(),
    ...observability,
  }),
  observability,
);
