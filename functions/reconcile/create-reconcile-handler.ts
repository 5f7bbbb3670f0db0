import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { RECONCILE_METRICS } from './metrics';
import { reconcileInbound, scheduledSweepRange, type SweepDependencies, type SweepRange, type SweepSummary } from './sweep';

/**
 * The reconcile Lambda: one sweep per invocation. EventBridge Scheduler invokes it with `{}` and
 * it sweeps its look-back up to a few minutes ago; an operator may invoke it with
 * `{"since": "<ISO>", "until": "<ISO>"}` for a range of their own (`callr-mo reconcile` runs the
 * same sweep from a laptop, with progress).
 */


export interface ReconcileHandlerDependencies extends Omit<SweepDependencies, 'callr' | 'onProgress' | 'onWarning'> {
  /** The CALLR client, built on first use (its credentials come from Secrets Manager). */
  readonly callr: () => Promise<SweepDependencies['callr']>;
  readonly lookBackMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface ReconcileRequest {
  readonly since?: string;
  readonly until?: string;
}

export class ReconcileRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReconcileRequestError';
  }
}

export type ReconcileHandler = (event: unknown) => Promise<SweepSummary>;

export function createReconcileHandler(deps: ReconcileHandlerDependencies): ReconcileHandler {
  return async (event) => {
    const range = requestedRange(event, deps.now(), deps.lookBackMs);
    const callr = await deps.callr();
    const summary = await reconcileInbound(
      {
        ...deps,
        callr,
        onWarning: ({ message, ...detail }) => deps.logger.warn(message, detail),
      },
      range,
    );
    deps.metrics.addMetric(RECONCILE_METRICS.reconciled, MetricUnit.Count, summary.recovered);
    deps.metrics.addMetric(RECONCILE_METRICS.asked, MetricUnit.Count, summary.asked);
    deps.metrics.addMetric(RECONCILE_METRICS.incomplete, MetricUnit.Count, summary.complete ? 0 : 1);
    const { recoveredIds, ...counts } = summary;
    if (summary.recovered > 0) {
      deps.logger.warn('the sweep recovered SMS the webhook had not delivered: look at the webhook path', { ...counts, recoveredIds });
    } else {
      deps.logger.info('sweep done', counts);
    }
    return summary;
  };
}

/** `{}` (the schedule): the look-back; `{since, until?}`: that range. */
export function requestedRange(event: unknown, now: Date, lookBackMs: number): SweepRange {
  const request = (event && typeof event === 'object' ? event : {}) as ReconcileRequest;
  if (request.since === undefined && request.until === undefined) return scheduledSweepRange(now, lookBackMs);
  const date = (value: unknown, name: string) => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new ReconcileRequestError(`${name} must be an ISO 8601 date, e.g. 2026-03-01T10:00:00Z`);
    return new Date(value);
  };
  if (request.since === undefined) throw new ReconcileRequestError('until needs since: give the start of the range too');
  const from = date(request.since, 'since');
  const to = request.until === undefined ? now : date(request.until, 'until');
  if (to.getTime() <= from.getTime()) throw new ReconcileRequestError(`until (${to.toISOString()}) must be after since (${from.toISOString()})`);
  return { from, to };
}
