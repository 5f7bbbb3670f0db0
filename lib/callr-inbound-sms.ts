import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { HANDLED_EVENT_TYPES, type HandledEventType } from '../functions/callr/events';
import { CALLR_HMAC_ALGORITHMS, type CallrHmacAlgorithm } from '../functions/callr/signature';
import { TABLE_INDEXES, TABLE_KEYS } from '../functions/messages/table-design';
import {
  DEAD_LETTER_RETENTION_DAYS,
  INGEST_RETENTION_DAYS,
  INGEST_VISIBILITY_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  PERSIST_BATCH_SIZE,
  PERSIST_TIMEOUT_SECONDS,
} from '../functions/queues/queue-design';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../functions/observability/observability';
import { INGEST_METRICS } from '../functions/ingest/metrics';

/** The route CALLR posts its webhook events to. */
export const WEBHOOK_PATH = '/webhooks/callr';

/** CloudFormation resource type of one CALLR webhook subscription. */
export const WEBHOOK_RESOURCE_TYPE = 'Custom::CallrWebhook';

/**
 * How long CloudFormation waits for one subscription call: a CALLR that does not answer fails the
 * deploy after this instead of hanging it for CloudFormation's default hour.
 */
export const WEBHOOK_SERVICE_TIMEOUT = Duration.minutes(5);

/**
 * What the persister may do with the table (not its indexes, which only readers query): conditional
 * puts of messages and statuses, the forwarded mark, and the key reads behind them. No Scan, Query,
 * DeleteItem or BatchWriteItem (which would allow deletes).
 */
export const PERSIST_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

const LAMBDA_ENTRIES = {
  ingest: path.join(__dirname, '..', 'functions', 'ingest', 'handler.ts'),
  persist: path.join(__dirname, '..', 'functions', 'persist', 'handler.ts'),
  subscription: path.join(__dirname, '..', 'functions', 'subscription', 'handler.ts'),
} as const;

/**
 * HTTP API context variables written to the access log. Request headers are left out on purpose:
 * they carry the CALLR signature.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationErrorMessage: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
} as const;

/** Props of {@link CallrInboundSms}. Every prop is optional except where `subscribeWebhook` needs one. */
export interface CallrInboundSmsProps {
  /**
   * Register the webhook at CALLR (`webhooks.subscribe`, one subscription per event type) and
   * unregister it on delete. Turn it off to deploy the pipeline before a CALLR account exists, or to
   * register the webhook by hand.
   * @default true
   */
  readonly subscribeWebhook?: boolean;

  /**
   * The existing Secrets Manager secret holding the CALLR API credentials, as JSON
   * `{"apiKey": "..."}` or `{"login": "...", "password": "..."}`. Only the subscription custom
   * resource reads it, by ARN. Required when `subscribeWebhook` is true; must be left out otherwise.
   * @default - none
   */
  readonly callrCredentialsSecret?: secretsmanager.ISecret;

  /**
   * The CALLR event types to subscribe to, one webhook each.
   * @default ['sms.mo']
   */
  readonly eventTypes?: readonly HandledEventType[];

  /**
   * The HMAC algorithm CALLR is subscribed with (`hmac_algo`). The ingest Lambda verifies either
   * algorithm (told apart by the signature's length), so changing it opens no window of refusals.
   * @default 'SHA256'
   */
  readonly hmacAlgorithm?: CallrHmacAlgorithm;

  /**
   * A non-secret label of the HMAC secret's current value. Change it after rotating the secret
   * (`aws secretsmanager put-secret-value`) and deploy: the webhooks are subscribed again with the
   * new value, while the ingest Lambda still accepts the previous one (AWSPREVIOUS) meanwhile.
   * @default '1'
   */
  readonly hmacSecretVersion?: string;

  /**
   * The CALLR JSON-RPC endpoint the subscription custom resource calls (https only).
   * @default - the subscription handler's default, https://api.callr.com/json-rpc/v1.1/
   */
  readonly callrApiUrl?: string;

  /**
   * Steady-state requests per second the API stage accepts before answering 429 (CALLR retries
   * those). Raise it for TV votes and other campaigns that send thousands of MO per second.
   * @default 1000
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the API stage accepts at once above the steady rate.
   * @default 2000
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Retention of every log group the construct creates (Lambdas, API access logs, provider).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the data — the messages table and the queues, which can hold authentic events
   * not yet stored or not yet handled (dead letters) — when it leaves the stack or the stack is
   * deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Most persister instances the ingest queue's event source runs at once (2–1000), to protect
   * the table or downstream consumers.
   * @default - no limit besides the account's Lambda concurrency
   */
  readonly persistMaxConcurrency?: number;

  /**
   * An email address subscribed to the alarm topic (the address must confirm the subscription).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly alarmEmail?: string;

  /**
   * Alarm when the oldest message waiting in the ingest queue is older than this.
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;

  /**
   * Alarm when at least this many requests in 5 minutes fail signature verification. A few are
   * scanners; many mean CALLR signs with a secret we no longer (or do not yet) accept, and every
   * authentic event is being refused.
   * @default 10
   */
  readonly signatureRejectionsAlarmThreshold?: number;

  /**
   * Oldest `event_at` the ingest Lambda accepts (older authentic events are quarantined).
   * @default - the ingest Lambda's default: 7 days
   */
  readonly eventMaxAge?: Duration;

  /**
   * How far in the future `event_at` may be (clock skew) before the event is quarantined.
   * @default - the ingest Lambda's default: 5 minutes
   */
  readonly eventMaxFuture?: Duration;

  /**
   * How long after a new HMAC secret value is put the previous one is still accepted (CALLR may
   * retry events signed before the re-subscription). `Duration.seconds(0)` cuts a leaked secret
   * off at once.
   * @default - the ingest Lambda's default: 24 hours
   */
  readonly previousSecretGrace?: Duration;
}

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

/** Thrown when props contradict each other or hold values AWS or CALLR would refuse. */
export class CallrInboundSmsPropsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid CallrInboundSms props (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'CallrInboundSmsPropsError';
  }
}

const DEFAULTS = {
  subscribeWebhook: true,
  eventTypes: ['sms.mo'] as readonly HandledEventType[],
  hmacAlgorithm: 'SHA256' as CallrHmacAlgorithm,
  hmacSecretVersion: '1',
  throttlingRateLimit: 1000,
  throttlingBurstLimit: 2000,
  logRetention: logs.RetentionDays.ONE_MONTH,
  removalPolicy: RemovalPolicy.RETAIN,
  oldestMessageAgeAlarmThreshold: Duration.minutes(15),
  signatureRejectionsAlarmThreshold: 10,
} as const;

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Every problem with the props at once, so that one synth shows everything to fix. */
export function findPropsProblems(props: CallrInboundSmsProps): string[] {
  const problems: string[] = [];
  const subscribeWebhook = props.subscribeWebhook ?? DEFAULTS.subscribeWebhook;
  const known = (value: unknown): boolean => !Token.isUnresolved(value);

  if (subscribeWebhook && !props.callrCredentialsSecret) {
    problems.push(
      'callrCredentialsSecret is required when subscribeWebhook is true: pass the CALLR credentials secret, ' +
        'or set subscribeWebhook to false to deploy without registering the webhook',
    );
  }
  if (!subscribeWebhook && props.callrCredentialsSecret) {
    problems.push('callrCredentialsSecret is given but subscribeWebhook is false: nothing would use it');
  }

  if (props.eventTypes !== undefined) {
    if (props.eventTypes.length === 0) problems.push('eventTypes must name at least one CALLR event type');
    const unknown = props.eventTypes.filter((type) => !(HANDLED_EVENT_TYPES as readonly string[]).includes(type));
    if (unknown.length > 0) {
      problems.push(`eventTypes holds ${unknown.join(', ')}; supported: ${HANDLED_EVENT_TYPES.join(', ')}`);
    }
    const duplicates = props.eventTypes.filter((type, index) => props.eventTypes?.indexOf(type) !== index);
    if (duplicates.length > 0) problems.push(`eventTypes lists ${[...new Set(duplicates)].join(', ')} more than once`);
  }

  if (props.hmacAlgorithm !== undefined && !(CALLR_HMAC_ALGORITHMS as readonly string[]).includes(props.hmacAlgorithm)) {
    problems.push(`hmacAlgorithm is ${props.hmacAlgorithm}; supported: ${CALLR_HMAC_ALGORITHMS.join(', ')}`);
  }
  if (props.hmacSecretVersion !== undefined && known(props.hmacSecretVersion) && props.hmacSecretVersion.trim() === '') {
    problems.push('hmacSecretVersion must not be empty');
  }

  if (props.callrApiUrl !== undefined && known(props.callrApiUrl)) {
    if (!isHttpsUrl(props.callrApiUrl)) {
      problems.push(`callrApiUrl is ${props.callrApiUrl}; it must be an https:// URL (the request carries CALLR credentials)`);
    }
  }

  const rate = props.throttlingRateLimit;
  if (rate !== undefined && known(rate) && !(Number.isFinite(rate) && rate > 0)) {
    problems.push(`throttlingRateLimit is ${rate}; it must be a number of requests per second above 0`);
  }
  const burst = props.throttlingBurstLimit;
  if (burst !== undefined && known(burst) && !(Number.isInteger(burst) && burst > 0)) {
    problems.push(`throttlingBurstLimit is ${burst}; it must be a whole number of requests above 0`);
  }

  const concurrency = props.persistMaxConcurrency;
  if (concurrency !== undefined && known(concurrency) && !(Number.isInteger(concurrency) && concurrency >= 2 && concurrency <= 1000)) {
    problems.push(`persistMaxConcurrency is ${concurrency}; SQS event sources accept a whole number from 2 to 1000`);
  }

  if (props.alarmEmail !== undefined && known(props.alarmEmail) && !EMAIL_PATTERN.test(props.alarmEmail)) {
    problems.push(`alarmEmail is ${JSON.stringify(props.alarmEmail)}; it must be an email address`);
  }

  const ageThreshold = props.oldestMessageAgeAlarmThreshold;
  if (ageThreshold !== undefined && !ageThreshold.isUnresolved() && ageThreshold.toSeconds() < 60) {
    problems.push('oldestMessageAgeAlarmThreshold must be at least one minute (SQS reports the age once a minute)');
  }
  const rejections = props.signatureRejectionsAlarmThreshold;
  if (rejections !== undefined && known(rejections) && (!Number.isInteger(rejections) || rejections < 1)) {
    problems.push(`signatureRejectionsAlarmThreshold is ${rejections}; it must be a whole number of requests, at least 1`);
  }
  for (const [name, duration] of [
    ['eventMaxAge', props.eventMaxAge],
    ['eventMaxFuture', props.eventMaxFuture],
  ] as const) {
    if (duration !== undefined && !duration.isUnresolved() && duration.toSeconds() <= 0) {
      problems.push(`${name} must be longer than zero seconds`);
    }
  }
  const grace = props.previousSecretGrace;
  if (grace !== undefined && !grace.isUnresolved() && grace.toSeconds() < 0) {
    problems.push('previousSecretGrace must not be negative');
  }
  return problems;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** `sms.mt.status_update` → `SmsMtStatusUpdate`, for construct ids. */
function pascalCase(value: string): string {
  return value
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}

/**
 * The whole CALLR inbound SMS system: HTTP API → ingest Lambda (verifies CALLR's signature) →
 * ingest queue → persist Lambda → DynamoDB table and inbox queue, the HMAC secret, the CALLR webhook
 * subscriptions, and the alarms. See docs/infrastructure.md.
 */
export class CallrInboundSms extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage, with throttling and access logs. */
  readonly stage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** The URL CALLR posts to: the API endpoint + `/webhooks/callr`. */
  readonly webhookUrl: string;

  readonly ingestFunction: NodejsFunction;
  readonly persistFunction: NodejsFunction;
  /** The subscription custom resource's handler; undefined when `subscribeWebhook` is false. */
  readonly subscriptionFunction?: NodejsFunction;
  readonly subscriptionProvider?: Provider;
  /** One per event type, in `eventTypes` order; empty when `subscribeWebhook` is false. */
  readonly webhookSubscriptions: readonly CustomResource[];

  readonly ingestQueue: sqs.Queue;
  /** Where authentic but unusable events, poison records and exhausted retries end up. */
  readonly deadLetterQueue: sqs.Queue;
  /** Canonical, de-duplicated messages for downstream services, sent once they are stored. */
  readonly inboxQueue: sqs.Queue;
  /** Receives inbox messages that downstream consumers failed `MAX_RECEIVE_COUNT` times. */
  readonly inboxDeadLetterQueue: sqs.Queue;

  readonly table: dynamodb.TableV2;
  /** The HMAC key CALLR signs with: a generated plain-string secret. */
  readonly hmacSecret: secretsmanager.Secret;

  readonly alarmTopic: sns.Topic;
  readonly alarms: CallrInboundSmsAlarms;

  private readonly logRetention: logs.RetentionDays;
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: CallrInboundSmsProps = {}) {
    super(scope, id);
    const problems = findPropsProblems(props);
    if (problems.length > 0) throw new CallrInboundSmsPropsError(problems);

    const subscribeWebhook = props.subscribeWebhook ?? DEFAULTS.subscribeWebhook;
    this.logRetention = props.logRetention ?? DEFAULTS.logRetention;
    this.removalPolicy = props.removalPolicy ?? DEFAULTS.removalPolicy;

    // Queues ------------------------------------------------------------------------------------
    this.deadLetterQueue = this.createQueue('DeadLetterQueue', {
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    });
    this.ingestQueue = this.createQueue('IngestQueue', {
      retentionPeriod: Duration.days(INGEST_RETENTION_DAYS),
      visibilityTimeout: Duration.seconds(INGEST_VISIBILITY_TIMEOUT_SECONDS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.inboxDeadLetterQueue = this.createQueue('InboxDeadLetterQueue', {
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    });
    this.inboxQueue = this.createQueue('InboxQueue', {
      deadLetterQueue: { queue: this.inboxDeadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    // Table -------------------------------------------------------------------------------------
    const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.TableV2(this, 'MessagesTable', {
      partitionKey: stringKey(TABLE_KEYS.partitionKey),
      sortKey: stringKey(TABLE_KEYS.sortKey),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: this.removalPolicy,
      globalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        ...(index.projectedAttributes.length > 0
          ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] }
          : { projectionType: dynamodb.ProjectionType.KEYS_ONLY }),
      })),
    });

    // HMAC secret: a plain string (no JSON template), no punctuation so it survives any transport.
    this.hmacSecret = new secretsmanager.Secret(this, 'HmacSecret', {
      description: 'HMAC key CALLR signs inbound SMS webhooks with (plain string, shared with CALLR at subscription)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.hmacSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The HMAC key is shared with CALLR, so a rotation must re-subscribe the webhooks: the operator puts a new ' +
        'value and bumps hmacSecretVersion, and the ingest Lambda accepts AWSCURRENT and AWSPREVIOUS meanwhile ' +
        '(docs/infrastructure.md). An automatic rotation Lambda would change the key without telling CALLR.',
    });

    // Lambdas -----------------------------------------------------------------------------------
    const hmacAlgorithm = props.hmacAlgorithm ?? DEFAULTS.hmacAlgorithm;
    this.ingestFunction = this.createFunction('IngestFunction', {
      entry: LAMBDA_ENTRIES.ingest,
      serviceName: SERVICE_NAMES.ingest,
      description: 'Verifies CALLR webhook signatures and queues authentic events',
      // CALLR wants a fast answer; the HTTP API gives up on its integration after 30 s anyway.
      timeout: Duration.seconds(10),
      memorySize: 512,
      environment: {
        QUEUE_URL: this.ingestQueue.queueUrl,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        HMAC_SECRET_ARN: this.hmacSecret.secretArn,
        HMAC_ALGORITHM: hmacAlgorithm,
        ...(props.eventMaxAge ? { EVENT_MAX_AGE_SECONDS: String(props.eventMaxAge.toSeconds()) } : {}),
        ...(props.eventMaxFuture ? { EVENT_MAX_FUTURE_SECONDS: String(props.eventMaxFuture.toSeconds()) } : {}),
        ...(props.previousSecretGrace
          ? { HMAC_PREVIOUS_SECRET_GRACE_SECONDS: String(props.previousSecretGrace.toSeconds()) }
          : {}),
      },
    });
    this.ingestQueue.grantSendMessages(this.ingestFunction);
    this.deadLetterQueue.grantSendMessages(this.ingestFunction);
    this.hmacSecret.grantRead(this.ingestFunction);

    this.persistFunction = this.createFunction('PersistFunction', {
      entry: LAMBDA_ENTRIES.persist,
      serviceName: SERVICE_NAMES.persist,
      description: 'Stores queued CALLR events in DynamoDB and forwards new messages to the inbox queue',
      timeout: Duration.seconds(PERSIST_TIMEOUT_SECONDS),
      memorySize: 512,
      environment: {
        TABLE_NAME: this.table.tableName,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        INBOX_QUEUE_URL: this.inboxQueue.queueUrl,
      },
    });
    iam.Grant.addToPrincipal({
      grantee: this.persistFunction,
      actions: [...PERSIST_TABLE_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
    this.deadLetterQueue.grantSendMessages(this.persistFunction);
    this.inboxQueue.grantSendMessages(this.persistFunction);
    this.persistFunction.addEventSource(
      new SqsEventSource(this.ingestQueue, {
        batchSize: PERSIST_BATCH_SIZE,
        reportBatchItemFailures: true,
        ...(props.persistMaxConcurrency !== undefined ? { maxConcurrency: props.persistMaxConcurrency } : {}),
      }),
    );

    // HTTP API ----------------------------------------------------------------------------------
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      // Names need not be unique; this one tells apart the APIs of several stacks in the console.
      apiName: `${Stack.of(this).stackName}-callr-webhooks`,
      description: 'Receives CALLR inbound SMS webhooks',
      // The default stage is created below, with throttling and access logs.
      createDefaultStage: false,
    });
    this.accessLogGroup = this.createLogGroup('ApiAccessLogs');
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? DEFAULTS.throttlingRateLimit,
        burstLimit: props.throttlingBurstLimit ?? DEFAULTS.throttlingBurstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const [webhookRoute] = this.httpApi.addRoutes({
      path: WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingestFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    Validations.of(webhookRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'CALLR cannot present IAM, JWT or API-key credentials; every request is authenticated by the ingest Lambda ' +
        'with the HMAC signature over the raw body (401 when missing or wrong), and the stage is throttled.',
    });
    this.webhookUrl = `${this.httpApi.apiEndpoint}${WEBHOOK_PATH}`;

    // Webhook subscription ----------------------------------------------------------------------
    const subscriptions: CustomResource[] = [];
    if (subscribeWebhook && props.callrCredentialsSecret) {
      const credentials = props.callrCredentialsSecret;
      this.subscriptionFunction = this.createFunction('SubscriptionFunction', {
        entry: LAMBDA_ENTRIES.subscription,
        serviceName: SERVICE_NAMES.subscription,
        description: 'Subscribes and unsubscribes the CALLR webhooks (custom resource)',
        // Below the service timeout, so that a slow CALLR fails this call, not the deploy's clock.
        timeout: Duration.minutes(2),
        memorySize: 256,
        environment: {},
      });
      this.hmacSecret.grantRead(this.subscriptionFunction);
      credentials.grantRead(this.subscriptionFunction);

      const providerLogs = this.createLogGroup('SubscriptionProviderLogs');
      const providerRole = this.createLambdaRole('SubscriptionProviderRole', providerLogs);
      this.subscriptionProvider = new Provider(this, 'SubscriptionProvider', {
        onEventHandler: this.subscriptionFunction,
        logGroup: providerLogs,
        frameworkOnEventRole: providerRole,
      });
      const subscriptionFunctionId = Stack.of(this).getLogicalId(this.subscriptionFunction.node.defaultChild as lambda.CfnFunction);
      Validations.of(providerRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${subscriptionFunctionId}.Arn>:*]`,
        reason:
          'The Provider framework grants itself lambda:InvokeFunction on the subscription function and its versions ' +
          '(ARN:*); the wildcard covers versions of that one function only.',
      });

      for (const eventType of props.eventTypes ?? DEFAULTS.eventTypes) {
        const subscription = new CustomResource(this, `Webhook${pascalCase(eventType)}`, {
          serviceToken: this.subscriptionProvider.serviceToken,
          resourceType: WEBHOOK_RESOURCE_TYPE,
          serviceTimeout: WEBHOOK_SERVICE_TIMEOUT,
          properties: {
            Endpoint: this.webhookUrl,
            EventType: eventType,
            HmacAlgorithm: hmacAlgorithm,
            HmacSecretArn: this.hmacSecret.secretArn,
            CredentialsSecretArn: credentials.secretArn,
            SecretVersion: props.hmacSecretVersion ?? DEFAULTS.hmacSecretVersion,
            ...(props.callrApiUrl !== undefined ? { ApiUrl: props.callrApiUrl } : {}),
          },
        });
        // CALLR may deliver as soon as it is subscribed, and must be unsubscribed before the API goes.
        subscription.node.addDependency(this.httpApi, this.stage, this.ingestFunction);
        subscriptions.push(subscription);
      }
    }
    this.webhookSubscriptions = subscriptions;

    // Alarms ------------------------------------------------------------------------------------
    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
    const alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the CALLR inbound SMS alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    alarmTopicKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'CALLR inbound SMS alarms',
      masterKey: alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.alarms = this.createAlarms(
      props.oldestMessageAgeAlarmThreshold ?? DEFAULTS.oldestMessageAgeAlarmThreshold,
      props.signatureRejectionsAlarmThreshold ?? DEFAULTS.signatureRejectionsAlarmThreshold,
    );
  }

  private createQueue(id: string, props: sqs.QueueProps): sqs.Queue {
    return new sqs.Queue(this, id, {
      ...props,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: this.removalPolicy,
    });
  }

  private createLogGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this, id, { retention: this.logRetention });
  }

  /** A role that may write to its own log group only (instead of the account-wide managed policy). */
  private createLambdaRole(id: string, logGroup: logs.LogGroup): iam.Role {
    const role = new iam.Role(this, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    return role;
  }

  private createFunction(
    id: string,
    options: {
      entry: string;
      serviceName: string;
      description: string;
      timeout: Duration;
      memorySize: number;
      environment: Record<string, string>;
    },
  ): NodejsFunction {
    const logGroup = this.createLogGroup(`${id}Logs`);
    return new NodejsFunction(this, id, {
      entry: options.entry,
      handler: 'handler',
      description: options.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: options.timeout,
      memorySize: options.memorySize,
      role: this.createLambdaRole(`${id}Role`, logGroup),
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: options.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...options.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // The SDK version we pinned and tested, not whichever one the runtime ships this month.
        bundleAwsSDK: true,
      },
    });
  }

  private createAlarms(oldestMessageAgeThreshold: Duration, signatureRejectionsThreshold: number): CallrInboundSmsAlarms {
    const action = new SnsAction(this.alarmTopic);
    const period = Duration.minutes(1);
    const atLeastOnce = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm =>
      this.notifying(action, new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }));

    return {
      deadLetterQueueNotEmpty: atLeastOnce(
        'DeadLetterQueueNotEmptyAlarm',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        'CALLR events wait in the dead-letter queue (quarantined or poison): inspect and redrive them.',
      ),
      inboxDeadLetterQueueNotEmpty: atLeastOnce(
        'InboxDeadLetterQueueNotEmptyAlarm',
        this.inboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        'A downstream consumer failed inbox messages repeatedly; they wait in the inbox dead-letter queue.',
      ),
      oldestIngestMessageAge: this.notifying(action, new cloudwatch.Alarm(this, 'OldestIngestMessageAgeAlarm', {
        metric: this.ingestQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: oldestMessageAgeThreshold.toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `A message waits in the ingest queue for more than ${oldestMessageAgeThreshold.toHumanString()}: the persister is failing or behind.`,
      })),
      apiServerErrors: atLeastOnce(
        'ApiServerErrorsAlarm',
        this.stage.metricServerError({ period, statistic: 'Sum' }),
        'The webhook answered 5xx to CALLR (secret or queue unavailable, or ingest failed); CALLR will retry.',
      ),
      ingestErrors: atLeastOnce(
        'IngestErrorsAlarm',
        this.ingestFunction.metricErrors({ period, statistic: 'Sum' }),
        'The ingest Lambda failed (unhandled error or timeout).',
      ),
      signatureRejections: this.notifying(action, new cloudwatch.Alarm(this, 'SignatureRejectionsAlarm', {
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
        this.persistFunction.metricErrors({ period, statistic: 'Sum' }),
        'The persist Lambda failed an invocation; its records return to the ingest queue and are retried.',
      ),
    };
  }

  private notifying(action: SnsAction, alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
