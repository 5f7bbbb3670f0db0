import * as z from 'zod/mini';
import { EVENT_FORMATS, type InboundSmsEvent } from '../callr/events';
import { keywordOf } from '../keywords/keyword';

/**
 * The one shape downstream services receive (inbox queue) and read (table): a CALLR inbound SMS,
 * normalised and versioned. CALLR's own names and date formats stop at this boundary.
 *
 * Changing a field's meaning or removing one is a new `schemaVersion`; adding an optional field
 * is not. `docs/message.schema.json` is generated from this schema (`npm run schema`).
 */
export const INBOUND_MESSAGE_SCHEMA_VERSION = 1;

/** How a message reached us: delivered by CALLR's webhook, or recovered by the reconciliation sweep. */
export const MESSAGE_ARRIVALS = ['webhook', 'reconciled'] as const;
export type MessageArrival = (typeof MESSAGE_ARRIVALS)[number];

/**
 * The event id of the event the reconciliation sweep builds for an SMS it found at CALLR and not in
 * the table: one per SMS, the same on every sweep, so that the sweep's events de-duplicate among
 * themselves like CALLR's retries do. CALLR's own event ids are 32 letters and digits: never this.
 */
export const RECONCILED_EVENT_ID_PREFIX = 'reconciled-';
export const reconciledEventId = (callrSmsId: string): string => `${RECONCILED_EVENT_ID_PREFIX}${canonicalMessageId(callrSmsId)}`;
export const arrivalOf = (eventId: string): MessageArrival => (eventId.startsWith(RECONCILED_EVENT_ID_PREFIX) ? 'reconciled' : 'webhook');

/** `kind` of an inbound message on the inbox, beside the other kinds there (functions/inbox/message.ts). */
export const INBOUND_MESSAGE_KIND = 'sms.mo';

const IsoDate = z.iso.datetime();

/** What an inbound message does to the opt-out registry (functions/optouts/). */
export const OPT_OUT_ACTIONS = ['stop', 'start'] as const;

/**
 * The message id users see and the store keys on: CALLR's SMS id in upper case. JSON-RPC (v1)
 * calls it `hash` and writes it in upper case; REST v2 calls it `sid`, "same value, but in
 * lowercase" (CALLR's migration guide). Upper case keeps the ids of messages stored before v2 was
 * accepted, so the same SMS through both formats is one message.
 */
export function canonicalMessageId(callrSmsId: string): string {
  return callrSmsId.toUpperCase();
}

/** `schema` with its description for the generated JSON Schema (zod/mini has no `.describe()`). */
export const described = <T extends z.ZodMiniType>(schema: T, description: string): T => schema.check(z.describe(description));

export const InboundMessage = described(
  z.object({
    schemaVersion: z.literal(INBOUND_MESSAGE_SCHEMA_VERSION),
    kind: described(
      z.optional(z.literal(INBOUND_MESSAGE_KIND)),
      'What the message is: always sms.mo, an inbound SMS (the inbox also carries sms.sent, sms.send_failed and sms.status, each with its own body). Always written; absent only on messages stored before it existed',
    ),
    id: described(
      z.string(),
      'CALLR SMS id in upper case (JSON-RPC `hash`, REST v2 `sid` upper-cased): the identity of the message, the same on every delivery in either format',
    ),
    from: described(z.string(), 'Sender, as CALLR gives it (E.164 for a mobile number)'),
    to: described(z.string(), 'Our number or shortcode the message was sent to'),
    text: z.string(),
    encoding: described(z.nullable(z.string()), 'GSM or UNICODE (upper case whatever the format); null where CALLR gives none or one that could not be read'),
    parts: described(z.nullable(z.int()), 'Number of SMS parts the text arrived in'),
    network: described(z.nullable(z.string()), 'Mobile network code of the sender, where CALLR knows it'),
    receivedAt: described(IsoDate, 'When CALLR received the SMS (ISO 8601 UTC, v1 date_received, v2 created); event_at where CALLR gives no date'),
    eventId: described(z.string(), 'CALLR event id of the delivery that stored it (v1 event_id, v2 id)'),
    eventAt: described(IsoDate, 'CALLR event time of that delivery (v1 event_at, v2 at)'),
    hookHash: described(z.nullable(z.string()), 'CALLR webhook that delivered it (v1 hook_hash, v2 sid); null for a per-SMS webhook'),
    storedAt: described(IsoDate, 'When this system stored it'),
    source: described(
      z.optional(
        z.object({
          format: described(
            z.enum(EVENT_FORMATS),
            'callr.v1: a JSON-RPC webhook event (sms.mo); callr.v2: a REST v2 webhook event (v2.sms.inbound.received)',
          ),
          eventType: described(z.string(), 'CALLR event type of the delivery that stored it'),
        }),
      ),
      'Which CALLR webhook format the stored delivery came in. Always written; absent only on messages stored before it existed (all of them callr.v1)',
    ),
    arrival: described(
      z.optional(z.enum(MESSAGE_ARRIVALS)),
      'How the message reached this system: webhook (CALLR delivered it), or reconciled (the reconciliation sweep found it in CALLR\'s SMS list, not stored: the webhook path had lost it). Always written; absent only on messages stored before it existed (all of them webhook)',
    ),
    keyword: described(
      z.optional(z.nullable(z.string())),
      'First word of the text in upper case, without accents or punctuation ("Arrêt !" -> ARRET); null when the text has no word or its first word is over 32 characters. Absent only on messages stored before it existed',
    ),
    optOut: described(
      z.optional(z.enum(OPT_OUT_ACTIONS)),
      'The whole text (normalised as keyword is) is a stop word (stop) or a start word (start): the sender is opted out from, or back in to, SMS from the number it wrote to (the latest such message by receivedAt decides). Absent otherwise',
    ),
    suspectedOptOut: described(
      z.optional(z.literal(true)),
      'The text looks like an opt-out but is not exactly a stop word ("stop svp", "Stop. Thanks"): nothing was applied; a person should read it. Absent otherwise',
    ),
    inReplyTo: described(
      z.optional(
        z.object({
          requestId: described(z.string(), 'The requestId of the outbox request it answers'),
          hash: described(z.nullable(z.string()), 'CALLR SMS id of that SMS (as on sms.sent); null when the reply came before the send was recorded'),
          userData: described(z.nullable(z.string()), 'The userData of that request; null when it had none'),
          sentAt: described(IsoDate, 'When that SMS was sent (when it was requested, while the send is not recorded yet)'),
        }),
      ),
      'The most recent SMS sent through the outbox to the sender of this message (from the number it wrote to, when known), within the threading window (7 days by default). Absent when there is none',
    ),
  }),
  'A CALLR inbound SMS (MO), as stored and forwarded by callr-inbound-sms',
);

export type InboundMessage = z.infer<typeof InboundMessage>;

const emptyToNull = (value: string | null | undefined): string | null => (value ? value : null);
const upperOrNull = (value: string | null | undefined): string | null => (value ? value.toUpperCase() : null);

/**
 * Maps a validated inbound SMS event, in either CALLR format, onto the downstream shape. Pure.
 * Fields CALLR gave in a form that could not be read are null here; the raw event keeps them.
 */
export function toInboundMessage(event: InboundSmsEvent, storedAt: Date): InboundMessage {
  if (event.type === 'v2.sms.inbound.received') {
    const sms = event.payload;
    return {
      schemaVersion: INBOUND_MESSAGE_SCHEMA_VERSION,
      kind: INBOUND_MESSAGE_KIND,
      id: canonicalMessageId(sms.sid),
      from: sms.from,
      to: sms.to,
      text: sms.body.text,
      encoding: upperOrNull(sms.encoding),
      parts: sms.parts ?? null,
      network: emptyToNull(sms.network),
      receivedAt: sms.created ?? event.at,
      eventId: event.id,
      eventAt: event.at,
      hookHash: event.sid ?? null,
      storedAt: storedAt.toISOString(),
      source: { format: 'callr.v2', eventType: event.type },
      arrival: arrivalOf(event.id),
      keyword: keywordOf(sms.body.text),
    };
  }
  const sms = event.data;
  return {
    schemaVersion: INBOUND_MESSAGE_SCHEMA_VERSION,
    kind: INBOUND_MESSAGE_KIND,
    id: canonicalMessageId(sms.hash),
    from: sms.from,
    to: sms.to,
    text: sms.text,
    encoding: upperOrNull(sms.encoding),
    parts: sms.parts ?? null,
    network: emptyToNull(sms.network),
    receivedAt: sms.date_received ?? event.event_at,
    eventId: event.event_id,
    eventAt: event.event_at,
    hookHash: event.hook_hash ?? null,
    storedAt: storedAt.toISOString(),
    source: { format: 'callr.v1', eventType: event.type },
    arrival: arrivalOf(event.event_id),
    keyword: keywordOf(sms.text),
  };
}
