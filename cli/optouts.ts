import type { MessageTable } from '../functions/messages/message-store';
import { getOptOutRecords, type OptOutRecord } from '../functions/optouts/registry';
import { hashNumber, normaliseNumber } from '../functions/privacy/number-hash';
import { UsageError } from './errors';
import { escapeForTerminal, renderTable } from './format';

/**
 * `callr-mo optouts check`: whether a number asked not to receive our SMS, from one number of ours
 * or from any (what the sender of outbound SMS asks, since CALLR picks the number it sends from),
 * and the evidence the registry keeps (docs/table-design.md, "Opt-outs").
 */

export interface OptOutCheck {
  /** The number asked about, normalised as it is hashed. */
  readonly number: string;
  /** Our number asked about; null: any of ours. */
  readonly to: string | null;
  readonly optedOut: boolean;
  /** What the registry holds for the number (for `to` only, when given): each word it sent and when. */
  readonly records: readonly OptOutRecord[];
}

export function parseOptOutQuery(flags: { readonly number?: string; readonly to?: string }): { number: string; to: string | null } {
  const number = flags.number?.trim() ?? '';
  if (!/\d/.test(number)) throw new UsageError('--number <the sender\'s number> is required, e.g. --number +33612345678');
  const to = flags.to === undefined ? null : flags.to.trim();
  if (to === '') throw new UsageError('--to must not be empty (leave it out to ask about all of our numbers)');
  return { number, to };
}

export async function checkOptOut(table: MessageTable, key: Uint8Array, query: { number: string; to: string | null }): Promise<OptOutCheck> {
  const all = await getOptOutRecords(table, hashNumber(key, query.number));
  const records = query.to === null ? all : all.filter((record) => record.ourNumber === normaliseNumber(query.to!));
  return { number: normaliseNumber(query.number), to: query.to, optedOut: records.some((record) => record.optedOut), records };
}

export function formatOptOutCheck(check: OptOutCheck): string {
  const where = check.to === null ? 'any of our numbers' : escapeForTerminal(check.to);
  const verdict = `${escapeForTerminal(check.number)} is ${check.optedOut ? 'OPTED OUT' : 'not opted out'} from ${where}`;
  if (check.records.length === 0) return `${verdict} (no stop or start word from it)`;
  const table = renderTable(
    ['our number', 'state', 'word', 'at', 'message id'],
    check.records.map((record) => [record.ourNumber, record.optedOut ? 'opted out' : 'opted in', record.word, record.at, record.messageId]),
  );
  return `${verdict}\n${table}`;
}
