import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { INGEST_METRICS } from '../../functions/ingest/metrics';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../functions/observability/observability';
import type { WebhookIntake } from './intake';
import type { MessageStore } from './message-store';
import type { CallrQueues } from './queues';

/** The alarms the construct creates; each notifies the alarm topic when it fires and recovers. */
export interface CallrInboundSmsAlarms {
  /** An authentic event or a poison record waits in the dead-letter queue. */
  readonly deadLetterQueueNotEmpty: cloudwatch.Alarm;
  /** A downstream consumer failed a message from the inbox queue repeatedly. */
  readonly inboxDeadLetterQueueNotEmpty: cloudwatch.Alarm;
  /** The persister is not keeping up, or not running. */
  readonly oldestIngestMessageAge: cloudwatch.Alarm;
  /** The API answered 5xx: the HMAC secret or the ingest queue was unavailable, or ingest crashed. */
  readonly apiServerErrors: cloudwatch.Alarm;
  /** The ingest Lambda failed (unhandled error or timeout). */
  readonly ingestErrors: cloudwatch.Alarm;
  /** Many requests failed signature verification: a secret mismatch with CALLR, or an attack. */
  readonly signatureRejections: cloudwatch.Alarm;
  /** The persist Lambda failed a whole invocation (unhandled error, timeout, whole batch failed). */
  readonly persistErrors: cloudwatch.Alarm;
}

/** Props of {@link Monitoring}: the parts it watches, and its thresholds. */
export interface MonitoringProps {
  readonly queues: CallrQueues;
  readonly intake: WebhookIntake;
  readonly store: MessageStore;
  /** Alarm when the oldest message waiting in the ingest queue is older than this. */
  readonly oldestMessageAgeAlarmThreshold: Duration;
  /** Alarm when at least this many requests in 5 minutes fail signature verification. */
  readonly signatureRejectionsAlarmThreshold: number;
  /**
   * An email address subscribed to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
}

/**
 * The alarm topic (encrypted with a key CloudWatch may use) and the alarms on every part. A part of
 * {@link CallrInboundSms}; see {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class Monitoring {
  readonly alarmTopic: sns.Topic;
  readonly alarms: CallrInboundSmsAlarms;

  constructor(scope: Construct, props: MonitoringProps) {
    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
    const alarmTopicKey = new kms.Key(scope, 'AlarmTopicKey', {
      description: 'Encrypts the CALLR inbound SMS alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    alarmTopicKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(scope, 'AlarmTopic', {
      displayName: 'CALLR inbound SMS alarms',
      masterKey: alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.alarms = this.createAlarms(scope, props);
  }

  private createAlarms(scope: Construct, props: MonitoringProps): CallrInboundSmsAlarms {
    const { queues, intake, store } = props;
    const action = new SnsAction(this.alarmTopic);
    const period = Duration.minutes(1);
    const notifying = (alarm: cloudwatch.Alarm): cloudwatch.Alarm => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };
    const atLeastOnce = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm =>
      notifying(new cloudwatch.Alarm(scope, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }));
    const oldestMessageAgeThreshold = props.oldestMessageAgeAlarmThreshold;
    const signatureRejectionsThreshold = props.signatureRejectionsAlarmThreshold;

    return {
      deadLetterQueueNotEmpty: atLeastOnce(
        'DeadLetterQueueNotEmptyAlarm',
        queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        'CALLR events wait in the dead-letter queue (quarantined or poison): inspect and redrive them.',
      ),
      inboxDeadLetterQueueNotEmpty: atLeastOnce(
        'InboxDeadLetterQueueNotEmptyAlarm',
        queues.inboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        'A downstream consumer failed inbox messages repeatedly; they wait in the inbox dead-letter queue.',
      ),
      oldestIngestMessageAge: notifying(new cloudwatch.Alarm(scope, 'OldestIngestMessageAgeAlarm', {
        metric: queues.ingestQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: oldestMessageAgeThreshold.toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `A message waits in the ingest queue for more than ${oldestMessageAgeThreshold.toHumanString()}: the persister is failing or behind.`,
      })),
      apiServerErrors: atLeastOnce(
        'ApiServerErrorsAlarm',
        intake.stage.metricServerError({ period, statistic: 'Sum' }),
        'The webhook answered 5xx to CALLR (secret or queue unavailable, or ingest failed); CALLR will retry.',
      ),
      ingestErrors: atLeastOnce(
        'IngestErrorsAlarm',
        intake.ingestFunction.metricErrors({ period, statistic: 'Sum' }),
        'The ingest Lambda failed (unhandled error or timeout).',
      ),
      signatureRejections: notifying(new cloudwatch.Alarm(scope, 'SignatureRejectionsAlarm', {
        // The ingest Lambda's own metric (EMF), with the dimensions Powertools gives it.
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: INGEST_METRICS.rejected,
          dimensionsMap: { service: SERVICE_NAMES.ingest, reason: 'invalid_signature' },
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        threshold: signatureRejectionsThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          `At least ${signatureRejectionsThreshold} requests in 5 minutes failed signature verification: if CALLR's, ` +
          'authentic events are being refused (secret mismatch, e.g. a re-subscription later than the grace); otherwise someone is probing the webhook.',
      })),
      persistErrors: atLeastOnce(
        'PersistErrorsAlarm',
        store.persistFunction.metricErrors({ period, statistic: 'Sum' }),
        'The persist Lambda failed an invocation; its records return to the ingest queue and are retried.',
      ),
    };
  }
}
