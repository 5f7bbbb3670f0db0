import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { CALLR_EVENT_ID_HEADER, verifyCallrSignature } from '../callr/signature';
import { checkEventAge, parseCallrEventBytes } from '../callr/events';
import { encodeEventMessage, withDeadLetterReason, type QueueMessage } from '../queues/queue-message';
import { sendToQueue } from '../queues/send';
import { MAX_BODY_BYTES, type IngestConfig } from './config';
import { HmacSecretUnavailableError, QueueUnavailableError, type IngestQueueRole } from './errors';
import type { HmacSecretSource } from './hmac-secrets';
import { answerForError, answerForOutcome, failureReasonOf } from './http-answers';
import { INGEST_METRICS } from './metrics';
import type { IngestOutcome, QuarantineReason } from './outcomes';

export { INGEST_METRICS };

export interface IngestHandlerDeps {
  readonly config: IngestConfig;
  readonly sqs: SQSClient;
  readonly secrets: HmacSecretSource;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Outcome counts go to the stored metrics: publish them per request (`logMetrics`, see middleware.ts). */
  readonly metrics: Metrics;
}

export type IngestHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

interface RequestContext {
  readonly receivedAt: Date;
  readonly requestId: string;
  /** `X-CALLR-EventId`: unverified, used only where the body cannot say. */
  readonly headerEventId: string | undefined;
}

/**
 * The ingest Lambda's logic, in the order of checks of the HTTP contract (docs/http-contract.md):
 * size → signature over the raw bytes → JSON and shape → `event_at` window → type.
 * Nothing is parsed before the signature is verified, and nothing authentic is dropped: it is
 * queued, dead-lettered, or answered with a 5xx so that CALLR retries.
 */
export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const { logger } = deps;
  return async (event) => {
    const request: RequestContext = {
      receivedAt: deps.now(),
      requestId: event.requestContext?.requestId || randomUUID(),
      // Unverified input: bounded like a real event_id before it reaches logs and attributes.
      headerEventId: headerValue(event.headers, CALLR_EVENT_ID_HEADER)?.trim().slice(0, 128) || undefined,
    };
    logger.appendKeys({ api_request_id: request.requestId });
    if (request.headerEventId) logger.setCorrelationId(request.headerEventId);
    try {
      const outcome = await ingest(deps, event, request);
      report(deps, outcome);
      return answerForOutcome(outcome, deps.config.signatureHeader);
    } catch (error) {
      const reason = failureReasonOf(error);
      logger.error('webhook request not taken in; answering 5xx so that CALLR retries', { reason, error });
      count(deps.metrics, INGEST_METRICS.failed, 'reason', reason);
      return answerForError(error);
    } finally {
      logger.removeKeys(['correlation_id', 'api_request_id']);
    }
  };
}

async function ingest(deps: IngestHandlerDeps, event: APIGatewayProxyEventV2, request: RequestContext): Promise<IngestOutcome> {
  const { config, logger } = deps;
  const rawBody = readRawBody(event);
  if (!rawBody) return { kind: 'rejected', reason: 'payload_too_large' };

  const signature = headerValue(event.headers, config.signatureHeader);
  if (config.allowUnsigned && !signature?.trim()) {
    logger.warn(`request without ${config.signatureHeader} let through: ALLOW_UNSIGNED=true (local development only)`);
  } else {
    const secrets = await loadSecrets(() => deps.secrets.getSecrets());
    if (secrets.length === 0 && config.allowUnsigned) {
      logger.warn('signature not verified: no HMAC secret configured and ALLOW_UNSIGNED=true (local development only)');
    } else {
      // Both CALLR algorithms (the default): a change of hmac_algo never refuses events in flight.
      let check = verifyCallrSignature({ rawBody, header: signature, secrets });
      if (!check.ok && check.reason === 'invalid_signature') {
        // The secrets held may predate a rotation CALLR already signs with: reload, verify again.
        const refreshed = await loadSecrets(() => deps.secrets.refresh());
        if (!sameSecrets(refreshed, secrets)) {
          logger.info('HMAC secrets reloaded after a signature matched none of them');
          check = verifyCallrSignature({ rawBody, header: signature, secrets: refreshed });
        }
      }
      if (!check.ok) return { kind: 'rejected', reason: check.reason };
    }
  }

  const parsed = parseCallrEventBytes(rawBody);
  if (!parsed.ok) {
    // The body's own id where it gives one as text (docs/http-contract.md); the header's otherwise.
    const eventId = parsed.eventId ?? request.headerEventId;
    if (eventId) logger.setCorrelationId(eventId);
    return quarantine(deps, rawBody, request, { reason: parsed.reason, detail: parsed.detail, eventId, eventType: parsed.eventType });
  }

  const { eventId, eventAt, type: eventType } = parsed.identity;
  logger.setCorrelationId(eventId);
  countLenientFields(deps, parsed.lenientFields);
  const age = checkEventAge(eventAt, request.receivedAt, config.eventWindow);
  if (age !== 'within_window') {
    const detail =
      age === 'too_old'
        ? `event_at ${eventAt} is more than ${config.eventWindow.maxAgeMs / 1000} s before it was received (${request.receivedAt.toISOString()})`
        : `event_at ${eventAt} is more than ${config.eventWindow.maxFutureMs / 1000} s after it was received (${request.receivedAt.toISOString()})`;
    const reason: QuarantineReason = age === 'too_old' ? 'event_too_old' : 'event_in_future';
    return quarantine(deps, rawBody, request, { reason, detail, eventId, eventType });
  }

  if (!parsed.handled) return { kind: 'ignored', eventId, eventType };

  const message = encodeEventMessage(rawBody, {
    eventType,
    eventId,
    receivedAt: request.receivedAt.toISOString(),
    requestId: request.requestId,
  });
  const messageId = await send(deps, 'ingest', message);
  logger.debug('event queued', { queue_message_id: messageId });
  return { kind: 'accepted', eventId, eventType };
}

async function quarantine(
  deps: IngestHandlerDeps,
  rawBody: Buffer,
  request: RequestContext,
  what: { reason: QuarantineReason; detail: string; eventId: string | undefined; eventType?: string },
): Promise<IngestOutcome> {
  const message = withDeadLetterReason(
    encodeEventMessage(rawBody, {
      eventType: what.eventType,
      eventId: what.eventId,
      receivedAt: request.receivedAt.toISOString(),
      requestId: request.requestId,
    }),
    { reason: what.reason, detail: what.detail, source: 'ingest' },
  );
  const messageId = await send(deps, 'dead-letter', message);
  // The detail can quote the body (JSON.parse does): debug only; operators read it on the message.
  deps.logger.debug('quarantine detail', { detail: what.detail, dead_letter_message_id: messageId });
  return { kind: 'quarantined', eventId: what.eventId, reason: what.reason };
}

async function send(deps: IngestHandlerDeps, queue: IngestQueueRole, message: QueueMessage): Promise<string> {
  const queueUrl = queue === 'ingest' ? deps.config.queueUrl : deps.config.deadLetterQueueUrl;
  try {
    return await sendToQueue(deps.sqs, queueUrl, message);
  } catch (cause) {
    throw new QueueUnavailableError(queue, { cause });
  }
}

async function loadSecrets(read: () => Promise<readonly string[]>): Promise<readonly string[]> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof HmacSecretUnavailableError) throw error;
    throw new HmacSecretUnavailableError('the HMAC secret source failed', { cause: error });
  }
}

function sameSecrets(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((secret, index) => secret === b[index]);
}

/** Logs and counts the outcome; never the message text, never a secret or signature. */
function report(deps: IngestHandlerDeps, outcome: IngestOutcome): void {
  const { logger, metrics } = deps;
  switch (outcome.kind) {
    case 'accepted':
      logger.info('event accepted', { event_type: outcome.eventType });
      count(metrics, INGEST_METRICS.accepted, 'eventType', outcome.eventType);
      return;
    case 'ignored':
      logger.info('event ignored: type not processed', { event_type: outcome.eventType });
      count(metrics, INGEST_METRICS.ignored, 'eventType', outcome.eventType);
      return;
    case 'quarantined':
      logger.warn('event quarantined on the dead-letter queue', { reason: outcome.reason });
      count(metrics, INGEST_METRICS.quarantined, 'reason', outcome.reason);
      return;
    case 'rejected':
      logger.warn('request rejected', { reason: outcome.reason });
      count(metrics, INGEST_METRICS.rejected, 'reason', outcome.reason);
      return;
  }
}

/**
 * One `lenientField` count per field read leniently (dimension `field`, e.g. `data.parts`): what
 * CALLR sends that the reader did not expect, visible before anyone misses it. Single metrics, as
 * one request can name several fields and a dimension holds one value.
 */
function countLenientFields(deps: IngestHandlerDeps, fields: readonly string[]): void {
  if (fields.length === 0) return;
  deps.logger.info('fields read leniently: absent from the stored message, kept in the raw event', { lenient_fields: fields });
  for (const field of fields) {
    const metric = deps.metrics.singleMetric();
    metric.addDimension('field', field);
    metric.addMetric(INGEST_METRICS.lenientField, MetricUnit.Count, 1);
  }
}

function count(metrics: Metrics, name: string, dimension: string, value: string): void {
  metrics.addDimension(dimension, value);
  metrics.addMetric(name, MetricUnit.Count, 1);
}

/** HTTP header names are case-insensitive; API Gateway lower-cases them, other fronts may not. */
function headerValue(headers: APIGatewayProxyEventV2['headers'] | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The exact bytes CALLR signed, or undefined when they exceed the size limit. */
function readRawBody(event: APIGatewayProxyEventV2): Buffer | undefined {
  const body = event.body ?? '';
  if (event.isBase64Encoded) {
    // Base64 longer than this cannot decode to an acceptable size: refuse before decoding it.
    if (body.length > (Math.ceil(MAX_BODY_BYTES / 3) + 1) * 4) return undefined;
    const bytes = Buffer.from(body, 'base64');
    return bytes.length > MAX_BODY_BYTES ? undefined : bytes;
  }
  if (body.length > MAX_BODY_BYTES) return undefined;
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length > MAX_BODY_BYTES ? undefined : bytes;
}
