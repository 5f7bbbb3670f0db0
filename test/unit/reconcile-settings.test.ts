import { Duration } from 'aws-cdk-lib';
import {
  findReconcileProblems,
  RECONCILE_EVERY_DEFAULT,
  RECONCILE_LOOK_BACK_DEFAULT,
  reconcileLookBackOf,
  type ReconcileSettings,
} from '../../lib/constructs/reconcile';

describe('reconciliation settings', () => {
  it('defaults to a sweep every 15 minutes over the last 48 hours', () => {
    expect(RECONCILE_EVERY_DEFAULT.toMinutes()).toBe(15);
    expect(RECONCILE_LOOK_BACK_DEFAULT.toHours()).toBe(48);
    expect(reconcileLookBackOf({}).toHours()).toBe(48);
    expect(reconcileLookBackOf({ reconcileLookBack: Duration.hours(72) }).toHours()).toBe(72);
  });

  it.each<[string, ReconcileSettings]>([
    ['the defaults', {}],
    ['a sweep every minute over two minutes', { reconcileEvery: Duration.minutes(1), reconcileLookBack: Duration.minutes(2) }],
    ['a daily sweep over a month', { reconcileEvery: Duration.hours(24), reconcileLookBack: Duration.days(31) }],
    ['reconciliation off', { reconcile: false }],
  ])('accepts %s', (_name, settings) => {
    expect(findReconcileProblems({ ...settings, hasCallrCredentials: true })).toEqual([]);
  });

  it.each<[string, ReconcileSettings & { hasCallrCredentials: boolean }, RegExp]>([
    ['reconcile without credentials', { reconcile: true, hasCallrCredentials: false }, /no callrCredentialsSecret/],
    ['a sweep more often than every minute', { reconcileEvery: Duration.seconds(30), hasCallrCredentials: true }, /reconcileEvery is 30 seconds; it must be whole minutes/],
    ['a sweep in part minutes', { reconcileEvery: Duration.seconds(90), hasCallrCredentials: true }, /whole minutes/],
    ['a sweep less often than daily', { reconcileEvery: Duration.hours(25), hasCallrCredentials: true }, /24 hours/],
    ['a look-back shorter than two sweeps', { reconcileLookBack: Duration.minutes(20), hasCallrCredentials: true }, /at least twice reconcileEvery \(1800 seconds\)/],
    ['a look-back beyond a month', { reconcileEvery: Duration.hours(1), reconcileLookBack: Duration.days(40), hasCallrCredentials: true }, /at most 31 days/],
  ])('refuses %s, saying why', (_name, settings, message) => {
    const problems = findReconcileProblems(settings);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });
});
