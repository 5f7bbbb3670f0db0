import { gunzipSync } from 'node:zlib';
import { parseCallrEvent, type SmsMoEvent, type SmsStatusEvent } from '../../functions/callr/events';
import { toInboundMessage } from '../../functions/messages/inbound-message';
import { toMessageItem } from '../../functions/messages/message-store';
import { recipientShard } from '../../functions/messages/recipient-shard';
import { toOutboundStatus } from '../../functions/messages/status-store';
import { RECIPIENT_SHARDS } from '../../functions/messages/table-design';
import { smsMoBody, smsStatusBody } from '../fixtures/callr-fixtures';

function parsed<T>(body: Buffer): T {
  const result = parseCallrEvent(body.toString('utf8'));
  if (!result.ok || !result.handled) throw new Error('fixture does not parse');
  return result.event as T;
}

const STORED_AT = new Date('2024-05-01T10:00:02.000Z');

describe('recipientShard', () => {
  // Pinned: changing the function moves stored messages out of reach of the recipient query.
  it.each([
    ['ZFUODF1O', 1],
    ['8242D945', 15],
    ['A', 0],
    ['B', 5],
  ])('puts %s in shard %i, on every delivery and every deploy', (hash, shard) => {
    expect(recipientShard(hash)).toBe(shard);
  });

  it('spreads similar hashes over every shard, none with more than twice its share', () => {
    const counts = new Array<number>(RECIPIENT_SHARDS).fill(0);
    for (let i = 0; i < 16_000; i += 1) counts[recipientShard(`ZF${i.toString(36).toUpperCase().padStart(6, '0')}`)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(2 * (16_000 / RECIPIENT_SHARDS));
  });

  it.each([0, -1, 1.5])('refuses %p shards', (shards) => {
    expect(() => recipientShard('ZFUODF1O', shards)).toThrow(RangeError);
  });
});

describe('toMessageItem', () => {
  it('keys the item on the SMS hash and indexes it by sender, by sharded recipient and by sharded recipient and keyword', () => {
    const raw = smsMoBody();
    const message = toInboundMessage(parsed<SmsMoEvent>(raw), STORED_AT);

    const { raw: compressed, ...item } = toMessageItem(message, raw, 'c5df14852226895334vk6tjqfCS3PFEG');

    expect(item).toEqual({
      pk: 'sms#ZFUODF1O',
      sk: 'message',
      message,
      createdByEventId: 'c5df14852226895334vk6tjqfCS3PFEG',
      senderPk: 'from#+15146605859',
      senderSk: '2017-01-24T01:51:29.000Z#ZFUODF1O',
      recipientPk: `to#+13476096124#${recipientShard('ZFUODF1O')}`,
      recipientSk: '2017-01-24T01:51:29.000Z#ZFUODF1O',
      keywordPk: `kw#+13476096124#HELLO#${recipientShard('ZFUODF1O')}`,
      keywordSk: '2017-01-24T01:51:29.000Z#ZFUODF1O',
    });
    expect(gunzipSync(compressed as Buffer).equals(raw)).toBe(true);
  });
});

describe('toOutboundStatus', () => {
  it('normalises the status, its error and its history to ISO dates', () => {
    expect(toOutboundStatus(parsed<SmsStatusEvent>(smsStatusBody()), STORED_AT)).toEqual({
      id: '8242D945',
      from: 'SMS',
      to: '+33612345678',
      status: 'SENT',
      statusError: null,
      history: [
        { oldStatus: 'CREATED', newStatus: 'PENDING', at: '2016-05-04T12:29:30.000Z' },
        { oldStatus: 'PENDING', newStatus: 'SENT', at: '2016-05-04T12:29:32.000Z' },
      ],
      eventId: '9422146236497234056PGNSmlw2sOrjq',
      eventAt: '2016-05-04T12:29:32.340Z',
      updatedAt: '2024-05-01T10:00:02.000Z',
    });
  });
});
