import type { MessageTable } from '../messages/message-store';
import { getOutboundLink, recordSenderNumber } from '../messages/outbound-store';
import { claimStatusForward, getStatusToForward, isNewTransition, releaseStatusForward } from '../messages/status-store';
import { OUTBOX_OUTCOME_SCHEMA_VERSION } from './outcome';
import type { PublishOutcome } from './publish';

/**
 * Puts the stored delivery status of an SMS sent through the outbox on the inbox (`sms.status`),
 * once per transition (the same status again is none), newest wins: called by the persister after each status event (applied or
 * stale: a stale one may find the newest not forwarded yet, after a failed forward), and by the
 * sender once it records a send, so that a status that came before the record is joined then.
 *
 * Returns what it did: `not_outbound` (no such request: an SMS sent otherwise, or a status that
 * came before the send was recorded, stored and forwarded when it is), `no_status`, `forwarded`,
 * `already_forwarded` (this status, the same status, or a newer one, is on the inbox or being put there).
 * A publish that fails gives the claim back and throws, for the caller's retry.
 */
export type StatusForward = 'not_outbound' | 'no_status' | 'forwarded' | 'already_forwarded';

export async function forwardStoredStatus(table: MessageTable, smsHash: string, publish: PublishOutcome): Promise<StatusForward> {
  const [link, stored] = await Promise.all([getOutboundLink(table, smsHash), getStatusToForward(table, smsHash)]);
  if (!link) return 'not_outbound';
  if (!stored) return 'no_status';
  const { status, forwarded } = stored;
  if (status.from && !link.from) await recordSenderNumber(table, link.requestId, status.from);
  if (!isNewTransition(status, forwarded)) return 'already_forwarded';
  if (!(await claimStatusForward(table, status))) return 'already_forwarded';
  try {
    await publish({
      schemaVersion: OUTBOX_OUTCOME_SCHEMA_VERSION,
      kind: 'sms.status',
      requestId: link.requestId,
      hash: status.id.toUpperCase(),
      to: link.to,
      from: status.from || null,
      userData: link.userData,
      status: status.status,
      statusError: status.statusError,
      statusAt: status.eventAt,
      eventId: status.eventId,
    });
  } catch (error) {
    await releaseStatusForward(table, status.id, { eventAt: status.eventAt, status: status.status }, forwarded).catch(() => undefined);
    throw error;
  }
  return 'forwarded';
}
