import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeIssues } from '../../functions/callr/events';
import { InboundMessage } from '../../functions/messages/inbound-message';
import { sendToQueue } from '../../functions/queues/send';
import { toSqsSafeJson } from '../../functions/queues/sqs-safe-json';
import type { ReplyBotConfig } from './config';
import { decideReply } from './reply';

/**
 * The reply bot's Lambda: consumes its own queue, subscribed to the inbox topic (raw delivery,
 * filtered on `kind` and `keyword`), checks each message against the published schema, and answers
 * through the outbox. A record that is no inbound SMS is skipped; one that claims to be and does
 * not validate is thrown back, and its queue's dead-letter queue keeps it after a few receives.
 */

export interface ReplyBotDependencies {
  readonly config: ReplyBotConfig;
  readonly sqs: SQSClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type ReplyBotOutcome = 'replied' | 'not_a_keyword' | 'sender_not_reachable' | 'not_inbound';

/** A body that says it is an inbound SMS and is not one by the schema: never retried into shape. */
export class NotAnInboundMessageError extends Error {
  constructor(readonly detail: string) {
    super(`not an inbound message by docs/message.schema.json: ${detail}`);
    this.name = 'NotAnInboundMessageError';
  }
}

export function createReplyBotHandler(deps: ReplyBotDependencies): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  async function handleRecord(record: SQSRecord): Promise<ReplyBotOutcome> {
    const message = readInboundMessage(record.body);
    const outcome: ReplyBotOutcome = message === undefined ? 'not_inbound' : await answer(message);
    deps.metrics.addMetric(outcome, MetricUnit.Count, 1);
    deps.logger.info(`message ${outcome}`, { messageId: message?.id ?? record.messageId });
    return outcome;
  }

  async function answer(message: InboundMessage): Promise<ReplyBotOutcome> {
    const decision = decideReply(message, deps.config);
    if (!decision.reply) return decision.why;
    await sendToQueue(deps.sqs, deps.config.outboxQueueUrl, { MessageBody: toSqsSafeJson(decision.request), MessageAttributes: {} });
    return 'replied';
  }

  return async (event, context) => processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), { context });
}

/** The message, or undefined for another kind of inbox message (an outbox outcome, a status). */
function readInboundMessage(body: string): InboundMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new NotAnInboundMessageError('the body is not JSON');
  }
  const kind = json && typeof json === 'object' ? (json as { kind?: unknown }).kind : undefined;
  // Bodies without `kind` were written before the inbox carried other kinds: inbound SMS.
  if (kind !== undefined && kind !== 'sms.mo') return undefined;
  const parsed = InboundMessage.safeParse(json);
  if (!parsed.success) throw new NotAnInboundMessageError(describeIssues(parsed.error));
  return parsed.data;
}
