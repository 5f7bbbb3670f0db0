import { CALLR_NO_DATE, formatCallrDate, parseCallrDate } from '../../functions/callr/dates';

describe('CALLR dates', () => {
  it.each([
    ['a fixture date', '2017-01-24 01:51:29', { ok: true, iso: '2017-01-24T01:51:29.000Z' }],
    ['"no date"', '0000-00-00 00:00:00', { ok: true, iso: null }],
    ['the last second of a leap day', '2016-02-29 23:59:59', { ok: true, iso: '2016-02-29T23:59:59.000Z' }],
    ['midnight', '2024-12-31 00:00:00', { ok: true, iso: '2024-12-31T00:00:00.000Z' }],
    ['milliseconds (CALLR migration guide)', '2017-01-24 01:51:29.123', { ok: true, iso: '2017-01-24T01:51:29.123Z' }],
    ['a tenth of a second', '2017-01-24 01:51:29.5', { ok: true, iso: '2017-01-24T01:51:29.500Z' }],
    ['microseconds, cut to milliseconds', '2017-01-24 01:51:29.123456', { ok: true, iso: '2017-01-24T01:51:29.123Z' }],
    ['"no date" with milliseconds', '0000-00-00 00:00:00.000', { ok: true, iso: null }],
    ['ISO 8601 UTC', '2017-01-24T01:51:29Z', { ok: true, iso: '2017-01-24T01:51:29.000Z' }],
    ['RFC 3339 with milliseconds (REST v2)', '2025-04-07T13:29:30.765Z', { ok: true, iso: '2025-04-07T13:29:30.765Z' }],
    ['an offset', '2017-01-24T03:51:29.250+02:00', { ok: true, iso: '2017-01-24T01:51:29.250Z' }],
    ['a negative offset across midnight', '2017-01-23T20:51:29-05:00', { ok: true, iso: '2017-01-24T01:51:29.000Z' }],
    ['ISO 8601 without offset (UTC, as CALLR writes)', '2017-01-24T01:51:29', { ok: true, iso: '2017-01-24T01:51:29.000Z' }],
  ])('parses %s', (_name, value, expected) => {
    expect(parseCallrDate(value)).toEqual(expected);
  });

  it.each([
    ['February 30th', '2017-02-30 10:00:00'],
    ['February 29th of a common year', '2017-02-29 10:00:00'],
    ['hour 25', '2017-01-24 25:00:00'],
    ['hour 24', '2017-01-24 24:00:00'],
    ['minute 60', '2017-01-24 01:60:00'],
    ['second 60', '2017-01-24 01:51:60'],
    ['month 13', '2017-13-01 00:00:00'],
    ['month 0', '2017-00-10 00:00:00'],
    ['day 0', '2017-01-00 00:00:00'],
    ['an offset hour 24', '2017-01-24T01:51:29+24:00'],
    ['a fraction without digits', '2017-01-24 01:51:29.'],
    ['a date without time', '2017-01-24'],
    ['single-digit fields', '2017-1-4 1:5:9'],
    ['trailing text', '2017-01-24 01:51:29 UTC'],
    ['an empty string', ''],
    ['"no date" with a different time', '0000-00-00 00:00:01'],
  ])('refuses %s', (_name, value) => {
    expect(parseCallrDate(value)).toEqual({ ok: false });
  });

  it.each([
    ['a date', new Date('2017-01-24T01:51:29.533Z'), '2017-01-24 01:51:29'],
    ['no date', null, CALLR_NO_DATE],
  ])('formats %s the way CALLR writes it', (_name, date, expected) => {
    expect(formatCallrDate(date)).toBe(expected);
  });

  it('round-trips through format and parse at second precision', () => {
    const formatted = formatCallrDate(new Date('2031-07-14T09:08:07.654Z'));
    expect(parseCallrDate(formatted)).toEqual({ ok: true, iso: '2031-07-14T09:08:07.000Z' });
  });
});
