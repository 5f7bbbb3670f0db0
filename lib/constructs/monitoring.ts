import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { HANDLED_EVENT_TYPES } from '../../functions/callr/events';
import { INGEST_METRICS } from '../../functions/ingest/metrics';
import { METRICS_NAMESPACE, SERVICE_NAMES, STACK_DIMENSION } from '../../functions/observability/observability';
import { SUBSCRIPTION_METRICS } from '../../functions/subscription/metrics';
import { INGEST_TIMEOUT, type WebhookIntake } from './intake';
import { PERSIST_TABLE_OPERATIONS, type MessageStore } from './message-store';
import type { InboxFanOut } from './inbox';
import type { CallrQueues } from './queues';
import type { Reconciliation } from './reconcile';
import type { WebhookSubscription } from './webhook-subscription';
import { RECONCILE_METRICS } from '../../functions/reconcile/metrics';

/** The metric counted from the API access logs: HTTP APIs publish no metric of their 429 answers. */
export const THROTTLED_REQUESTS_METRIC = 'RequestsThrottled';

/**
 * Error alarms fire on errors in 3 of 5 minutes: one failed invocation in one minute is noise
 * (CALLR and SQS retry), errors minute after minute are an outage.
 */
export const ERROR_ALARM_WINDOW = { evaluationPeriods: 5, datapointsToAlarm: 3, period: Duration.minutes(1) } as const;

/** Below this many requests in 5 minutes the 4xx rate says nothing (one scanner is 100 %). */
export const CLIENT_ERROR_RATE_MIN_REQUESTS = 20;

/** The ingest p99 duration alarm fires above this share of the ingest timeout. */
export const INGEST_DURATION_ALARM_SHARE = 0.8;

/** The alarms the construct creates; each notifies the alarm topic when it fires and recovers. */
export interface CallrInboundSmsAlarms {
  /** An authentic event or a poison record waits in the dead-letter queue. */
  readonly deadLetterQueueNotEmpty: cloudwatch.Alarm;
  /** New dead letters were sent in the last 5 minutes (fires again while the queue is not empty). */
  readonly newDeadLetters: cloudwatch.Alarm;
  /** A downstream consumer failed a message from the inbox queue repeatedly. */
  readonly inboxDeadLetterQueueNotEmpty: cloudwatch.Alarm;
  /** SNS could not deliver inbox messages to a subscribed queue (the inbox queue or a subscriber's). */
  readonly inboxDeliveryFailed: cloudwatch.Alarm;
  /** The persister is not keeping up, or not running. */
  readonly oldestIngestMessageAge: cloudwatch.Alarm;
  /** Downstream consumers are not keeping up with the inbox, or not running. */
  readonly oldestInboxMessageAge: cloudwatch.Alarm;
  /** No event accepted for `heartbeatHours`: CALLR stopped calling. Undefined when `heartbeatHours` is 0. */
  readonly heartbeat?: cloudwatch.Alarm;
  /** The API answered 5xx: the HMAC secret or the ingest queue was unavailable, or ingest crashed. */
  readonly apiServerErrors: cloudwatch.Alarm;
  /** A large share of requests got a 4xx answer (refused signatures, oversized bodies, throttling, wrong paths). */
  readonly apiClientErrorRate: cloudwatch.Alarm;
  /** The stage throttled requests (429): CALLR sends faster than the throttling limits. */
  readonly apiThrottledRate: cloudwatch.Alarm;
  /** The ingest Lambda failed (unhandled error or timeout). */
  readonly ingestErrors: cloudwatch.Alarm;
  /** The ingest p99 duration nears its timeout. */
  readonly ingestDurationNearTimeout: cloudwatch.Alarm;
  /** Many requests failed signature verification: a secret mismatch with CALLR, or an attack. */
  readonly signatureRejections: cloudwatch.Alarm;
  /** The persist Lambda failed a whole invocation (unhandled error, timeout, whole batch failed). */
  readonly persistErrors: cloudwatch.Alarm;
  /** DynamoDB throttled the persister's requests. */
  readonly tableThrottles: cloudwatch.Alarm;
  /** A webhook could not be unsubscribed at CALLR on a delete. Undefined without subscription. */
  readonly webhookUnsubscribeFailed?: cloudwatch.Alarm;
  /** The reconciliation sweep found SMS the webhook had not delivered, and recovered them. Undefined without reconciliation. */
  readonly messagesReconciled?: cloudwatch.Alarm;
  /** A sweep failed, or could not list part of its range: SMS may be missing. Undefined without reconciliation. */
  readonly reconcileFailing?: cloudwatch.Alarm;
}

/** Props of {@link Monitoring}: the parts it watches, and its thresholds. */
export interface MonitoringProps {
  readonly queues: CallrQueues;
  /** The inbox topic, whose failed deliveries are watched. */
  readonly inbox: InboxFanOut;
  readonly intake: WebhookIntake;
  readonly store: MessageStore;
  /**
   * The webhook subscription, when the stack subscribes.
   * @default - no subscription alarm
   */
  readonly subscription?: WebhookSubscription;
  /**
   * The reconciliation sweep, when the stack reconciles.
   * @default - no reconciliation alarms
   */
  readonly reconciliation?: Reconciliation;
  /** Alarm when the oldest message waiting in the ingest queue is older than this. */
  readonly oldestMessageAgeAlarmThreshold: Duration;
  /** Alarm when the oldest message waiting in the inbox queue is older than this. */
  readonly oldestInboxMessageAgeAlarmThreshold: Duration;
  /** Alarm when at least this many requests in 5 minutes fail signature verification. */
  readonly signatureRejectionsAlarmThreshold: number;
  /** Alarm when no event was accepted for this many hours (1–24); 0 creates no heartbeat alarm. */
  readonly heartbeatHours: number;
  /** Alarm when more than this percentage of requests get a 4xx answer, in 2 of 3 five-minute periods. */
  readonly clientErrorRateAlarmPercent: number;
  /** Alarm when more than this percentage of requests are throttled (429) in 5 minutes. */
  readonly throttledRateAlarmPercent: number;
  /**
   * An email address subscribed to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
}

/**
 * The alarm topic (encrypted with a key CloudWatch may use, and a policy that lets this account's
 * alarms publish), the alarms on every part, and the dashboard. A part of {@link CallrInboundSms};
 * see {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class Monitoring {
  readonly alarmTopic: sns.Topic;
  readonly alarms: CallrInboundSmsAlarms;
  /** Counts the 429 answers in the API access logs ({@link THROTTLED_REQUESTS_METRIC}). */
  readonly throttledRequestsFilter: logs.MetricFilter;
  readonly dashboard: cloudwatch.Dashboard;
  /** The dashboard in the CloudWatch console. */
  readonly dashboardUrl: string;

  private readonly stackName: string;

  constructor(scope: Construct, props: MonitoringProps) {
    this.stackName = Stack.of(scope).stackName;

    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use;
    // both the key and the topic let in this account's alarms only (no confused deputy).
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const alarmTopicKey = new kms.Key(scope, 'AlarmTopicKey', {
      description: 'Encrypts the CALLR inbound SMS alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: alarmsOfThisAccount,
      }),
    );
    this.alarmTopic = new sns.Topic(scope, 'AlarmTopic', {
      displayName: 'CALLR inbound SMS alarms',
      masterKey: alarmTopicKey,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, which replaces SNS's default one: without this statement
    // nothing may publish, and every alarm would change state without notifying anyone.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: alarmsOfThisAccount,
      }),
    );
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.throttledRequestsFilter = new logs.MetricFilter(scope, 'ThrottledRequestsMetricFilter', {
      logGroup: props.intake.accessLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: THROTTLED_REQUESTS_METRIC,
      metricValue: '1',
      // The API id keeps the stacks of one account apart, as the Stack dimension does elsewhere.
      dimensions: { ApiId: '$.apiId' },
      unit: cloudwatch.Unit.COUNT,
    });

    this.alarms = this.createAlarms(scope, props);
    this.dashboard = this.createDashboard(scope, props);
    this.dashboardUrl =
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }

  /** One of our own (EMF) metrics, selected by service and stack plus `dimensions`. */
  private customMetric(service: string, metricName: string, dimensions: Record<string, string>, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service, [STACK_DIMENSION]: this.stackName, ...dimensions },
      period,
      statistic: 'Sum',
    });
  }

  /** A dashboard search over our metrics of one dimension schema, in this stack only. */
  private customSearch(schema: readonly string[], filter: string, label: string): cloudwatch.MathExpression {
    const keys = ['service', STACK_DIMENSION, ...schema].join(',');
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},${keys}} ${STACK_DIMENSION}="${this.stackName}" ${filter}', 'Sum', 300)`,
      usingMetrics: {},
      label,
      period: Duration.minutes(5),
    });
  }

  private createAlarms(scope: Construct, props: MonitoringProps): CallrInboundSmsAlarms {
    const { queues, intake, store } = props;
    const action = new SnsAction(this.alarmTopic);
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const alarm = (id: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(scope, id, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    const atLeastOnce = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm =>
      alarm(id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: description,
      });
    const errorsInMostMinutes = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm =>
      alarm(id, {
        metric,
        threshold: 1,
        evaluationPeriods: ERROR_ALARM_WINDOW.evaluationPeriods,
        datapointsToAlarm: ERROR_ALARM_WINDOW.datapointsToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: `${description} (errors in ${ERROR_ALARM_WINDOW.datapointsToAlarm} of ${ERROR_ALARM_WINDOW.evaluationPeriods} minutes)`,
      });
    const olderThan = (id: string, metric: cloudwatch.IMetric, threshold: Duration, description: string): cloudwatch.Alarm =>
      alarm(id, {
        metric,
        threshold: threshold.toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: description,
      });

    const requests = intake.stage.metricCount({ period: fiveMinutes, statistic: 'Sum' });
    const ingestTimeout = INGEST_TIMEOUT.toMilliseconds();
    const heartbeatHours = props.heartbeatHours;
    const oldestIngest = props.oldestMessageAgeAlarmThreshold;
    const oldestInbox = props.oldestInboxMessageAgeAlarmThreshold;

    return {
      deadLetterQueueNotEmpty: atLeastOnce(
        'DeadLetterQueueNotEmptyAlarm',
        queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
        'CALLR events wait in the dead-letter queue (quarantined or poison): inspect and redrive them.',
      ),
      newDeadLetters: atLeastOnce(
        'NewDeadLettersAlarm',
        // Counts what the ingest (quarantine) and the persister (poison) send; SQS's own redrive
        // after MAX_RECEIVE_COUNT is not counted here, the not-empty alarm sees those.
        queues.deadLetterQueue.metricNumberOfMessagesSent({ period: fiveMinutes, statistic: 'Sum' }),
        'New events were quarantined or dead-lettered in the last 5 minutes: inspect them with `callr-mo dlq list`.',
      ),
      inboxDeadLetterQueueNotEmpty: atLeastOnce(
        'InboxDeadLetterQueueNotEmptyAlarm',
        queues.inboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
        'A downstream consumer failed inbox messages repeatedly; they wait in the inbox dead-letter queue.',
      ),
      inboxDeliveryFailed: atLeastOnce(
        'InboxDeliveryFailedAlarm',
        // SNS retries an SQS endpoint for days when SQS fails, but drops at once a message the
        // queue refuses (its policy or key does not let the topic in): every failure is worth a look.
        props.inbox.inboxTopic.metricNumberOfNotificationsFailed({ period: fiveMinutes, statistic: 'Sum' }),
        'SNS failed to deliver inbox messages to a subscribed queue (the inbox queue or a subscriber\'s): check each queue\'s policy and key let the inbox topic send.',
      ),
      oldestIngestMessageAge: olderThan(
        'OldestIngestMessageAgeAlarm',
        queues.ingestQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
        oldestIngest,
        `A message waits in the ingest queue for more than ${oldestIngest.toHumanString()}: the persister is failing or behind.`,
      ),
      oldestInboxMessageAge: olderThan(
        'OldestInboxMessageAgeAlarm',
        queues.inboxQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
        oldestInbox,
        `A stored message waits in the inbox queue for more than ${oldestInbox.toHumanString()}: downstream consumers are down or behind (messages expire after 14 days).`,
      ),
      heartbeat: heartbeatHours === 0 ? undefined : alarm('HeartbeatAlarm', {
        // Every event type the ingest accepts, each filled with 0: a type that sent nothing must
        // not blank out the sum. An hour without data is breaching too (nothing was accepted).
        metric: new cloudwatch.MathExpression({
          expression: HANDLED_EVENT_TYPES.map((_type, index) => `FILL(accepted${index}, 0)`).join(' + '),
          usingMetrics: Object.fromEntries(
            HANDLED_EVENT_TYPES.map((eventType, index) => [
              `accepted${index}`,
              this.customMetric(SERVICE_NAMES.ingest, INGEST_METRICS.accepted, { eventType }, Duration.hours(1)),
            ]),
          ),
          label: 'Events accepted per hour',
          period: Duration.hours(1),
        }),
        threshold: 1,
        evaluationPeriods: heartbeatHours,
        datapointsToAlarm: heartbeatHours,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription:
          `No CALLR event was accepted for ${heartbeatHours} hours: CALLR stopped calling (webhook removed, ` +
          'credentials or DNS changed) or every request is refused. Check `callr-mo subscriptions` (with the CALLR credentials).',
      }),
      apiServerErrors: errorsInMostMinutes(
        'ApiServerErrorsAlarm',
        intake.stage.metricServerError({ period: ERROR_ALARM_WINDOW.period, statistic: 'Sum' }),
        'The webhook answered 5xx to CALLR (secret or queue unavailable, or ingest failed); CALLR will retry',
      ),
      apiClientErrorRate: alarm('ApiClientErrorRateAlarm', {
        metric: new cloudwatch.MathExpression({
          expression: `IF(requests >= ${CLIENT_ERROR_RATE_MIN_REQUESTS}, 100 * FILL(clientErrors, 0) / requests, 0)`,
          usingMetrics: { requests, clientErrors: intake.stage.metricClientError({ period: fiveMinutes, statistic: 'Sum' }) },
          label: '4xx answers (% of requests)',
          period: fiveMinutes,
        }),
        threshold: props.clientErrorRateAlarmPercent,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription:
          `More than ${props.clientErrorRateAlarmPercent} % of requests got a 4xx answer in 2 of 3 five-minute periods: ` +
          'refused signatures, oversized bodies, throttling (429) or a wrong URL. The access logs tell which.',
      }),
      apiThrottledRate: alarm('ApiThrottledRateAlarm', {
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests >= 1, 100 * FILL(throttled, 0) / requests, 0)',
          usingMetrics: {
            requests,
            throttled: new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: THROTTLED_REQUESTS_METRIC,
              dimensionsMap: { ApiId: intake.httpApi.apiId },
              period: fiveMinutes,
              statistic: 'Sum',
            }),
          },
          label: 'Throttled requests (% of requests)',
          period: fiveMinutes,
        }),
        threshold: props.throttledRateAlarmPercent,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription:
          `More than ${props.throttledRateAlarmPercent} % of requests were throttled (429) in 5 minutes: CALLR retries them, ` +
          'late. Raise throttlingRateLimit / throttlingBurstLimit if the traffic is genuine.',
      }),
      ingestErrors: errorsInMostMinutes(
        'IngestErrorsAlarm',
        intake.ingestFunction.metricErrors({ period: ERROR_ALARM_WINDOW.period, statistic: 'Sum' }),
        'The ingest Lambda failed (unhandled error or timeout)',
      ),
      ingestDurationNearTimeout: alarm('IngestDurationNearTimeoutAlarm', {
        metric: intake.ingestFunction.metricDuration({ period: minute, statistic: 'p99' }),
        threshold: INGEST_DURATION_ALARM_SHARE * ingestTimeout,
        evaluationPeriods: ERROR_ALARM_WINDOW.evaluationPeriods,
        datapointsToAlarm: ERROR_ALARM_WINDOW.datapointsToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription:
          `The ingest p99 duration is above ${INGEST_DURATION_ALARM_SHARE * 100} % of its ${INGEST_TIMEOUT.toSeconds()} s timeout ` +
          'in 3 of 5 minutes: Secrets Manager or SQS is slow; timeouts (5xx) come next.',
      }),
      signatureRejections: alarm('SignatureRejectionsAlarm', {
        metric: this.customMetric(SERVICE_NAMES.ingest, INGEST_METRICS.rejected, { reason: 'invalid_signature' }, fiveMinutes),
        threshold: props.signatureRejectionsAlarmThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription:
          `At least ${props.signatureRejectionsAlarmThreshold} requests in 5 minutes failed signature verification: if CALLR's, ` +
          'authentic events are being refused (secret mismatch, e.g. a re-subscription later than the grace); otherwise someone is probing the webhook.',
      }),
      persistErrors: errorsInMostMinutes(
        'PersistErrorsAlarm',
        store.persistFunction.metricErrors({ period: ERROR_ALARM_WINDOW.period, statistic: 'Sum' }),
        'The persist Lambda failed invocations; their records return to the ingest queue and are retried',
      ),
      tableThrottles: alarm('TableThrottlesAlarm', {
        metric: this.tableThrottles(store, fiveMinutes),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription:
          'DynamoDB throttled the persister in the last 5 minutes: its records are retried, but a hot partition or ' +
          'an account limit slows storing down.',
      }),
      webhookUnsubscribeFailed: props.subscription
        ? atLeastOnce(
            'WebhookUnsubscribeFailedAlarm',
            this.customMetric(SERVICE_NAMES.subscription, SUBSCRIPTION_METRICS.unsubscribeFailed, {}, fiveMinutes),
            'A CALLR webhook could not be unsubscribed on a replacement or delete: it may still post to an old URL. ' +
              'List them with `callr-mo subscriptions` (with the CALLR credentials) and remove it at CALLR.',
          )
        : undefined,
      ...this.reconciliationAlarms(props.reconciliation, atLeastOnce),
    };
  }

  /**
   * Over an hour, so that one sweep's count keeps the alarm up long enough to be seen; a sweep
   * reports every `reconcileEvery` (at most daily: a daily sweep's alarm lasts its hour).
   */
  private reconciliationAlarms(
    reconciliation: Reconciliation | undefined,
    atLeastOnce: (id: string, metric: cloudwatch.IMetric, description: string) => cloudwatch.Alarm,
  ): Pick<CallrInboundSmsAlarms, 'messagesReconciled' | 'reconcileFailing'> {
    if (!reconciliation) return {};
    const hour = Duration.hours(1);
    return {
      messagesReconciled: atLeastOnce(
        'MessagesReconciledAlarm',
        this.customMetric(SERVICE_NAMES.reconcile, RECONCILE_METRICS.reconciled, {}, hour),
        'The reconciliation sweep found inbound SMS at CALLR that the webhook had not delivered, and stored them: the webhook ' +
          'path lost messages (subscription gone, endpoint or signature broken, an outage longer than CALLR retries). ' +
          'See docs/operations.md, "Messages are missing".',
      ),
      reconcileFailing: atLeastOnce(
        'ReconcileFailingAlarm',
        new cloudwatch.MathExpression({
          expression: 'FILL(errors, 0) + FILL(incomplete, 0)',
          usingMetrics: {
            errors: reconciliation.reconcileFunction.metricErrors({ period: hour, statistic: 'Sum' }),
            incomplete: this.customMetric(SERVICE_NAMES.reconcile, RECONCILE_METRICS.incomplete, {}, hour),
          },
          label: 'Failed or incomplete sweeps',
          period: hour,
        }),
        'A reconciliation sweep failed (CALLR unreachable or refusing the credentials) or could not list part of its range: ' +
          `SMS the webhook lost in the last ${reconciliation.lookBack.toHumanString()} may not be recovered. ` +
          'Run `callr-mo reconcile --stack <name> --since <ISO>` after the cause is fixed.',
      ),
    };
  }

  /** Throttled requests of the operations the persister makes, each filled with 0 before the sum. */
  private tableThrottles(store: MessageStore, period: Duration): cloudwatch.MathExpression {
    const metrics = Object.fromEntries(
      PERSIST_TABLE_OPERATIONS.map((operation) => [
        operation.toLowerCase(),
        store.table.metricThrottledRequestsForOperation(operation, { period, statistic: 'Sum' }),
      ]),
    );
    return new cloudwatch.MathExpression({
      expression: Object.keys(metrics).map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics: metrics,
      label: 'Throttled requests',
      period,
    });
  }

  private createDashboard(scope: Construct, props: MonitoringProps): cloudwatch.Dashboard {
    const { queues, intake, store, subscription } = props;
    const fiveMinutes = Duration.minutes(5);
    const sumOf = (metricName: string, schema: string, label: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression: `SUM(${this.customSearch([schema], `MetricName="${metricName}"`, label).expression})`,
        usingMetrics: {},
        label,
        period: fiveMinutes,
      });
    const functions = [
      intake.ingestFunction,
      store.persistFunction,
      ...(subscription ? [subscription.subscriptionFunction] : []),
      ...(props.reconciliation ? [props.reconciliation.reconcileFunction] : []),
    ];
    const namedQueues = [
      ['ingest', queues.ingestQueue],
      ['dead-letter', queues.deadLetterQueue],
      ['inbox', queues.inboxQueue],
      ['inbox dead-letter', queues.inboxDeadLetterQueue],
    ] as const;
    const graph = (title: string, left: cloudwatch.IMetric[], width = 12): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });

    const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
      defaultInterval: Duration.hours(24),
    });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.alarms).filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined),
        width: 24,
        height: 4,
      }),
    );
    dashboard.addWidgets(
      graph('Requests by outcome', [
        sumOf(INGEST_METRICS.accepted, 'eventType', 'accepted'),
        sumOf(INGEST_METRICS.ignored, 'eventType', 'ignored'),
        sumOf(INGEST_METRICS.quarantined, 'reason', 'quarantined'),
        sumOf(INGEST_METRICS.rejected, 'reason', 'rejected'),
        sumOf(INGEST_METRICS.failed, 'reason', 'failed (5xx)'),
        intake.stage.metricCount({ period: fiveMinutes, statistic: 'Sum', label: 'API requests' }),
      ]),
      graph('Rejected requests by reason', [
        this.customSearch(['reason'], `MetricName="${INGEST_METRICS.rejected}"`, 'rejected'),
        this.customSearch(['reason'], `MetricName="${INGEST_METRICS.quarantined}"`, 'quarantined'),
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: THROTTLED_REQUESTS_METRIC,
          dimensionsMap: { ApiId: intake.httpApi.apiId },
          period: fiveMinutes,
          statistic: 'Sum',
          label: 'throttled (429)',
        }),
      ]),
    );
    dashboard.addWidgets(
      graph('Ingest latency (ms)', [
        intake.ingestFunction.metricDuration({ statistic: 'p50', period: fiveMinutes, label: 'ingest Lambda p50' }),
        intake.ingestFunction.metricDuration({ statistic: 'p99', period: fiveMinutes, label: 'ingest Lambda p99' }),
        intake.stage.metricLatency({ statistic: 'p50', period: fiveMinutes, label: 'API p50' }),
        intake.stage.metricLatency({ statistic: 'p99', period: fiveMinutes, label: 'API p99' }),
      ]),
      graph(
        'Persist outcomes',
        [
          this.customSearch([], `service="${SERVICE_NAMES.persist}"`, 'persist'),
          this.customSearch(['reason'], `service="${SERVICE_NAMES.persist}"`, 'dead-lettered'),
        ],
      ),
    );
    dashboard.addWidgets(
      graph(
        'Queue depth (visible messages)',
        namedQueues.map(([name, queue]) => queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum', label: name })),
      ),
      graph(
        'Age of oldest message (s)',
        namedQueues.map(([name, queue]) => queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum', label: name })),
      ),
    );
    dashboard.addWidgets(
      graph('Dead letters', [
        queues.deadLetterQueue.metricNumberOfMessagesSent({ period: fiveMinutes, statistic: 'Sum', label: 'sent to the dead-letter queue' }),
        queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum', label: 'waiting (dead-letter)' }),
        queues.inboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum', label: 'waiting (inbox dead-letter)' }),
      ], 8),
      graph('DynamoDB throttles', [this.tableThrottles(store, fiveMinutes)], 8),
      graph('Lambda errors', functions.map((fn) => fn.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: lambdaLabel(fn.node.id) })), 8),
    );
    if (props.reconciliation) {
      dashboard.addWidgets(
        graph(
          'Reconciliation (per sweep)',
          [
            this.customMetric(SERVICE_NAMES.reconcile, RECONCILE_METRICS.asked, {}, Duration.hours(1)).with({ label: 'listed at CALLR' }),
            this.customMetric(SERVICE_NAMES.reconcile, RECONCILE_METRICS.reconciled, {}, Duration.hours(1)).with({ label: 'recovered (the webhook lost them)' }),
            this.customMetric(SERVICE_NAMES.reconcile, RECONCILE_METRICS.incomplete, {}, Duration.hours(1)).with({ label: 'incomplete sweeps' }),
          ],
          24,
        ),
      );
    }
    dashboard.addWidgets(
      graph(
        'Lambda concurrency',
        functions.map((fn) => fn.metric('ConcurrentExecutions', { period: fiveMinutes, statistic: 'Maximum', label: lambdaLabel(fn.node.id) })),
        24,
      ),
    );
    return dashboard;
  }
}

/** `PersistFunction` → `persist`. */
function lambdaLabel(id: string): string {
  return id.replace(/Function$/, '').toLowerCase();
}
