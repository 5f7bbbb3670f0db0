import { listSms } from '../callr/sms-listing';
import type { CallrClient } from '../callr/json-rpc-client';
import { textDigest } from '../messages/outbound-store';

/**
 * Resolving a send whose answer was lost, by looking the SMS up in CALLR's listing (sms.get_list
 * OUT, for that recipient, around the minute it was claimed), never by sending again.
 *
 * CALLR's listing gives no request id, so an SMS is ours when it goes to the same number, carries
 * the same user_data (when we sent one) and the same text (compared by digest: the record keeps no
 * text). Of several such SMS (the same text sent twice to one number within minutes, by two
 * requests, both answers lost), the one created nearest the claim wins.
 */

/** An SMS as CALLR's listing shows it: the fields the match reads (functions/callr/sms-listing.ts `ListedSms`). */
export interface ListedOutboundSms {
  readonly hash: string;
  readonly from: string;
  readonly to: string;
  readonly text?: string;
  readonly userData?: string;
  /** ISO 8601 UTC. */
  readonly createdAt?: string;
}

export interface SentSmsQuery {
  readonly to: string;
  readonly textDigest: string;
  readonly userData: string | null;
  /** When the request was claimed: CALLR created the SMS at most a call's timeout later. */
  readonly claimedAt: Date;
}

export type FindSentSms = (query: SentSmsQuery) => Promise<{ readonly hash: string; readonly from?: string } | undefined>;

/** Seconds asked before and after the claim: the clocks of Lambda and CALLR, and the call itself. */
export const LOOKUP_MARGIN_MS = 60_000;

/**
 * Lists OUT SMS to one recipient in a range (`listSms` over the CALLR client: CALLR's, or the
 * emulator's). `complete` is false when part of the range could not be listed in full.
 */
export type ListOutboundSms = (query: {
  readonly recipient: string;
  readonly from: Date;
  readonly to: Date;
}) => Promise<{ readonly sms: readonly ListedOutboundSms[]; readonly complete: boolean }>;

/** CALLR's own listing over its client: OUT SMS to one recipient, paged and bounded by `listSms`. */
export function callrOutboundListing(callr: Pick<CallrClient, 'getSmsList'>): ListOutboundSms {
  return async ({ recipient, from, to }) => listSms(callr, { type: 'OUT', from, to, recipient });
}

/** The listing could not be read in full and the SMS was not in what it showed: try again later, never conclude. */
export class ListingIncompleteError extends Error {
  constructor(to: string) {
    super(`CALLR's listing of SMS sent to ${to} around the claim was not complete; the lookup is tried again on the next delivery`);
    this.name = 'ListingIncompleteError';
  }
}

export function findSentSmsIn(list: ListOutboundSms): FindSentSms {
  return async (query) => {
    const claimedAt = query.claimedAt.getTime();
    const listing = await list({ recipient: query.to, from: new Date(claimedAt - LOOKUP_MARGIN_MS), to: new Date(claimedAt + LOOKUP_MARGIN_MS) });
    const candidates = listing.sms.filter(
      (sms) =>
        sameNumber(sms.to, query.to) &&
        (query.userData === null ? !sms.userData : sms.userData === query.userData) &&
        sms.text !== undefined &&
        textDigest(sms.text) === query.textDigest,
    );
    const distance = (sms: ListedOutboundSms) => (sms.createdAt ? Math.abs(Date.parse(sms.createdAt) - claimedAt) : Number.MAX_SAFE_INTEGER);
    const [best] = [...candidates].sort((a, b) => distance(a) - distance(b));
    if (best) return { hash: best.hash.toUpperCase(), ...(best.from ? { from: best.from } : {}) };
    if (!listing.complete) throw new ListingIncompleteError(query.to);
    return undefined;
  };
}

/** CALLR writes numbers with or without `+`. */
function sameNumber(a: string, b: string): boolean {
  const digits = (value: string) => value.replace(/[^0-9]/g, '');
  return digits(a) === digits(b);
}
