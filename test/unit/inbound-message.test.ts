import { parseCallrEvent, type HandledCallrEvent, type InboundSmsEvent, type SmsStatusEvent } from '../../functions/callr/events';
import { readListedSms } from '../../functions/callr/sms-listing';
import { reconciledEventBody } from '../../functions/reconcile/reconciled-event';
import { canonicalMessageId, InboundMessage, toInboundMessage } from '../../functions/messages/inbound-message';
import { toOutboundStatus } from '../../functions/messages/status-store';
import { callrV2Body, smsInboundV2Body, smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';
import { callrBody } from '../support/http-api-events';

const STORED_AT = new Date('2024-05-01T10:00:02.000Z');

function handled(body: Buffer): HandledCallrEvent {
  const result = parseCallrEvent(body.toString('utf8'));
  if (!result.ok || !result.handled) throw new Error(`does not parse: ${JSON.stringify(result)}`);
  return result.event;
}
const inbound = (body: Buffer) => handled(body) as InboundSmsEvent;

const V1_MESSAGE: InboundMessage = {
  schemaVersion: 1,
  kind: 'sms.mo',
  id: 'ZFUODF1O',
  from: '+15146605859',
  to: '+13476096124',
  text: 'Hello world',
  encoding: 'GSM',
  parts: 1,
  network: null,
  receivedAt: '2017-01-24T01:51:29.000Z',
  eventId: 'c5df14852226895334vk6tjqfCS3PFEG',
  eventAt: '2017-01-24T01:51:29.533Z',
  hookHash: 'IAYHJ6F3',
  storedAt: '2024-05-01T10:00:02.000Z',
  source: { format: 'callr.v1', eventType: 'sms.mo' },
  arrival: 'webhook',
  keyword: 'HELLO',
};

describe('toInboundMessage', () => {
  it('maps a v1 sms.mo', () => {
    expect(toInboundMessage(inbound(smsMoBody()), STORED_AT)).toEqual(V1_MESSAGE);
  });

  it('maps a REST v2 inbound SMS onto the same message: id upper-cased, encoding upper-cased, its own event and format', () => {
    const message = toInboundMessage(inbound(smsInboundV2Body()), STORED_AT);
    expect(message).toEqual({
      ...V1_MESSAGE,
      eventId: 'b7e2a91c40d35f6e812ac0fd93be47a1',
      hookHash: 'iayhj6f3',
      source: { format: 'callr.v2', eventType: 'v2.sms.inbound.received' },
    });
    expect(InboundMessage.parse(message)).toEqual(message);
  });

  it('says a message came through the reconciliation sweep when its event is one the sweep built', () => {
    const listed = readListedSms(JSON.parse(smsMoBody().toString('utf8')).data, 'IN');
    if (!listed.ok) throw new Error('the fixture SMS does not read');
    const body = reconciledEventBody(listed.sms, new Date('2024-05-01T10:00:01.000Z'));
    expect(toInboundMessage(inbound(body), STORED_AT)).toEqual({
      ...V1_MESSAGE,
      eventId: 'reconciled-ZFUODF1O',
      eventAt: '2024-05-01T10:00:01.000Z',
      hookHash: null,
      arrival: 'reconciled',
    });
  });

  it('keeps milliseconds of CALLR dates', () => {
    const message = toInboundMessage(inbound(callrBody(smsMoBody(), { data: { date_received: '2017-01-24 01:51:29.123' } })), STORED_AT);
    expect(message.receivedAt).toBe('2017-01-24T01:51:29.123Z');
  });

  it.each([
    ['v1', callrBody(smsMoBody(), { data: { parts: '1', encoding: null, date_received: 'soon', network: 20801 } })],
    ['v2', callrV2Body({ payload: { parts: '1', encoding: 7, created: 'soon', network: null } })],
  ])('leaves what it could not read (%s) null, and receivedAt falls back to the event time', (_format, body) => {
    expect(toInboundMessage(inbound(body), STORED_AT)).toMatchObject({ parts: null, encoding: null, network: null, receivedAt: '2017-01-24T01:51:29.533Z' });
  });

  it.each([
    ['v1', callrBody(smsMoBody(), { data: { text: 'Arrêt, merci' } }), 'ARRET'],
    ['v2', callrV2Body({ payload: { body: { text: ' vote   b' } } }), 'VOTE'],
    ['v1', callrBody(smsMoBody(), { data: { text: '🙂' } }), null],
  ])('gives a %s message the keyword of its text', (_format, body, keyword) => {
    expect(toInboundMessage(inbound(body), STORED_AT).keyword).toBe(keyword);
  });

  it.each(['ZFUODF1O', 'zfuodf1o', 'ZfUoDf1O'])('gives %s one canonical id', (id) => {
    expect(canonicalMessageId(id)).toBe('ZFUODF1O');
  });
});

describe('toOutboundStatus on what the tolerant reader gives it', () => {
  it('keeps milliseconds and a null old_status in the history', () => {
    const body = callrBody(smsStatusBody(), {
      data: { status: 'REMOTE_QUEUED', status_history: [{ old_status: null, new_status: 'PENDING', updated_at: '2016-05-04 12:29:30.250' }] },
    });
    expect(toOutboundStatus(handled(body) as SmsStatusEvent, STORED_AT)).toMatchObject({
      status: 'REMOTE_QUEUED',
      history: [{ oldStatus: null, newStatus: 'PENDING', at: '2016-05-04T12:29:30.250Z' }],
    });
  });
});
