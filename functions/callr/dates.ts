/**
 * The dates CALLR writes, read into ISO 8601 UTC with milliseconds.
 *
 * - JSON-RPC SMS objects: `YYYY-MM-DD HH:MM:SS` in CALLR's examples, `YYYY-MM-DD HH:MM:SS.sss`
 *   according to its migration guide, both UTC; `0000-00-00 00:00:00` means "no date".
 * - `event_at` and every REST v2 date: ISO 8601 / RFC 3339 (`2025-04-07T13:29:30.765Z`, with or
 *   without fraction, `Z` or an offset).
 *
 * Every format is accepted in every field: CALLR's documents disagree, and a reader that refuses
 * the one it did not expect loses an authentic message. Milliseconds are kept where given (status
 * ordering compares them); digits beyond the millisecond are dropped.
 */
const CALLR_DATE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})?$/;
export const CALLR_NO_DATE = '0000-00-00 00:00:00';
const NO_DATE = /^0000-00-00[Tt ]00:00:00(?:\.0{1,9})?$/;

export type CallrDateParse = { ok: true; iso: string | null } | { ok: false };

/** Turns a CALLR date into ISO 8601 UTC (`null` for CALLR's "no date"); rejects impossible dates. */
export function parseCallrDate(value: string): CallrDateParse {
  if (NO_DATE.test(value)) return { ok: true, iso: null };
  const match = CALLR_DATE.exec(value);
  if (!match) return { ok: false };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const milliseconds = match[7] ? Number(match[7].slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
  // Date.UTC rolls 2017-02-30 over into March; a date that does not round-trip is not a date.
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!roundTrips) return { ok: false };
  const offsetMinutes = parseOffset(match[8]);
  if (offsetMinutes === undefined) return { ok: false };
  return { ok: true, iso: new Date(date.getTime() - offsetMinutes * 60_000).toISOString() };
}

/** Minutes east of UTC; none (CALLR's JSON-RPC dates) and `Z` are UTC. */
function parseOffset(offset: string | undefined): number | undefined {
  if (!offset || offset === 'Z' || offset === 'z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** The reverse, for the CALLR emulator and test factories: JSON-RPC's `YYYY-MM-DD HH:MM:SS`. */
export function formatCallrDate(date: Date | null): string {
  if (!date) return CALLR_NO_DATE;
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
