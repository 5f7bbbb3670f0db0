import * as z from 'zod/mini';
import { parseCallrDate } from './dates';
import { issueMessage } from './issue-messages';

/**
 * Schemas of what CALLR posts to a webhook, in both of its formats:
 *
 * - `callr.v1`, the JSON-RPC webhooks: `Webhook.Event` `{event_id, event_at, hook_hash, type, try, data}`,
 *   `data` the SMS object (`sms.mo`, `sms.mt.status_update`);
 * - `callr.v2`, the REST v2 webhooks: `{id, at, sid, type, try, payload}` (`v2.sms.inbound.received`,
 *   CALLR reference "webhook-v2-sms-inbound-received").
 *
 * A tolerant reader: strict only where a wrong value would store a wrong message — the event's
 * identity, time and type, and the SMS's id, sender, recipient and text (a status update's id and
 * status). Every other field is read leniently: a value of an unexpected type or format becomes
 * absent (the raw event, stored byte for byte, keeps it) and is reported in `lenientFields`, never
 * a reason to quarantine. Unknown fields are kept.
 */

export const EVENT_FORMATS = ['callr.v1', 'callr.v2'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

// ---------------------------------------------------------------------------------------------
// Lenient fields

/**
 * The fields read leniently during the parse in progress. Parsing is synchronous (no async
 * refinements), so one parse at a time runs and this never mixes two events' fields.
 */
let lenientFieldsOfParse: Set<string> | undefined;

function noteLenient(field: string, value: unknown): void {
  // Absent is not unexpected: only a value that was there and could not be read is counted.
  if (value !== undefined) lenientFieldsOfParse?.add(field);
}

/** A field read leniently: absent when it is not what `schema` takes. */
function lenient<T extends z.ZodMiniType>(field: string, schema: T) {
  return z.catch(z.optional(schema), (ctx) => {
    noteLenient(field, ctx.value);
    return undefined;
  });
}

/** A field read leniently, with `fallback` when it is absent or not what `schema` takes. */
function lenientOr<T extends z.ZodMiniType>(field: string, schema: T, fallback: z.output<T>) {
  return z.catch(schema, (ctx) => {
    noteLenient(field, ctx.value);
    return fallback;
  });
}

/** A list read leniently: the entries `item` cannot read are dropped, one by one (`field[]`). */
function lenientList<T extends z.ZodMiniType>(field: string, item: T) {
  const readEntries = z.transform((values: unknown[] | undefined): Array<z.output<T>> | undefined => {
    if (values === undefined) return undefined;
    return values.flatMap((value) => {
      const entry = item.safeParse(value);
      if (entry.success) return [entry.data as z.output<T>];
      noteLenient(`${field}[]`, value);
      return [];
    });
  });
  return z.pipe(lenient(field, z.array(z.unknown())), readEntries);
}

/** `text` read by `read`, which answers an issue message where it cannot: a string schema that converts. */
function convertedString<T>(read: (value: string) => { ok: true; value: T } | { ok: false; message: string }) {
  return z.pipe(
    z.string(),
    z.transform((value: string, payload) => {
      const result = read(value);
      if (result.ok) return result.value;
      payload.issues.push({ code: 'custom', message: result.message, input: value });
      return z.NEVER;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Dates

/** Any CALLR date (see dates.ts) as ISO 8601 UTC, `null` for "no date" (CALLR's zeros, or JSON null). */
export const CallrDate = z.union([
  z.null(),
  convertedString((value) => {
    const parsed = parseCallrDate(value);
    return parsed.ok
      ? { ok: true, value: parsed.iso }
      : { ok: false, message: `not a CALLR date (YYYY-MM-DD HH:MM:SS[.sss] UTC, or ISO 8601): ${value}` };
  }),
]);

/** A date the event cannot do without (`event_at`, `at`): any CALLR format, never "no date". */
const RequiredDate = convertedString((value) => {
  const parsed = parseCallrDate(value);
  return parsed.ok && parsed.iso !== null
    ? { ok: true, value: parsed.iso }
    : { ok: false, message: `not a date (ISO 8601, or YYYY-MM-DD HH:MM:SS[.sss] UTC): ${value}` };
});

/** A string of 1 to `max` characters. */
const nonEmptyString = (max?: number) => z.string().check(z.minLength(1), ...(max === undefined ? [] : [z.maxLength(max)]));
const EventId = nonEmptyString(128);
const SmsId = nonEmptyString(64);
const OptionalText = z.nullable(z.string());
const Count = z.int().check(z.nonnegative());

// ---------------------------------------------------------------------------------------------
// callr.v1: JSON-RPC webhooks

const StatusChange = z.looseObject({
  old_status: lenientOr('data.status_history[].old_status', OptionalText, null),
  new_status: nonEmptyString(),
  updated_at: lenientOr('data.status_history[].updated_at', CallrDate, null),
});

/** The SMS object, as far as both directions share it; everything but the id read leniently. */
const SmsObject = z.looseObject({
  type: lenient('data.type', z.string()),
  hash: SmsId,
  from: lenientOr('data.from', z.string(), ''),
  to: lenientOr('data.to', z.string(), ''),
  text: lenient('data.text', z.string()),
  encoding: lenient('data.encoding', OptionalText),
  parts: lenient('data.parts', Count),
  network: lenient('data.network', OptionalText),
  nature: lenient('data.nature', OptionalText),
  user_data: lenient('data.user_data', OptionalText),
  status: lenient('data.status', z.string()),
  status_error: lenient('data.status_error', OptionalText),
  status_history: lenientList('data.status_history', StatusChange),
  date_creation: lenient('data.date_creation', CallrDate),
  date_update: lenient('data.date_update', CallrDate),
  date_sent: lenient('data.date_sent', CallrDate),
  date_received: lenient('data.date_received', CallrDate),
});

/** An inbound SMS: who sent what to which of our numbers is what we exist to keep. */
export const SmsMoData = z.extend(SmsObject, {
  from: nonEmptyString(),
  to: nonEmptyString(),
  text: z.string(),
});

/** A delivery status change of an SMS we sent: which SMS, and its status. */
export const SmsStatusData = z.extend(SmsObject, {
  status: nonEmptyString(),
});

/** The envelope every CALLR JSON-RPC webhook event shares; `data` depends on `type`. */
export const CallrEnvelope = z.looseObject({
  event_id: EventId,
  event_at: RequiredDate,
  hook_hash: lenient('hook_hash', OptionalText),
  type: nonEmptyString(),
  try: lenient('try', Count),
  data: z.unknown(),
});
export type CallrEnvelope = z.infer<typeof CallrEnvelope>;

export const SmsMoEvent = z.extend(CallrEnvelope, { type: z.literal('sms.mo'), data: SmsMoData });
export const SmsStatusEvent = z.extend(CallrEnvelope, { type: z.literal('sms.mt.status_update'), data: SmsStatusData });
export type SmsMoEvent = z.infer<typeof SmsMoEvent>;
export type SmsStatusEvent = z.infer<typeof SmsStatusEvent>;

// ---------------------------------------------------------------------------------------------
// callr.v2: REST v2 webhooks

const V2StatusChange = z.looseObject({
  before: lenientOr('payload.statusHistory[].before', OptionalText, null),
  after: nonEmptyString(),
  at: lenientOr('payload.statusHistory[].at', CallrDate, null),
});

/** The REST v2 SMS of an inbound event: `sid` is the JSON-RPC `hash`, in lower case. */
export const SmsInboundV2Payload = z.looseObject({
  sid: SmsId,
  from: nonEmptyString(),
  to: nonEmptyString(),
  body: z.looseObject({ text: z.string() }),
  direction: lenient('payload.direction', z.string()),
  trafficType: lenient('payload.trafficType', OptionalText),
  status: lenient('payload.status', z.string()),
  error: lenient('payload.error', OptionalText),
  encoding: lenient('payload.encoding', OptionalText),
  parts: lenient('payload.parts', Count),
  network: lenient('payload.network', OptionalText),
  cost: lenient('payload.cost', z.union([z.string(), z.number()])),
  paymentType: lenient('payload.paymentType', OptionalText),
  created: lenient('payload.created', CallrDate),
  updated: lenient('payload.updated', CallrDate),
  sent: lenient('payload.sent', CallrDate),
  delivered: lenient('payload.delivered', CallrDate),
  statusHistory: lenientList('payload.statusHistory', V2StatusChange),
});

/** The REST v2 envelope: `sid` is the webhook's (JSON-RPC `hook_hash`), `payload` depends on `type`. */
export const CallrV2Envelope = z.looseObject({
  id: EventId,
  at: RequiredDate,
  sid: lenient('sid', OptionalText),
  type: nonEmptyString(),
  try: lenient('try', Count),
  payload: z.unknown(),
});
export type CallrV2Envelope = z.infer<typeof CallrV2Envelope>;

export const SmsInboundV2Event = z.extend(CallrV2Envelope, { type: z.literal('v2.sms.inbound.received'), payload: SmsInboundV2Payload });
export type SmsInboundV2Event = z.infer<typeof SmsInboundV2Event>;

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * The JSON-RPC (v1) event types this system processes and the stack subscribes. REST v2 events
 * (`V2_HANDLED_EVENT_TYPES`) are processed too; they are subscribed through CALLR's REST v2 API,
 * which the stack does not call (yet).
 */
export const HANDLED_EVENT_TYPES = ['sms.mo', 'sms.mt.status_update'] as const;
export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];
export const V2_HANDLED_EVENT_TYPES = ['v2.sms.inbound.received'] as const;

/** An inbound SMS, in either format: what becomes a stored message. */
export type InboundSmsEvent = SmsMoEvent | SmsInboundV2Event;
export type HandledCallrEvent = InboundSmsEvent | SmsStatusEvent;

/** The envelope fields both formats have, under one set of names. */
export interface EventIdentity {
  readonly format: EventFormat;
  /** v1 `event_id`, v2 `id`: the same on every retry of one delivery. */
  readonly eventId: string;
  /** v1 `event_at`, v2 `at`, as ISO 8601 UTC. */
  readonly eventAt: string;
  readonly type: string;
}

export type CallrEventParse =
  /** A type we process, validated; `lenientFields` lists the fields read leniently (empty when none). */
  | { ok: true; handled: true; identity: EventIdentity; event: HandledCallrEvent; lenientFields: readonly string[] }
  /** Authentic and well-formed, but a type we do not process (calls, DIDs, billing, ...). */
  | { ok: true; handled: false; identity: EventIdentity; event: CallrEnvelope | CallrV2Envelope; lenientFields: readonly string[] }
  /**
   * Unusable. `eventId` and `eventType` are what the body says, where it says it as text, so that
   * a quarantined event keeps its identity.
   */
  | { ok: false; reason: 'invalid_json' | 'invalid_shape'; detail: string; eventId?: string; eventType?: string };

const V1_EVENT_SCHEMAS = { 'sms.mo': SmsMoEvent, 'sms.mt.status_update': SmsStatusEvent } as const;
const V2_EVENT_SCHEMAS = { 'v2.sms.inbound.received': SmsInboundV2Event } as const;

/** v2 when the body says so (a `v2.` type, or `id` + `at` without `event_id`); v1 otherwise. */
function formatOf(json: Record<string, unknown>): EventFormat {
  if (typeof json.type === 'string' && json.type.startsWith('v2.')) return 'callr.v2';
  if (!('event_id' in json) && 'id' in json && 'at' in json) return 'callr.v2';
  return 'callr.v1';
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
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, reason: 'invalid_shape', detail: '(root): expected a JSON object' };
  }
  const lenientFields = new Set<string>();
  lenientFieldsOfParse = lenientFields;
  try {
    return parseEventObject(json as Record<string, unknown>, lenientFields);
  } finally {
    lenientFieldsOfParse = undefined;
  }
}

/** Issues in words (zod/mini has none of its own). */
const WITH_MESSAGES = { error: issueMessage } as const;

function parseEventObject(json: Record<string, unknown>, lenientFields: Set<string>): CallrEventParse {
  const format = formatOf(json);
  const claimed = claimedIdentity(json, format);
  const invalid = (error: z.core.$ZodError): CallrEventParse => ({ ok: false, reason: 'invalid_shape', detail: describeIssues(error), ...claimed });

  if (format === 'callr.v1') {
    const envelope = CallrEnvelope.safeParse(json, WITH_MESSAGES);
    if (!envelope.success) return invalid(envelope.error);
    const identity: EventIdentity = { format, eventId: envelope.data.event_id, eventAt: envelope.data.event_at, type: envelope.data.type };
    const type = identity.type;
    if (!Object.hasOwn(V1_EVENT_SCHEMAS, type)) return { ok: true, handled: false, identity, event: envelope.data, lenientFields: [...lenientFields] };
    lenientFields.clear(); // the full parse reads the envelope again
    const event = V1_EVENT_SCHEMAS[type as keyof typeof V1_EVENT_SCHEMAS].safeParse(json, WITH_MESSAGES);
    if (!event.success) return invalid(event.error);
    return { ok: true, handled: true, identity, event: event.data, lenientFields: [...lenientFields] };
  }

  const envelope = CallrV2Envelope.safeParse(json, WITH_MESSAGES);
  if (!envelope.success) return invalid(envelope.error);
  const identity: EventIdentity = { format, eventId: envelope.data.id, eventAt: envelope.data.at, type: envelope.data.type };
  const type = identity.type;
  if (!Object.hasOwn(V2_EVENT_SCHEMAS, type)) return { ok: true, handled: false, identity, event: envelope.data, lenientFields: [...lenientFields] };
  lenientFields.clear();
  const event = V2_EVENT_SCHEMAS[type as keyof typeof V2_EVENT_SCHEMAS].safeParse(json, WITH_MESSAGES);
  if (!event.success) return invalid(event.error);
  return { ok: true, handled: true, identity, event: event.data, lenientFields: [...lenientFields] };
}

/** The event id and type a body claims, where they are usable text, for the dead-letter attributes. */
function claimedIdentity(json: Record<string, unknown>, format: EventFormat): { eventId?: string; eventType?: string } {
  const id = format === 'callr.v1' ? json.event_id : json.id;
  const eventId = EventId.safeParse(typeof id === 'string' ? id.trim() : undefined);
  const eventType = nonEmptyString(128).safeParse(json.type);
  return {
    ...(eventId.success ? { eventId: eventId.data } : {}),
    ...(eventType.success ? { eventType: eventType.data } : {}),
  };
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

/** A zod error as one line: the first five issues, each with its path. Never quotes the input. */
export function describeIssues(error: z.core.$ZodError): string {
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
