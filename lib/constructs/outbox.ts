import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INBOX_TOPIC_ARN_VARIABLE } from '../../functions/inbox/config';
import { METRICS_NAMESPACE, SERVICE_NAMES, STACK_DIMENSION } from '../../functions/observability/observability';
import {
  DEAD_LETTER_RETENTION_DAYS,
  OUTBOX_MAX_RECEIVE_COUNT,
  OUTBOX_RETENTION_DAYS,
  OUTBOX_VISIBILITY_TIMEOUT_SECONDS,
  SENDER_BATCH_SIZE,
  SENDER_TIMEOUT_SECONDS,
} from '../../functions/queues/queue-design';
import { SENDER_METRIC } from '../../functions/sender/send-request';
import { createCallrFunction, grantCallrCredentials, LAMBDA_ENTRIES, type LogGroupSettings } from './functions';
import type { MessageStore } from './message-store';
import type { InboxFanOut } from './inbox';
import { retentionEnvironment, type RetentionProps } from './privacy';
import { createSecureQueue } from './queues';

/**
 * What the sender may do with the table: claim and update send records, write the SMS link,
 * delete only to give back a claim that provably never reached CALLR, and query the base table
 * (never an index) for a number's opt-out items (one per number of ours, under its keyed hash). No Scan.
 */
export const SENDER_TABLE_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

/** Props of {@link Outbox}. */
export interface OutboxProps {
  /** Where outcomes go, beside the inbound messages. */
  readonly inbox: InboxFanOut;
  readonly store: MessageStore;
  /** Set on each SMS as its per-SMS webhook, so that its statuses and replies come back to us. */
  readonly webhookUrl: string;
  /** The CALLR API credentials (JSON `apiKey`, or `login` + `password`), read by ARN at cold start. */
  readonly callrCredentialsSecret: secretsmanager.ISecret;
  /** @default - the secret uses the AWS managed key */
  readonly callrCredentialsKey?: kms.IKey;
  /** @default - the sender's default, https://api.callr.com/json-rpc/v1.1/ */
  readonly callrApiUrl?: string;
  readonly alarmTopic: sns.ITopic;
  readonly removalPolicy: RemovalPolicy;
  readonly logs: LogGroupSettings;
  /**
   * The customer-managed key of the table and queues: the outbox queues are encrypted with it too,
   * and the sender may use it (it reads and writes the table, consumes and dead-letters requests).
   * @default - SQS-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
  /** How long send records are kept (`outboundRecords`; the sender sets their `expiresAt`). @default - kept until erased */
  readonly retention?: RetentionProps;
}

/** The outbox's alarms; each notifies the alarm topic when it fires and recovers. */
export interface OutboxAlarms {
  /** A send's answer was lost: it is being looked up in CALLR's listing (runbook: "a send is unknown"). */
  readonly sendUnknown: cloudwatch.Alarm;
  /** Requests wait in the outbox dead-letter queue: unreadable, or never finished. */
  readonly outboxDeadLetterQueueNotEmpty: cloudwatch.Alarm;
  /** The sender failed whole invocations (credentials unreadable, crash, timeout). */
  readonly senderErrors: cloudwatch.Alarm;
}

/**
 * The outbox: a queue downstream services write send requests to (docs/outbox-request.schema.json),
 * its dead-letter queue, and the sender Lambda that sends each at most once through CALLR and
 * publishes the outcome on the inbox. A part of {@link CallrInboundSms}; see {@link CallrQueues}
 * for why its resources live in the scope it is given.
 */
export class Outbox {
  readonly outboxQueue: sqs.Queue;
  readonly outboxDeadLetterQueue: sqs.Queue;
  readonly senderFunction: NodejsFunction;
  readonly alarms: OutboxAlarms;

  constructor(scope: Construct, props: OutboxProps) {
    const { store } = props;
    const createQueue = (id: string, queueProps: sqs.QueueProps): sqs.Queue => createSecureQueue(scope, id, props, queueProps);
    this.outboxDeadLetterQueue = createQueue('OutboxDeadLetterQueue', { retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS) });
    this.outboxQueue = createQueue('OutboxQueue', {
      retentionPeriod: Duration.days(OUTBOX_RETENTION_DAYS),
      visibilityTimeout: Duration.seconds(OUTBOX_VISIBILITY_TIMEOUT_SECONDS),
      deadLetterQueue: { queue: this.outboxDeadLetterQueue, maxReceiveCount: OUTBOX_MAX_RECEIVE_COUNT },
    });

    this.senderFunction = createCallrFunction(scope, 'SenderFunction', {
      entry: LAMBDA_ENTRIES.sender,
      serviceName: SERVICE_NAMES.sender,
      description: 'Sends the SMS requested on the outbox through CALLR, at most once each, and puts the outcome on the inbox',
      timeout: Duration.seconds(SENDER_TIMEOUT_SECONDS),
      memorySize: 256,
      environment: {
        TABLE_NAME: store.table.tableName,
        [INBOX_TOPIC_ARN_VARIABLE]: props.inbox.inboxTopic.topicArn,
        DEAD_LETTER_QUEUE_URL: this.outboxDeadLetterQueue.queueUrl,
        WEBHOOK_URL: props.webhookUrl,
        CALLR_CREDENTIALS_SECRET_ARN: props.callrCredentialsSecret.secretArn,
        ...(props.callrApiUrl !== undefined ? { CALLR_API_URL: props.callrApiUrl } : {}),
        ...retentionEnvironment(props.retention),
      },
      logs: props.logs,
    });
    iam.Grant.addToPrincipal({ grantee: this.senderFunction, actions: [...SENDER_TABLE_ACTIONS], resourceArns: [store.table.tableArn] });
    grantCallrCredentials(this.senderFunction, props.callrCredentialsSecret, props.callrCredentialsKey);
    props.inbox.grantPublish(this.senderFunction);
    props.encryptionKey?.grantEncryptDecrypt(this.senderFunction);
    this.outboxDeadLetterQueue.grantSendMessages(this.senderFunction);
    this.senderFunction.addEventSource(
      new SqsEventSource(this.outboxQueue, {
        batchSize: SENDER_BATCH_SIZE,
        reportBatchItemFailures: true,
        // One sender per few requests is plenty: CALLR rate-limits an account long before.
        maxConcurrency: 5,
      }),
    );

    const action = new SnsAction(props.alarmTopic);
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string, window = { evaluationPeriods: 1, datapointsToAlarm: 1 }) => {
      const created = new cloudwatch.Alarm(scope, id, {
        metric,
        threshold: 1,
        ...window,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    this.alarms = {
      sendUnknown: alarm(
        'SendUnknownAlarm',
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: SENDER_METRIC.unknown,
          dimensionsMap: { service: SERVICE_NAMES.sender, [STACK_DIMENSION]: Stack.of(scope).stackName },
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        "The answer to an SMS send was lost: the sender looks the SMS up in CALLR's listing and never sends it again. " +
          'See docs/operations.md, "a send is unknown".',
      ),
      outboxDeadLetterQueueNotEmpty: alarm(
        'OutboxDeadLetterQueueNotEmptyAlarm',
        this.outboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        'Outbox requests wait in the outbox dead-letter queue (output OutboxDeadLetterQueueUrl): unreadable, or not finished after every retry.',
      ),
      senderErrors: alarm(
        'SenderErrorsAlarm',
        this.senderFunction.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
        'The sender Lambda failed whole invocations (CALLR credentials unreadable, crash or timeout): requests wait on the outbox',
        { evaluationPeriods: 5, datapointsToAlarm: 3 },
      ),
    };
  }
}
