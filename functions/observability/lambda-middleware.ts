import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import type { Observability } from './observability';

export type LambdaHandler<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

/**
 * The Lambda wrapping every handler shares: Lambda context in the logs, the invocation's metrics
 * published once at its end (with a cold-start metric). Local mode wraps the handlers the same
 * way, so what runs on a laptop is what runs in Lambda.
 *
 * Deliberately no body-parser middleware: the ingest signature is computed over the raw bytes,
 * before anything reads them. And never the event in the logs, whatever POWERTOOLS_LOGGER_LOG_EVENT
 * says: events carry message text, signatures, and (custom resources) a pre-signed ResponseURL.
 */
export function withLambdaMiddleware<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
  { logger, metrics }: Observability,
): LambdaHandler<TEvent, TResult> {
  return middy(handler)
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
