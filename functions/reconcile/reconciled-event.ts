import type { ListedSms } from '../callr/sms-listing';
import { reconciledEventId } from '../messages/inbound-message';
import { encodeEventMessage, type QueueMessage } from '../queues/queue-message';

/**
 * What the sweep puts on the ingest queue for an SMS CALLR lists and the table does not hold: the
 * `sms.mo` event CALLR would have posted, with the SMS object exactly as `sms.get_list` gave it as
 * `data`. It then goes through the persister like any delivery, and through the same
 * de-duplication on the SMS hash: whichever of the webhook's event and the sweep's comes first
 * stores and forwards the message, the other is a duplicate.
 *
 * It is not signed: it never crosses the HTTP boundary. Only the ingest Lambda and the reconcile
 * Lambda may send to the ingest queue, and both only what they verified (a signature, or CALLR's
 * own answer over TLS with our credentials).
 *
 * - `event_id`: `reconciled-<HASH>`, one per SMS and the same on every sweep;
 * - `event_at`: when the sweep found it (the SMS's own dates stay in `data`);
 * - `hook_hash`: null, no webhook delivered it;
 * - `try`: 0.
 */
export function reconciledEventBody(sms: ListedSms, foundAt: Date): Buffer {
  const event = {
    event_id: reconciledEventId(sms.hash),
    event_at: foundAt.toISOString(),
    hook_hash: null,
    type: 'sms.mo',
    try: 0,
    data: sms.raw,
  };
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** The ingest queue message of that event, with the attributes the ingest Lambda gives its own. */
export function reconciledEventMessage(sms: ListedSms, foundAt: Date, sweepId: string): QueueMessage {
  return encodeEventMessage(reconciledEventBody(sms, foundAt), {
    eventType: 'sms.mo',
    eventId: reconciledEventId(sms.hash),
    receivedAt: foundAt.toISOString(),
    requestId: sweepId,
  });
}
