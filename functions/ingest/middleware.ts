import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { IngestHandler } from './create-ingest-handler';

export type IngestLambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The Lambda wrapping of the ingest handler: Lambda context in the logs, the request's metrics
 * published once at its end. Deliberately no body-parser middleware: the signature is computed
 * over the raw bytes, before anything reads them. Local mode wraps the handler the same way.
 */
export function withIngestMiddleware(
  handler: IngestHandler,
  observability: { readonly logger: Logger; readonly metrics: Metrics },
): IngestLambdaHandler {
  return middy(handler)
    .use(injectLambdaContext(observability.logger))
    .use(logMetrics(observability.metrics, { captureColdStartMetric: true }));
}
