import type { ErasureAudit } from '../functions/erasure/erase-number';
import { findItemsHoldingNumber } from '../functions/erasure/find-items';
import type { MessageTable } from '../functions/messages/message-store';
import { hashNumber, maskNumber, normaliseNumber } from '../functions/privacy/number-hash';
import { RETENTION_KINDS, type RetentionKind } from '../functions/privacy/retention';
import { UsageError } from './errors';

/**
 * `callr-mo erase` and `callr-mo number-hash`: the erasure (functions/erasure/) with the target's
 * number hash key (resolveNumberHashKey in targets.ts), and what is printed, which never holds the
 * number in clear.
 */

/** The number as erasure looks for it; refuses what holds no digits before anything is asked. */
export function parseNumber(number: string): string {
  const normalised = normaliseNumber(number);
  if (normalised.replace('+', '') === '') throw new UsageError(`--number "${number}" holds no digits: give it as CALLR writes it, e.g. +33612345678`);
  return normalised;
}

export interface ErasurePreview {
  readonly subjectHash: string;
  readonly items: number;
  readonly byKind: Readonly<Record<RetentionKind, number>>;
}

/** What an erasure would delete (`--dry-run`): nothing is changed. */
export async function previewErasure(table: MessageTable, key: Uint8Array, number: string): Promise<ErasurePreview> {
  const subjectHash = hashNumber(key, number);
  const items = await findItemsHoldingNumber(table, { number, numberHash: subjectHash });
  const byKind = Object.fromEntries(RETENTION_KINDS.map((kind) => [kind, items.filter((item) => item.kind === kind).length])) as Record<RetentionKind, number>;
  return { subjectHash, items: items.length, byKind };
}

const KIND_LABELS: Readonly<Record<RetentionKind, string>> = {
  inboundMessages: 'inbound messages',
  statuses: 'statuses',
  outboundRecords: 'outbound records',
  optOutEvidence: 'opt-out evidence',
};

const describeKinds = (byKind: Readonly<Record<RetentionKind, number>>): string =>
  RETENTION_KINDS.filter((kind) => byKind[kind] > 0).map((kind) => `${byKind[kind]} ${KIND_LABELS[kind]}`).join(', ') || 'nothing';

export function formatErasure(audit: ErasureAudit, number: string): string {
  return [
    `erased ${audit.itemsErased} item${audit.itemsErased === 1 ? '' : 's'} holding ${maskNumber(number)} (number hash ${audit.subjectHash}): ${describeKinds(audit.erasedByKind)}`,
    `kept ${audit.optOutEvidenceKept} opt-out item${audit.optOutEvidenceKept === 1 ? '' : 's'} (keyed hash only)`,
    `audit: erasure ${audit.erasureId} at ${audit.erasedAt}`,
  ].join('\n');
}

export function formatErasurePreview(preview: ErasurePreview, number: string): string {
  return `would erase ${preview.items} item${preview.items === 1 ? '' : 's'} holding ${maskNumber(number)} (number hash ${preview.subjectHash}): ${describeKinds(preview.byKind)}; nothing changed (--dry-run)`;
}
