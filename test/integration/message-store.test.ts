import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseCallrEvent, type SmsMoEvent, type SmsStatusEvent } from '../../functions/callr/events';
import { InvalidQueryError, ItemRejectedError } from '../../functions/messages/errors';
import { dynamoItemSize, MAX_ITEM_BYTES } from '../../functions/messages/item-size';
import { toInboundMessage, type InboundMessage } from '../../functions/messages/inbound-message';
import {
  getMessage,
  getRawEvent,
  listMessagesByKeyword,
  listMessagesByRecipient,
  listMessagesBySender,
  listRecentMessages,
  claimForward,
  markMessageForwarded,
  putMessageOnce,
  forwardClaimValue,
  releaseForwardClaim,
  toMessageItem,
  type ForwardClaim,
  type MessageTable,
} from '../../functions/messages/message-store';
import { recipientShard } from '../../functions/messages/recipient-shard';
import { applyStatusUpdate, getOutboundStatus, toOutboundStatus } from '../../functions/messages/status-store';
import { RECIPIENT_SHARDS } from '../../functions/messages/table-design';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { loseAnswers, marshalledPk, type LostAnswer } from '../support/lost-answers';
import { createLocalClients, type LocalClients } from '../../local/aws-clients';
import { moEventBody, statusEventBody, type MoEventOptions } from '../support/sqs-events';

const STORED_AT = new Date('2024-06-01T00:00:00.000Z');

function moEvent(options: MoEventOptions): { raw: Buffer; message: InboundMessage } {
  const raw = moEventBody(options);
  const parsed = parseCallrEvent(raw.toString('utf8'));
  if (!parsed.ok || !parsed.handled) throw new Error('test event does not parse');
  return { raw, message: toInboundMessage(parsed.event as SmsMoEvent, STORED_AT) };
}

async function store(table: MessageTable, options: MoEventOptions): Promise<InboundMessage> {
  const { raw, message } = moEvent(options);
  await putMessageOnce(table, { message, rawEvent: raw, eventId: options.eventId, claim: creatorClaim(options.eventId) });
  return message;
}

/** The claim of the attempt that stores the event: its token names the attempt. */
const creatorClaim = (eventId: string, at: Date = STORED_AT): ForwardClaim => ({ token: `creator-of-${eventId}`, at });

const at = (minute: number): Date => new Date(Date.UTC(2024, 4, 1, 10, minute, 0));

describe('message store', () => {
  let env: TestEnvironment;
  let table: MessageTable;
  beforeAll(async () => {
    env = await startTestEnvironment();
    table = { documents: env.clients.documents, tableName: env.tableName };
  });
  afterAll(() => env.stop());

  /** The whole stored item, as DynamoDB holds it. */
  async function itemOf(hash: string, kind = 'message'): Promise<Record<string, unknown> | undefined> {
    const { Item } = await env.clients.documents.send(
      new GetCommand({ TableName: env.tableName, Key: { pk: `sms#${hash}`, sk: kind }, ConsistentRead: true }),
    );
    return Item;
  }

  describe('putMessageOnce', () => {
    it('stores a new message, then answers duplicate with what is stored', async () => {
      const first = moEvent({ eventId: 'put-event-1', hash: 'PUT00001' });
      const again = moEvent({ eventId: 'put-event-2', hash: 'PUT00001', text: 'a different text' });

      const stored = await putMessageOnce(table, { ...first, rawEvent: first.raw, eventId: 'put-event-1', claim: creatorClaim('put-event-1') });
      const duplicate = await putMessageOnce(table, { ...again, rawEvent: again.raw, eventId: 'put-event-2', claim: creatorClaim('put-event-2') });

      expect(stored).toEqual({ stored: true });
      expect(duplicate).toEqual({
        stored: false,
        reason: 'duplicate',
        existing: { message: first.message, createdByEventId: 'put-event-1', forwardedAt: null },
      });
      expect(await getMessage(table, 'PUT00001')).toEqual(first.message);
    });

    it('reports when the duplicate was forwarded', async () => {
      const { raw, message } = moEvent({ eventId: 'put-event-3', hash: 'PUT00002' });
      await putMessageOnce(table, { message, rawEvent: raw, eventId: 'put-event-3', claim: creatorClaim('put-event-3') });
      await markMessageForwarded(table, 'PUT00002', new Date('2024-06-01T00:00:01.000Z'));

      const redelivery = { token: 'redelivery-of-put-event-3', at: STORED_AT };
      const duplicate = await putMessageOnce(table, { message, rawEvent: raw, eventId: 'put-event-3', claim: redelivery });

      expect(duplicate).toEqual({
        stored: false,
        reason: 'duplicate',
        existing: { message, createdByEventId: 'put-event-3', forwardedAt: '2024-06-01T00:00:01.000Z' },
      });
    });

    it('refuses to mark a message that is not stored', async () => {
      await expect(markMessageForwarded(table, 'NOT-STORED', STORED_AT)).rejects.toMatchObject({
        name: 'MessageStoreConsistencyError',
      });
    });

    it('keeps the raw event gzip-compressed, and gives back the exact bytes', async () => {
      const { raw, message } = moEvent({ eventId: 'raw-event-1', hash: 'RAW00001', text: 'Ça 👍 \ufffe' });
      await putMessageOnce(table, { message, rawEvent: raw, eventId: 'raw-event-1', claim: creatorClaim('raw-event-1') });

      const { Item } = await env.clients.documents.send(
        new GetCommand({ TableName: env.tableName, Key: { pk: 'sms#RAW00001', sk: 'message' } }),
      );

      expect(Buffer.from(Item?.raw as Uint8Array).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect((await getRawEvent(table, 'RAW00001', 'message'))?.equals(raw)).toBe(true);
      expect(await getRawEvent(table, 'NOT-STORED', 'message')).toBeUndefined();
    });
  });

  describe('item size', () => {
    it('measures an item as the emulator does: accepted at exactly 400 KB, refused one byte over', async () => {
      // ASCII only: dynalite counts UTF-16 code units where DynamoDB counts UTF-8 bytes; they agree here.
      const { raw, message } = moEvent({ eventId: 'size-event', hash: 'SIZE0001' });
      const base = { ...toMessageItem(message, raw, 'size-event'), filler: '' };
      const filler = 'f'.repeat(MAX_ITEM_BYTES - dynamoItemSize(base));
      const put = (item: Record<string, unknown>) => env.clients.documents.send(new PutCommand({ TableName: env.tableName, Item: item }));

      expect(dynamoItemSize({ ...base, filler })).toBe(MAX_ITEM_BYTES);
      await expect(put({ ...base, filler })).resolves.toBeDefined();
      await expect(put({ ...base, filler: `${filler}f` })).rejects.toMatchObject({
        name: 'ValidationException',
        message: 'Item size has exceeded the maximum allowed size',
      });
    });

    it('writes a status whose raw copy would take the item past 400 KB without it, flagged', async () => {
      const statusError = randomBytes(180 * 1024).toString('base64').slice(0, 240 * 1024);
      const raw = statusEventBody({ eventId: 'large-status', hash: 'LARGEMT1', eventAt: at(1), status: 'FAILED', statusError });
      const parsed = parseCallrEvent(raw.toString('utf8'));
      if (!parsed.ok || !parsed.handled) throw new Error('test event does not parse');
      const status = toOutboundStatus(parsed.event as SmsStatusEvent, STORED_AT);

      expect(await applyStatusUpdate(table, { status, rawEvent: raw, writeToken: 'large-status-attempt' })).toEqual({
        applied: true,
        rawOmitted: 'too_large',
      });
      expect(await getOutboundStatus(table, 'LARGEMT1')).toEqual(status);
      expect(await getRawEvent(table, 'LARGEMT1', 'status')).toBeUndefined();
      expect(await itemOf('LARGEMT1', 'status')).toMatchObject({ rawOmitted: 'too_large' });
    });

    it('refuses a write DynamoDB rejects as invalid with an ItemRejectedError naming the reason', async () => {
      const { raw, message } = moEvent({ eventId: 'bad-event', hash: 'BADITEM1' });
      // DynamoDB numbers stop at 1e-130: a value no parser lets through, here to make DynamoDB say no.
      const invalid = { ...message, parts: 1e-200 };
      const fromIndexKey = putMessageOnce(table, { message: invalid, rawEvent: raw, eventId: 'bad-event', claim: creatorClaim('bad-event') });

      await expect(fromIndexKey).rejects.toBeInstanceOf(ItemRejectedError);
      await expect(fromIndexKey).rejects.toMatchObject({ reason: 'store_rejected', cause: { name: 'ValidationException' } });
    });
  });

  describe('forward claims', () => {
    const SECOND = 1000;
    const after = (milliseconds: number): Date => new Date(STORED_AT.getTime() + milliseconds);
    /** Claims as the persister does, as an attempt of its own: a claim older than a minute is stale. */
    const claimantAt = (now: Date): ForwardClaim => ({ token: `claimant-at-${now.getTime()}`, at: now });
    const claimAt = (hash: string, now: Date): Promise<boolean> =>
      claimForward(table, hash, { claim: claimantAt(now), staleBefore: new Date(now.getTime() - 60 * SECOND) });

    const claimOf = async (hash: string): Promise<unknown> => (await itemOf(hash))?.forwardClaim;

    it('stores a new message claimed by its creator, and drops the claim once it is forwarded', async () => {
      await store(table, { eventId: 'claim-event-1', hash: 'CLAIM001' });
      expect(await claimOf('CLAIM001')).toBe(`${STORED_AT.toISOString()}#creator-of-claim-event-1`);

      await markMessageForwarded(table, 'CLAIM001', after(SECOND));

      expect(await claimOf('CLAIM001')).toBeUndefined();
    });

    it.each([
      ['a fresh claim', 59 * SECOND, false],
      ['a stale claim', 61 * SECOND, true],
    ])('%s (%i ms old) can be taken over: %p', async (_label, elapsed, claimed) => {
      const hash = `CLAIM${elapsed}`;
      await store(table, { eventId: `claim-${elapsed}`, hash });

      expect(await claimAt(hash, after(elapsed))).toBe(claimed);

      expect(await claimOf(hash)).toBe(forwardClaimValue(claimed ? claimantAt(after(elapsed)) : creatorClaim(`claim-${elapsed}`)));
    });

    it('lets exactly one of two concurrent claimants take a stale claim', async () => {
      await store(table, { eventId: 'claim-event-2', hash: 'CLAIM002' });

      const results = await Promise.all([claimAt('CLAIM002', after(90 * SECOND)), claimAt('CLAIM002', after(91 * SECOND))]);

      expect(results.filter(Boolean)).toEqual([true]);
    });

    it('never claims a forwarded message, however old its claim', async () => {
      await store(table, { eventId: 'claim-event-3', hash: 'CLAIM003' });
      await markMessageForwarded(table, 'CLAIM003', after(SECOND));

      expect(await claimAt('CLAIM003', after(3600 * SECOND))).toBe(false);
      expect(await claimOf('CLAIM003')).toBeUndefined();
    });

    it('claims nothing, and creates nothing, for a message that is not stored', async () => {
      expect(await claimAt('NOT-STORED', STORED_AT)).toBe(false);
      expect(await itemOf('NOT-STORED')).toBeUndefined();
    });

    it('releases a claim only while it is the one taken, and a released message can be claimed at once', async () => {
      await store(table, { eventId: 'claim-event-4', hash: 'CLAIM004' });
      const takenOver = after(61 * SECOND);
      expect(await claimAt('CLAIM004', takenOver)).toBe(true);

      expect(await releaseForwardClaim(table, 'CLAIM004', creatorClaim('claim-event-4'))).toBe(false);
      expect(await claimOf('CLAIM004')).toBe(forwardClaimValue(claimantAt(takenOver)));

      expect(await releaseForwardClaim(table, 'CLAIM004', claimantAt(takenOver))).toBe(true);
      expect(await claimOf('CLAIM004')).toBeUndefined();
      expect(await claimAt('CLAIM004', after(62 * SECOND))).toBe(true);
    });

    it('releases nothing on a message that is not stored', async () => {
      expect(await releaseForwardClaim(table, 'NOT-STORED', claimantAt(STORED_AT))).toBe(false);
      expect(await itemOf('NOT-STORED')).toBeUndefined();
    });
  });

  describe('a write whose answer is lost (committed, then a 500 or a reset; the SDK sends it again)', () => {
    const LOST: LostAnswer[] = ['internal_server_error', 'connection_reset'];
    let lossy: LocalClients[];
    beforeAll(() => {
      lossy = [];
    });
    afterAll(() => {
      for (const clients of lossy) clients.destroy();
    });

    /** A table on its own clients, where the first answer to `operation` on `hash` is lost. */
    function tableLosing(operation: string, hash: string, how: LostAnswer, kind = 'message') {
      const clients = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      lossy.push(clients);
      const lost = loseAnswers(clients.dynamodb, {
        operation,
        how,
        matches: (input) => marshalledPk(input) === `sms#${hash}` && (input.Item ?? input.Key) !== undefined && JSON.stringify(input).includes(`"${kind}"`),
      });
      return { table: { documents: clients.documents, tableName: env.tableName }, lost };
    }

    it.each(LOST)('putMessageOnce: still stored by us, claimed by us (%s)', async (how) => {
      const hash = `LOSTPUT${LOST.indexOf(how)}`;
      const { raw, message } = moEvent({ eventId: `lost-put-${how}`, hash });
      const { table: losing, lost } = tableLosing('PutItem', hash, how);

      const result = await putMessageOnce(losing, { message, rawEvent: raw, eventId: `lost-put-${how}`, claim: creatorClaim(`lost-put-${how}`) });

      expect(lost.count()).toBe(1);
      expect(result).toEqual({ stored: true });
      expect(await itemOf(hash)).toMatchObject({ forwardClaim: forwardClaimValue(creatorClaim(`lost-put-${how}`)) });
      // Another attempt (a copy of the event) is still told it is a duplicate.
      const copy = await putMessageOnce(table, { message, rawEvent: raw, eventId: `lost-put-${how}`, claim: { token: 'a-copy', at: STORED_AT } });
      expect(copy).toMatchObject({ stored: false, reason: 'duplicate' });
    });

    it.each(LOST)('claimForward: the claim is ours (%s)', async (how) => {
      const hash = `LOSTCLM${LOST.indexOf(how)}`;
      await store(table, { eventId: `lost-claim-${how}`, hash });
      // The creator's forward failed and it gave the claim back: the redelivery claims.
      expect(await releaseForwardClaim(table, hash, creatorClaim(`lost-claim-${how}`))).toBe(true);
      const { table: losing, lost } = tableLosing('UpdateItem', hash, how);
      const now = new Date(STORED_AT.getTime() + 1000);
      const staleBefore = new Date(now.getTime() - 60_000);

      const claimed = await claimForward(losing, hash, { claim: { token: 'redelivery', at: now }, staleBefore });

      expect(lost.count()).toBe(1);
      expect(claimed).toBe(true);
      // Another attempt, at the same instant even, is held off by it.
      expect(await claimForward(table, hash, { claim: { token: 'another-copy', at: now }, staleBefore })).toBe(false);
    });

    it.each(LOST)('releaseForwardClaim: released by us (%s)', async (how) => {
      const hash = `LOSTREL${LOST.indexOf(how)}`;
      await store(table, { eventId: `lost-release-${how}`, hash });
      const { table: losing, lost } = tableLosing('UpdateItem', hash, how);

      const released = await releaseForwardClaim(losing, hash, creatorClaim(`lost-release-${how}`));

      expect(lost.count()).toBe(1);
      expect(released).toBe(true);
      expect(await itemOf(hash)).not.toHaveProperty('forwardClaim');
    });

    it.each(LOST)('markMessageForwarded: marked, the claim gone, no error (%s)', async (how) => {
      const hash = `LOSTMRK${LOST.indexOf(how)}`;
      await store(table, { eventId: `lost-mark-${how}`, hash });
      const { table: losing, lost } = tableLosing('UpdateItem', hash, how);
      const at = new Date(STORED_AT.getTime() + 1000);

      await markMessageForwarded(losing, hash, at);

      expect(lost.count()).toBe(1);
      expect(await itemOf(hash)).toMatchObject({ forwardedAt: at.toISOString() });
      expect(await itemOf(hash)).not.toHaveProperty('forwardClaim');
    });

    it.each(LOST)('applyStatusUpdate: applied by us, not stale (%s)', async (how) => {
      const hash = `LOSTSTA${LOST.indexOf(how)}`;
      const raw = statusEventBody({ eventId: `lost-status-${how}`, hash, eventAt: at(1), status: 'DELIVERED' });
      const parsed = parseCallrEvent(raw.toString('utf8'));
      if (!parsed.ok || !parsed.handled) throw new Error('test event does not parse');
      const status = toOutboundStatus(parsed.event as SmsStatusEvent, STORED_AT);
      const { table: losing, lost } = tableLosing('PutItem', hash, how, 'status');

      const result = await applyStatusUpdate(losing, { status, rawEvent: raw, writeToken: `status-attempt-${how}` });

      expect(lost.count()).toBe(1);
      expect(result).toEqual({ applied: true });
      expect(await getOutboundStatus(table, hash)).toEqual(status);
      // The same event again, from another attempt, is stale.
      expect(await applyStatusUpdate(table, { status, rawEvent: raw, writeToken: 'a-redelivery' })).toEqual({ applied: false, reason: 'stale' });
    });
  });

  describe('queries', () => {
    const SENDER = '+33600000001';
    const SHORTCODE = '36111';
    const VOTE_TEXTS = ['VOTE A', 'vote b', 'Vote, C!', 'HELP', '😀'];
    let messages: InboundMessage[];

    beforeAll(async () => {
      // Enough messages to one recipient that they land in many shards.
      messages = [];
      for (let minute = 0; minute < 40; minute += 1) {
        messages.push(
          await store(table, {
            eventId: `query-event-${minute}`,
            hash: `Q${String(minute).padStart(7, '0')}`,
            from: minute % 2 === 0 ? SENDER : `+3360000${String(1000 + minute)}`,
            to: SHORTCODE,
            // A TV vote: most texts start with VOTE, in every case and accent; some are something else.
            text: VOTE_TEXTS[minute % VOTE_TEXTS.length],
            receivedAt: at(minute),
          }),
        );
      }
      // Another recipient and another sender, which no query below may return.
      await store(table, { eventId: 'query-other', hash: 'QOTHER01', from: '+15550000000', to: '+15551111111', text: 'VOTE B', receivedAt: at(5) });
    });

    const newestFirst = (list: InboundMessage[]): InboundMessage[] =>
      [...list].sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1));

    it('spreads one recipient over several shards (or the next tests prove nothing)', () => {
      expect(new Set(messages.map((message) => recipientShard(message.id))).size).toBeGreaterThan(RECIPIENT_SHARDS / 2);
    });

    it('gets a message by hash, and nothing for an unknown hash', async () => {
      expect(await getMessage(table, messages[3]!.id)).toEqual(messages[3]);
      expect(await getMessage(table, 'UNKNOWN')).toBeUndefined();
    });

    it("lists a sender's messages newest first, up to the limit", async () => {
      const fromSender = newestFirst(messages.filter((message) => message.from === SENDER));

      expect(await listMessagesBySender(table, { from: SENDER, limit: 5 })).toEqual(fromSender.slice(0, 5));
      expect(await listMessagesBySender(table, { from: SENDER })).toEqual(fromSender);
      expect(await listMessagesBySender(table, { from: '+10000000000' })).toEqual([]);
    });

    it.each([
      ['all of them', {}, 0, 40],
      ['since (inclusive)', { since: at(30) }, 30, 40],
      ['until (exclusive)', { until: at(10) }, 0, 10],
      ['since and until', { since: at(12), until: at(20) }, 12, 20],
    ])('lists messages to a recipient across shards, newest first: %s', async (_label, range, fromMinute, toMinute) => {
      const expected = newestFirst(messages.slice(fromMinute, toMinute));

      expect(await listMessagesByRecipient(table, { to: SHORTCODE, ...range, limit: 100 })).toEqual(expected);
    });

    it('keeps the newest across shards when the limit cuts', async () => {
      expect(await listMessagesByRecipient(table, { to: SHORTCODE, limit: 7 })).toEqual(newestFirst(messages).slice(0, 7));
    });

    it('finds nothing for an unknown recipient or an empty range', async () => {
      expect(await listMessagesByRecipient(table, { to: '+19999999999' })).toEqual([]);
      expect(await listMessagesByRecipient(table, { to: SHORTCODE, since: at(50) })).toEqual([]);
    });

    it.each([
      ['all of them', {}, 0, 40],
      ['since and until', { since: at(12), until: at(20) }, 12, 20],
    ])('lists messages to a recipient with one keyword across shards, newest first: %s', async (_label, range, fromMinute, toMinute) => {
      const inRange = messages.slice(fromMinute, toMinute);
      const votes = newestFirst(inRange.filter((message) => message.keyword === 'VOTE'));
      expect(votes.length).toBeGreaterThan(3);

      expect(await listMessagesByKeyword(table, { to: SHORTCODE, keyword: 'VOTE', ...range, limit: 100 })).toEqual(votes);
      expect(await listMessagesByKeyword(table, { to: SHORTCODE, keyword: 'VOTE', ...range, limit: 3 })).toEqual(votes.slice(0, 3));
      expect(await listMessagesByKeyword(table, { to: SHORTCODE, keyword: 'HELP', ...range, limit: 100 })).toEqual(
        newestFirst(inRange.filter((message) => message.text === 'HELP')),
      );
    });

    it('writes no keyword index entry for a text without a word', async () => {
      const noWord = messages.find((message) => message.text === '😀')!;
      expect(noWord.keyword).toBeNull();
      expect(await itemOf(noWord.id)).not.toHaveProperty('keywordPk');
    });

    it('finds nothing for a keyword nobody sent, or one sent to another number', async () => {
      expect(await listMessagesByKeyword(table, { to: SHORTCODE, keyword: 'STOP' })).toEqual([]);
      expect((await listMessagesByKeyword(table, { to: '+15551111111', keyword: 'VOTE' })).map((message) => message.id)).toEqual(['QOTHER01']);
    });

    it.each([
      ['a keyword of two words', 'VOTE A'],
      ['a keyword not normalised', 'vote'],
      ['an empty keyword', ''],
    ])('refuses %s with an InvalidQueryError', async (_label, keyword) => {
      await expect(listMessagesByKeyword(table, { to: SHORTCODE, keyword })).rejects.toThrow(InvalidQueryError);
    });

    it.each([
      ['a limit of 0', { to: SHORTCODE, limit: 0 }, /limit must be an integer from 1 to 1000, got 0/],
      ['a fractional limit', { to: SHORTCODE, limit: 1.5 }, /limit must be an integer/],
      ['an inverted range', { to: SHORTCODE, since: at(20), until: at(10) }, /since \(.*\) must be before until/],
      ['an invalid date', { to: SHORTCODE, since: new Date('nope') }, /since is not a valid date/],
      ['an empty recipient', { to: '' }, /to must not be empty/],
    ])('refuses %s with an InvalidQueryError', async (_label, query, message) => {
      const attempt = listMessagesByRecipient(table, query);
      await expect(attempt).rejects.toThrow(InvalidQueryError);
      await expect(attempt).rejects.toThrow(message);
    });
  });

  describe('listRecentMessages (a bounded scan, for local mode)', () => {
    it('lists messages of every sender newest first, skipping status items, and says when the scan was complete', async () => {
      // Its own table: the other tests' messages would be part of the answer.
      const own = await startTestEnvironment();
      try {
        const ownTable = { documents: own.clients.documents, tableName: own.tableName };
        const stored = [
          await store(ownTable, { eventId: 'recent-1', hash: 'RECENT01', from: '+33600000101', receivedAt: at(1) }),
          await store(ownTable, { eventId: 'recent-2', hash: 'RECENT02', from: '+33600000102', receivedAt: at(3) }),
          await store(ownTable, { eventId: 'recent-3', hash: 'RECENT03', from: '+33600000103', receivedAt: at(2) }),
        ];
        const status = statusEventBody({ eventId: 'recent-status', hash: 'RECENTST', eventAt: at(4), status: 'SENT' });
        const parsed = parseCallrEvent(status.toString('utf8'));
        if (!parsed.ok || !parsed.handled) throw new Error('test status does not parse');
        await applyStatusUpdate(ownTable, { status: toOutboundStatus(parsed.event as SmsStatusEvent, STORED_AT), rawEvent: status, writeToken: 'recent-status-attempt' });

        expect(await listRecentMessages(ownTable, { limit: 2 })).toEqual({ messages: [stored[1], stored[2]], complete: true });
        const bounded = await listRecentMessages(ownTable, { maxScannedItems: 1 });
        expect(bounded.complete).toBe(false);
      } finally {
        await own.stop();
      }
    });
  });

  describe('statuses', () => {
    function statusOf(options: { eventId: string; eventAt: Date; status: string }) {
      const raw = statusEventBody({ ...options, hash: 'MT000001' });
      const parsed = parseCallrEvent(raw.toString('utf8'));
      if (!parsed.ok || !parsed.handled) throw new Error('test event does not parse');
      return { raw, status: toOutboundStatus(parsed.event as SmsStatusEvent, STORED_AT) };
    }

    it('applies a status only when newer than the stored one', async () => {
      const sent = statusOf({ eventId: 'status-1', eventAt: at(1), status: 'SENT' });
      const delivered = statusOf({ eventId: 'status-2', eventAt: at(2), status: 'DELIVERED' });

      // Each a delivery of its own: a new attempt, a new token.
      expect(await applyStatusUpdate(table, { status: delivered.status, rawEvent: delivered.raw, writeToken: 'attempt-1' })).toEqual({ applied: true });
      expect(await applyStatusUpdate(table, { status: sent.status, rawEvent: sent.raw, writeToken: 'attempt-2' })).toEqual({ applied: false, reason: 'stale' });
      expect(await applyStatusUpdate(table, { status: delivered.status, rawEvent: delivered.raw, writeToken: 'attempt-3' })).toEqual({
        applied: false,
        reason: 'stale',
      });

      expect(await getOutboundStatus(table, 'MT000001')).toEqual(delivered.status);
      expect((await getRawEvent(table, 'MT000001', 'status'))?.equals(delivered.raw)).toBe(true);
      expect(await getOutboundStatus(table, 'UNKNOWN')).toBeUndefined();
    });
  });
});
