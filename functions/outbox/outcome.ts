import * as z from 'zod/mini';
import { described } from '../messages/inbound-message';

/**
 * What the requesting service learns on the inbox about its outbox request, without polling:
 * `sms.sent` (CALLR took it, with its SMS hash), `sms.send_failed` (nothing was sent, with a
 * reason code), then `sms.status` for each delivery status of a sent SMS. Each is a message on the
 * inbox beside the inbound SMS (`kind` tells them apart; an inbound SMS has no kind or `sms.mo`).
 * docs/outbox-outcome.schema.json is generated from these schemas (`npm run schema`).
 */
export const OUTBOX_OUTCOME_SCHEMA_VERSION = 1;

const IsoDate = z.iso.datetime();

/**
 * Why nothing was sent, a stable code:
 * - `opted_out`: the recipient said STOP; nothing reached CALLR.
 * - `invalid_request`: the request does not follow the outbox contract (detail says which field).
 * - `callr_refused`: CALLR answered with an error (detail carries its code, e.g. INVALID_PARAMS).
 * - `not_sent`: the answer to the send was lost, and CALLR's own listing shows no such SMS long
 *   after: CALLR did not send it. It is never sent again by us; send a new request if you still mean it.
 */
export const SEND_FAILURE_REASONS = ['opted_out', 'invalid_request', 'callr_refused', 'not_sent'] as const;
export type SendFailureReason = (typeof SEND_FAILURE_REASONS)[number];

const requestId = described(z.string(), 'The requestId of the outbox request');
const userData = described(z.nullable(z.string()), 'The userData of the outbox request; null when it had none');

export const SmsSent = described(
  z.object({
    schemaVersion: z.literal(OUTBOX_OUTCOME_SCHEMA_VERSION),
    kind: z.literal('sms.sent'),
    requestId,
    hash: described(z.string(), 'CALLR SMS id (hash) in upper case: statuses and replies of this SMS carry it'),
    to: z.string(),
    userData,
    sentAt: described(IsoDate, 'When CALLR took the SMS (ISO 8601 UTC)'),
    confirmedBy: described(
      z.enum(['answer', 'lookup']),
      "answer: CALLR's answer to sms.send; lookup: the answer was lost, and the SMS was found in CALLR's listing (sms.get_list)",
    ),
  }),
  'An outbox request was sent: CALLR took the SMS',
);
export type SmsSent = z.infer<typeof SmsSent>;

export const SmsSendFailed = described(
  z.object({
    schemaVersion: z.literal(OUTBOX_OUTCOME_SCHEMA_VERSION),
    kind: z.literal('sms.send_failed'),
    requestId,
    to: described(z.nullable(z.string()), 'The recipient asked for; null when the request could not be read that far'),
    userData,
    reason: described(z.enum(SEND_FAILURE_REASONS), 'Why nothing was sent (stable code)'),
    detail: described(z.string(), 'What a person needs to fix it; never the text of the SMS'),
    failedAt: IsoDate,
  }),
  'An outbox request was not sent, and will not be',
);
export type SmsSendFailed = z.infer<typeof SmsSendFailed>;

export const SmsStatus = described(
  z.object({
    schemaVersion: z.literal(OUTBOX_OUTCOME_SCHEMA_VERSION),
    kind: z.literal('sms.status'),
    requestId,
    hash: described(z.string(), 'CALLR SMS id (hash) in upper case, as on sms.sent'),
    to: z.string(),
    from: described(z.nullable(z.string()), 'The number or shortcode CALLR sent it from'),
    userData,
    status: described(z.string(), 'CALLR status, e.g. PENDING, SENT, DELIVERED, FAILED'),
    statusError: z.nullable(z.string()),
    statusAt: described(IsoDate, 'Time of the CALLR event that reported it; a newer status always has a later statusAt'),
    eventId: described(z.string(), 'CALLR event id of that event'),
  }),
  'A delivery status of an SMS sent through the outbox (forwarded once per change, newest wins)',
);
export type SmsStatus = z.infer<typeof SmsStatus>;

export const OutboxOutcome = z.discriminatedUnion('kind', [SmsSent, SmsSendFailed, SmsStatus]);
export type OutboxOutcome = z.infer<typeof OutboxOutcome>;

/**
 * The de-duplication key of an outcome on the inbox (attribute `messageId`): one per request for
 * sent/failed (a request has one outcome), one per status change for statuses.
 */
export function outcomeMessageId(outcome: OutboxOutcome): string {
  switch (outcome.kind) {
    case 'sms.sent':
    case 'sms.send_failed':
      return `outbox#${outcome.requestId}`;
    case 'sms.status':
      return `status#${outcome.hash}#${outcome.statusAt}`;
  }
}

/** What a send record needs to tell its outcome (functions/messages/outbound-store.ts `OutboundRecord`). */
export interface RecordWithOutcome {
  readonly requestId: string;
  readonly to: string;
  readonly userData: string | null;
  readonly state: string;
  readonly hash?: string;
  readonly sentAt?: string;
  readonly confirmedBy?: 'answer' | 'lookup';
  readonly failureReason?: SendFailureReason;
  readonly failureDetail?: string;
  readonly failedAt?: string;
}

/**
 * The outcome a send record stands for: `sms.sent` or `sms.send_failed`, undefined while it is
 * claimed or unknown. The one mapping: the sender publishes it, the CLI prints it.
 */
export function outcomeOfRecord(record: RecordWithOutcome): SmsSent | SmsSendFailed | undefined {
  const common = { schemaVersion: OUTBOX_OUTCOME_SCHEMA_VERSION, requestId: record.requestId, to: record.to, userData: record.userData } as const;
  if (record.state === 'sent' && record.hash && record.sentAt) {
    return { ...common, kind: 'sms.sent', hash: record.hash, sentAt: record.sentAt, confirmedBy: record.confirmedBy ?? 'answer' };
  }
  if (record.state === 'failed' && record.failureReason && record.failedAt) {
    return { ...common, kind: 'sms.send_failed', reason: record.failureReason, detail: record.failureDetail ?? '', failedAt: record.failedAt };
  }
  return undefined;
}
