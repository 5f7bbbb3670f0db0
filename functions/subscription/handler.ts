import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { createSecretsManagerClient } from '../aws/secrets-manager';
import { createCallrClient } from '../callr/json-rpc-client';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { withLambdaMiddleware } from '../observability/lambda-middleware';
import { loadSubscriptionConfig } from './config';
import { createSubscriptionHandler } from './on-event';
import { secretsManagerReader } from './secrets';

const observability = createObservability(SERVICE_NAMES.subscription);
const secrets = new SecretsProvider({ awsSdkV3Client: createSecretsManagerClient() });

// withLambdaMiddleware never logs the event: it carries the pre-signed ResponseURL.
export const handler = withLambdaMiddleware(
  createSubscriptionHandler({
    createClient: createCallrClient,
    readSecret: secretsManagerReader(secrets),
    clientOptions: loadSubscriptionConfig(process.env),
    ...observability,
  }),
  observability,
);
