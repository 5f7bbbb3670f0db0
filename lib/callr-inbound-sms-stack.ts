import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { HandledEventType } from '../functions/callr/events';
import type { CallrHmacAlgorithm } from '../functions/callr/signature';
import { ReplyBot, ReplyBotQueue } from '../examples/reply-bot/reply-bot';
import { acknowledgeKeyGrants, CallrInboundSms, type CallrInboundSmsProps, findPropsProblems } from './callr-inbound-sms';

/** The secret name used when the context names none; create it before the first deploy. */
export const DEFAULT_CALLR_CREDENTIALS_SECRET_NAME = 'callr/api-credentials';

/** Every context key the stack reads (`cdk deploy -c key=value`, or `context` in cdk.json). */
export const STACK_CONTEXT_KEYS = [
  'callrCredentialsSecretName',
  'callrCredentialsSecretArn',
  'callrCredentialsKmsKeyArn',
  'dataKmsKeyArn',
  'subscribeWebhook',
  'outbox',
  'eventTypes',
  'hmacAlgorithm',
  'signatureHeader',
  'hmacSecretVersion',
  'callrApiUrl',
  'alarmEmail',
  'throttlingRateLimit',
  'throttlingBurstLimit',
  'logRetentionDays',
  'removalPolicy',
  'persistMaxConcurrency',
  'oldestMessageAgeAlarmMinutes',
  'eventMaxAgeSeconds',
  'eventMaxFutureSeconds',
  'previousSecretGraceSeconds',
  'heartbeatHours',
  'ingestReservedConcurrency',
  'inboxVisibilityTimeoutSeconds',
  'webhookWebAclArn',
  'replyBot',
  'optOutStopWords',
  'optOutStartWords',
  'reconcile',
  'reconcileEveryMinutes',
  'reconcileLookBackHours',
  'tableIndexes',
] as const;
export type StackContextKey = (typeof STACK_CONTEXT_KEYS)[number];

/** What the stack builds the construct from, read and checked from the context. */
export interface StackSettings {
  /** Undefined when neither `subscribeWebhook` nor `outbox` is on: no CALLR credentials are needed then. */
  readonly callrCredentialsSecretName?: string;
  /** The full ARN of the credentials secret, when the context gives one instead of a name. */
  readonly callrCredentialsSecretArn?: string;
  /** The customer-managed key the credentials secret is encrypted with, if any. */
  readonly callrCredentialsKmsKeyArn?: string;
  /** The customer-managed key the table and the queues are encrypted with, if any (prop `encryptionKey`). */
  readonly dataKmsKeyArn?: string;
  /** Deploy the example consumer (examples/reply-bot) beside the system: `-c replyBot=true`. */
  readonly replyBot?: boolean;
  /** True when the name is the default because the context named none. */
  readonly usesDefaultCredentialsSecretName: boolean;
  /**
   * Keys that only the subscription uses, set while `subscribeWebhook` is false: left unused, not
   * refused, so that `-c subscribeWebhook=false` works with a cdk.json that names them.
   */
  readonly unusedKeys: readonly StackContextKey[];
  readonly props: Omit<CallrInboundSmsProps, 'callrCredentialsSecret' | 'callrCredentialsKey' | 'encryptionKey'>;
}

/** `-c optOutStopWords=STOP,ARRET` / `-c optOutStartWords=START`: either replaces its defaults. */
function optOutWordsOf(stop: string[] | undefined, start: string[] | undefined): CallrInboundSmsProps['optOutWords'] {
  if (stop === undefined && start === undefined) return undefined;
  return { ...(stop ? { stop } : {}), ...(start ? { start } : {}) };
}

/** Thrown when context values are malformed or contradict each other; lists every problem. */
export class StackContextError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid context for the CALLR inbound SMS stack (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n') +
        '\nSet context values with `cdk deploy -c key=value` or in cdk.json (see docs/infrastructure.md).',
    );
    this.name = 'StackContextError';
  }
}

/** Retention periods CloudWatch Logs offers; "never expire" is left out: every log group here expires. */
const VALID_RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter(
    (value): value is number => typeof value === 'number' && value !== logs.RetentionDays.INFINITE,
  ),
);

/** `retain` keeps the data on update and delete, but not after a failed first deploy. */
const REMOVAL_POLICIES: Record<string, RemovalPolicy> = {
  retain: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  destroy: RemovalPolicy.DESTROY,
};

/**
 * Secrets Manager appends `-` and six random characters to a secret's name in its ARN, and reads an
 * ARN-like name ending the same way as a complete ARN: such a name is not found by name.
 */
const LOOKS_LIKE_SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;
const SECRET_COMPLETE_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * Reads the context into construct props. Context set on the command line arrives as strings,
 * context in cdk.json keeps its JSON type: both are accepted. Malformed values and the construct's
 * own prop problems are reported together.
 */
export function readStackContext(get: (key: StackContextKey) => unknown): StackSettings {
  const problems: string[] = [];
  const reader = new ContextReader(get, problems);

  const subscribeWebhook = reader.boolean('subscribeWebhook');
  const outbox = reader.boolean('outbox');
  const secretName = reader.string('callrCredentialsSecretName');
  const secretArn = reader.string('callrCredentialsSecretArn');
  const keyArn = reader.string('callrCredentialsKmsKeyArn');
  if (secretName !== undefined && LOOKS_LIKE_SECRET_SUFFIX.test(secretName)) {
    problems.push(
      `callrCredentialsSecretName ${JSON.stringify(secretName)} ends in a hyphen and six characters, which Secrets Manager ` +
        'takes for the random suffix of a secret ARN: pass the full ARN as callrCredentialsSecretArn instead',
    );
  }
  if (secretName !== undefined && secretArn !== undefined) {
    problems.push('callrCredentialsSecretName and callrCredentialsSecretArn name the same secret twice: give one of them');
  }
  if (secretArn !== undefined && !SECRET_COMPLETE_ARN.test(secretArn)) {
    problems.push(
      `callrCredentialsSecretArn is ${JSON.stringify(secretArn)}; expected the full ARN of a Secrets Manager secret, ending in ` +
        'its six-character suffix (aws secretsmanager describe-secret --secret-id <name>)',
    );
  }
  if (keyArn !== undefined && !KMS_KEY_ARN.test(keyArn)) {
    problems.push(`callrCredentialsKmsKeyArn is ${JSON.stringify(keyArn)}; expected the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)`);
  }
  const dataKeyArn = reader.string('dataKmsKeyArn');
  if (dataKeyArn !== undefined && !KMS_KEY_ARN.test(dataKeyArn)) {
    problems.push(`dataKmsKeyArn is ${JSON.stringify(dataKeyArn)}; expected the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)`);
  }
  const eventTypes = reader.list('eventTypes');
  const logRetentionDays = reader.number('logRetentionDays');
  if (logRetentionDays !== undefined && !VALID_RETENTION_DAYS.has(logRetentionDays)) {
    problems.push(
      `logRetentionDays is ${logRetentionDays}; CloudWatch Logs accepts ${[...VALID_RETENTION_DAYS].sort((a, b) => a - b).join(', ')}`,
    );
  }
  const removalPolicyName = reader.string('removalPolicy');
  const removalPolicy = removalPolicyName === undefined ? undefined : REMOVAL_POLICIES[removalPolicyName.toLowerCase()];
  if (removalPolicyName !== undefined && removalPolicy === undefined) {
    problems.push(`removalPolicy is ${JSON.stringify(removalPolicyName)}; use ${Object.keys(REMOVAL_POLICIES).join(' or ')}`);
  }
  const oldestMessageAgeMinutes = reader.number('oldestMessageAgeAlarmMinutes');
  const eventMaxAgeSeconds = reader.number('eventMaxAgeSeconds');
  const eventMaxFutureSeconds = reader.number('eventMaxFutureSeconds');
  const previousSecretGraceSeconds = reader.number('previousSecretGraceSeconds');
  if (previousSecretGraceSeconds !== undefined && previousSecretGraceSeconds < 0) {
    // Refused, not made 0: 0 cuts the previous secret off at once, the opposite of a grace.
    problems.push(
      `previousSecretGraceSeconds is ${previousSecretGraceSeconds}; it must not be negative (0 cuts the previous secret off at once)`,
    );
  }
  const inboxVisibilityTimeoutSeconds = reader.number('inboxVisibilityTimeoutSeconds');
  const replyBot = reader.boolean('replyBot');
  if (replyBot && outbox === false) problems.push('replyBot answers through the outbox: leave outbox on (it is by default), or replyBot off');

  const props: StackSettings['props'] = {
    subscribeWebhook,
    outbox,
    // Values are checked against the supported ones by findPropsProblems below.
    eventTypes: eventTypes as HandledEventType[] | undefined,
    hmacAlgorithm: reader.string('hmacAlgorithm') as CallrHmacAlgorithm | undefined,
    signatureHeader: reader.string('signatureHeader'),
    hmacSecretVersion: reader.string('hmacSecretVersion', { allowNumber: true }),
    callrApiUrl: reader.string('callrApiUrl'),
    alarmEmail: reader.string('alarmEmail'),
    throttlingRateLimit: reader.number('throttlingRateLimit'),
    throttlingBurstLimit: reader.number('throttlingBurstLimit'),
    logRetention: logRetentionDays !== undefined && VALID_RETENTION_DAYS.has(logRetentionDays) ? logRetentionDays : undefined,
    removalPolicy,
    persistMaxConcurrency: reader.number('persistMaxConcurrency'),
    oldestMessageAgeAlarmThreshold: durationOf(oldestMessageAgeMinutes, Duration.minutes),
    eventMaxAge: durationOf(eventMaxAgeSeconds, Duration.seconds),
    eventMaxFuture: durationOf(eventMaxFutureSeconds, Duration.seconds),
    previousSecretGrace:
      previousSecretGraceSeconds !== undefined && previousSecretGraceSeconds < 0
        ? undefined
        : durationOf(previousSecretGraceSeconds, Duration.seconds),
    heartbeatHours: reader.number('heartbeatHours'),
    ingestReservedConcurrency: reader.number('ingestReservedConcurrency'),
    inboxVisibilityTimeout: durationOf(inboxVisibilityTimeoutSeconds, Duration.seconds),
    webhookWebAclArn: reader.string('webhookWebAclArn'),
    optOutWords: optOutWordsOf(reader.list('optOutStopWords'), reader.list('optOutStartWords')),
    reconcile: reader.boolean('reconcile'),
    reconcileEvery: durationOf(reader.number('reconcileEveryMinutes'), Duration.minutes),
    reconcileLookBack: durationOf(reader.number('reconcileLookBackHours'), Duration.hours),
    // Checked against the table's index names by findPropsProblems below.
    tableIndexes: reader.list('tableIndexes'),
  };

  // The credentials serve the subscription, the reconciliation sweep and the outbox (both on by default with them).
  const needsCredentials = (subscribeWebhook ?? true) || props.reconcile === true || props.outbox === true;
  const subscriptionOnlyKeys: StackContextKey[] = [
    'callrCredentialsSecretName',
    'callrCredentialsSecretArn',
    'callrCredentialsKmsKeyArn',
    'eventTypes',
    'hmacSecretVersion',
    'callrApiUrl',
  ];
  const unusedKeys = needsCredentials ? [] : subscriptionOnlyKeys.filter((key) => get(key) !== undefined);
  const callrCredentialsSecretName =
    needsCredentials && secretArn === undefined ? (secretName ?? DEFAULT_CALLR_CREDENTIALS_SECRET_NAME) : undefined;
  // The secret is imported by the stack, so the construct's credentials checks are answered here.
  const constructProblems = findPropsProblems({ ...withoutUndefined(props), subscribeWebhook: false, reconcile: undefined, outbox: undefined });
  problems.push(...constructProblems.map(renameToContextKeys));

  if (problems.length > 0) throw new StackContextError(problems);
  return {
    callrCredentialsSecretName,
    ...(needsCredentials && secretArn !== undefined ? { callrCredentialsSecretArn: secretArn } : {}),
    ...(needsCredentials && keyArn !== undefined ? { callrCredentialsKmsKeyArn: keyArn } : {}),
    ...(dataKeyArn !== undefined ? { dataKmsKeyArn: dataKeyArn } : {}),
    ...(replyBot ? { replyBot: true } : {}),
    usesDefaultCredentialsSecretName: needsCredentials && secretName === undefined && secretArn === undefined,
    unusedKeys,
    props: withoutUndefined(props),
  };
}

/** Construct prop names in construct problems → the context keys the operator actually set. */
function renameToContextKeys(problem: string): string {
  return problem
    .replace(/^oldestMessageAgeAlarmThreshold\b/, 'oldestMessageAgeAlarmMinutes')
    .replace(/^eventMaxAge\b/, 'eventMaxAgeSeconds')
    .replace(/^eventMaxFuture\b/, 'eventMaxFutureSeconds')
    .replace(/^previousSecretGrace\b/, 'previousSecretGraceSeconds')
    .replace(/^inboxVisibilityTimeout\b/, 'inboxVisibilityTimeoutSeconds')
    .replace(/^optOutWords\b/, 'optOutStopWords / optOutStartWords')
    .replace(/^reconcileEvery is (\d+) seconds/, (_all, seconds: string) => `reconcileEveryMinutes is ${Number(seconds) / 60} minutes`)
    .replace(/^reconcileLookBack is (\d+) seconds/, (_all, seconds: string) => `reconcileLookBackHours is ${Number(seconds) / 3600} hours`);
}

function durationOf(value: number | undefined, unit: (amount: number) => Duration): Duration | undefined {
  if (value === undefined) return undefined;
  // Duration refuses negative amounts itself; let findPropsProblems word the problem instead.
  return unit(Math.max(value, 0));
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

class ContextReader {
  constructor(
    private readonly get: (key: StackContextKey) => unknown,
    private readonly problems: string[],
  ) {}

  string(key: StackContextKey, options: { allowNumber?: boolean } = {}): string | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (options.allowNumber && typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value !== 'string' || value.trim() === '') {
      this.problems.push(`${key} is ${JSON.stringify(value)}; expected a non-empty string`);
      return undefined;
    }
    return value.trim();
  }

  number(key: StackContextKey): number | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(parsed)) {
      this.problems.push(`${key} is ${JSON.stringify(value)}; expected a number`);
      return undefined;
    }
    return parsed;
  }

  boolean(key: StackContextKey): boolean | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problems.push(`${key} is ${JSON.stringify(value)}; expected true or false`);
    return undefined;
  }

  /** A JSON array of strings, or one comma-separated string (`-c eventTypes=sms.mo,sms.mt.status_update`). */
  list(key: StackContextKey): string[] | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
    if (items === undefined || items.some((item) => typeof item !== 'string')) {
      this.problems.push(`${key} is ${JSON.stringify(value)}; expected a comma-separated string or an array of strings`);
      return undefined;
    }
    return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
  }
}

/**
 * The deployable stack: a thin shell that reads the context, imports the CALLR credentials secret
 * by name and outputs what operators and downstream services need. Environment-agnostic, so
 * `cdk synth` needs no AWS credentials.
 */
export class CallrInboundSmsStack extends Stack {
  readonly system: CallrInboundSms;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const settings = readStackContext((key) => this.node.tryGetContext(key));

    const callrCredentialsSecret =
      settings.callrCredentialsSecretArn !== undefined
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'CallrCredentials', settings.callrCredentialsSecretArn)
        : settings.callrCredentialsSecretName !== undefined
          ? secretsmanager.Secret.fromSecretNameV2(this, 'CallrCredentials', settings.callrCredentialsSecretName)
          : undefined;
    const callrCredentialsKey =
      settings.callrCredentialsKmsKeyArn === undefined
        ? undefined
        : kms.Key.fromKeyArn(this, 'CallrCredentialsKey', settings.callrCredentialsKmsKeyArn);
    if (settings.usesDefaultCredentialsSecretName) {
      Annotations.of(this).addInfo(
        `No callrCredentialsSecretName in the context: the webhook subscription and the outbox read the CALLR credentials from ` +
          `the secret "${DEFAULT_CALLR_CREDENTIALS_SECRET_NAME}", which must exist before deploying ` +
          '(or deploy with -c subscribeWebhook=false).',
      );
    }
    if (settings.unusedKeys.length > 0) {
      Annotations.of(this).addInfo(
        `subscribeWebhook is false, so these context values are not used: ${settings.unusedKeys.join(', ')}.`,
      );
    }

    const encryptionKey = settings.dataKmsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(this, 'DataKey', settings.dataKmsKeyArn);
    if (encryptionKey) {
      // An imported key's policy cannot be changed from here; SNS delivers to the inbox queue only if it allows it.
      Annotations.of(this).addWarning(
        `dataKmsKeyArn: the policy of key ${settings.dataKmsKeyArn} must allow the service principal sns.amazonaws.com ` +
          'kms:GenerateDataKey and kms:Decrypt (with aws:SourceArn the inbox topic), or SNS cannot deliver to the encrypted inbox queue ' +
          'and stored messages never reach downstream (docs/infrastructure.md, encryptionKey).',
      );
    }
    // The example consumer's queue goes into the construct's subscribers, so it exists first; its
    // function needs the outbox queue the construct creates, so it comes after.
    const replyBotQueue = settings.replyBot ? new ReplyBotQueue(this, 'ReplyBotQueue') : undefined;
    const subscribers = [...(settings.props.subscribers ?? []), ...(replyBotQueue ? [replyBotQueue.subscriber] : [])];
    this.system = new CallrInboundSms(this, 'CallrInboundSms', {
      ...settings.props,
      ...(subscribers.length > 0 ? { subscribers } : {}),
      callrCredentialsSecret,
      callrCredentialsKey,
      encryptionKey,
    });
    const { system } = this;
    if (replyBotQueue) {
      if (!system.outboxQueue) {
        throw new StackContextError(['replyBot answers through the outbox, which needs the CALLR credentials: give callrCredentialsSecretName (or leave subscribeWebhook on)']);
      }
      const replyBot = new ReplyBot(this, 'ReplyBot', { queue: replyBotQueue, outboxQueue: system.outboxQueue });
      if (encryptionKey) acknowledgeKeyGrants([replyBot.function]);
    }

    const output = (id: string, value: string, description: string): CfnOutput =>
      new CfnOutput(this, id, { value, description });
    output('WebhookUrl', system.webhookUrl, 'The URL CALLR posts inbound SMS events to');
    output('IngestQueueUrl', system.ingestQueue.queueUrl, 'Queue of verified events waiting to be stored');
    output('IngestQueueArn', system.ingestQueue.queueArn, 'ARN of the ingest queue');
    output('DeadLetterQueueUrl', system.deadLetterQueue.queueUrl, 'Quarantined events and poison records');
    output('DeadLetterQueueArn', system.deadLetterQueue.queueArn, 'ARN of the dead-letter queue');
    output('InboxTopicArn', system.inboxTopic.topicArn, 'SNS topic every stored message is published to once (subscribe more queues to it, with a filter policy)');
    output('InboxQueueUrl', system.inboxQueue.queueUrl, 'Stored, de-duplicated messages for downstream services');
    output('InboxQueueArn', system.inboxQueue.queueArn, 'ARN of the inbox queue (grant downstream consumers on it)');
    output('InboxDeadLetterQueueUrl', system.inboxDeadLetterQueue.queueUrl, 'Inbox messages downstream failed to process');
    output('InboxDeadLetterQueueArn', system.inboxDeadLetterQueue.queueArn, 'ARN of the inbox dead-letter queue');
    if (system.outbox) {
      output('OutboxQueueUrl', system.outbox.outboxQueue.queueUrl, 'Where your services put SMS send requests (docs/outbox-request.schema.json)');
      output('OutboxQueueArn', system.outbox.outboxQueue.queueArn, 'ARN of the outbox queue (grant producers sqs:SendMessage on it)');
      output('OutboxDeadLetterQueueUrl', system.outbox.outboxDeadLetterQueue.queueUrl, 'Outbox requests that were unreadable or never finished');
    }
    output('TableName', system.table.tableName, 'DynamoDB table of messages and delivery statuses');
    output('HmacSecretArn', system.hmacSecret.secretArn, 'Secrets Manager secret CALLR signs webhooks with');
    output('NumberHashKeyArn', system.numberHashKeySecret.secretArn, 'Secrets Manager secret keying the hash of phone numbers (logs, opt-outs, erasure); callr-mo optouts check, erase and number-hash read it');
    output('AlarmTopicArn', system.alarmTopic.topicArn, 'SNS topic the alarms notify');
    output('DashboardUrl', system.dashboardUrl, 'CloudWatch dashboard of this stack');
    if (system.reconcileFunction) {
      output('ReconcileFunctionName', system.reconcileFunction.functionName, 'Lambda of the reconciliation sweep (invoke with {"since": "<ISO>"} for a range)');
    }
  }
}
