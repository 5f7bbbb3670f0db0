import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, PutCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { MessageTable } from '../messages/message-store';
import { getOptOutRecords } from '../optouts/registry';
import { hashNumber, normaliseNumber } from '../privacy/number-hash';
import { RETENTION_KINDS, type RetentionKind } from '../privacy/retention';
import { backOff, ErasureIncompleteError, MAX_BATCH_ATTEMPTS } from './errors';
import { findItemsHoldingNumber, type ItemRef } from './find-items';

/**
 * Erasure by phone number (GDPR art. 17): deletes every item the table holds with the number —
 * inbound messages from and to it, statuses, outbound records, and with them their index entries —
 * keeps the opt-out evidence (the keyed hash only, which must outlive the erasure or the person
 * would be sent SMS again), and writes an audit item that says when, how many items of which
 * kinds, under the number's keyed hash, never the number. docs/operations.md, "A person asks to be
 * forgotten", says what it cannot reach.
 */

/** The audit items: `pk = erasure#<number hash>`, `sk = <erasedAt>#<random id>`. */
export const ERASURE_AUDIT_PREFIX = 'erasure#';

export interface ErasureAudit {
  readonly erasureId: string;
  /** ISO 8601 UTC. */
  readonly erasedAt: string;
  /** hashNumber(key, number): what the audit is found by; the number itself is kept nowhere. */
  readonly subjectHash: string;
  /** Items deleted. */
  readonly itemsErased: number;
  /** Of which, per kind (every kind, 0 included). */
  readonly erasedByKind: Readonly<Record<RetentionKind, number>>;
  /** Opt-out items kept, which hold the keyed hash only. */
  readonly optOutEvidenceKept: number;
}

export interface EraseNumberInput {
  readonly number: string;
  readonly key: Uint8Array;
  readonly now: Date;
  /** @default 12 random bytes, base64url */
  readonly erasureId?: string;
}

export async function eraseNumber(table: MessageTable, input: EraseNumberInput): Promise<ErasureAudit> {
  const number = normaliseNumber(input.number);
  if (number.replace('+', '').length === 0) throw new RangeError(`"${input.number}" holds no digits: give the number as CALLR writes it, e.g. +33612345678`);
  const subjectHash = hashNumber(input.key, number);
  const items = await findItemsHoldingNumber(table, { number, numberHash: subjectHash });
  await deleteItems(table, items);

  const erasedByKind = Object.fromEntries(RETENTION_KINDS.map((kind) => [kind, items.filter((item) => item.kind === kind).length])) as Record<
    RetentionKind,
    number
  >;
  const audit: ErasureAudit = {
    erasureId: input.erasureId ?? randomBytes(12).toString('base64url'),
    erasedAt: input.now.toISOString(),
    subjectHash,
    itemsErased: items.length,
    erasedByKind,
    optOutEvidenceKept: (await getOptOutRecords(table, subjectHash)).length,
  };
  // Not under the byNumberHash index's attribute: a later erasure of the same number keeps it.
  await table.documents.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { pk: `${ERASURE_AUDIT_PREFIX}${subjectHash}`, sk: `${audit.erasedAt}#${audit.erasureId}`, ...audit },
    }),
  );
  return audit;
}

/** BatchWriteItem, 25 deletes at a time; what DynamoDB leaves unprocessed is sent again, bounded. */
async function deleteItems(table: MessageTable, items: readonly ItemRef[]): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    let pending: unknown[] | undefined = items.slice(start, start + 25).map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS) {
        throw new ErasureIncompleteError(`DynamoDB left ${pending.length} items undeleted after ${MAX_BATCH_ATTEMPTS} attempts; run the erasure again`);
      }
      if (attempt > 0) await backOff(attempt);
      const answer: BatchWriteCommandOutput = await table.documents.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: pending as never } }));
      pending = answer.UnprocessedItems?.[table.tableName];
    }
  }
}
