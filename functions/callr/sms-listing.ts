import { setTimeout as sleep } from 'node:timers/promises';
import { parseCallrDate } from './dates';
import { CallrApiError, CallrTransportError } from './errors';
import type { CallrClient, CallrWarning } from './json-rpc-client';

/**
 * CALLR's SMS listing (`sms.get_list(type, from, to)`), complete over a time range, bounded, and
 * read tolerantly.
 *
 * What CALLR documents (JSON-RPC `sms.get_list`, REST v1.1 `GET /sms`, and every SDK): three
 * required parameters, the direction `IN` or `OUT` and two dates `YYYY-MM-DD HH:MM:SS` in UTC; the
 * answer is an array of SMS objects. It publishes no page size, no cursor and no ordering, and its
 * examples ask `from` = `to` for one second, so both ends are taken as included. Since nothing
 * tells a complete answer from one cut short, an answer of `pageLimit` items or more is treated as
 * cut short: its range is halved and each half asked again, down to one second. Every call counts
 * against `maxCalls`; what could not be listed in full is reported in `gaps`, never silently left
 * out. The sender and recipient filters are applied here, to what CALLR answered: the method has no
 * such parameters.
 */

export const SMS_DIRECTIONS = ['IN', 'OUT'] as const;
export type SmsDirection = (typeof SMS_DIRECTIONS)[number];

/** An answer this long or longer is taken as cut short (CALLR publishes no page size). */
export const DEFAULT_SMS_LIST_PAGE_LIMIT = 500;
/**
 * Calls one listing may make. Each full answer costs two more calls, so 200 calls list about
 * 100 full pages (50,000 SMS at the default page limit) in one range: far above what 48 hours of
 * inbound SMS hold for the accounts this is built for, and a bound on what one sweep may cost.
 */
export const DEFAULT_SMS_LIST_MAX_CALLS = 200;
/** Waits after a rate limit or a CALLR outage the client's own retries did not outlast: 1 s, 2 s, 4 s. */
export const DEFAULT_SMS_LIST_BACK_OFF: SmsListingBackOff = { baseDelayMs: 1_000, maxRetries: 3 };

export interface SmsListingBackOff {
  readonly baseDelayMs: number;
  /** Waits per range before the listing gives up and throws the last error. */
  readonly maxRetries: number;
}

export interface ListSmsInput {
  readonly type: SmsDirection;
  /** Included. CALLR is asked whole seconds: this is rounded down to its second. */
  readonly from: Date;
  /** Excluded; its second is asked too when it has milliseconds (a few SMS too many never hurt: they are de-duplicated downstream). */
  readonly to: Date;
  /** Only SMS from this number (or alphanumeric sender), compared without spaces, dashes or `+`. */
  readonly sender?: string;
  /** Only SMS to this number, compared likewise. */
  readonly recipient?: string;
}

/** An SMS object as CALLR lists it, read leniently: only `hash` is required, the rest is there when usable. */
export interface ListedSms {
  /** CALLR's SMS id (`hash`), the key messages are stored by. */
  readonly hash: string;
  readonly type: SmsDirection;
  /** `''` when CALLR's object has no usable `from` (an inbound SMS without one cannot be stored). */
  readonly from: string;
  readonly to: string;
  readonly text?: string;
  readonly status?: string;
  readonly userData?: string;
  /** ISO 8601 UTC of `date_creation`, `date_received`, `date_sent`, when given. */
  readonly createdAt?: string;
  readonly receivedAt?: string;
  readonly sentAt?: string;
  /** The object exactly as CALLR sent it: what a reconciled event carries as `data`. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A part of the asked range that was not listed in full. */
export interface SmsListingGap {
  /** ISO 8601 UTC, first second of the gap. */
  readonly from: string;
  /** ISO 8601 UTC, last second of the gap (included). */
  readonly to: string;
  readonly reason:
    /** Still `pageLimit` items in one second: CALLR may hold more there than it answered. */
    | 'full_at_one_second'
    /** `maxCalls` was reached before this range was asked. */
    | 'call_budget';
}

export interface SmsListing {
  /** De-duplicated on `hash`, oldest first (SMS without a usable date last, in CALLR's order). */
  readonly sms: ListedSms[];
  /** True when every second of the range was listed in full. */
  readonly complete: boolean;
  readonly gaps: SmsListingGap[];
  /** `sms.get_list` calls made (a retried call counts once per attempt the listing made). */
  readonly calls: number;
  /** Items CALLR answered that were left out: without a usable `hash`, or of the other direction. */
  readonly skipped: number;
}

export interface SmsListingPage {
  readonly from: string;
  readonly to: string;
  readonly items: number;
  /** The answer was full and its range is asked again in halves. */
  readonly narrowed: boolean;
}

export interface SmsListingOptions {
  /** @default DEFAULT_SMS_LIST_PAGE_LIMIT */
  readonly pageLimit?: number;
  /** @default DEFAULT_SMS_LIST_MAX_CALLS */
  readonly maxCalls?: number;
  /** @default DEFAULT_SMS_LIST_BACK_OFF */
  readonly backOff?: SmsListingBackOff;
  /** @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** Told about each answer (for progress). */
  readonly onPage?: (page: SmsListingPage) => void;
  /** Told about items left out and gaps (for logs); never receives message text. */
  readonly onWarning?: (warning: CallrWarning) => void;
}

const METHOD = 'sms.get_list';

/** An inclusive range of whole seconds since the epoch. */
interface SecondRange {
  readonly first: number;
  readonly last: number;
}

export async function listSms(callr: Pick<CallrClient, 'getSmsList'>, input: ListSmsInput, options: SmsListingOptions = {}): Promise<SmsListing> {
  const pageLimit = positiveInteger(options.pageLimit ?? DEFAULT_SMS_LIST_PAGE_LIMIT, 'pageLimit');
  const maxCalls = positiveInteger(options.maxCalls ?? DEFAULT_SMS_LIST_MAX_CALLS, 'maxCalls');
  const backOff = options.backOff ?? DEFAULT_SMS_LIST_BACK_OFF;
  const wait = options.sleep ?? sleep;
  checkInput(input);

  const found = new Map<string, ListedSms>();
  const gaps: SmsListingGap[] = [];
  let calls = 0;
  let skipped = 0;

  const first = Math.floor(input.from.getTime() / 1000);
  const last = Math.ceil(input.to.getTime() / 1000) - 1;
  // Oldest first: a stack whose top is the earliest range still to ask.
  const pending: SecondRange[] = last >= first ? [{ first, last }] : [];

  const ask = async (range: SecondRange): Promise<unknown[]> => {
    for (let retry = 0; ; retry++) {
      calls += 1;
      try {
        return await callr.getSmsList({ type: input.type, from: new Date(range.first * 1000), to: new Date(range.last * 1000) });
      } catch (error) {
        if (!worthWaitingFor(error) || retry >= backOff.maxRetries || calls >= maxCalls) throw error;
        await wait(backOff.baseDelayMs * 2 ** retry);
      }
    }
  };

  while (pending.length > 0) {
    if (calls >= maxCalls) {
      for (const range of pending.reverse()) gaps.push(gapOf(range, 'call_budget'));
      break;
    }
    const range = pending.pop()!;
    const items = await ask(range);
    const full = items.length >= pageLimit;
    const narrowed = full && range.last > range.first;
    options.onPage?.({ from: isoOf(range.first), to: isoOf(range.last), items: items.length, narrowed });

    // Kept even when the range is asked again in halves: what CALLR answered is real, and de-duplicated.
    items.forEach((item, index) => {
      const read = readListedSms(item, input.type);
      if (!read.ok) {
        skipped += 1;
        options.onWarning?.({ method: METHOD, message: `Skipped a listed CALLR SMS: ${read.reason}`, index, ...(read.hash ? { hash: read.hash } : {}) });
        return;
      }
      if (!found.has(read.sms.hash)) found.set(read.sms.hash, read.sms);
    });

    if (narrowed) {
      const middle = range.first + Math.floor((range.last - range.first) / 2);
      pending.push({ first: middle + 1, last: range.last }, { first: range.first, last: middle });
    } else if (full) {
      gaps.push(gapOf(range, 'full_at_one_second'));
    }
  }

  for (const gap of gaps) {
    options.onWarning?.({ method: METHOD, message: 'Part of the range was not listed in full', from: gap.from, to: gap.to, reason: gap.reason });
  }
  const sms = [...found.values()].filter((item) => matches(item.from, input.sender) && matches(item.to, input.recipient));
  return { sms: oldestFirst(sms), complete: gaps.length === 0, gaps, calls, skipped };
}

export type ListedSmsRead = { ok: true; sms: ListedSms } | { ok: false; reason: string; hash?: string };

/**
 * Reads one item of a listing. Strict on the two things a wrong value would make us act on the
 * wrong SMS for: a non-empty `hash`, and a `type` that is the direction asked for (absent is taken
 * as the one asked). Every other field is taken when it is a usable value and left out otherwise.
 */
export function readListedSms(value: unknown, expected: SmsDirection): ListedSmsRead {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not an object' };
  const item = value as Record<string, unknown>;
  const hash = text(item.hash);
  if (hash === undefined) return { ok: false, reason: 'no hash' };
  const type = text(item.type)?.toUpperCase() ?? expected;
  if (type !== expected) return { ok: false, reason: `type ${type}, not ${expected}`, hash };
  const optional = {
    text: typeof item.text === 'string' ? item.text : undefined,
    status: text(item.status),
    userData: text(item.user_data),
    createdAt: date(item.date_creation),
    receivedAt: date(item.date_received),
    sentAt: date(item.date_sent),
  };
  const present = Object.fromEntries(Object.entries(optional).filter(([, field]) => field !== undefined));
  return { ok: true, sms: { hash, type, from: text(item.from) ?? '', to: text(item.to) ?? '', ...present, raw: item } };
}

/** A rate limit, or an outage the client's own (short) retries did not outlast: worth a longer wait. */
function worthWaitingFor(error: unknown): boolean {
  if (error instanceof CallrTransportError) return error.retryable || error.httpStatus === 429;
  if (error instanceof CallrApiError) return error.httpStatus === 429 || /RATE_LIMIT|TOO_MANY|THROTTL/.test(error.code);
  return false;
}

function checkInput(input: ListSmsInput): void {
  if (!(SMS_DIRECTIONS as readonly string[]).includes(input.type)) throw new RangeError(`listSms: type must be IN or OUT, got ${String(input.type)}`);
  for (const field of ['from', 'to'] as const) {
    if (!(input[field] instanceof Date) || Number.isNaN(input[field].getTime())) throw new RangeError(`listSms: ${field} must be a valid Date`);
  }
  if (input.to.getTime() < input.from.getTime()) {
    throw new RangeError(`listSms: to (${input.to.toISOString()}) is before from (${input.from.toISOString()})`);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`listSms: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** Numbers are written `+33 6 12…`, `33612…` or `+33-6-12…`: compared on letters and digits only. */
const comparable = (number: string) => number.replace(/[^0-9A-Za-z]/g, '').toUpperCase();

function matches(value: string, wanted: string | undefined): boolean {
  return wanted === undefined || comparable(value) === comparable(wanted);
}

function oldestFirst(sms: ListedSms[]): ListedSms[] {
  const when = (item: ListedSms) => item.createdAt ?? item.receivedAt ?? item.sentAt;
  return sms
    .map((item, index) => ({ item, index, at: when(item) }))
    .sort((a, b) => (a.at && b.at ? a.at.localeCompare(b.at) : a.at ? -1 : b.at ? 1 : 0) || a.index - b.index)
    .map(({ item }) => item);
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function date(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = parseCallrDate(value);
  return parsed.ok && parsed.iso !== null ? parsed.iso : undefined;
}

const isoOf = (second: number) => new Date(second * 1000).toISOString();

const gapOf = (range: SecondRange, reason: SmsListingGap['reason']): SmsListingGap => ({ from: isoOf(range.first), to: isoOf(range.last), reason });
