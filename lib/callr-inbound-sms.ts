import { type CustomResource, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { HANDLED_EVENT_TYPES, type HandledEventType } from '../functions/callr/events';
import { findFilterPolicyProblems } from '../functions/inbox/filter-policy';
import { CALLR_HMAC_ALGORITHMS, isHttpHeaderName, type CallrHmacAlgorithm } from '../functions/callr/signature';
import { DEFAULT_START_WORDS, DEFAULT_STOP_WORDS, optOutWords } from '../functions/optouts/words';
import type { LogGroupSettings } from './constructs/functions';
import { WebhookFrontDoor } from './constructs/flood-protection';
import { InboxFanOut, type InboxSubscriber } from './constructs/inbox';
import { WebhookIntake } from './constructs/intake';
import { MessageStore } from './constructs/message-store';
import { Monitoring, type CallrInboundSmsAlarms } from './constructs/monitoring';
import { Outbox } from './constructs/outbox';
import { findRetentionProblems, NumberHashKey, type RetentionProps } from './constructs/privacy';
import { CallrQueues } from './constructs/queues';
import { findReconcileProblems, reconcileEveryOf, reconcileLookBackOf, Reconciliation, type ReconcileSettings } from './constructs/reconcile';
import { WebhookSubscription } from './constructs/webhook-subscription';
import { parseTableIndexNames } from '../functions/messages/table-indexes';

export { CLOUDFRONT_WAF_REGION, WebhookRateLimitAcl, type WebhookRateLimitAclProps } from './constructs/flood-protection';
export type { InboxSubscriber } from './constructs/inbox';
export type { InboxFilterPolicy, InboxFilterCondition } from '../functions/inbox/filter-policy';
export { WEBHOOK_PATH } from './constructs/intake';
export { PERSIST_TABLE_ACTIONS } from './constructs/message-store';
export type { CallrInboundSmsAlarms } from './constructs/monitoring';
export { SENDER_TABLE_ACTIONS, type OutboxAlarms } from './constructs/outbox';
export { RECONCILE_EVERY_DEFAULT, RECONCILE_LOOK_BACK_DEFAULT, RECONCILE_TABLE_ACTIONS, reconcileLookBackOf } from './constructs/reconcile';
export { minimumRetention, NumberHashKey, RETENTION_MARGIN, retentionEnvironment, type RetentionProps } from './constructs/privacy';
export { WEBHOOK_RESOURCE_TYPE, WEBHOOK_SERVICE_TIMEOUT } from './constructs/webhook-subscription';

/** {@link CallrInboundSmsProps.optOutWords}. */
export interface OptOutWordsProps {
  readonly stop?: readonly string[];
  readonly start?: readonly string[];
}

/** Props of {@link CallrInboundSms}. Every prop is optional except where `subscribeWebhook` needs one. */
export interface CallrInboundSmsProps extends ReconcileSettings {
  /**
   * Register the webhook at CALLR (`webhooks.subscribe`, one subscription per event type) and
   * unregister it on delete. Turn it off to deploy the pipeline before a CALLR account exists, or to
   * register the webhook by hand.
   * @default true
   */
  readonly subscribeWebhook?: boolean;

  /**
   * The existing Secrets Manager secret holding the CALLR API credentials, as JSON
   * `{"apiKey": "..."}` or `{"login": "...", "password": "..."}`. The subscription custom resource
   * and the outbox's sender read it, by ARN. Required when `subscribeWebhook` or `outbox` is true.
   * @default - none
   */
  readonly callrCredentialsSecret?: secretsmanager.ISecret;

  /**
   * The outbox: a queue your services put send requests on (`{ requestId, to, text, userData?,
   * nature? }`), and a sender Lambda that sends each at most once through CALLR, with our webhook as
   * the SMS's per-SMS webhook, and puts the outcome on the inbox. Needs `callrCredentialsSecret`.
   * @default - true when `callrCredentialsSecret` is given
   */
  readonly outbox?: boolean;

  /**
   * How far back an inbound message looks for the outbox SMS it replies to (`inReplyTo`): the most
   * recent one sent to its sender within this window (whole seconds, at least one).
   * @default Duration.days(7)
   */
  readonly threadingWindow?: Duration;

  /**
   * The indexes of the messages table, by name, to upgrade a table deployed before some of them:
   * CloudFormation adds one index per stack update, so such a table gets them one deploy at a time
   * (docs/table-design.md, "Deploying it onto an existing table"). `bySender` and `byRecipient` are
   * always there, named or not. Without `byOutboundRecipient` replies get no `inReplyTo`; without
   * `byKeyword` or `byNumberHash` the keyword listing and the erasure refuse, naming it. Their keys
   * are written all along, so an index added later is backfilled.
   * @default - every index (TABLE_INDEXES)
   */
  readonly tableIndexes?: readonly string[];

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
   * The request header the ingest reads CALLR's signature from (`HMAC_SIGNATURE_HEADER`). A setting
   * because CALLR has not documented how REST v2 deliveries are signed; JSON-RPC webhooks use the default.
   * @default 'X-CALLR-HmacSignature'
   */
  readonly signatureHeader?: string;

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
   * Flood protection, opt in: the ARN of a WAFv2 web ACL of scope CLOUDFRONT (created in us-east-1,
   * e.g. by {@link WebhookRateLimitAcl}). A CloudFront distribution with that web ACL is put in front
   * of the HTTP API and CALLR is subscribed to its URL. See docs/threat-model.md for the options.
   * @default - no distribution: CALLR posts to the HTTP API, protected by the stage throttling only
   */
  readonly webhookWebAclArn?: string;

  /**
   * Retention of every log group the construct creates (Lambdas, API access logs, provider).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the data — the messages table, the queues (which can hold authentic events
   * not yet stored or not yet handled) and the log groups — when it leaves the stack or the stack is
   * deleted. The default keeps them on update and delete, but not when the first deploy fails, so
   * that a failed create leaves nothing behind. A retained table is also protected from deletion.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Most persister instances the ingest queue's event source runs at once (2–1000), so that
   * draining a backlog cannot take the account's whole concurrency and throttle the ingest into 5xx.
   * @default 50
   */
  readonly persistMaxConcurrency?: number;

  /**
   * Lambda concurrency reserved for the ingest (it then always has that much, and never more).
   * @default - none: the ingest shares the account's unreserved concurrency
   */
  readonly ingestReservedConcurrency?: number;

  /**
   * How long a message received from the inbox queue stays hidden from other consumers: at least
   * your consumer's timeout (six times it for a Lambda event source).
   * @default Duration.seconds(30)
   */
  readonly inboxVisibilityTimeout?: Duration;

  /**
   * The words that opt a sender out of SMS from the number it wrote to (`stop`), and back in
   * (`start`). Only a text that is exactly one of them, once case, accents and punctuation are
   * ignored, changes the opt-out registry; a near miss ("stop svp") is flagged `suspectedOptOut`
   * on the message. Either list given replaces its defaults.
   * @default stop: STOP, STOP SMS, STOPALL, ARRET, UNSUBSCRIBE, CANCEL, END, QUIT; start: START, UNSTOP, YES
   */
  readonly optOutWords?: OptOutWordsProps;

  /**
   * More downstream services, each with its own queue: every inbox message is published once to
   * the inbox topic, and each queue here is subscribed to it (raw delivery) beside the inbox
   * queue, through its optional filter policy on the message attributes (`kind`, `keyword`, `to`,
   * `schemaVersion`, `messageId`), e.g. `{ queue, filter: { kind: ['sms.mo'], keyword: ['HELP'] } }`.
   * Competing consumers of one queue each get part of the messages; services that each need all
   * (or all of a kind) need a queue each. See docs/infrastructure.md#fan-out.
   * @default - none: the inbox queue only
   */
  readonly subscribers?: readonly InboxSubscriber[];

  /**
   * The customer-managed KMS key `callrCredentialsSecret` is encrypted with, if it is: the
   * subscription Lambda gets `kms:Decrypt` on it, through Secrets Manager only.
   * @default - the secret uses the AWS managed key, nothing to grant
   */
  readonly callrCredentialsKey?: kms.IKey;

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
   * Alarm when the oldest message waiting in the inbox queue (for your consumers) is older than this.
   * @default Duration.hours(1)
   */
  readonly oldestInboxMessageAgeAlarmThreshold?: Duration;

  /**
   * Heartbeat: alarm when no event was accepted for this many hours (a whole number, 1–24; missing
   * data counts as silence). The most likely failure of a webhook is that it stops being called.
   * 0 turns the heartbeat off, for numbers that are quiet for days.
   * @default 24
   */
  readonly heartbeatHours?: number;

  /**
   * Alarm when more than this percentage of requests get a 4xx answer (2 of 3 five-minute periods,
   * from 20 requests per period).
   * @default 10
   */
  readonly clientErrorRateAlarmPercent?: number;

  /**
   * Alarm when more than this percentage of requests are throttled (429) in 5 minutes.
   * @default 1
   */
  readonly throttledRateAlarmPercent?: number;

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

  /**
   * How long each kind of item is kept — `inboundMessages`, `statuses`, `outboundRecords`,
   * `optOutEvidence`, each apart — enforced by DynamoDB TTL (`expiresAt`, set when the item is
   * written; DynamoDB deletes within days of expiry). Each at least the reconcile look-back or
   * `eventMaxAge`, whichever is longer, plus a day: removed sooner, a message could come back and be
   * stored and forwarded twice. Erasure of one person's items: `callr-mo erase` (docs/operations.md).
   * @default - every kind kept until erased
   */
  readonly retention?: RetentionProps;

  /**
   * A customer-managed KMS key the messages table and the four queues are encrypted with (instead
   * of the AWS owned key and SSE-SQS), for a team that must hold, rotate, audit or revoke the key
   * of its messages. The construct's Lambdas are granted its use (through IAM: the key policy must
   * let the account's IAM policies decide, as a key's default policy does). Your inbox consumers
   * need `kms:Decrypt` on it too. Changing it on a deployed table re-encrypts it online; the queues
   * take the new key for new messages.
   * @default - the table with the AWS owned key, the queues with SQS-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
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
  removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  persistMaxConcurrency: 50,
  oldestMessageAgeAlarmThreshold: Duration.minutes(15),
  oldestInboxMessageAgeAlarmThreshold: Duration.hours(1),
  signatureRejectionsAlarmThreshold: 10,
  heartbeatHours: 24,
  clientErrorRateAlarmPercent: 10,
  throttledRateAlarmPercent: 1,
} as const;

/** A web ACL for CloudFront: WAFv2, global scope, in us-east-1. */
const CLOUDFRONT_WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[^/]+\/[^/]+$/;

/** The longest heartbeat: CloudWatch evaluates at most one day of hourly datapoints. */
const MAX_HEARTBEAT_HOURS = 24;

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
  const outbox = props.outbox ?? props.callrCredentialsSecret !== undefined;
  if (outbox && !props.callrCredentialsSecret) {
    problems.push('callrCredentialsSecret is required when outbox is true: the sender sends through CALLR with it');
  }
  // The reconciliation sweep and the outbox use the credentials too: only with all three off is the secret unused.
  if (!subscribeWebhook && props.reconcile === false && props.outbox === false && props.callrCredentialsSecret) {
    problems.push('callrCredentialsSecret is given but subscribeWebhook, reconcile and outbox are false: nothing would use it');
  }
  if (!props.callrCredentialsSecret && props.callrCredentialsKey) {
    problems.push('callrCredentialsKey is given without callrCredentialsSecret: nothing would use it');
  }
  problems.push(...findReconcileProblems({ ...props, hasCallrCredentials: props.callrCredentialsSecret !== undefined }));

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
  if (props.signatureHeader !== undefined && known(props.signatureHeader) && !isHttpHeaderName(props.signatureHeader)) {
    problems.push(`signatureHeader is "${props.signatureHeader}"; it must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~, no spaces or colon)`);
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

  const reserved = props.ingestReservedConcurrency;
  if (reserved !== undefined && known(reserved) && !(Number.isInteger(reserved) && reserved >= 1)) {
    problems.push(`ingestReservedConcurrency is ${reserved}; it must be a whole number of instances, at least 1 (0 would stop the webhook)`);
  }
  const inboxVisibility = props.inboxVisibilityTimeout;
  if (inboxVisibility !== undefined && !inboxVisibility.isUnresolved() && inboxVisibility.toSeconds() > 12 * 3600) {
    problems.push(`inboxVisibilityTimeout is ${inboxVisibility.toSeconds()} seconds; SQS accepts 0 to 43200 seconds (12 hours)`);
  }
  const heartbeat = props.heartbeatHours;
  if (heartbeat !== undefined && known(heartbeat) && !(Number.isInteger(heartbeat) && heartbeat >= 0 && heartbeat <= MAX_HEARTBEAT_HOURS)) {
    problems.push(`heartbeatHours is ${heartbeat}; it must be a whole number of hours from 0 (off) to ${MAX_HEARTBEAT_HOURS}`);
  }
  for (const [name, percent] of [
    ['clientErrorRateAlarmPercent', props.clientErrorRateAlarmPercent],
    ['throttledRateAlarmPercent', props.throttledRateAlarmPercent],
  ] as const) {
    if (percent !== undefined && known(percent) && !(Number.isFinite(percent) && percent > 0 && percent < 100)) {
      problems.push(`${name} is ${percent}; it must be a percentage above 0 and below 100`);
    }
  }

  (props.subscribers ?? []).forEach((subscriber, index) => {
    if (subscriber.filter !== undefined) problems.push(...findFilterPolicyProblems(subscriber.filter, `subscribers[${index}].filter`));
  });
  const subscribed = (props.subscribers ?? []).map((subscriber) => subscriber.queue.node.path);
  const twice = subscribed.filter((path, index) => subscribed.indexOf(path) !== index);
  if (twice.length > 0) {
    problems.push(`subscribers lists the queue ${[...new Set(twice)].join(', ')} more than once; give it one filter that covers both (a list of values, or $or)`);
  }

  if (props.webhookWebAclArn !== undefined && known(props.webhookWebAclArn) && !CLOUDFRONT_WEB_ACL_ARN.test(props.webhookWebAclArn)) {
    problems.push(
      `webhookWebAclArn is ${JSON.stringify(props.webhookWebAclArn)}; it must be a WAFv2 web ACL for CloudFront, created in ` +
        'us-east-1 (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)',
    );
  }

  if (props.alarmEmail !== undefined && known(props.alarmEmail) && !EMAIL_PATTERN.test(props.alarmEmail)) {
    problems.push(`alarmEmail is ${JSON.stringify(props.alarmEmail)}; it must be an email address`);
  }

  const ageThreshold = props.oldestMessageAgeAlarmThreshold;
  if (ageThreshold !== undefined && !ageThreshold.isUnresolved() && ageThreshold.toSeconds() < 60) {
    problems.push('oldestMessageAgeAlarmThreshold must be at least one minute (SQS reports the age once a minute)');
  }
  const inboxAgeThreshold = props.oldestInboxMessageAgeAlarmThreshold;
  if (inboxAgeThreshold !== undefined && !inboxAgeThreshold.isUnresolved() && inboxAgeThreshold.toSeconds() < 60) {
    problems.push('oldestInboxMessageAgeAlarmThreshold must be at least one minute (SQS reports the age once a minute)');
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
  if (props.tableIndexes !== undefined) parseTableIndexNames(props.tableIndexes, 'tableIndexes', problems);
  const threadingWindow = props.threadingWindow;
  if (threadingWindow !== undefined && !threadingWindow.isUnresolved() && !(threadingWindow.toMilliseconds() % 1000 === 0 && threadingWindow.toMilliseconds() >= 1000)) {
    problems.push('threadingWindow must be a whole number of seconds, at least one');
  }
  problems.push(
    ...findRetentionProblems(props.retention, {
      reconcileLookBack: reconcileLookBackOf(props),
      eventMaxAge: props.eventMaxAge,
    }),
  );
  const grace = props.previousSecretGrace;
  if (grace !== undefined && !grace.isUnresolved() && grace.toSeconds() < 0) {
    problems.push('previousSecretGrace must not be negative');
  }
  if (props.optOutWords !== undefined) {
    const words = [...(props.optOutWords.stop ?? []), ...(props.optOutWords.start ?? [])];
    if (words.some((word) => Token.isUnresolved(word))) {
      problems.push('optOutWords must be plain strings, known at synth (they are checked and normalised then)');
    } else if (words.some((word) => word.includes(','))) {
      problems.push(`optOutWords must not contain commas (the persister reads them as a comma-separated list): ${JSON.stringify(words.filter((word) => word.includes(',')))}`);
    } else {
      try {
        optOutWords({ stop: props.optOutWords.stop ?? DEFAULT_STOP_WORDS, start: props.optOutWords.start ?? DEFAULT_START_WORDS });
      } catch (error) {
        problems.push(`optOutWords: ${(error as Error).message}`);
      }
    }
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

/**
 * The whole CALLR inbound SMS system: HTTP API → ingest Lambda (verifies CALLR's signature) →
 * ingest queue → persist Lambda → DynamoDB table and inbox topic → inbox queue (and your
 * `subscribers`), the HMAC secret, the CALLR webhook
 * subscriptions, and the alarms. See docs/infrastructure.md.
 *
 * It checks all props together, then composes its parts, each in lib/constructs/: the queues, the
 * inbox fan-out, the message store (table and persister), the intake (HTTP API and ingest), the webhook subscription,
 * and the monitoring, which takes the parts it watches. Each part's resources are exposed here too.
 */
export class CallrInboundSms extends Construct {
  readonly queues: CallrQueues;
  /** The inbox topic and its subscriptions. */
  readonly inbox: InboxFanOut;
  /** The key of the phone numbers' keyed hash; `grantTo(fn)` lets a Lambda of yours hash numbers the same way. */
  readonly numberHashKey: NumberHashKey;
  readonly store: MessageStore;
  readonly intake: WebhookIntake;
  /** Undefined when `subscribeWebhook` is false. */
  readonly subscription?: WebhookSubscription;
  /** The reconciliation sweep; undefined when `reconcile` is off (or no credentials secret is given). */
  readonly reconciliation?: Reconciliation;
  readonly monitoring: Monitoring;
  /** The CloudFront distribution behind the web ACL; undefined without `webhookWebAclArn`. */
  readonly frontDoor?: WebhookFrontDoor;
  /** The outbox and its sender; undefined when `outbox` is false. */
  readonly outbox?: Outbox;
  /** Where your services put send requests (docs/outbox-request.schema.json); undefined without outbox. */
  readonly outboxQueue?: sqs.Queue;
  readonly senderFunction?: NodejsFunction;

  readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage, with throttling and access logs. */
  readonly stage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** The URL CALLR posts to: the API endpoint (or the distribution's, with `webhookWebAclArn`) + `/webhooks/callr`. */
  readonly webhookUrl: string;

  readonly ingestFunction: NodejsFunction;
  readonly persistFunction: NodejsFunction;
  /** The subscription custom resource's handler; undefined when `subscribeWebhook` is false. */
  readonly subscriptionFunction?: NodejsFunction;
  readonly subscriptionProvider?: Provider;
  /** The reconcile Lambda; undefined without reconciliation. */
  readonly reconcileFunction?: NodejsFunction;
  /** One per event type, in `eventTypes` order; empty when `subscribeWebhook` is false. */
  readonly webhookSubscriptions: readonly CustomResource[];

  readonly ingestQueue: sqs.Queue;
  /** Where authentic but unusable events, poison records and exhausted retries end up. */
  readonly deadLetterQueue: sqs.Queue;
  /** What the persister publishes each stored message to, once; `inboxQueue` and every subscriber are subscribed. */
  readonly inboxTopic: sns.Topic;
  /** Canonical, de-duplicated messages for downstream services, delivered from the inbox topic once they are stored. */
  readonly inboxQueue: sqs.Queue;
  /** Receives inbox messages that downstream consumers failed `MAX_RECEIVE_COUNT` times. */
  readonly inboxDeadLetterQueue: sqs.Queue;

  readonly table: dynamodb.TableV2;
  /** The HMAC key CALLR signs with: a generated plain-string secret. */
  readonly hmacSecret: secretsmanager.Secret;
  /** The key of the phone numbers' keyed hash: a generated plain-string secret, never rotated. */
  readonly numberHashKeySecret: secretsmanager.Secret;

  readonly alarmTopic: sns.Topic;
  readonly alarms: CallrInboundSmsAlarms;
  readonly dashboard: cloudwatch.Dashboard;
  /** The dashboard in the CloudWatch console. */
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: CallrInboundSmsProps = {}) {
    super(scope, id);
    const problems = findPropsProblems(props);
    if (problems.length > 0) throw new CallrInboundSmsPropsError(problems);

    const subscribeWebhook = props.subscribeWebhook ?? DEFAULTS.subscribeWebhook;
    const removalPolicy = props.removalPolicy ?? DEFAULTS.removalPolicy;
    const logSettings: LogGroupSettings = { retention: props.logRetention ?? DEFAULTS.logRetention, removalPolicy };
    const hmacAlgorithm = props.hmacAlgorithm ?? DEFAULTS.hmacAlgorithm;

    this.queues = new CallrQueues(this, {
      removalPolicy,
      inboxVisibilityTimeout: props.inboxVisibilityTimeout,
      encryptionKey: props.encryptionKey,
    });
    this.inbox = new InboxFanOut(this, { queues: this.queues, subscribers: props.subscribers });
    this.inboxTopic = this.inbox.inboxTopic;
    this.numberHashKey = new NumberHashKey(this, { removalPolicy });
    this.store = new MessageStore(this, {
      queues: this.queues,
      inbox: this.inbox,
      removalPolicy,
      logs: logSettings,
      persistMaxConcurrency: props.persistMaxConcurrency ?? DEFAULTS.persistMaxConcurrency,
      threadingWindow: props.threadingWindow,
      tableIndexes: props.tableIndexes,
      retention: props.retention,
      encryptionKey: props.encryptionKey,
      optOutWords: props.optOutWords,
    });
    this.numberHashKey.grantTo(this.store.persistFunction);
    this.intake = new WebhookIntake(this, {
      queues: this.queues,
      hmacAlgorithm,
      signatureHeader: props.signatureHeader,
      throttlingRateLimit: props.throttlingRateLimit ?? DEFAULTS.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit ?? DEFAULTS.throttlingBurstLimit,
      logs: logSettings,
      eventMaxAge: props.eventMaxAge,
      eventMaxFuture: props.eventMaxFuture,
      previousSecretGrace: props.previousSecretGrace,
      ingestReservedConcurrency: props.ingestReservedConcurrency,
    });
    if (props.webhookWebAclArn !== undefined) {
      this.frontDoor = new WebhookFrontDoor(this, { intake: this.intake, webAclArn: props.webhookWebAclArn });
    }
    this.webhookUrl = this.frontDoor?.webhookUrl ?? this.intake.webhookUrl;
    if (subscribeWebhook && props.callrCredentialsSecret) {
      this.subscription = new WebhookSubscription(this, {
        intake: this.intake,
        endpoint: this.webhookUrl,
        frontDoor: this.frontDoor,
        callrCredentialsSecret: props.callrCredentialsSecret,
        callrCredentialsKey: props.callrCredentialsKey,
        eventTypes: props.eventTypes ?? DEFAULTS.eventTypes,
        hmacAlgorithm,
        hmacSecretVersion: props.hmacSecretVersion ?? DEFAULTS.hmacSecretVersion,
        logs: logSettings,
        callrApiUrl: props.callrApiUrl,
      });
    }
    if ((props.reconcile ?? true) && props.callrCredentialsSecret) {
      this.reconciliation = new Reconciliation(this, {
        queues: this.queues,
        store: this.store,
        numberHashKey: this.numberHashKey,
        callrCredentialsSecret: props.callrCredentialsSecret,
        callrCredentialsKey: props.callrCredentialsKey,
        every: reconcileEveryOf(props),
        lookBack: reconcileLookBackOf(props),
        logs: logSettings,
        callrApiUrl: props.callrApiUrl,
      });
    }
    this.monitoring = new Monitoring(this, {
      queues: this.queues,
      inbox: this.inbox,
      intake: this.intake,
      store: this.store,
      subscription: this.subscription,
      reconciliation: this.reconciliation,
      oldestMessageAgeAlarmThreshold: props.oldestMessageAgeAlarmThreshold ?? DEFAULTS.oldestMessageAgeAlarmThreshold,
      oldestInboxMessageAgeAlarmThreshold: props.oldestInboxMessageAgeAlarmThreshold ?? DEFAULTS.oldestInboxMessageAgeAlarmThreshold,
      signatureRejectionsAlarmThreshold: props.signatureRejectionsAlarmThreshold ?? DEFAULTS.signatureRejectionsAlarmThreshold,
      heartbeatHours: props.heartbeatHours ?? DEFAULTS.heartbeatHours,
      clientErrorRateAlarmPercent: props.clientErrorRateAlarmPercent ?? DEFAULTS.clientErrorRateAlarmPercent,
      throttledRateAlarmPercent: props.throttledRateAlarmPercent ?? DEFAULTS.throttledRateAlarmPercent,
      alarmEmail: props.alarmEmail,
    });

    if (props.outbox ?? props.callrCredentialsSecret !== undefined) {
      this.outbox = new Outbox(this, {
        inbox: this.inbox,
        encryptionKey: props.encryptionKey,
        retention: props.retention,
        store: this.store,
        webhookUrl: this.webhookUrl,
        // findPropsProblems refused an outbox without it.
        callrCredentialsSecret: props.callrCredentialsSecret!,
        callrCredentialsKey: props.callrCredentialsKey,
        callrApiUrl: props.callrApiUrl,
        alarmTopic: this.monitoring.alarmTopic,
        removalPolicy,
        logs: logSettings,
      });
      this.outboxQueue = this.outbox.outboxQueue;
      this.senderFunction = this.outbox.senderFunction;
      // The opt-out registry is keyed on the numbers' keyed hash.
      this.numberHashKey.grantTo(this.outbox.senderFunction);
    }

    ({
      deadLetterQueue: this.deadLetterQueue,
      ingestQueue: this.ingestQueue,
      inboxDeadLetterQueue: this.inboxDeadLetterQueue,
      inboxQueue: this.inboxQueue,
    } = this.queues);
    ({ table: this.table, persistFunction: this.persistFunction } = this.store);
    this.numberHashKeySecret = this.numberHashKey.secret;
    ({
      hmacSecret: this.hmacSecret,
      ingestFunction: this.ingestFunction,
      httpApi: this.httpApi,
      stage: this.stage,
      accessLogGroup: this.accessLogGroup,
    } = this.intake);
    this.subscriptionFunction = this.subscription?.subscriptionFunction;
    this.subscriptionProvider = this.subscription?.subscriptionProvider;
    this.webhookSubscriptions = this.subscription?.webhookSubscriptions ?? [];
    this.reconcileFunction = this.reconciliation?.reconcileFunction;
    ({ alarmTopic: this.alarmTopic, alarms: this.alarms, dashboard: this.dashboard, dashboardUrl: this.dashboardUrl } = this.monitoring);
    // Every Lambda of the construct that sends to a queue or uses the table is granted the key.
    if (props.encryptionKey) acknowledgeKeyGrants(this.node.findAll().filter((child): child is NodejsFunction => child instanceof NodejsFunction));
  }
}

/**
 * With a customer-managed key, the grants that let a Lambda send to an encrypted queue or use the
 * encrypted table (CDK's `grantSendMessages`, `grantEncryptDecrypt`) name KMS's action families.
 * Acknowledged on every Lambda role of the construct: the ones that got no such grant have nothing
 * to acknowledge, and a Lambda added later is covered.
 */
export function acknowledgeKeyGrants(functions: readonly NodejsFunction[]): void {
  for (const fn of functions) {
    if (!fn.role) continue;
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          `${action} is a family of KMS actions (GenerateDataKey and its WithoutPlaintext form; ReEncryptFrom and ReEncryptTo) ` +
          'that SQS and DynamoDB use to encrypt messages and items, granted on the one customer-managed key of the table and queues only.',
      });
    }
  }
}
