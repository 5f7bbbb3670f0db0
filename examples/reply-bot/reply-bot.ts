import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { InboxFilterPolicy } from '../../functions/inbox/filter-policy';
import { INBOX_KINDS } from '../../functions/inbox/message';
import { parseKeyword } from '../../functions/keywords/keyword';
import { DEAD_LETTER_RETENTION_DAYS, MAX_RECEIVE_COUNT } from '../../functions/queues/queue-design';
import { createCallrFunction } from '../../lib/constructs/functions';
import { DEFAULT_REPLY_KEYWORDS, REPLY_BOT_SERVICE_NAME } from './config';

/** Props of {@link ReplyBotQueue}. */
export interface ReplyBotQueueProps {
  /**
   * Keywords answered (the first word of the text, case, accents and punctuation ignored).
   * @default HELP, AIDE
   */
  readonly keywords?: readonly string[];
  /** @default RemovalPolicy.DESTROY: an example keeps nothing that matters */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reply bot's own queue and its dead-letter queue, and the subscription it asks of the inbox.
 * Apart from {@link ReplyBot} because the two meet the CallrInboundSms construct from both sides:
 * the queue goes into its `subscribers` (so it exists first), the function needs its outbox queue
 * (so it comes after).
 */
export class ReplyBotQueue extends Construct {
  /** The inbox topic delivers to it (raw) what the filter lets through. */
  readonly queue: sqs.Queue;
  /** Messages the bot failed MAX_RECEIVE_COUNT times (a body that breaks the schema, say). */
  readonly deadLetterQueue: sqs.Queue;
  /** Normalised. */
  readonly keywords: readonly string[];
  /** For CallrInboundSms's `subscribers`: this queue, and only inbound SMS with one of the keywords. */
  readonly subscriber: { readonly queue: sqs.IQueue; readonly filter: InboxFilterPolicy };

  constructor(scope: Construct, id: string, props: ReplyBotQueueProps = {}) {
    super(scope, id);
    this.keywords = (props.keywords ?? DEFAULT_REPLY_KEYWORDS).map((word) => {
      const keyword = parseKeyword(word);
      if (keyword === null) throw new Error(`ReplyBot keywords: "${word}" is not one word`);
      return keyword;
    });
    const queueDefaults = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS) });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...queueDefaults,
      // Six times the function's timeout, as AWS advises for a Lambda event source.
      visibilityTimeout: Duration.seconds(6 * REPLY_BOT_TIMEOUT_SECONDS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.subscriber = { queue: this.queue, filter: { kind: [INBOX_KINDS.inbound], keyword: this.keywords } };
  }
}

const REPLY_BOT_TIMEOUT_SECONDS = 10;

/** Props of {@link ReplyBot}. */
export interface ReplyBotProps {
  /** Its queue, already given to CallrInboundSms's `subscribers`. */
  readonly queue: ReplyBotQueue;
  /** The outbox queue of the CallrInboundSms construct: where the answers go. */
  readonly outboxQueue: sqs.IQueue;
  /** @default DEFAULT_HELP_TEXT (examples/reply-bot/config.ts) */
  readonly helpText?: string;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An example downstream service (examples/reply-bot/README.md): a Lambda on its own queue
 * ({@link ReplyBotQueue}) that answers a HELP through the outbox queue, and may do nothing else.
 */
export class ReplyBot extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: ReplyBotProps) {
    super(scope, id);
    this.function = createCallrFunction(this, 'Function', {
      entry: path.join(__dirname, 'handler.ts'),
      serviceName: REPLY_BOT_SERVICE_NAME,
      description: 'Example consumer: answers an inbound HELP through the outbox',
      timeout: Duration.seconds(REPLY_BOT_TIMEOUT_SECONDS),
      memorySize: 256,
      environment: {
        OUTBOX_QUEUE_URL: props.outboxQueue.queueUrl,
        REPLY_BOT_KEYWORDS: props.queue.keywords.join(','),
        ...(props.helpText !== undefined ? { REPLY_BOT_HELP_TEXT: props.helpText } : {}),
      },
      logs: { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY },
    });
    props.outboxQueue.grantSendMessages(this.function);
    this.function.addEventSource(new SqsEventSource(props.queue.queue, { batchSize: 10, reportBatchItemFailures: true }));
  }
}
