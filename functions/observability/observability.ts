import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMaskingReplacer } from './log-masking';

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
  sender: 'callr-inbound-sms-sender',
  reconcile: 'callr-inbound-sms-reconcile',
} as const;

/**
 * The dimension that names the stack on every custom metric, so that two stacks in one account and
 * region (staging and production) never trip each other's alarms. The construct passes the stack
 * name in {@link STACK_NAME_VARIABLE}; local mode and tests set none and get no such dimension.
 */
export const STACK_DIMENSION = 'Stack';
export const STACK_NAME_VARIABLE = 'STACK_NAME';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface ObservabilityOptions {
  /**
   * The number hash key once it is loaded (NumberHashKeyLoader.current), so that masked numbers in
   * the logs carry their keyed hash. @default none: numbers are masked without it
   */
  readonly numberHashKey?: () => Uint8Array | undefined;
}

/**
 * `env` is read here, once, at the entry point's cold start (the default is the process's). Every
 * logger masks phone numbers and withholds message text (log-masking.ts), its children too.
 */
export function createObservability(
  serviceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ObservabilityOptions = {},
): Observability {
  const stackName = env[STACK_NAME_VARIABLE]?.trim();
  const numberHashKey = options.numberHashKey ?? (() => undefined);
  return {
    logger: createMaskingLogger(serviceName, numberHashKey),
    metrics: new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName,
      // Default dimensions are kept by singleMetric() too, and survive each flush.
      ...(stackName ? { defaultDimensions: { [STACK_DIMENSION]: stackName } } : {}),
    }),
  };
}

/**
 * A Powertools logger whose lines are masked (log-masking.ts): the only way a logger is built here,
 * for the Lambdas and for local mode's own parts alike.
 */
export function createMaskingLogger(serviceName: string, numberHashKey: () => Uint8Array | undefined = () => undefined): Logger {
  return new Logger({ serviceName, jsonReplacerFn: logMaskingReplacer(numberHashKey) });
}
