import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createSqsClient } from '../aws/sqs';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { loadIngestConfig } from './config';
import { createHmacSecretSource, prefetchHmacSecrets } from './hmac-secrets';
import { createIngestHandler } from './create-ingest-handler';
import { withLambdaMiddleware } from '../observability/lambda-middleware';

// Built once per cold start; a misconfiguration stops the Lambda here, with every problem listed.
const config = loadIngestConfig(process.env);
const observability = createObservability(SERVICE_NAMES.ingest);

// The secrets first: their Secrets Manager round trips overlap the rest of init, and the first
// request awaits them instead of starting them.
const secrets = createHmacSecretSource(config.hmacSecrets, { secretsManager: () => createSecretsManagerClient() });
prefetchHmacSecrets(secrets, (error) =>
  observability.logger.warn('HMAC secrets could not be loaded during init; the first request loads them again', { error }),
);

export const handler = withLambdaMiddleware(
  createIngestHandler({ config, sqs: createSqsClient(), secrets, now: () => new Date(), ...observability }),
  observability,
);
