/**
 * DynamoDB's item size, computed the way DynamoDB documents it (Developer Guide, "Item sizes and
 * formats"), over an item as the document client takes it (before marshalling). Pure.
 *
 * Computed here rather than learnt from a refused write: DynamoDB answers an oversized item with a
 * ValidationException told apart from other validation errors only by its message, and dynalite
 * measures strings in UTF-16 code units where DynamoDB counts UTF-8 bytes.
 */

import { ItemRejectedError } from './errors';
import { ITEM_ATTRIBUTES } from './table-design';

/** DynamoDB's limit on one item: 400 KB, attribute names and values included. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * What the store allows itself: a margin under the limit for the attributes later updates add
 * (the forward mark, a claim taken on a redelivery: under 100 bytes) and for the estimate of
 * numbers, which DynamoDB sizes by their significant digits.
 */
export const ITEM_BUDGET_BYTES = MAX_ITEM_BYTES - 1024;

/** Bytes an item takes in DynamoDB: every attribute's name (UTF-8) plus its value. */
export function dynamoItemSize(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue; // removeUndefinedValues: not written
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Set) {
    let size = 0;
    for (const member of value) size += valueSize(member);
    return size;
  }
  // Lists and maps: 3 bytes, plus 1 byte per element, plus the elements (and a map's names).
  if (Array.isArray(value)) {
    return value.reduce<number>((sum, element) => sum + (element === undefined ? 0 : 1 + valueSize(element)), 3);
  }
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
      if (element === undefined) continue;
      size += 1 + Buffer.byteLength(name, 'utf8') + valueSize(element);
    }
    return size;
  }
  throw new TypeError(`no DynamoDB size for a ${typeof value}`);
}

/** About 1 byte per 2 significant digits, plus 1; DynamoDB holds at most 38 digits (21 bytes). */
function numberSize(value: number | bigint): number {
  const digits = String(value).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.min(21, Math.ceil(Math.max(digits.length, 1) / 2) + 1);
}

/** Why the raw copy is missing from a stored item (attribute `rawOmitted`). */
export type RawOmitted = 'too_large';

export interface FittedItem {
  readonly item: Record<string, unknown>;
  readonly rawOmitted?: RawOmitted;
}

/**
 * The item as it can be written: with its raw copy when it fits the budget; else without it and
 * flagged `rawOmitted: 'too_large'`, because an authentic message must be stored, and its audit
 * copy is what gives way. When even that does not fit (a text larger than any CALLR sends: the
 * ingest takes bodies up to 256 KiB), no item can hold it and truncating it would store a wrong
 * message: ItemRejectedError('item_too_large'), for the dead-letter queue, which keeps the event.
 */
export function fitToItemLimit(item: Record<string, unknown>, what: string): FittedItem {
  const size = dynamoItemSize(item);
  if (size <= ITEM_BUDGET_BYTES) return { item };
  const { [ITEM_ATTRIBUTES.raw]: _raw, ...withoutRaw } = item;
  const rawOmitted: RawOmitted = 'too_large';
  const fitted = { ...withoutRaw, [ITEM_ATTRIBUTES.rawOmitted]: rawOmitted };
  const fittedSize = dynamoItemSize(fitted);
  if (fittedSize <= ITEM_BUDGET_BYTES) return { item: fitted, rawOmitted };
  throw new ItemRejectedError(
    'item_too_large',
    `${what} takes ${fittedSize} bytes, which exceeds DynamoDB's 400 KB item limit even without its raw copy (${size} bytes with it)`,
  );
}
