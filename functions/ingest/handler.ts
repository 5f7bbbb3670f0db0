import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
    sqs: new SQSClient({}),
    secrets: createHmacSecretSource(config.hmacSecrets, { secretsManager: () => new SecretsManagerClient({}) }),
    now: () => new Date(),
    ...observability,
  }),
  observability,
);
