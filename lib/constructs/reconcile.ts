import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { RECONCILE_LOOK_BACK_VARIABLE } from '../../functions/reconcile/config';
import { SERVICE_NAMES } from '../../functions/observability/observability';
import { createCallrFunction, LAMBDA_ENTRIES, type LogGroupSettings } from './functions';
import type { MessageStore } from './message-store';
import type { NumberHashKey } from './privacy';
import type { CallrQueues } from './queues';

/**
 * The reconciliation sweep: EventBridge Scheduler invokes the reconcile Lambda every
 * `reconcileEvery`; it asks CALLR (`sms.get_list`) for the inbound SMS of the last
 * `reconcileLookBack` and puts each one the table lacks on the ingest queue, for the persister.
 * Its settings and their checks live here too, so that other parts (retention) read the look-back
 * from one place.
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

/** The sweep's Lambda timeout: a listing is bounded (calls, back-off), and this outlasts it. */
export const RECONCILE_TIMEOUT = Duration.minutes(10);

/**
 * The table operations the sweep makes: keys of messages, to tell what is already stored
 * (BatchGetItem), and the newest erasure audit of a sender (Query on `erasure#<hash>`). No write.
 */
export const RECONCILE_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:Query'] as const;

/** Props of {@link Reconciliation}. */
export interface ReconciliationProps {
  readonly queues: CallrQueues;
  readonly store: MessageStore;
  /** The sweep hashes senders with it, to leave out SMS of numbers erased since. */
  readonly numberHashKey: NumberHashKey;
  /** The CALLR API credentials, the secret the subscription custom resource reads. */
  readonly callrCredentialsSecret: secretsmanager.ISecret;
  /** @default - the secret uses the AWS managed key */
  readonly callrCredentialsKey?: kms.IKey;
  readonly every: Duration;
  readonly lookBack: Duration;
  readonly logs: LogGroupSettings;
  /** @default - the client's default, https://api.callr.com/json-rpc/v1.1/ */
  readonly callrApiUrl?: string;
}

/**
 * The reconcile Lambda and its schedule. A part of {@link CallrInboundSms}; see
 * {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class Reconciliation {
  readonly reconcileFunction: NodejsFunction;
  readonly schedule: scheduler.Schedule;
  /** The role EventBridge Scheduler invokes the Lambda with. */
  readonly scheduleRole: iam.Role;
  readonly every: Duration;
  readonly lookBack: Duration;

  constructor(scope: Construct, props: ReconciliationProps) {
    this.every = props.every;
    this.lookBack = props.lookBack;
    this.reconcileFunction = createCallrFunction(scope, 'ReconcileFunction', {
      entry: LAMBDA_ENTRIES.reconcile,
      serviceName: SERVICE_NAMES.reconcile,
      description: 'Asks CALLR for the inbound SMS it received and hands those not stored to the pipeline (reconciliation)',
      timeout: RECONCILE_TIMEOUT,
      memorySize: 512,
      // One sweep at a time: two would list and send the same SMS (harmless, de-duplicated, but wasted).
      reservedConcurrentExecutions: 1,
      environment: {
        TABLE_NAME: props.store.table.tableName,
        INGEST_QUEUE_URL: props.queues.ingestQueue.queueUrl,
        CALLR_CREDENTIALS_SECRET_ARN: props.callrCredentialsSecret.secretArn,
        [RECONCILE_LOOK_BACK_VARIABLE]: String(props.lookBack.toSeconds()),
        ...(props.callrApiUrl !== undefined ? { CALLR_API_URL: props.callrApiUrl } : {}),
      },
      logs: props.logs,
    });
    const fn = this.reconcileFunction;
    props.callrCredentialsSecret.grantRead(fn);
    if (props.callrCredentialsKey) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [props.callrCredentialsKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(scope).region}.amazonaws.com` } },
        }),
      );
    }
    // The table itself, not its indexes (which a grant on the table would add): keys are read by hash.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...RECONCILE_TABLE_ACTIONS], resources: [props.store.table.tableArn] }));
    props.store.table.encryptionKey?.grantDecrypt(fn);
    props.numberHashKey.grantTo(fn);
    props.queues.ingestQueue.grantSendMessages(fn);

    // Only EventBridge Scheduler, on behalf of this account's schedules, may take this role.
    const scheduleRole = (this.scheduleRole = new iam.Role(scope, 'ReconcileScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Lets EventBridge Scheduler invoke the reconcile Lambda',
    }));

    this.schedule = new scheduler.Schedule(scope, 'ReconcileSchedule', {
      description: `Reconciliation sweep over the last ${props.lookBack.toHumanString()}`,
      schedule: scheduler.ScheduleExpression.rate(props.every),
      target: new targets.LambdaInvoke(fn, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        // A missed sweep is not retried: the next one, whose look-back overlaps, covers its range.
        retryAttempts: 0,
        maxEventAge: props.every,
      }),
    });
    const functionId = Stack.of(scope).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason: 'The LambdaInvoke target grants lambda:InvokeFunction on the reconcile function and its versions (ARN:*); the wildcard covers versions of that one function only.',
    });
  }
}
