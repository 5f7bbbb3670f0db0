import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { InboundMessage } from '../../functions/messages/inbound-message';
import type { MessageTable } from '../../functions/messages/message-store';
import { createInboundEnrichment } from '../../functions/optouts/enrichment';
import { applyOptOutChange, createOptOutChecker, getOptOutRecords, isOptedOut, type OptOutChange } from '../../functions/optouts/registry';
import { DEFAULT_OPT_OUT_WORDS } from '../../functions/optouts/words';
import { hashNumber } from '../../functions/privacy/number-hash';
import { createLocalClients } from '../../local/aws-clients';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { loseAnswers, marshalledPk, type LostAnswer } from '../support/lost-answers';
import { testNumberHashKey } from '../support/number-hash-key';

const KEY = testNumberHashKey().current()!;
const SHORTCODE = '38123';
const OTHER_NUMBER = '+33199001234';
const at = (minute: number): string => new Date(Date.UTC(2024, 4, 1, 10, minute, 0)).toISOString();

let sequence = 0;
/** A different sender for each test: they share one table. */
const newSender = (): string => `+3361200${String(++sequence).padStart(4, '0')}`;

function change(sender: string, overrides: Partial<OptOutChange> = {}): OptOutChange {
  return {
    senderHash: hashNumber(KEY, sender),
    ourNumber: SHORTCODE,
    action: 'stop',
    word: 'STOP',
    messageId: `MO${sequence}A`,
    at: at(0),
    ...overrides,
  };
}

describe('opt-out registry', () => {
  let env: TestEnvironment;
  let table: MessageTable;
  beforeAll(async () => {
    env = await startTestEnvironment();
    table = { documents: env.clients.documents, tableName: env.tableName };
  });
  afterAll(() => env.stop());

  const optedOut = (sender: string, ourNumber?: string) => isOptedOut(table, KEY, sender, ourNumber === undefined ? {} : { ourNumber });

  it('a STOP opts the sender out from that number of ours, and so from "any of our numbers"', async () => {
    const sender = newSender();
    expect(await optedOut(sender)).toBe(false);

    expect(await applyOptOutChange(table, change(sender))).toEqual({ changed: true });

    expect(await optedOut(sender, SHORTCODE)).toBe(true);
    expect(await optedOut(sender, OTHER_NUMBER)).toBe(false);
    expect(await optedOut(sender)).toBe(true);
    // However the number is written: the hash is of the normalised number.
    expect(await optedOut(sender.replace(/^(\+\d{2})(\d)(\d{2})/, '$1 $2 $3-'))).toBe(true);
    expect(await optedOut(newSender())).toBe(false);
  });

  it('a later START lifts it; the item stays, turned off, so that an older STOP cannot come back', async () => {
    const sender = newSender();
    await applyOptOutChange(table, change(sender, { messageId: 'STOP1', at: at(1) }));
    expect(await applyOptOutChange(table, change(sender, { action: 'start', word: 'START', messageId: 'START1', at: at(2) }))).toEqual({ changed: true });
    expect(await optedOut(sender)).toBe(false);

    // The STOP delivered again (SQS, CALLR retry) or late: older than the START, it changes nothing.
    expect(await applyOptOutChange(table, change(sender, { messageId: 'STOP1', at: at(1) }))).toEqual({ changed: false });
    expect(await optedOut(sender)).toBe(false);
  });

  it.each([
    ['in order', [0, 1, 2]],
    ['newest first', [2, 1, 0]],
    ['shuffled', [1, 2, 0]],
    ['each twice', [2, 0, 2, 1, 0, 1]],
  ])('the latest MO by time wins whatever the order of arrival (%s)', async (_order, indexes) => {
    const sender = newSender();
    const changes = [
      change(sender, { messageId: 'M0', at: at(10) }),
      change(sender, { action: 'start', word: 'YES', messageId: 'M1', at: at(11) }),
      change(sender, { word: 'ARRET', messageId: 'M2', at: at(12) }),
    ];
    for (const index of indexes) await applyOptOutChange(table, changes[index]!);

    expect(await getOptOutRecords(table, hashNumber(KEY, sender))).toEqual([
      { ourNumber: SHORTCODE, optedOut: true, word: 'ARRET', messageId: 'M2', at: at(12), eventAt: at(12) },
    ]);
  });

  it('on the same receivedAt (CALLR gives seconds), the later event wins: STOP then START in one second opts back in, in either order of arrival', async () => {
    const [first, second] = [newSender(), newSender()];
    const second0 = at(25);
    const stop = (sender: string) => change(sender, { messageId: 'ZZSTOP', at: second0, eventAt: '2024-05-01T10:25:00.100Z' });
    const start = (sender: string) => change(sender, { action: 'start', word: 'START', messageId: 'AASTART', at: second0, eventAt: '2024-05-01T10:25:00.900Z' });
    await applyOptOutChange(table, stop(first));
    await applyOptOutChange(table, start(first));
    await applyOptOutChange(table, start(second));
    expect(await applyOptOutChange(table, stop(second))).toEqual({ changed: false });

    expect(await optedOut(first)).toBe(false);
    expect(await optedOut(second)).toBe(false);
  });

  it('breaks a tie on both times by MO id, so both orders end the same', async () => {
    const [first, second] = [newSender(), newSender()];
    const stop = (sender: string) => change(sender, { messageId: 'TIE-A', at: at(20) });
    const start = (sender: string) => change(sender, { action: 'start', word: 'START', messageId: 'TIE-B', at: at(20) });
    await applyOptOutChange(table, stop(first));
    await applyOptOutChange(table, start(first));
    await applyOptOutChange(table, start(second));
    await applyOptOutChange(table, stop(second));

    expect(await optedOut(first)).toBe(false);
    expect(await optedOut(second)).toBe(false);
  });

  it('holds only the hash of the sender, our number, the MO id, the time and the word: no number, no text', async () => {
    const sender = newSender();
    await applyOptOutChange(table, change(sender, { messageId: 'EVIDENCE1', at: at(30) }));

    const { Items } = await env.clients.documents.send(
      new ScanCommand({ TableName: env.tableName, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `optout#${hashNumber(KEY, sender)}` } }),
    );
    expect(Items).toEqual([
      { pk: `optout#${hashNumber(KEY, sender)}`, sk: `to#${SHORTCODE}`, optedOut: true, word: 'STOP', messageId: 'EVIDENCE1', at: at(30), eventAt: at(30) },
    ]);
    expect(JSON.stringify(Items)).not.toContain(sender.slice(1));
  });

  it.each<LostAnswer>(['internal_server_error', 'connection_reset'])(
    'a STOP whose answer is lost is applied once, and the retry says it found it applied (%s)',
    async (how) => {
      const sender = newSender();
      const clients = createLocalClients({ dynamodbEndpoint: env.dynamodbEndpoint, sqsEndpoint: env.sqsEndpoint, region: env.region });
      try {
        const lost = loseAnswers(clients.dynamodb, { operation: 'PutItem', how, matches: (input) => marshalledPk(input) === `optout#${hashNumber(KEY, sender)}` });
        const result = await applyOptOutChange({ documents: clients.documents, tableName: env.tableName }, change(sender));
        expect(lost.count()).toBe(1);
        expect(result).toEqual({ changed: false });
        expect(await optedOut(sender)).toBe(true);
      } finally {
        clients.destroy();
      }
    },
  );

  it('gives the sender of outbound SMS a checker that loads the key when first asked', async () => {
    const sender = newSender();
    await applyOptOutChange(table, change(sender, { ourNumber: OTHER_NUMBER }));
    const loads: string[] = [];
    const checker = createOptOutChecker({ table, key: async () => (loads.push('load'), KEY) });

    expect(await checker.isOptedOut(sender)).toBe(true);
    expect(await checker.isOptedOut(newSender())).toBe(false);
    expect(loads.length).toBe(2);
  });

  describe('the persister\'s enrichment step', () => {
    const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
    let enrich: ReturnType<typeof createInboundEnrichment>;
    beforeAll(() => {
      enrich = createInboundEnrichment({ words: DEFAULT_OPT_OUT_WORDS, table, numberHashKey: async () => KEY, metrics });
    });
    afterAll(() => metrics.clearMetrics());

    const message = (from: string, text: string, id: string, minute: number): InboundMessage => ({
      schemaVersion: 1,
      id,
      from,
      to: SHORTCODE,
      text,
      encoding: 'GSM',
      parts: 1,
      network: null,
      receivedAt: at(minute),
      eventId: `event-${id}`,
      eventAt: at(minute),
      hookHash: null,
      storedAt: at(minute),
    });

    it('applies a STOP and says so on the message; a START later lifts it', async () => {
      const sender = newSender();
      const stop = message(sender, 'Stop !', 'ENRSTOP1', 40);
      expect(await enrich(stop)).toEqual({ ...stop, optOut: 'stop' });
      expect(await optedOut(sender, SHORTCODE)).toBe(true);

      const start = message(sender, 'start', 'ENRSTART1', 41);
      expect(await enrich(start)).toEqual({ ...start, optOut: 'start' });
      expect(await optedOut(sender)).toBe(false);
    });

    it('flags a near miss and applies nothing', async () => {
      const sender = newSender();
      const nearMiss = message(sender, 'Stop. Thanks', 'ENRNEAR1', 42);
      expect(await enrich(nearMiss)).toEqual({ ...nearMiss, suspectedOptOut: true });
      expect(await getOptOutRecords(table, hashNumber(KEY, sender))).toEqual([]);
    });

    it('leaves any other message as it is, without loading the key', async () => {
      const never = createInboundEnrichment({ words: DEFAULT_OPT_OUT_WORDS, table, numberHashKey: () => Promise.reject(new Error('not needed')), metrics });
      const hello = message(newSender(), 'Hello', 'ENRHELLO', 43);
      expect(await never(hello)).toBe(hello);
    });

    it('fails when the key cannot be loaded, rather than store a STOP it could not apply', async () => {
      const failing = createInboundEnrichment({ words: DEFAULT_OPT_OUT_WORDS, table, numberHashKey: () => Promise.reject(new Error('no key')), metrics });
      await expect(failing(message(newSender(), 'STOP', 'ENRNOKEY', 44))).rejects.toThrow('no key');
    });
  });
});
