import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CALLR_SIGNATURE_HEADER } from '../callr/signature';
import { MAX_BODY_BYTES } from './config';
import { HmacSecretUnavailableError, QueueUnavailableError } from './errors';
import type { FailureReason, IngestOutcome, RejectionReason } from './outcomes';

/**
 * The one place that turns an outcome or an error into the HTTP answer (docs/http-contract.md).
 * Every answer is JSON with a stable `status` (2xx) or `error` (4xx/5xx) code and a message for
 * humans. 5xx messages are fixed texts: internal error details stay in the logs. A quarantine
 * answer names the reason code only: its detail can quote the body, so it stays on the
 * dead-letter message.
 */

export type IngestAnswerBody =
  | {
      readonly status: 'accepted' | 'ignored' | 'quarantined';
      readonly message: string;
      readonly eventId?: string;
      /** Quarantined only: why (`invalid_json`, `invalid_shape`, `event_too_old`, `event_in_future`). */
      readonly reason?: string;
    }
  | { readonly error: string; readonly message: string };

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function answer(statusCode: number, body: IngestAnswerBody): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/** `signatureHeader`: the header the ingest reads the signature from (`HMAC_SIGNATURE_HEADER`), named in 401 answers. */
export function answerForOutcome(outcome: IngestOutcome, signatureHeader: string = CALLR_SIGNATURE_HEADER): APIGatewayProxyStructuredResultV2 {
  switch (outcome.kind) {
    case 'accepted':
      return answer(200, { status: 'accepted', message: 'Event queued for processing.', eventId: outcome.eventId });
    case 'ignored':
      return answer(202, {
        status: 'ignored',
        message: `Event type ${outcome.eventType} is not processed by this endpoint; nothing was stored.`,
        eventId: outcome.eventId,
      });
    case 'quarantined':
      return answer(202, {
        status: 'quarantined',
        reason: outcome.reason,
        message: `Event is authentic but unusable (${outcome.reason}); it was kept on the dead-letter queue for an operator.`,
        ...(outcome.eventId ? { eventId: outcome.eventId } : {}),
      });
    case 'rejected': {
      const { statusCode, message } = REJECTIONS[outcome.reason];
      return answer(statusCode, { error: outcome.reason, message: message(signatureHeader) });
    }
  }
}

const REJECTIONS: Record<RejectionReason, { readonly statusCode: number; readonly message: (signatureHeader: string) => string }> = {
  payload_too_large: { statusCode: 413, message: () => `Request body exceeds ${MAX_BODY_BYTES} bytes; nothing was stored.` },
  missing_signature: { statusCode: 401, message: (header) => `Header ${header} is required; nothing was stored.` },
  invalid_signature: {
    statusCode: 401,
    message: (header) => `Header ${header} does not match the request body; nothing was stored.`,
  },
};

const FAILURES: Record<FailureReason, { readonly statusCode: number; readonly message: string }> = {
  secret_unavailable: { statusCode: 500, message: 'The signing secret could not be loaded; retry later.' },
  queue_unavailable: { statusCode: 503, message: 'The event could not be queued; retry later.' },
  internal_error: { statusCode: 500, message: 'The event could not be processed; retry later.' },
};

export function failureReasonOf(error: unknown): FailureReason {
  if (error instanceof HmacSecretUnavailableError) return 'secret_unavailable';
  if (error instanceof QueueUnavailableError) return 'queue_unavailable';
  return 'internal_error';
}

export function answerForError(error: unknown): APIGatewayProxyStructuredResultV2 {
  const reason = failureReasonOf(error);
  const { statusCode, message } = FAILURES[reason];
  return answer(statusCode, { error: reason, message });
}
