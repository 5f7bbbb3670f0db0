/**
 * CALLR writes the dates inside an SMS object as `YYYY-MM-DD HH:MM:SS` in UTC, and
 * `0000-00-00 00:00:00` for "no date".
 */
const CALLR_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
export const CALLR_NO_DATE = '0000-00-00 00:00:00';

export type CallrDateParse = { ok: true; iso: string | null } | { ok: false };

/** Turns a CALLR date into ISO 8601 UTC (`null` for CALLR's "no date"); rejects impossible dates. */
export function parseCallrDate(value: string): CallrDateParse {
  if (value === CALLR_NO_DATE) return { ok: true, iso: null };
  const match = CALLR_DATE.exec(value);
  if (!match) return { ok: false };
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number, number, number, number, number, number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 2017-02-30 over into March; a date that does not round-trip is not a date.
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? { ok: true, iso: date.toISOString() } : { ok: false };
}

/** The reverse, for the CALLR emulator and test factories. */
export function formatCallrDate(date: Date | null): string {
  if (!date) return CALLR_NO_DATE;
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
