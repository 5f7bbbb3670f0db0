import { formatCallrDate } from '../../functions/callr/dates';
import { CallrApiError, CallrTransportError } from '../../functions/callr/errors';
import type { GetSmsListInput } from '../../functions/callr/json-rpc-client';
import { listSms, readListedSms, type SmsListingOptions } from '../../functions/callr/sms-listing';

/**
 * listSms over a CALLR whose answers we script: `sms.get_list` answers the SMS of the asked
 * seconds (both included), cut to `cap` items like an unpublished page size would.
 */
const at = (iso: string) => new Date(iso);
const T0 = at('2026-03-01T10:00:00Z');
const second = (n: number) => new Date(T0.getTime() + n * 1000);

function smsAt(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const date = formatCallrDate(second(n));
  return {
    type: 'IN',
    hash: `SMS${String(n).padStart(5, '0')}`,
    from: '+33612345678',
    to: '+33987654321',
    text: `text ${n}`,
    status: 'RECEIVED',
    user_data: '',
    date_creation: date,
    date_update: date,
    date_sent: '0000-00-00 00:00:00',
    date_received: date,
    ...overrides,
  };
}

function scriptedCallr(items: Array<Record<string, unknown>>, cap = Infinity) {
  const asked: Array<[string, string]> = [];
  const callr = {
    async getSmsList(input: GetSmsListInput): Promise<unknown[]> {
      asked.push([formatCallrDate(input.from), formatCallrDate(input.to)]);
      const within = items.filter((item) => {
        const date = String(item.date_creation);
        return date >= formatCallrDate(input.from) && date <= formatCallrDate(input.to);
      });
      return within.slice(0, cap);
    },
  };
  return { callr, asked };
}

const noWait: SmsListingOptions = { sleep: async () => undefined };

describe('listSms', () => {
  it('asks CALLR once for a range whose answer is not full, in whole seconds, the end excluded', async () => {
    const { callr, asked } = scriptedCallr([smsAt(0), smsAt(30), smsAt(59), smsAt(60)]);

    const listing = await listSms(callr, { type: 'IN', from: second(0), to: second(60) }, noWait);

    expect(asked).toEqual([['2026-03-01 10:00:00', '2026-03-01 10:00:59']]);
    expect(listing).toEqual({
      sms: [expect.objectContaining({ hash: 'SMS00000' }), expect.objectContaining({ hash: 'SMS00030' }), expect.objectContaining({ hash: 'SMS00059' })],
      complete: true,
      gaps: [],
      calls: 1,
      skipped: 0,
    });
  });

  it('halves a range whose answer is full until each answer is not, and finds every SMS once', async () => {
    const items = Array.from({ length: 40 }, (_, n) => smsAt(n * 3));
    const { callr, asked } = scriptedCallr(items, 5);
    const pages: boolean[] = [];

    const listing = await listSms(callr, { type: 'IN', from: second(0), to: second(120) }, { ...noWait, pageLimit: 5, onPage: (page) => pages.push(page.narrowed) });

    expect(listing.sms.map((sms) => sms.hash)).toEqual(items.map((item) => item.hash));
    expect(listing.complete).toBe(true);
    expect(listing.calls).toBe(asked.length);
    expect(pages.filter(Boolean).length).toBeGreaterThan(0);
    // Oldest first, and no second asked twice among the answers that were not full.
    const leaves = asked.filter((_, index) => !pages[index]);
    const seconds = leaves.flatMap(([from, to]) => {
      const first = (Date.parse(`${from.replace(' ', 'T')}Z`) - T0.getTime()) / 1000;
      const last = (Date.parse(`${to.replace(' ', 'T')}Z`) - T0.getTime()) / 1000;
      return Array.from({ length: last - first + 1 }, (_, n) => first + n);
    });
    expect(seconds).toEqual(Array.from({ length: 120 }, (_, n) => n));
  });

  it('reports a second that is still full as a gap, keeping what CALLR answered', async () => {
    const crowded = Array.from({ length: 4 }, (_, n) => smsAt(7, { hash: `CROWD00${n}` }));
    const { callr } = scriptedCallr([smsAt(1), ...crowded, smsAt(9)], 3);
    const warnings: unknown[] = [];

    const listing = await listSms(callr, { type: 'IN', from: second(0), to: second(10) }, { ...noWait, pageLimit: 3, onWarning: (warning) => warnings.push(warning) });

    expect(listing.complete).toBe(false);
    expect(listing.gaps).toEqual([{ from: '2026-03-01T10:00:07.000Z', to: '2026-03-01T10:00:07.000Z', reason: 'full_at_one_second' }]);
    expect(listing.sms.map((sms) => sms.hash)).toEqual(['SMS00001', 'CROWD000', 'CROWD001', 'CROWD002', 'SMS00009']);
    expect(warnings).toContainEqual(expect.objectContaining({ method: 'sms.get_list', reason: 'full_at_one_second' }));
  });

  it('stops at maxCalls and reports the ranges it did not ask as gaps', async () => {
    const items = Array.from({ length: 100 }, (_, n) => smsAt(n));
    const { callr, asked } = scriptedCallr(items, 2);

    const listing = await listSms(callr, { type: 'IN', from: second(0), to: second(100) }, { ...noWait, pageLimit: 2, maxCalls: 4 });

    expect(asked).toHaveLength(4);
    expect(listing.calls).toBe(4);
    expect(listing.complete).toBe(false);
    expect(listing.gaps.length).toBeGreaterThan(0);
    expect(listing.gaps.every((gap) => gap.reason === 'call_budget')).toBe(true);
    // Oldest first, and the last gap runs to the range's last second: nothing unasked goes unsaid.
    expect(listing.gaps.map((gap) => gap.from)).toEqual([...listing.gaps.map((gap) => gap.from)].sort());
    expect(listing.gaps.at(-1)?.to).toBe('2026-03-01T10:01:39.000Z');
  });

  it('makes no call for an empty range', async () => {
    const { callr, asked } = scriptedCallr([smsAt(0)]);
    await expect(listSms(callr, { type: 'IN', from: second(5), to: second(5) }, noWait)).resolves.toEqual({ sms: [], complete: true, gaps: [], calls: 0, skipped: 0 });
    expect(asked).toEqual([]);
  });

  it('keeps only the sender and recipient asked for, whatever their punctuation', async () => {
    const { callr } = scriptedCallr([smsAt(1), smsAt(2, { to: '+33 1 11 11 11 11' }), smsAt(3, { from: '+447700900123' })]);

    const byRecipient = await listSms(callr, { type: 'IN', from: second(0), to: second(10), recipient: '33111111111' }, noWait);
    const bySender = await listSms(callr, { type: 'IN', from: second(0), to: second(10), sender: '+44 7700 900123' }, noWait);

    expect(byRecipient.sms.map((sms) => sms.hash)).toEqual(['SMS00002']);
    expect(bySender.sms.map((sms) => sms.hash)).toEqual(['SMS00003']);
  });

  it.each<[string, unknown]>([
    ['a rate limit (HTTP 429)', new CallrTransportError('sms.get_list', 'http_status', 'HTTP 429', { httpStatus: 429, attempts: 1 })],
    ['a CALLR outage the client retries did not outlast', new CallrTransportError('sms.get_list', 'http_status', 'HTTP 503', { httpStatus: 503, attempts: 3 })],
    ['a rate-limit error token', new CallrApiError('sms.get_list', { code: 1, message: 'RATE_LIMIT_EXCEEDED' }, 200)],
  ])('backs off after %s, doubling its waits, then lists', async (_name, failure) => {
    const { callr } = scriptedCallr([smsAt(1)]);
    let failures = 2;
    const flaky = { getSmsList: (input: GetSmsListInput) => (failures-- > 0 ? Promise.reject(failure) : callr.getSmsList(input)) };
    const waits: number[] = [];

    const listing = await listSms(flaky, { type: 'IN', from: second(0), to: second(10) }, { sleep: async (ms) => void waits.push(ms), backOff: { baseDelayMs: 100, maxRetries: 3 } });

    expect(waits).toEqual([100, 200]);
    expect(listing.sms.map((sms) => sms.hash)).toEqual(['SMS00001']);
    expect(listing.calls).toBe(3);
  });

  it('gives up after maxRetries waits, with CALLR\'s error', async () => {
    const failure = new CallrTransportError('sms.get_list', 'timeout', 'no answer', { attempts: 3 });
    const waits: number[] = [];
    const down = { getSmsList: () => Promise.reject(failure) };

    await expect(listSms(down, { type: 'IN', from: second(0), to: second(10) }, { sleep: async (ms) => void waits.push(ms), backOff: { baseDelayMs: 10, maxRetries: 2 } })).rejects.toBe(failure);
    expect(waits).toEqual([10, 20]);
  });

  it('does not wait on an error that waiting cannot cure', async () => {
    const refused = new CallrApiError('sms.get_list', { code: 401, message: 'AUTHENTICATION_FAILED' }, 401);
    const waits: number[] = [];
    await expect(listSms({ getSmsList: () => Promise.reject(refused) }, { type: 'IN', from: second(0), to: second(1) }, { sleep: async (ms) => void waits.push(ms) })).rejects.toBe(refused);
    expect(waits).toEqual([]);
  });

  it.each<[string, Parameters<typeof listSms>[1], RegExp]>([
    ['a direction CALLR does not have', { type: 'BOTH' as 'IN', from: second(0), to: second(1) }, /IN or OUT/],
    ['an invalid date', { type: 'IN', from: new Date('nope'), to: second(1) }, /from must be a valid Date/],
    ['a range that ends before it starts', { type: 'IN', from: second(5), to: second(1) }, /before from/],
  ])('refuses %s before calling CALLR', async (_name, input, message) => {
    const { callr, asked } = scriptedCallr([]);
    await expect(listSms(callr, input, noWait)).rejects.toThrow(message);
    expect(asked).toEqual([]);
  });
});

describe('readListedSms', () => {
  it('reads CALLR\'s SMS object, dates into ISO 8601 UTC, and keeps the object as sent', () => {
    const item = smsAt(5, { extra_field_from_the_future: { nested: true } });
    expect(readListedSms(item, 'IN')).toEqual({
      ok: true,
      sms: {
        hash: 'SMS00005',
        type: 'IN',
        from: '+33612345678',
        to: '+33987654321',
        text: 'text 5',
        status: 'RECEIVED',
        createdAt: '2026-03-01T10:00:05.000Z',
        receivedAt: '2026-03-01T10:00:05.000Z',
        raw: item,
      },
    });
  });

  it.each<[string, unknown, string]>([
    ['an item that is no object', 'SMS00001', 'not an object'],
    ['an item without a hash', { type: 'IN', from: '+1', to: '+2' }, 'no hash'],
    ['an item with an empty hash', { hash: '', type: 'IN' }, 'no hash'],
    ['an item of the other direction', { hash: 'OUT00001', type: 'OUT' }, 'type OUT, not IN'],
  ])('leaves out %s', (_name, item, reason) => {
    expect(readListedSms(item, 'IN')).toMatchObject({ ok: false, reason });
  });

  it('leaves out fields of an unexpected type or format instead of the SMS', () => {
    const read = readListedSms({ hash: 'ODD00001', from: 33612345678, text: 42, date_creation: 'yesterday', date_received: '2026-03-01 10:00:05.250' }, 'IN');
    expect(read).toEqual({
      ok: true,
      sms: { hash: 'ODD00001', type: 'IN', from: '', to: '', receivedAt: '2026-03-01T10:00:05.250Z', raw: expect.any(Object) },
    });
  });

  it('counts and reports the items it left out', async () => {
    const { callr } = scriptedCallr([smsAt(1), smsAt(2, { hash: null }), smsAt(3, { type: 'OUT' })]);
    const warnings: Array<Record<string, unknown>> = [];

    const listing = await listSms(callr, { type: 'IN', from: second(0), to: second(10) }, { ...noWait, onWarning: (warning) => warnings.push({ ...warning }) });

    expect(listing.sms.map((sms) => sms.hash)).toEqual(['SMS00001']);
    expect(listing.skipped).toBe(2);
    expect(warnings).toEqual([
      { method: 'sms.get_list', message: 'Skipped a listed CALLR SMS: no hash', index: 1 },
      { method: 'sms.get_list', message: 'Skipped a listed CALLR SMS: type OUT, not IN', index: 2, hash: 'SMS00003' },
    ]);
  });
});
