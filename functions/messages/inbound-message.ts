import { z } from 'zod';
import type { SmsMoEvent } from '../callr/events';

/**
 * The one shape downstream services receive (inbox queue) and read (table): a CALLR inbound SMS,
 * normalised and versioned. CALLR's own names and date formats stop at this boundary.
 *
 * Changing a field's meaning or removing one is a new `schemaVersion`; adding an optional field
 * is not. `docs/message.schema.json` is generated from this schema (`npm run schema`).
 */
export const INBOUND_MESSAGE_SCHEMA_VERSION = 1;

const IsoDate = z.iso.datetime();

export const InboundMessage = z
  .object({
    schemaVersion: z.literal(INBOUND_MESSAGE_SCHEMA_VERSION),
    id: z.string().describe('CALLR SMS hash: the identity of the message, the same on every delivery'),
    from: z.string().describe('Sender, as CALLR gives it (E.164 for a mobile number)'),
    to: z.string().describe('Our number or shortcode the message was sent to'),
    text: z.string(),
    encoding: z.string().nullable().describe('GSM or UNICODE'),
    parts: z.number().int().nullable().describe('Number of SMS parts the text arrived in'),
    network: z.string().nullable().describe('Mobile network code of the sender, where CALLR knows it'),
    receivedAt: IsoDate.describe('When CALLR received the SMS (ISO 8601 UTC); event_at where CALLR gives no date'),
    eventId: z.string().describe('CALLR event_id of the delivery that stored it'),
    eventAt: IsoDate.describe('CALLR event_at of that delivery'),
    hookHash: z.string().nullable().describe('CALLR webhook that delivered it; null for a per-SMS webhook'),
    storedAt: IsoDate.describe('When this system stored it'),
  })
  .describe('A CALLR inbound SMS (MO), as stored and forwarded by callr-inbound-sms');

export type InboundMessage = z.infer<typeof InboundMessage>;

const emptyToNull = (value: string | null | undefined): string | null => (value ? value : null);

/** Maps a validated `sms.mo` event onto the downstream shape. Pure. */
export function toInboundMessage(event: SmsMoEvent, storedAt: Date): InboundMessage {
  const sms = event.data;
  return {
    schemaVersion: INBOUND_MESSAGE_SCHEMA_VERSION,
    id: sms.hash,
    from: sms.from,
    to: sms.to,
    text: sms.text,
    encoding: emptyToNull(sms.encoding),
    parts: sms.parts ?? null,
    network: emptyToNull(sms.network),
    receivedAt: sms.date_received ?? new Date(event.event_at).toISOString(),
    eventId: event.event_id,
    eventAt: new Date(event.event_at).toISOString(),
    hookHash: event.hook_hash ?? null,
    storedAt: storedAt.toISOString(),
  };
}
