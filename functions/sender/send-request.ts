import { randomBytes } from 'node:crypto';
import type { CallrClient } from '../callr/json-rpc-client';
import { CallrApiError, CallrTransportError } from '../callr/errors';
import {
  claimOutboundRequest,
  linkSmsToRequest,
  markOutcomePublished,
  markUnknown,
  recordFailed,
  recordSent,
  releaseOutboundClaim,
  type OutboundRecord,
} from '../messages/outbound-store';
import type { MessageTable } from '../messages/message-store';
import { OUTBOX_OUTCOME_SCHEMA_VERSION, outcomeOfRecord, type SendFailureReason } from '../outbox/outcome';
import type { PublishOutcome } from '../outbox/publish';
import { forwardStoredStatus } from '../outbox/status-forward';
import { parseOutboxRequest, type OutboxRequest } from '../outbox/request';
import type { FindSentSms } from './lost-answers';
import { expiresAtFor, type Retention } from '../privacy/retention';

/**
 * The sender: one outbox request in, at most one SMS out, one outcome on the inbox.
 *
 * At most once: the request's send record is claimed (functions/messages/outbound-store.ts)
 * before CALLR is called, and a request whose record exists never calls CALLR again. When CALLR's
 * answer is lost (a timeout, a reset, a 5xx), CALLR may have sent the SMS: the record turns
 * `unknown`, is counted, and is resolved on the request's redelivery by looking the SMS up in
 * CALLR's own listing (`findSentSms`), never by sending again. Only when the request provably
 * never left (connection refused) is the claim given back for the redelivery to send.
 */

/** The opt-out registry, as the sender sees it: true when the number said STOP to any of our numbers. */
export interface OptOuts {
  isOptedOut(to: string): Promise<boolean>;
}

export interface SenderDependencies {
  readonly table: MessageTable;
  readonly callr: Pick<CallrClient, 'sendSms'>;
  /** Our webhook URL, set as the SMS's per-SMS webhook so that its statuses and replies come back to us. */
  readonly webhookUrl: string;
  readonly optOuts: OptOuts;
  readonly publish: PublishOutcome;
  readonly findSentSms: FindSentSms;
  readonly now: () => Date;
  /** Told when a send's answer is lost (counted, alarmed). */
  readonly onUnknown?: (requestId: string) => void;
  /** @default 96 random bits */
  readonly newClaimToken?: () => string;
  /**
   * How long a claim may be held by a live attempt: a redelivery that finds a younger claim leaves
   * it to its holder (and comes back later); an older one's holder died mid-call, so its fate is unknown.
   */
  readonly claimStaleAfterMs: number;
  /**
   * How long after the claim an unknown send may still appear in CALLR's listing. Past it, an SMS
   * not listed was not sent (`not_sent`).
   */
  readonly lookupGiveUpAfterMs: number;
  /** How long send records and their links are kept (`outboundRecords`, DynamoDB TTL). @default kept until erased */
  readonly retention?: Retention;
}

export type SendOutcome =
  | { readonly kind: 'sent'; readonly requestId: string; readonly hash: string; readonly confirmedBy: 'answer' | 'lookup' }
  | { readonly kind: 'failed'; readonly requestId: string; readonly reason: SendFailureReason }
  /** Handled before: its outcome is on the inbox (published now if an earlier attempt could not). */
  | { readonly kind: 'duplicate'; readonly requestId: string; readonly state: 'sent' | 'failed' }
  /** Not finished: come back later (the request must be delivered again). `why` says what is awaited. */
  | { readonly kind: 'pending'; readonly requestId: string; readonly why: 'claimed_elsewhere' | 'unknown' | 'not_sent_yet' }
  /** Not an outbox request, and without a requestId to answer to: for the dead-letter queue. */
  | { readonly kind: 'unreadable'; readonly reason: 'invalid_json' | 'invalid_request'; readonly detail: string };

/** Metric names, one per outcome kind, plus `sendUnknown` each time a send's answer is lost. */
export const SENDER_METRIC = {
  sent: 'sent',
  failed: 'sendFailed',
  duplicate: 'duplicateRequest',
  pending: 'sendPending',
  unreadable: 'unreadableRequest',
  unknown: 'sendUnknown',
} as const;

const randomToken = (): string => randomBytes(12).toString('base64url');

export function createSender(deps: SenderDependencies): (body: string) => Promise<SendOutcome> {
  const newToken = deps.newClaimToken ?? randomToken;
  const expiresAt = (): number | undefined => expiresAtFor('outboundRecords', deps.now(), deps.retention ?? {});

  /** Publishes what the record says happened, then marks it published: a crash in between publishes it again. */
  async function publishOutcome(record: OutboundRecord): Promise<void> {
    const outcome = outcomeOfRecord(record);
    if (!outcome) throw new RangeError(`outbox request ${record.requestId} has no outcome yet (${record.state})`);
    // Before sms.sent: a status or a reply may follow it at once, and is joined through the link.
    if (outcome.kind === 'sms.sent') await linkSmsToRequest(deps.table, record, expiresAt());
    await deps.publish(outcome);
    await markOutcomePublished(deps.table, record.requestId, deps.now());
    // A status that came before the send was recorded was stored: joined now.
    if (outcome.kind === 'sms.sent') await forwardStoredStatus(deps.table, outcome.hash, deps.publish);
  }

  async function fail(requestId: string, reason: SendFailureReason, detail: string): Promise<SendOutcome> {
    const record = await recordFailed(deps.table, requestId, { reason, detail, at: deps.now() });
    await publishOutcome(record);
    return { kind: 'failed', requestId, reason };
  }

  async function sent(requestId: string, hash: string, confirmedBy: 'answer' | 'lookup', from?: string): Promise<SendOutcome> {
    const record = await recordSent(deps.table, requestId, { hash, at: deps.now(), confirmedBy, ...(from ? { from } : {}) });
    await publishOutcome(record);
    return { kind: 'sent', requestId, hash: record.hash!, confirmedBy };
  }

  /** Ours to send: nothing has reached CALLR for this request yet. */
  async function send(request: OutboxRequest, token: string): Promise<SendOutcome> {
    let optedOut: boolean;
    try {
      optedOut = await deps.optOuts.isOptedOut(request.to);
    } catch (error) {
      // Nothing was sent: give the claim back so that the redelivery may send.
      await releaseOutboundClaim(deps.table, request.requestId, token);
      throw error;
    }
    if (optedOut) return fail(request.requestId, 'opted_out', 'the recipient opted out (STOP); nothing was sent');

    let hash: string;
    try {
      ({ hash } = await deps.callr.sendSms({
        from: '',
        to: request.to,
        text: request.text,
        webhookEndpoint: deps.webhookUrl,
        ...(request.userData !== undefined ? { userData: request.userData } : {}),
        ...(request.nature !== undefined ? { nature: request.nature } : {}),
      }));
    } catch (error) {
      if (error instanceof CallrApiError) {
        // CALLR answered: it did not send. Its code (INVALID_PARAMS...) tells the requester what to fix.
        return fail(request.requestId, 'callr_refused', `CALLR refused the SMS: ${error.code}`);
      }
      if (error instanceof CallrTransportError && error.retryable) {
        // sms.send is retryable only when the request provably never left (connection refused).
        await releaseOutboundClaim(deps.table, request.requestId, token);
        throw error;
      }
      // Anything else may have happened after CALLR took it: never sent again, resolved by lookup.
      return unknown(request.requestId);
    }
    return sent(request.requestId, hash, 'answer');
  }

  async function unknown(requestId: string): Promise<SendOutcome> {
    if (await markUnknown(deps.table, requestId, deps.now())) deps.onUnknown?.(requestId);
    return { kind: 'pending', requestId, why: 'unknown' };
  }

  /** Looks an unknown send up in CALLR's listing; never sends. */
  async function resolve(record: OutboundRecord): Promise<SendOutcome> {
    const found = await deps.findSentSms({
      to: record.to,
      textDigest: record.textDigest,
      userData: record.userData,
      claimedAt: new Date(record.claimedAt),
    });
    if (found) return sent(record.requestId, found.hash, 'lookup', found.from);
    const waitedMs = deps.now().getTime() - Date.parse(record.claimedAt);
    if (waitedMs < deps.lookupGiveUpAfterMs) return { kind: 'pending', requestId: record.requestId, why: 'not_sent_yet' };
    return fail(record.requestId, 'not_sent', "the answer to the send was lost and CALLR's listing shows no such SMS: it was not sent");
  }

  /** Somebody claimed it before: finish what its record says, never call CALLR. */
  async function finish(existing: OutboundRecord): Promise<SendOutcome> {
    switch (existing.state) {
      case 'sent':
        if (!existing.outcomePublishedAt) await publishOutcome(existing);
        return { kind: 'duplicate', requestId: existing.requestId, state: 'sent' };
      case 'failed':
        if (!existing.outcomePublishedAt) await publishOutcome(existing);
        return { kind: 'duplicate', requestId: existing.requestId, state: 'failed' };
      case 'claimed': {
        const heldMs = deps.now().getTime() - Date.parse(existing.claimedAt);
        if (heldMs < deps.claimStaleAfterMs) return { kind: 'pending', requestId: existing.requestId, why: 'claimed_elsewhere' };
        // Its holder died between the claim and the record: CALLR may have sent it.
        await unknown(existing.requestId);
        return resolve({ ...existing, state: 'unknown' });
      }
      case 'unknown':
        return resolve(existing);
    }
  }

  return async (body) => {
    const parsed = parseOutboxRequest(body);
    if (!parsed.ok) {
      if (!parsed.requestId) return { kind: 'unreadable', reason: parsed.reason, detail: parsed.detail };
      // Nothing is claimed for a request that cannot be sent: its refusal is told, and that is all.
      await deps.publish({
        schemaVersion: OUTBOX_OUTCOME_SCHEMA_VERSION,
        kind: 'sms.send_failed',
        requestId: parsed.requestId,
        to: null,
        userData: null,
        reason: 'invalid_request',
        detail: parsed.detail,
        failedAt: deps.now().toISOString(),
      });
      return { kind: 'failed', requestId: parsed.requestId, reason: 'invalid_request' };
    }
    const token = newToken();
    const at = deps.now();
    const claim = await claimOutboundRequest(deps.table, { request: parsed.request, token, at, expiresAt: expiresAtFor('outboundRecords', at, deps.retention ?? {}) });
    return claim.claimed ? send(parsed.request, token) : finish(claim.existing);
  };
}
