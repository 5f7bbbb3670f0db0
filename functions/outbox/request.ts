import * as z from 'zod/mini';
import { describeIssues } from '../callr/events';
import { described } from '../messages/inbound-message';

/**
 * The outbox contract: what a downstream service puts on the outbox queue to have an SMS sent,
 * without holding CALLR credentials. One JSON object per SQS message body
 * (docs/outbox-request.schema.json is generated from this schema, `npm run schema`).
 *
 * `requestId` is the idempotency key: the sender sends at most one SMS per requestId, however
 * often the request is delivered. Reusing a requestId for another SMS sends nothing (the first
 * outcome stands); make it unique per SMS you mean, e.g. a UUID or `<your order id>#reminder-1`.
 */

/** Printable ASCII without spaces: it travels as an SQS attribute and a DynamoDB key, and is printed by the CLI. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
/** E.164: `+` then 8 to 15 digits, the first not 0 (CALLR's `to`). */
const E164 = /^\+[1-9][0-9]{7,14}$/;
/**
 * Longest text accepted, in characters: CALLR splits long texts into concatenated parts (153 GSM
 * characters, 67 UCS-2 characters each); 1,600 characters is about ten parts in GSM, 24 in UCS-2,
 * which is as far as a text is still an SMS rather than a letter.
 */
export const MAX_OUTBOX_TEXT_LENGTH = 1600;
/** CALLR keeps `user_data` as a string of at most 255 characters. */
export const MAX_USER_DATA_LENGTH = 255;

export const SMS_NATURES = ['ALERTING', 'MARKETING'] as const;

export const OutboxRequest = described(
  z.object({
    requestId: described(
      z.string().check(z.regex(REQUEST_ID)),
      'Idempotency key, 1 to 128 printable ASCII characters without spaces: at most one SMS is ever sent per requestId; it comes back on every outcome, status and reply',
    ),
    to: described(z.string().check(z.regex(E164)), 'Recipient in E.164, e.g. +33612345678'),
    text: described(
      z.string().check(z.minLength(1), z.maxLength(MAX_OUTBOX_TEXT_LENGTH)),
      `The SMS text, 1 to ${MAX_OUTBOX_TEXT_LENGTH} characters (CALLR splits it into parts)`,
    ),
    userData: described(
      z.optional(z.string().check(z.maxLength(MAX_USER_DATA_LENGTH))),
      `Yours, up to ${MAX_USER_DATA_LENGTH} characters: sent to CALLR as user_data, and returned on the outcome, on statuses and on replies (inReplyTo)`,
    ),
    nature: described(
      z.optional(z.enum(SMS_NATURES)),
      'CALLR SMS nature: ALERTING (transactional, the default at CALLR) or MARKETING (subject to marketing rules: opt-out mention, sending hours)',
    ),
  }),
  'A request to send one SMS through callr-inbound-sms (the outbox queue)',
);

export type OutboxRequest = z.infer<typeof OutboxRequest>;

export type OutboxRequestParse =
  | { readonly ok: true; readonly request: OutboxRequest }
  | {
      readonly ok: false;
      readonly reason: 'invalid_json' | 'invalid_request';
      /** Which fields are wrong and why; never quotes the text. */
      readonly detail: string;
      /** The request's id when it could be read, so that the refusal can be told to its sender. */
      readonly requestId?: string;
    };

/** Reads an outbox queue message body. Never throws. */
export function parseOutboxRequest(body: string): OutboxRequestParse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'the body is not JSON' };
  }
  const parsed = OutboxRequest.safeParse(json);
  if (parsed.success) return { ok: true, request: parsed.data };
  const detail = describeIssues(parsed.error);
  const candidate = json && typeof json === 'object' ? (json as Record<string, unknown>).requestId : undefined;
  const requestId = typeof candidate === 'string' && REQUEST_ID.test(candidate) ? candidate : undefined;
  return { ok: false, reason: 'invalid_request', detail, ...(requestId ? { requestId } : {}) };
}
