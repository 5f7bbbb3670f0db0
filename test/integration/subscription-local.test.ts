import { createCallrClient, type CallrClient } from '../../functions/callr/json-rpc-client';
import { verifyCallrSignature } from '../../functions/callr/signature';
import { subscribeWebhook, unsubscribeWebhook } from '../../functions/subscription/subscription';
import { startCallrEmulator, type CallrEmulator } from '../../local/callr-emulator';
import { startRecordingReceiver, type RecordingReceiver } from '../../local/callr-emulator/recording-receiver';

/** The plain API local mode uses: subscribe at start, unsubscribe on shutdown, no CloudFormation in sight. */
describe('subscribeWebhook / unsubscribeWebhook (local mode)', () => {
  const credentials = { login: 'local', password: 'local-password' };
  let emulator: CallrEmulator;
  let receiver: RecordingReceiver;
  let client: CallrClient;

  beforeAll(async () => {
    emulator = await startCallrEmulator({ credentials, retry: { baseDelayMs: 5, maxTries: 2 } });
    receiver = await startRecordingReceiver();
    client = createCallrClient({ apiUrl: emulator.url, credentials, retries: 0 });
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('subscribes, replaces a stale subscription left by a crashed run, and unsubscribes', async () => {
    const stale = await subscribeWebhook(client, { type: 'sms.mo', endpoint: receiver.url, hmacSecret: 'old-run-secret', hmacAlgorithm: 'SHA256' });

    const current = await subscribeWebhook(client, { type: 'sms.mo', endpoint: receiver.url, hmacSecret: 'this-run-secret', hmacAlgorithm: 'SHA512' });

    expect(current).toEqual({ hash: expect.stringMatching(/^[A-Z0-9]{8}$/), replaced: [stale.hash] });
    expect(emulator.subscriptions()).toEqual([expect.objectContaining({ hash: current.hash, hmacAlgorithm: 'SHA512' })]);
    emulator.injectInboundSms({ from: '+15146605859', to: '+13476096124', text: 'hello' });
    await emulator.whenIdle();
    const [delivery] = receiver.requests;
    expect(
      verifyCallrSignature({ rawBody: delivery!.body, header: delivery!.headers['x-callr-hmacsignature'] as string, secrets: ['this-run-secret'], algorithm: 'SHA512' }),
    ).toEqual({ ok: true });

    expect(await unsubscribeWebhook(client, current.hash)).toBe('unsubscribed');
    expect(await unsubscribeWebhook(client, current.hash)).toBe('already_gone');
    expect(await unsubscribeWebhook(client, 'not-a-hash!')).toBe('not_a_webhook_hash');
    expect(emulator.subscriptions()).toEqual([]);
  });

  it('lets other CALLR failures through to the caller', async () => {
    emulator.failNext({ kind: 'error', message: 'INTERNAL_ERROR', method: 'webhooks.unsubscribe' });
    await expect(unsubscribeWebhook(client, 'ABCD1234')).rejects.toMatchObject({ name: 'CallrApiError', code: 'INTERNAL_ERROR' });
  });
});
