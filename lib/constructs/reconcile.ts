import { Duration } from 'aws-cdk-lib';

/**
 * The reconciliation sweep's settings: how often it asks CALLR for the inbound SMS it received,
 * and how far back each sweep looks. The construct that schedules the sweep comes with them here.
 */

/** How often the sweep runs. */
export const RECONCILE_EVERY_DEFAULT = Duration.minutes(15);
/**
 * How far back each sweep asks CALLR: a webhook outage up to this long is recovered by the sweeps
 * alone. Anything that de-duplicates against stored messages (the retention of inbound messages)
 * must keep them at least this long, or a sweep would store again what retention removed.
 */
export const RECONCILE_LOOK_BACK_DEFAULT = Duration.hours(48);

/** EventBridge Scheduler's finest rate; a sweep more often than this would only cost. */
const MIN_EVERY = Duration.minutes(1);
const MAX_EVERY = Duration.hours(24);
/** Past a month, one sweep would list more than it can page through in one run, and keep numbers longer than GDPR likes. */
const MAX_LOOK_BACK = Duration.days(31);

/** The reconciliation props of {@link CallrInboundSms}. */
export interface ReconcileSettings {
  /**
   * Run the sweep. It needs the CALLR credentials secret.
   * @default - on when `callrCredentialsSecret` is given
   */
  readonly reconcile?: boolean;
  /**
   * How often the sweep runs: whole minutes, from 1 minute to 24 hours.
   * @default RECONCILE_EVERY_DEFAULT (15 minutes)
   */
  readonly reconcileEvery?: Duration;
  /**
   * How far back each sweep asks CALLR: at least twice `reconcileEvery` (so that every second is
   * asked by two sweeps, and one failed sweep loses nothing), at most 31 days.
   * @default RECONCILE_LOOK_BACK_DEFAULT (48 hours)
   */
  readonly reconcileLookBack?: Duration;
}

/** The look-back a deployment runs with: what a retention check compares against. */
export function reconcileLookBackOf(settings: ReconcileSettings): Duration {
  return settings.reconcileLookBack ?? RECONCILE_LOOK_BACK_DEFAULT;
}

export function reconcileEveryOf(settings: ReconcileSettings): Duration {
  return settings.reconcileEvery ?? RECONCILE_EVERY_DEFAULT;
}

/** Every problem with the reconciliation props, in words that say how to fix it. */
export function findReconcileProblems(settings: ReconcileSettings & { readonly hasCallrCredentials: boolean }): string[] {
  const problems: string[] = [];
  if (settings.reconcile === true && !settings.hasCallrCredentials) {
    problems.push('reconcile is true but no callrCredentialsSecret is given: the sweep asks CALLR for the SMS it received, with those credentials');
  }
  const every = settings.reconcileEvery;
  const everyKnown = every !== undefined && !every.isUnresolved();
  if (everyKnown) {
    const seconds = every.toSeconds();
    if (seconds % 60 !== 0 || seconds < MIN_EVERY.toSeconds() || seconds > MAX_EVERY.toSeconds()) {
      problems.push(`reconcileEvery is ${seconds} seconds; it must be whole minutes, from 1 minute to 24 hours`);
    }
  }
  const lookBack = settings.reconcileLookBack;
  if (lookBack !== undefined && !lookBack.isUnresolved()) {
    const seconds = lookBack.toSeconds();
    const everySeconds = (everyKnown ? every : RECONCILE_EVERY_DEFAULT).toSeconds();
    if (seconds < 2 * everySeconds) {
      problems.push(
        `reconcileLookBack is ${seconds} seconds; it must be at least twice reconcileEvery (${2 * everySeconds} seconds), ` +
          'so that every second is asked by two sweeps and one failed sweep loses nothing',
      );
    }
    if (seconds > MAX_LOOK_BACK.toSeconds()) {
      problems.push(`reconcileLookBack is ${seconds} seconds; it must be at most 31 days`);
    }
  }
  return problems;
}
