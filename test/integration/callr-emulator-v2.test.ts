import { parseCallrEvent } from '../../functions/callr/events';
import { createCallrClient } from '../../functions/callr/json-rpc-client';
import { verifyCallrSignature } from '../../functions/callr/signature';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startRecordingReceiver, type RecordedRequest, type RecordingReceiver } from '../../local/callr-emulator/recording-receiver';
import { smsInboundV2Body } from '../fixtures/callr-fixtures';

/**
 * The CALLR emulator delivers each subscription in its format: JSON-RPC `sms.mo` webhooks get the
 * v1 envelope, REST v2 `v2.sms.inbound.received` webhooks the v2 one, the same SMS in both.
 */

const json = (request: RecordedRequest): Record<string, any> => JSON.parse(request.body.toString('utf8'));
const API_KEY = 'emulator-v2-test-key';
const SECRET = 'emulator-v2-test-secret';
const NOW = new Date('2024-03-10T08:15:30.123Z');
const fixtureV2 = JSON.parse(smsInboundV2Body().toString('utf8'));

describe('CALLR emulator: REST v2 deliveries', () => {
  let emulator: CallrEmulator;
  let v1Receiver: RecordingReceiver;
  let v2Receiver: RecordingReceiver;
  const callr = () => createCallrClient({ apiUrl: emulator.url, credentials: { apiKey: API_KEY }, retries: 0 });

  beforeEach(async () => {
    v1Receiver = await startRecordingReceiver();
    v2Receiver = await startRecordingReceiver();
    emulator = await startCallrEmulator({ credentials: { apiKey: API_KEY }, retry: { baseDelayMs: 5, maxTries: 2 }, deliveryTimeoutMs: 2_000, now: () => NOW });
  });
  afterEach(async () => {
    await emulator.close();
    await v1Receiver.close();
    await v2Receiver.close();
  });

  it('posts a signed v2.sms.inbound.received shaped like CALLR\'s reference, which parses', async () => {
    const { hash: hookHash } = await callr().subscribeWebhook({ type: 'v2.sms.inbound.received', endpoint: v2Receiver.url, hmacSecret: SECRET });

    const injected = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'Hello world' });
    await emulator.whenIdle();

    expect(v2Receiver.requests).toHaveLength(1);
    const [request] = v2Receiver.requests as [RecordedRequest];
    expect(verifyCallrSignature({ rawBody: request.body, header: request.headers['x-callr-hmacsignature'] as string, secrets: [SECRET] })).toEqual({ ok: true });
    const event = json(request);
    const at = NOW.toISOString();
    expect(event).toEqual({
      id: injected.eventIds[0],
      at,
      sid: hookHash.toLowerCase(),
      type: 'v2.sms.inbound.received',
      try: 0,
      payload: {
        ...fixtureV2.payload,
        sid: injected.hash.toLowerCase(),
        cost: '0.0',
        created: at,
        delivered: at,
        updated: at,
        sent: at,
        statusHistory: [{ after: 'received', before: 'created', at }],
      },
    });
    expect(Object.keys(event)).toEqual(Object.keys(fixtureV2));
    expect(Object.keys(event.payload).sort()).toEqual(Object.keys(fixtureV2.payload).sort());
    expect(parseCallrEvent(request.body.toString('utf8'))).toMatchObject({ ok: true, handled: true, identity: { format: 'callr.v2' }, lenientFields: [] });
  });

  it('delivers one SMS to a v1 and a v2 webhook, each in its format, with the same id in two cases', async () => {
    await callr().subscribeWebhook({ type: 'sms.mo', endpoint: v1Receiver.url, hmacSecret: SECRET });
    await callr().subscribeWebhook({ type: 'v2.sms.inbound.received', endpoint: v2Receiver.url, hmacSecret: SECRET });

    const injected = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'both' });
    await emulator.whenIdle();

    expect(injected.eventIds).toHaveLength(2);
    const [v1] = v1Receiver.requests.map(json);
    const [v2] = v2Receiver.requests.map(json);
    expect(v1).toMatchObject({ type: 'sms.mo', data: { hash: injected.hash, text: 'both' } });
    expect(v2).toMatchObject({ type: 'v2.sms.inbound.received', payload: { sid: injected.hash.toLowerCase(), body: { text: 'both' } } });
    expect(injected.hash).toMatch(/[A-Z]/);
  });

  it.each([
    ['v1', 1, 0],
    ['v2', 0, 1],
  ] as const)('format %s restricts an injection to the webhooks of that format', async (format, v1Count, v2Count) => {
    await callr().subscribeWebhook({ type: 'sms.mo', endpoint: v1Receiver.url, hmacSecret: SECRET });
    await callr().subscribeWebhook({ type: 'v2.sms.inbound.received', endpoint: v2Receiver.url, hmacSecret: SECRET });

    const injected = emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'one format', format });
    await emulator.whenIdle();

    expect([v1Receiver.requests.length, v2Receiver.requests.length]).toEqual([v1Count, v2Count]);
    expect(injected.eventIds).toHaveLength(1);
  });

  it('takes the format on its control API, and refuses an unknown one', async () => {
    await callr().subscribeWebhook({ type: 'v2.sms.inbound.received', endpoint: v2Receiver.url, hmacSecret: SECRET });
    const post = (body: unknown) =>
      fetch(new URL('inbound-sms', emulator.controlUrl), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    const ok = await post({ from: '+15146605859', to: '+13476096124', text: 'via control', format: 'v2' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ hash: expect.any(String), eventIds: [expect.any(String)] });
    const bad = await post({ from: '+15146605859', to: '+13476096124', text: 'via control', format: 'v3' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_request', message: expect.stringContaining('"v1"') });
  });
});
