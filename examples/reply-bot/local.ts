import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { createObservability } from '../../functions/observability/observability';
import { DEAD_LETTER_RETENTION_DAYS, MAX_RECEIVE_COUNT } from '../../functions/queues/queue-design';
import { localLambdaContext } from '../../local/lambda-context';
import { createQueue, queueArn, subscribeToInbox } from '../../local/provision';
import { startSqsEventSource } from '../../local/sqs-event-source';
import { REPLY_BOT_SERVICE_NAME, type ReplyBotConfig } from './config';
import { createReplyBotHandler } from './create-reply-bot-handler';
import { INBOX_KINDS } from '../../functions/inbox/message';

/**
 * The reply bot on a local pipeline, as the ReplyBotQueue and ReplyBot constructs deploy it: its own
 * queue (with a dead-letter queue) subscribed to the inbox topic with the same filter, and its
 * handler run on that queue by local mode's Lambda-like poller.
 */
export interface LocalReplyBotOptions {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly region: string;
  readonly inboxTopicArn: string;
  readonly config: ReplyBotConfig;
  /** Queue names get it appended, so that several bots (tests) can share an emulator. @default '' */
  readonly nameSuffix?: string;
}

export interface LocalReplyBot {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Resolves once the bot's queue is empty and no batch is in flight. */
  idle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalReplyBot(options: LocalReplyBotOptions): Promise<LocalReplyBot> {
  const suffix = options.nameSuffix ?? '';
  const deadLetterQueueUrl = await createQueue(options.sqs, `callr-reply-bot-dead-letter${suffix}`, {
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_DAYS * 24 * 3600),
  });
  const queueUrl = await createQueue(options.sqs, `callr-reply-bot${suffix}`, {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(options.sqs, deadLetterQueueUrl), maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  await subscribeToInbox(options.sns, options.sqs, {
    topicArn: options.inboxTopicArn,
    queueUrl,
    filter: { kind: [INBOX_KINDS.inbound], keyword: [...options.config.keywords] },
  });
  const observability = createObservability(REPLY_BOT_SERVICE_NAME);
  const handler = withLambdaMiddleware(createReplyBotHandler({ config: options.config, sqs: options.sqs, ...observability }), observability);
  const poller = await startSqsEventSource({
    sqs: options.sqs,
    queueUrl,
    region: options.region,
    handler: (event) => handler(event, localLambdaContext(REPLY_BOT_SERVICE_NAME, options.region, 10_000)),
  });
  return {
    queueUrl,
    deadLetterQueueUrl,
    idle: (timeoutMs) => poller.idle(timeoutMs),
    stop: () => poller.stop(),
  };
}
