import {
  checkEventAge,
  DEFAULT_EVENT_WINDOW,
  parseCallrEvent,
  parseCallrEventBytes,
  type EventWindow,
} from '../../functions/callr/events';
import { smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';
import { callrBody, type CallrBodyChanges } from '../support/http-api-events';

const moText = (changes: CallrBodyChanges = {}) => callrBody(smsMoBody(), changes).toString('utf8');
const statusText = (changes: CallrBodyChanges = {}) => callrBody(smsStatusBody(), changes).toString('utf8');
const without = (field: string) => (event: Record<string, unknown>) => {
  delete event[field];
};
const withoutData = (field: string) => (event: { data?: Record<string, unknown> }) => {
  delete event.data?.[field];
};

describe('parseCallrEvent', () => {
  it('parses the sms.mo fixture, CALLR dates turned into ISO 8601', () => {
    const fixture = JSON.parse(smsMoBody().toString('utf8'));
    expect(parseCallrEvent(smsMoBody().toString('utf8'))).toEqual({
      ok: true,
      handled: true,
      event: {
        ...fixture,
        data: {
          ...fixture.data,
          date_creation: '2017-01-24T01:51:29.000Z',
          date_update: '2017-01-24T01:51:29.000Z',
          date_sent: null,
          date_received: '2017-01-24T01:51:29.000Z',
          status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: '2017-01-24T01:51:29.000Z' }],
        },
      },
    });
  });

  it('parses the sms.mt.status_update fixture', () => {
    const fixture = JSON.parse(smsStatusBody().toString('utf8'));
    expect(parseCallrEvent(smsStatusBody().toString('utf8'))).toEqual({
      ok: true,
      handled: true,
      event: {
        ...fixture,
        data: {
          ...fixture.data,
          date_creation: '2016-05-04T12:29:30.000Z',
          date_update: '2016-05-04T12:29:32.000Z',
          date_sent: '2016-05-04T12:29:31.000Z',
          date_received: null,
          status_history: [
            { old_status: 'CREATED', new_status: 'PENDING', updated_at: '2016-05-04T12:29:30.000Z' },
            { old_status: 'PENDING', new_status: 'SENT', updated_at: '2016-05-04T12:29:32.000Z' },
          ],
        },
      },
    });
  });

  it('tolerates unknown fields in the envelope and the SMS object, and keeps them', () => {
    const result = parseCallrEvent(moText({ edit: (event) => Object.assign(event, { region: 'eu' }), data: { carrier_hint: { a: 1 } } }));
    expect(result).toMatchObject({ ok: true, handled: true, event: { region: 'eu', data: { carrier_hint: { a: 1 } } } });
  });

  it.each([
    ['missing event_id', moText({ edit: without('event_id') }), 'event_id'],
    ['empty event_id', moText({ eventId: '' }), 'event_id'],
    ['numeric event_id', moText({ edit: (e) => Object.assign(e, { event_id: 42 }) }), 'event_id'],
    ['missing event_at', moText({ edit: without('event_at') }), 'event_at'],
    ['event_at in CALLR date format', moText({ eventAt: '2017-01-24 01:51:29' }), 'event_at'],
    ['event_at not a date', moText({ eventAt: 'yesterday' }), 'event_at'],
    ['missing type', moText({ edit: without('type') }), 'type'],
    ['negative try', moText({ edit: (e) => Object.assign(e, { try: -1 }) }), 'try'],
    ['MO without data.hash', moText({ edit: withoutData('hash') }), 'data.hash'],
    ['MO with an empty data.hash', moText({ data: { hash: '' } }), 'data.hash'],
    ['MO without data.from', moText({ edit: withoutData('from') }), 'data.from'],
    ['MO with an empty data.from', moText({ data: { from: '' } }), 'data.from'],
    ['MO without data.to', moText({ edit: withoutData('to') }), 'data.to'],
    ['MO without data.text', moText({ edit: withoutData('text') }), 'data.text'],
    ['MO with a numeric data.text', moText({ data: { text: 12 } }), 'data.text'],
    ['MO with an impossible date', moText({ data: { date_received: '2017-02-30 10:00:00' } }), 'data.date_received'],
    ['MO with hour 25', moText({ data: { date_creation: '2017-01-24 25:00:00' } }), 'data.date_creation'],
    ['MO with a string parts', moText({ data: { parts: '1' } }), 'data.parts'],
    ['MO with a bad status_history entry', moText({ data: { status_history: [{ old_status: 'X' }] } }), 'data.status_history.0.new_status'],
    ['MO with data null', moText({ edit: (e) => Object.assign(e, { data: null }) }), 'data'],
    ['MO with data a string', moText({ edit: (e) => Object.assign(e, { data: 'sms' }) }), 'data'],
    ['MO with data an array', moText({ edit: (e) => Object.assign(e, { data: [] }) }), 'data'],
    ['status update without data.status', statusText({ edit: withoutData('status') }), 'data.status'],
    ['status update with an empty data.status', statusText({ data: { status: '' } }), 'data.status'],
    ['status update without data.hash', statusText({ edit: withoutData('hash') }), 'data.hash'],
    ['an array instead of an event', '[]', '(root)'],
    ['a string instead of an event', '"sms.mo"', '(root)'],
  ])('refuses %s as invalid_shape, naming the field', (_name, text, field) => {
    const result = parseCallrEvent(text);
    expect(result).toEqual({ ok: false, reason: 'invalid_shape', detail: expect.stringContaining(`${field}:`) });
  });

  it.each([
    ['an empty body', ''],
    ['truncated JSON', smsMoBody().toString('utf8').slice(0, 50)],
    ['plain text', 'hello'],
    ['form encoding', 'event_id=1&type=sms.mo'],
  ])('refuses %s as invalid_json', (_name, text) => {
    expect(parseCallrEvent(text)).toEqual({ ok: false, reason: 'invalid_json', detail: expect.any(String) });
  });

  it.each([
    ['call.hangup', { call_id: 1 }],
    ['did.created', null],
    ['media.recording.new', 'not an object'],
    ['billing.credit.low', { credit: '1.00' }],
  ])('reports %s as a well-formed type we do not handle', (type, data) => {
    const text = moText({ type, edit: (e) => Object.assign(e, { data }) });
    expect(parseCallrEvent(text)).toEqual({ ok: true, handled: false, event: JSON.parse(text) });
  });
});

describe('checkEventAge', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const window: EventWindow = { maxAgeMs: 60_000, maxFutureMs: 5_000 };
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();

  it.each([
    ['now', 0, 'within_window'],
    ['exactly the maximum age', -60_000, 'within_window'],
    ['1 ms older than the maximum age', -60_001, 'too_old'],
    ['exactly the maximum future', 5_000, 'within_window'],
    ['1 ms further in the future', 5_001, 'in_future'],
  ] as const)('%s → %s', (_name, offsetMs, expected) => {
    expect(checkEventAge(at(offsetMs), now, window)).toBe(expected);
  });

  it('defaults to 7 days into the past and 5 minutes into the future', () => {
    expect(DEFAULT_EVENT_WINDOW).toEqual({ maxAgeMs: 7 * 24 * 3600 * 1000, maxFutureMs: 5 * 60 * 1000 });
  });

  it('reads an event_at with an offset as the instant it names', () => {
    expect(checkEventAge('2026-03-01T13:00:04.000+01:00', now, window)).toBe('within_window');
    expect(checkEventAge('2026-03-01T13:00:06.000+01:00', now, window)).toBe('in_future');
  });
});

describe('parseCallrEventBytes: the one way both Lambdas read the raw body', () => {
  const fixture = smsMoBody();

  it('parses the fixture bytes as parseCallrEvent parses its text', () => {
    expect(parseCallrEventBytes(fixture)).toEqual(parseCallrEvent(fixture.toString('utf8')));
  });

  it('drops a leading byte-order mark, which JSON.parse alone refuses', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture]);
    expect(parseCallrEvent(withBom.toString('utf8'))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(parseCallrEventBytes(withBom)).toEqual(parseCallrEventBytes(fixture));
  });

  it('refuses bytes that are not UTF-8 instead of reading them as U+FFFD', () => {
    const broken = Buffer.from(fixture);
    broken[fixture.indexOf('Hello')] = 0xff;
    expect(parseCallrEventBytes(broken)).toEqual({ ok: false, reason: 'invalid_json', detail: 'body is not valid UTF-8' });
  });
});
