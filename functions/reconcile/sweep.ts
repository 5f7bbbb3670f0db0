import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { CallrClient } from '../callr/json-rpc-client';
import { listSms, type ListedSms, type SmsListingGap, type SmsListingOptions, type SmsListingPage } from '../callr/sms-listing';
import { canonicalMessageId } from '../messages/inbound-message';
import { findStoredMessageIds, type MessageTable } from '../messages/message-store';
import { latestErasureAt } from '../erasure/erasure-audit';
import { hashNumber, normaliseNumber } from '../privacy/number-hash';
import type { NumberHashKeyLoader } from '../privacy/number-hash-key';
import { sendAllToQueue } from '../queues/send';
import { reconciledEventMessage } from './reconciled-event';

/**
 * The reconciliation sweep: asks CALLR for the inbound SMS it received in a time range, and hands
 * every one the table does not hold to the pipeline, as the `sms.mo` event CALLR would have posted
 * (reconciled-event.ts). Nothing here stores or forwards: the persister does, through the same
 * de-duplication as for the webhook, so an SMS both delivered and swept is stored and forwarded once.
 *
 * The check against the table only spares the queue the SMS already stored; it is not what keeps
 * a message single. An SMS the webhook stores between the check and the persister's write is a
 * duplicate there, as a CALLR retry would be.
 */

/**
 * The sweep leaves out the most recent minutes: an SMS CALLR received a moment ago is normally
 * in flight to the webhook, and counting it as recovered would raise the alarm for nothing. The
 * next sweep, whose look-back overlaps, asks for it.
 */
export const RECONCILE_SETTLE_MS = 5 * 60_000;

export interface SweepDependencies {
  readonly callr: Pick<CallrClient, 'getSmsList'>;
  readonly table: MessageTable;
  readonly sqs: SQSClient;
  readonly ingestQueueUrl: string;
  readonly now: () => Date;
  /** Page limit, call budget and back-off of the listing (sms-listing.ts defaults). */
  readonly listing?: Omit<SmsListingOptions, 'onPage' | 'onWarning'>;
  /** Told what the sweep is doing (the CLI prints it on stderr; the Lambda logs it). Never message text. */
  readonly onProgress?: (progress: SweepProgress) => void;
  /** Told about listed SMS left out and ranges not listed in full. */
  readonly onWarning?: SmsListingOptions['onWarning'];
  /** @default 48 random bits, base64url, after `reconcile-` */
  readonly newSweepId?: () => string;
  /**
   * The number hash key, to respect erasures: an SMS whose sender was erased (`callr-mo erase`)
   * after CALLR received it is not handed to the pipeline again, or the sweep would undo the
   * erasure for as long as CALLR lists it. Without it, no SMS is skipped (tests of the sweep alone).
   */
  readonly numberHashKey?: NumberHashKeyLoader;
}

export type SweepProgress =
  | { readonly stage: 'listed'; readonly page: SmsListingPage }
  | { readonly stage: 'checked'; readonly listed: number; readonly alreadyStored: number; readonly erased: number }
  | { readonly stage: 'recovering'; readonly sent: number; readonly total: number };

export interface SweepRange {
  /** Included. */
  readonly from: Date;
  /** Excluded. */
  readonly to: Date;
}

export interface SweepSummary {
  /** Tells this sweep's events apart in the queue (their `requestId` attribute) and in logs. */
  readonly sweepId: string;
  readonly from: string;
  readonly to: string;
  /** Inbound SMS CALLR listed for the range (each once). */
  readonly asked: number;
  /** Of those, already in the table. */
  readonly alreadyStored: number;
  /** Of those, left out: their sender was erased after CALLR received them (the person asked to be forgotten). */
  readonly erased: number;
  /** Of those, handed to the pipeline: each one is an SMS the webhook path had lost. */
  readonly recovered: number;
  /** Their message ids (the canonical SMS hashes), oldest first. */
  readonly recoveredIds: readonly string[];
  /** False when part of the range could not be listed in full (`gaps`): run the sweep again on it. */
  readonly complete: boolean;
  readonly gaps: readonly SmsListingGap[];
  /** `sms.get_list` calls made. */
  readonly calls: number;
  /** Listed items left out (without a hash, or not inbound). */
  readonly skipped: number;
}

/** The sweep's range for a scheduled run: the look-back up to a few minutes ago. */
export function scheduledSweepRange(now: Date, lookBackMs: number, settleMs: number = RECONCILE_SETTLE_MS): SweepRange {
  const to = new Date(now.getTime() - settleMs);
  return { from: new Date(to.getTime() - lookBackMs), to };
}

const randomSweepId = () => `reconcile-${randomBytes(6).toString('base64url')}`;

export async function reconcileInbound(deps: SweepDependencies, range: SweepRange): Promise<SweepSummary> {
  const sweepId = (deps.newSweepId ?? randomSweepId)();
  const listing = await listSms(
    deps.callr,
    { type: 'IN', from: range.from, to: range.to },
    { ...deps.listing, onPage: (page) => deps.onProgress?.({ stage: 'listed', page }), onWarning: deps.onWarning },
  );

  const stored = await findStoredMessageIds(deps.table, listing.sms.map((sms) => canonicalMessageId(sms.hash)));
  const notStored: ListedSms[] = listing.sms.filter((sms) => !stored.has(canonicalMessageId(sms.hash)));
  const missing = await withoutErased(deps, notStored);
  const alreadyStored = listing.sms.length - notStored.length;
  const erased = notStored.length - missing.length;
  deps.onProgress?.({ stage: 'checked', listed: listing.sms.length, alreadyStored, erased });

  // Oldest first, in slices, so that progress moves and a sweep cut short has sent the oldest.
  const foundAt = deps.now();
  const SLICE = 100;
  for (let start = 0; start < missing.length; start += SLICE) {
    const slice = missing.slice(start, start + SLICE);
    await sendAllToQueue(deps.sqs, deps.ingestQueueUrl, slice.map((sms) => reconciledEventMessage(sms, foundAt, sweepId)));
    deps.onProgress?.({ stage: 'recovering', sent: start + slice.length, total: missing.length });
  }

  return {
    sweepId,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    asked: listing.sms.length,
    alreadyStored,
    erased,
    recovered: missing.length,
    recoveredIds: missing.map((sms) => canonicalMessageId(sms.hash)),
    complete: listing.complete,
    gaps: listing.gaps,
    calls: listing.calls,
    skipped: listing.skipped,
  };
}

/**
 * The SMS whose sender was not erased after CALLR received them. One lookup per sender; an SMS
 * without a date of its own from an erased sender is left out too (erased is what was asked).
 */
async function withoutErased(deps: SweepDependencies, sms: readonly ListedSms[]): Promise<ListedSms[]> {
  if (!deps.numberHashKey || sms.length === 0) return [...sms];
  const key = await deps.numberHashKey.load();
  const erasures = new Map<string, Promise<string | undefined>>();
  const erasedAtOf = (from: string) => {
    const subjectHash = hashNumber(key, normaliseNumber(from));
    if (!erasures.has(subjectHash)) erasures.set(subjectHash, latestErasureAt(deps.table, subjectHash));
    return erasures.get(subjectHash)!;
  };
  const kept: ListedSms[] = [];
  for (const item of sms) {
    const erasedAt = item.from ? await erasedAtOf(item.from) : undefined;
    const receivedAt = item.receivedAt ?? item.createdAt;
    if (erasedAt !== undefined && (receivedAt === undefined || receivedAt <= erasedAt)) continue;
    kept.push(item);
  }
  return kept;
}
