import { createDynamoDbClients } from '../aws/dynamodb';
import { createSnsClient } from '../aws/sns';
import { createSqsClient } from '../aws/sqs';
import { createObservability, SERVICE_NAMES } from '../observability/observability';
import { withLambdaMiddleware } from '../observability/lambda-middleware';
import { loadPersistConfig } from './config';
import { createPersistHandler } from './create-persist-handler';

/**
 * Lambda entry: wiring only, at cold start. A bad environment fails the init with a message that
 * names every variable at fault (PersistConfigError).
 */
const config = loadPersistConfig(process.env);
const observability = createObservability(SERVICE_NAMES.persist);

export const handler = withLambdaMiddleware(
  createPersistHandler({
    config,
    documents: createDynamoDbClients().documents,
    sqs: createSqsClient(),
    sns: createSnsClient(),
    now: () => new Date(),
    ...observability,
  }),
  observability,
);
