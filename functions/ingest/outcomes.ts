/**
 * What became of one webhook request, as typed data. The handler decides the outcome; one module
 * (`http-answers.ts`) turns it into the HTTP answer, another line turns it into a metric.
 */

/** Refused before anything was stored: the request is not (provably) from CALLR, or too big. */
export type RejectionReason = 'payload_too_large' | 'missing_signature' | 'invalid_signature';

/** Authentic but unusable: kept on the dead-letter queue, never entered the pipeline. */
export type QuarantineReason = 'invalid_json' | 'invalid_shape' | 'event_too_old' | 'event_in_future';

export type IngestOutcome =
  | { readonly kind: 'accepted'; readonly eventId: string; readonly eventType: string }
  | { readonly kind: 'ignored'; readonly eventId: string; readonly eventType: string }
  /** No detail: it can quote the body, so it goes to the dead-letter message only, never to the caller. */
  | { readonly kind: 'quarantined'; readonly eventId: string | undefined; readonly reason: QuarantineReason }
  | { readonly kind: 'rejected'; readonly reason: RejectionReason };

/** Failures that are ours, not the sender's: CALLR retries them. */
export type FailureReason = 'secret_unavailable' | 'queue_unavailable' | 'internal_error';
