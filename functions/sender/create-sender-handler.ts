import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { queueMessageFromRecord } from '../persist/records';
import { withDeadLetterReason } from '../queues/queue-message';
import { sendToQueue } from '../queues/send';
import { createSender, SENDER_METRIC, type SenderDependencies, type SendOutcome } from './send-request';

/**
 * The sender Lambda on the outbox queue: each record one outbox request. Partial batch responses
 * (Powertools): a request that is not finished (`pending`: another attempt holds it, or its lost
 * answer is still being looked up) is reported failed, so that SQS delivers it again after the
 * visibility timeout; an unreadable one goes to the outbox's dead-letter queue with its reason.
 */
export interface SenderHandlerDependencies extends Omit<SenderDependencies, 'onUnknown'> {
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrl: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type SenderHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** A request that is not finished yet: its record fails, and SQS brings it back. */
export class SendPendingError extends Error {
  constructor(readonly requestId: string, readonly why: string) {
    super(`outbox request ${requestId} is not finished (${why}); it comes back after the visibility timeout`);
    this.name = 'SendPendingError';
  }
}

export function createSenderHandler(deps: SenderHandlerDependencies): SenderHandler {
  const sendRequest = createSender({
    ...deps,
    onUnknown: (requestId) => {
      deps.metrics.addMetric(SENDER_METRIC.unknown, MetricUnit.Count, 1);
      deps.logger.error("the answer to a send was lost: it is looked up in CALLR's listing, never sent again", { requestId });
    },
  });

  async function processRecord(record: SQSRecord): Promise<SendOutcome> {
    const logger = deps.logger.createChild();
    logger.setCorrelationId(record.messageId);
    let outcome: SendOutcome;
    try {
      outcome = await sendRequest(record.body);
    } catch (error) {
      logger.warn('request failed; SQS will deliver it again', { error, sqsMessageId: record.messageId });
      throw error;
    }
    deps.metrics.addMetric(SENDER_METRIC[outcome.kind], MetricUnit.Count, 1);
    switch (outcome.kind) {
      case 'unreadable':
        logger.warn('unreadable outbox request dead-lettered', { reason: outcome.reason, sqsMessageId: record.messageId });
        await sendToQueue(
          deps.sqs,
          deps.deadLetterQueueUrl,
          withDeadLetterReason(queueMessageFromRecord(record), { source: 'sender', reason: outcome.reason, detail: outcome.detail }),
        );
        return outcome;
      case 'pending':
        logger.info('request not finished yet', { requestId: outcome.requestId, why: outcome.why });
        throw new SendPendingError(outcome.requestId, outcome.why);
      default:
        logger.info(`request ${outcome.kind}`, { requestId: outcome.requestId, ...('reason' in outcome ? { reason: outcome.reason } : {}) });
        return outcome;
    }
  }

  return async (event, context) => processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), {
      context,
      // A batch of requests that are all pending is an ordinary moment (lost answers being looked up), not an error.
      throwOnFullBatchFailure: false,
    });
}
