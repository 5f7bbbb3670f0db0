import {
  checkEventAge,
  DEFAULT_EVENT_WINDOW,
  parseCallrEvent,
  parseCallrEventBytes,
  type EventWindow,
} from '../../functions/callr/events';
import { callrV2Body, smsInboundV2Body, smsMoBody, smsStatusBody, type CallrV2BodyChanges } from '../fixtures/callr-fixtures';
import { callrBody, type CallrBodyChanges } from '../support/http-api-events';

const moText = (changes: CallrBodyChanges = {}) => callrBody(smsMoBody(), changes).toString('utf8');
const statusText = (changes: CallrBodyChanges = {}) => callrBody(smsStatusBody(), changes).toString('utf8');
const without = (field: string) => (event: Record<string, unknown>) => {
  delete event[field];
};
const withoutData = (field: string) => (event: { data?: Record<string, unknown> }) => {
  delete event.data?.[field];
};

const V1_MO_IDENTITY = { format: 'callr.v1', eventId: 'c5df14852226895334vk6tjqfCS3PFEG', eventAt: '2017-01-24T01:51:29.533Z', type: 'sms.mo' } as const;

describe('parseCallrEvent', () => {
  it('parses the sms.mo fixture, CALLR dates turned into ISO 8601', () => {
    const fixture = JSON.parse(smsMoBody().toString('utf8'));
    expect(parseCallrEvent(smsMoBody().toString('utf8'))).toEqual({
      ok: true,
      handled: true,
      identity: V1_MO_IDENTITY,
      lenientFields: [],
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
      identity: { format: 'callr.v1', eventId: fixture.event_id, eventAt: fixture.event_at, type: 'sms.mt.status_update' },
      lenientFields: [],
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

  it('tolerates unknown fields at every level and keeps them', () => {
    const result = parseCallrEvent(
      moText({
        edit: (event) => Object.assign(event, { region: 'eu', meta: { nested: [1] } }),
        data: {
          carrier_hint: { a: 1 },
          options: { webhook: { endpoint: 'https://example.invalid', extra: true }, novel: 'x' },
          status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: '2017-01-24 01:51:29', reason_code: 7 }],
        },
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      handled: true,
      lenientFields: [],
      event: {
        region: 'eu',
        meta: { nested: [1] },
        data: {
          carrier_hint: { a: 1 },
          options: { novel: 'x', webhook: { extra: true } },
          status_history: [{ new_status: 'RECEIVED', reason_code: 7 }],
        },
      },
    });
  });

  /**
   * Issue 6, each example an authentic sms.mo that was quarantined: now parsed, with what could be
   * read normalised and nothing counted as lenient that CALLR means (null, "no date").
   */
  it.each([
    ['date_received with milliseconds', { date_received: '2017-01-24 01:51:29.123' }, { date_received: '2017-01-24T01:51:29.123Z' }, []],
    ['date_update with milliseconds', { date_update: '2017-01-24 01:51:30.456' }, { date_update: '2017-01-24T01:51:30.456Z' }, []],
    ['date_sent with milliseconds', { date_sent: '2017-01-24 01:51:31.789' }, { date_sent: '2017-01-24T01:51:31.789Z' }, []],
    ['date_sent "no date" with milliseconds', { date_sent: '0000-00-00 00:00:00.000' }, { date_sent: null }, []],
    ['date_sent null', { date_sent: null }, { date_sent: null }, []],
    ['dates in ISO 8601', { date_creation: '2017-01-24T01:51:29.5Z', date_received: '2017-01-24T02:51:29+01:00' }, { date_creation: '2017-01-24T01:51:29.500Z', date_received: '2017-01-24T01:51:29.000Z' }, []],
    ['encoding null', { encoding: null }, { encoding: null }, []],
    ['parts as a string', { parts: '1' }, { parts: undefined }, ['data.parts']],
    [
      'status_history[].updated_at with milliseconds',
      { status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: '2017-01-24 01:51:29.123' }] },
      { status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: '2017-01-24T01:51:29.123Z' }] },
      [],
    ],
    [
      'old_status null',
      { status_history: [{ old_status: null, new_status: 'RECEIVED', updated_at: '2017-01-24 01:51:29' }] },
      { status_history: [{ old_status: null, new_status: 'RECEIVED', updated_at: '2017-01-24T01:51:29.000Z' }] },
      [],
    ],
    ['an unknown status value', { status: 'RECEIVED_BY_CARRIER_X' }, { status: 'RECEIVED_BY_CARRIER_X' }, []],
    ['status null', { status: null }, { status: undefined }, ['data.status']],
    ['an unknown SMS type', { type: 'in' }, { type: 'in' }, []],
  ])('takes an sms.mo with %s', (_name, data, expected, lenientFields) => {
    const result = parseCallrEvent(moText({ data }));
    expect(result).toMatchObject({ ok: true, handled: true, identity: V1_MO_IDENTITY, lenientFields });
    if (!result.ok || !result.handled) throw new Error('not parsed');
    expect(result.event.type === 'sms.mo' && result.event.data).toMatchObject({ hash: 'ZFUODF1O', text: 'Hello world', ...expected });
  });

  it.each([
    ['parts', { parts: -1 }, 'data.parts'],
    ['network', { network: 20801 }, 'data.network'],
    ['an impossible date', { date_received: '2017-02-30 10:00:00' }, 'data.date_received'],
    ['hour 25', { date_creation: '2017-01-24 25:00:00' }, 'data.date_creation'],
    ['a status history that is not a list', { status_history: 'RECEIVED' }, 'data.status_history'],
    ['a status history entry without new_status', { status_history: [{ old_status: 'X' }] }, 'data.status_history[]'],
    ['an unreadable updated_at', { status_history: [{ new_status: 'RECEIVED', updated_at: 'now' }] }, 'data.status_history[].updated_at'],
    ['user_data', { user_data: { order: 1 } }, 'data.user_data'],
  ])('reads %s leniently: absent, and named in lenientFields', (_name, data, field) => {
    const result = parseCallrEvent(moText({ data }));
    expect(result).toMatchObject({ ok: true, handled: true, lenientFields: [field] });
  });

  it('reads envelope fields it does not store leniently too', () => {
    const result = parseCallrEvent(moText({ edit: (event) => Object.assign(event, { try: -1, hook_hash: 42 }) }));
    expect(result).toMatchObject({ ok: true, handled: true, lenientFields: ['hook_hash', 'try'] });
    if (!result.ok) throw new Error('not parsed');
    expect(result.event).not.toHaveProperty('try', -1);
  });

  it('keeps the status history entries it can read and drops the others', () => {
    const result = parseCallrEvent(
      statusText({ data: { status_history: [{ old_status: 'CREATED', new_status: 'PENDING', updated_at: '2016-05-04 12:29:30.250' }, { old_status: 'PENDING' }] } }),
    );
    expect(result).toMatchObject({ ok: true, handled: true, lenientFields: ['data.status_history[]'] });
    if (!result.ok || !result.handled || result.event.type !== 'sms.mt.status_update') throw new Error('not a status update');
    expect(result.event.data.status_history).toEqual([{ old_status: 'CREATED', new_status: 'PENDING', updated_at: '2016-05-04T12:29:30.250Z' }]);
  });

  it('reads event_at in any CALLR date format, as ISO 8601 UTC', () => {
    expect(parseCallrEvent(moText({ eventAt: '2017-01-24 01:51:29.533' }))).toMatchObject({ ok: true, identity: V1_MO_IDENTITY });
    expect(parseCallrEvent(moText({ eventAt: '2017-01-24T02:51:29.533+01:00' }))).toMatchObject({
      ok: true,
      identity: V1_MO_IDENTITY,
      event: { event_at: '2017-01-24T01:51:29.533Z' },
    });
  });

  it.each([
    ['missing event_id', moText({ edit: without('event_id') }), 'event_id'],
    ['empty event_id', moText({ eventId: '' }), 'event_id'],
    ['numeric event_id', moText({ edit: (e) => Object.assign(e, { event_id: 42 }) }), 'event_id'],
    ['missing event_at', moText({ edit: without('event_at') }), 'event_at'],
    ['event_at "no date"', moText({ eventAt: '0000-00-00 00:00:00' }), 'event_at'],
    ['event_at not a date', moText({ eventAt: 'yesterday' }), 'event_at'],
    ['missing type', moText({ edit: without('type') }), 'type'],
    ['MO without data.hash', moText({ edit: withoutData('hash') }), 'data.hash'],
    ['MO with an empty data.hash', moText({ data: { hash: '' } }), 'data.hash'],
    ['MO without data.from', moText({ edit: withoutData('from') }), 'data.from'],
    ['MO with an empty data.from', moText({ data: { from: '' } }), 'data.from'],
    ['MO without data.to', moText({ edit: withoutData('to') }), 'data.to'],
    ['MO without data.text', moText({ edit: withoutData('text') }), 'data.text'],
    ['MO with a numeric data.text', moText({ data: { text: 12 } }), 'data.text'],
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
    expect(result).toMatchObject({ ok: false, reason: 'invalid_shape', detail: expect.stringContaining(`${field}:`) });
  });

  it('says which event a body it refuses claims to be, where it says so as text', () => {
    expect(parseCallrEvent(moText({ edit: withoutData('hash') }))).toEqual({
      ok: false,
      reason: 'invalid_shape',
      detail: expect.stringContaining('data.hash'),
      eventId: 'c5df14852226895334vk6tjqfCS3PFEG',
      eventType: 'sms.mo',
    });
    expect(parseCallrEvent(moText({ edit: (e) => Object.assign(e, { event_id: 42, type: ['sms.mo'] }) }))).toEqual({
      ok: false,
      reason: 'invalid_shape',
      detail: expect.any(String),
    });
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
    expect(parseCallrEvent(text)).toEqual({
      ok: true,
      handled: false,
      identity: { ...V1_MO_IDENTITY, type },
      event: JSON.parse(text),
      lenientFields: [],
    });
  });
});

describe('parseCallrEvent: REST v2 (callr.v2)', () => {
  const v2Text = (changes: CallrV2BodyChanges = {}) => callrV2Body(changes).toString('utf8');
  const V2_IDENTITY = { format: 'callr.v2', eventId: 'b7e2a91c40d35f6e812ac0fd93be47a1', eventAt: '2017-01-24T01:51:29.533Z', type: 'v2.sms.inbound.received' } as const;

  it('parses the v2.sms.inbound.received fixture, RFC 3339 dates as ISO 8601 UTC with milliseconds', () => {
    const fixture = JSON.parse(smsInboundV2Body().toString('utf8'));
    expect(parseCallrEvent(smsInboundV2Body().toString('utf8'))).toEqual({
      ok: true,
      handled: true,
      identity: V2_IDENTITY,
      lenientFields: [],
      event: {
        ...fixture,
        payload: {
          ...fixture.payload,
          created: '2017-01-24T01:51:29.000Z',
          delivered: '2017-01-24T01:51:29.000Z',
          updated: '2017-01-24T01:51:29.000Z',
          sent: '2017-01-24T01:51:29.000Z',
          statusHistory: [{ after: 'received', before: 'created', at: '2017-01-24T01:51:29.000Z' }],
        },
      },
    });
  });

  it.each([
    ['missing id', v2Text({ edit: (e) => void delete e.id }), 'id'],
    ['missing at', v2Text({ edit: (e) => void delete e.at }), 'at'],
    ['missing payload.sid', v2Text({ edit: (e) => void delete e.payload.sid }), 'payload.sid'],
    ['empty payload.from', v2Text({ payload: { from: '' } }), 'payload.from'],
    ['missing payload.to', v2Text({ edit: (e) => void delete e.payload.to }), 'payload.to'],
    ['missing payload.body.text', v2Text({ payload: { body: {} } }), 'payload.body.text'],
    ['a text instead of a body object', v2Text({ payload: { body: 'Hello' } }), 'payload.body'],
  ])('refuses %s as invalid_shape, naming the field', (_name, text, field) => {
    expect(parseCallrEvent(text)).toMatchObject({ ok: false, reason: 'invalid_shape', detail: expect.stringContaining(`${field}:`) });
  });

  it('quarantines with the v2 id a body it refuses', () => {
    expect(parseCallrEvent(v2Text({ edit: (e) => void delete e.payload.sid }))).toMatchObject({
      ok: false,
      eventId: 'b7e2a91c40d35f6e812ac0fd93be47a1',
      eventType: 'v2.sms.inbound.received',
    });
  });

  it.each([
    ['parts as a string', { parts: '1' }, 'payload.parts'],
    ['an unreadable created', { created: 'Tuesday' }, 'payload.created'],
    ['a status history entry without after', { statusHistory: [{ before: 'created' }] }, 'payload.statusHistory[]'],
  ])('reads %s leniently', (_name, payload, field) => {
    expect(parseCallrEvent(v2Text({ payload }))).toMatchObject({ ok: true, handled: true, lenientFields: [field] });
  });

  it('takes unknown values, nulls and extra fields', () => {
    const result = parseCallrEvent(v2Text({ payload: { status: 'queued-at-carrier', encoding: null, error: null, novel: { x: 1 }, body: { text: 'Hi', html: null } } }));
    expect(result).toMatchObject({ ok: true, handled: true, lenientFields: [], event: { payload: { status: 'queued-at-carrier', novel: { x: 1 }, body: { text: 'Hi', html: null } } } });
  });

  it('reports other v2 types as well-formed and not handled', () => {
    const text = v2Text({ edit: (e) => Object.assign(e, { type: 'v2.call.inbound.started', payload: { callSid: 'x' } }) });
    expect(parseCallrEvent(text)).toMatchObject({ ok: true, handled: false, identity: { ...V2_IDENTITY, type: 'v2.call.inbound.started' } });
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
