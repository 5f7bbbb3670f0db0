import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createObservability } from '../shared/observability';
import { loadPersistConfig } from './config';
import { createPersistHandler } from './create-persist-handler';

/**
 * Lambda entry: wiring only, at cold start. A bad environment fails the init with a message that
 * names every variable at fault (PersistConfigError).
 */
const config = loadPersistConfig(process.env);
const { logger, metrics } = createObservability('persist');

export const handler = middy(
  createPersistHandler({
    config,
    documents: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    sqs: new SQSClient({}),
    now: () => new Date(),
    logger,
    metrics,
  }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
