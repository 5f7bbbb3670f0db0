import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { listSms } from '../../functions/callr/sms-listing';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';

/** listSms through the real JSON-RPC client against the CALLR emulator, on a clock the test moves. */
const API_KEY = 'listing-test-key';
const T0 = new Date('2026-03-01T10:00:00.000Z');

describe('listSms against the CALLR emulator', () => {
  let emulator: CallrEmulator;
  let clock = T0;
  const callr = () => createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, retries: 1, retryBaseDelayMs: 1 });
  const atSecond = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

  /** One inbound SMS per given second, none delivered (no webhook is subscribed anyway). */
  const receiveAt = (seconds: number[]) =>
    seconds.map((at) => {
      clock = atSecond(at);
      return emulator.injectInboundSms({ from: '+33612345678', to: '+33987654321', text: `at ${at}`, undelivered: true }).hash;
    });

  beforeEach(async () => {
    clock = T0;
    emulator = await startCallrEmulator({ credentials: { apiKey: API_KEY }, statusUpdateDelayMs: 60_000, now: () => clock });
  });
  afterEach(() => emulator.close());

  it('lists every inbound SMS of the range, oldest first, in one call when the answer is not full', async () => {
    const hashes = receiveAt([0, 59, 60, 3_599]);

    const listing = await listSms(callr(), { type: 'IN', from: T0, to: atSecond(3_600) });

    expect(listing).toMatchObject({ complete: true, calls: 1, skipped: 0, gaps: [] });
    expect(listing.sms.map((sms) => [sms.hash, sms.text, sms.receivedAt])).toEqual([
      [hashes[0], 'at 0', '2026-03-01T10:00:00.000Z'],
      [hashes[1], 'at 59', '2026-03-01T10:00:59.000Z'],
      [hashes[2], 'at 60', '2026-03-01T10:01:00.000Z'],
      [hashes[3], 'at 3599', '2026-03-01T10:59:59.000Z'],
    ]);
    expect(emulator.calls().map((call) => call.params)).toEqual([['IN', '2026-03-01 10:00:00', '2026-03-01 10:59:59']]);
  });

  it.each(['oldest_first', 'newest_first'] as const)('finds every SMS once behind a page size CALLR does not publish (answer %s)', async (smsListOrder) => {
    const hashes = receiveAt(Array.from({ length: 30 }, (_, n) => n * 7));
    emulator.setLimits({ smsListLimit: 4 });
    emulator.setAnswerShapes({ smsListOrder });

    const listing = await listSms(callr(), { type: 'IN', from: T0, to: atSecond(7 * 30) }, { pageLimit: 4 });

    expect(listing.complete).toBe(true);
    expect(listing.sms.map((sms) => sms.hash)).toEqual(hashes);
    expect(listing.calls).toBeGreaterThan(1);
    expect(emulator.calls()).toHaveLength(listing.calls);
  });

  it('finds an SMS we sent by its recipient and minute, among others', async () => {
    clock = atSecond(61);
    const client = callr();
    await client.sendSms({ to: '+33600000001', text: 'someone else' });
    clock = atSecond(95);
    const { hash } = await client.sendSms({ to: '+33600000002', text: 'the one', userData: 'request-42' });
    clock = atSecond(130);
    await client.sendSms({ to: '+33600000002', text: 'next minute' });

    const listing = await listSms(client, { type: 'OUT', from: atSecond(60), to: atSecond(120), recipient: '+33600000002' });

    expect(listing.sms).toEqual([
      expect.objectContaining({ hash, type: 'OUT', from: '38100', to: '+33600000002', text: 'the one', userData: 'request-42', createdAt: '2026-03-01T10:01:35.000Z' }),
    ]);
  });

  it('sets and shows the emulator\'s unpublished limits through the control API', async () => {
    const post = (body: unknown) =>
      fetch(`${emulator.controlUrl}limits`, { method: 'POST', body: JSON.stringify(body) }).then(async (response) => ({ status: response.status, json: await response.json() }));

    expect(await post({ smsListLimit: 2 })).toEqual({ status: 200, json: { limits: { smsListLimit: 2 } } });
    expect(await post({ smsListLimit: 0 })).toEqual({ status: 400, json: { error: 'invalid_request', message: expect.stringMatching(/smsListLimit/) } });
    expect(await fetch(`${emulator.controlUrl}limits`).then((response) => response.json())).toEqual({ limits: { smsListLimit: 2 } });
  });
});
