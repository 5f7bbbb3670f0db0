import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createCallrClient } from '../callr/json-rpc-client';
import { createObservability } from '../shared/observability';
import { loadSubscriptionConfig } from './config';
import { createSubscriptionHandler } from './on-event';
import { secretsManagerReader } from './secrets';

const { logger, metrics } = createObservability('callr-webhook-subscription');
const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });

export const handler = middy(
  createSubscriptionHandler({
    createClient: createCallrClient,
    readSecret: secretsManagerReader(secrets),
    clientOptions: loadSubscriptionConfig(process.env),
    logger,
    metrics,
  }),
)
  // logEvent: false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event carries the pre-signed ResponseURL.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
