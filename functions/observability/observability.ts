import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One place that names the service in logs and metrics. Handlers get their logger and metrics
 * from here (or from a test) and set the CALLR `event_id` as correlation id per event.
 *
 * Powertools reads POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_DISABLED, POWERTOOLS_DEV and the
 * like from the environment, so local mode and tests can quiet or prettify them.
 */
export const METRICS_NAMESPACE = 'CallrInboundSms';

/**
 * Each function's service name: the `service` key of its logs and the `service` dimension of its
 * metrics, which the construct's alarms select on. Local mode uses the same names.
 */
export const SERVICE_NAMES = {
  ingest: 'callr-inbound-sms-ingest',
  persist: 'callr-inbound-sms-persist',
  subscription: 'callr-inbound-sms-subscription',
} as const;

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createObservability(serviceName: string): Observability {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}
