import { z } from 'zod';
import { parseCallrDate } from './dates';

/**
 * Schemas of what CALLR posts to a webhook (`Webhook.Event` and the SMS object).
 *
 * Strict on the fields this system relies on, tolerant of everything else: CALLR adds fields
 * over time, and an authentic event must not be refused for carrying one we do not know.
 */

/** A CALLR `YYYY-MM-DD HH:MM:SS` UTC date, turned into ISO 8601 (or `null` for "no date"). */
export const CallrDate = z.string().transform((value, ctx) => {
  const parsed = parseCallrDate(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `not a CALLR date (YYYY-MM-DD HH:MM:SS): ${value}` });
    return z.NEVER;
  }
  return parsed.iso;
});

const StatusChange = z.looseObject({
  old_status: z.string().optional(),
  new_status: z.string(),
  updated_at: CallrDate,
});

/** The SMS object, as far as both directions share it. */
const SmsObject = z.looseObject({
  type: z.enum(['IN', 'OUT']).optional(),
  hash: z.string().min(1).max(64),
  from: z.string(),
  to: z.string(),
  text: z.string().optional(),
  encoding: z.string().optional(),
  parts: z.number().int().nonnegative().optional(),
  network: z.string().nullable().optional(),
  nature: z.string().nullable().optional(),
  user_data: z.string().nullable().optional(),
  status: z.string().optional(),
  status_error: z.string().nullable().optional(),
  status_history: z.array(StatusChange).optional(),
  date_creation: CallrDate.optional(),
  date_update: CallrDate.optional(),
  date_sent: CallrDate.optional(),
  date_received: CallrDate.optional(),
});

/** An inbound SMS: who sent what to which of our numbers is what we exist to keep. */
export const SmsMoData = SmsObject.extend({
  from: z.string().min(1),
  to: z.string().min(1),
  text: z.string(),
});

/** A delivery status change of an SMS we sent. */
export const SmsStatusData = SmsObject.extend({
  status: z.string().min(1),
});

/** The envelope every CALLR webhook event shares; `data` depends on `type`. */
export const CallrEnvelope = z.looseObject({
  event_id: z.string().min(1).max(128),
  event_at: z.iso.datetime({ offset: true }),
  hook_hash: z.string().nullable().optional(),
  type: z.string().min(1),
  try: z.number().int().nonnegative().optional(),
  data: z.unknown(),
});

export const HANDLED_EVENT_TYPES = ['sms.mo', 'sms.mt.status_update'] as const;
export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

export type CallrEnvelope = z.infer<typeof CallrEnvelope>;

export const SmsMoEvent = CallrEnvelope.extend({ type: z.literal('sms.mo'), data: SmsMoData });
export const SmsStatusEvent = CallrEnvelope.extend({ type: z.literal('sms.mt.status_update'), data: SmsStatusData });
export type SmsMoEvent = z.infer<typeof SmsMoEvent>;
export type SmsStatusEvent = z.infer<typeof SmsStatusEvent>;
export type HandledCallrEvent = SmsMoEvent | SmsStatusEvent;

export type CallrEventParse =
  /** A type we process, fully validated. */
  | { ok: true; handled: true; event: HandledCallrEvent }
  /** Authentic and well-formed, but a type we do not process (calls, DIDs, billing, ...). */
  | { ok: true; handled: false; event: CallrEnvelope }
  | { ok: false; reason: 'invalid_json' | 'invalid_shape'; detail: string };

const EVENT_SCHEMAS = { 'sms.mo': SmsMoEvent, 'sms.mt.status_update': SmsStatusEvent } as const;

function isHandledType(type: string): type is HandledEventType {
  return Object.hasOwn(EVENT_SCHEMAS, type);
}

/**
 * Parses the text of a webhook body into a typed event. Never throws: the answer says why a body
 * is unusable, in words an operator can act on (it travels with the body to the dead-letter queue).
 */
export function parseCallrEvent(text: string): CallrEventParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'invalid_json', detail: (error as Error).message };
  }
  const envelope = CallrEnvelope.safeParse(json);
  if (!envelope.success) return { ok: false, reason: 'invalid_shape', detail: describeIssues(envelope.error) };

  const type = envelope.data.type;
  if (!isHandledType(type)) return { ok: true, handled: false, event: envelope.data };

  const event = EVENT_SCHEMAS[type].safeParse(json);
  if (!event.success) return { ok: false, reason: 'invalid_shape', detail: describeIssues(event.error) };
  return { ok: true, handled: true, event: event.data };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the raw bytes CALLR posted, the one way both Lambdas read them: strict UTF-8 (Node's
 * lenient decoding would turn invalid bytes into U+FFFD and parse a body CALLR never sent), and a
 * leading byte-order mark dropped, as JSON text allows.
 */
export function parseCallrEventBytes(bytes: Uint8Array): CallrEventParse {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'body is not valid UTF-8' };
  }
  return parseCallrEvent(text);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Where `event_at` lies relative to the accepted window. */
export type EventAgeCheck = 'within_window' | 'too_old' | 'in_future';

export interface EventWindow {
  /** How far into the past `event_at` may lie (ms). CALLR retries for a while; replays are old. */
  readonly maxAgeMs: number;
  /** How far into the future (ms): clocks drift. */
  readonly maxFutureMs: number;
}

export const DEFAULT_EVENT_WINDOW: EventWindow = { maxAgeMs: 7 * 24 * 3600_000, maxFutureMs: 5 * 60_000 };

export function checkEventAge(eventAt: string, now: Date, window: EventWindow): EventAgeCheck {
  const age = now.getTime() - Date.parse(eventAt);
  if (age > window.maxAgeMs) return 'too_old';
  if (-age > window.maxFutureMs) return 'in_future';
  return 'within_window';
}
