import { DecryptionFailure, InternalServiceError } from '@aws-sdk/client-secrets-manager';
import {
  createHmacSecretSource,
  FORCED_RELOAD_INTERVAL_SECONDS,
  prefetchHmacSecrets,
  secretsManagerHmacSecrets,
  staticHmacSecrets,
} from '../../functions/ingest/hmac-secrets';
import { HmacSecretUnavailableError } from '../../functions/ingest/errors';
import { fakeSecretsManager, secretVersionNotFound as notFound, type FakeSecretsManager } from '../support/secrets-manager-fake';

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-hmac-AbCdEf';
const START = Date.parse('2026-03-01T12:00:00.000Z');
const HOUR_MS = 3600_000;
const DAY_SECONDS = 86_400;
/** A version as Secrets Manager returns it: with the date it was created (an hour before START unless said). */
const version = (SecretString: string, createdAt = new Date(START - HOUR_MS)) => ({ SecretString, CreatedDate: createdAt });
const bothStages = [
  { SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' },
  { SecretId: SECRET_ID, VersionStage: 'AWSPREVIOUS' },
];

function source(fake: FakeSecretsManager, maxAgeSeconds = 300, previousGraceSeconds = DAY_SECONDS) {
  let nowMs = START;
  const secrets = secretsManagerHmacSecrets({
    client: fake.client,
    secretId: SECRET_ID,
    maxAgeSeconds,
    previousGraceSeconds,
    nowMs: () => nowMs,
  });
  return {
    secrets,
    advanceSeconds: (seconds: number) => (nowMs += seconds * 1000),
    setNow: (ms: number) => (nowMs = ms),
  };
}

describe('Secrets Manager HMAC secrets', () => {
  it('accepts the current and the previous version, current first', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: version('current'), AWSPREVIOUS: version('previous', new Date(START - 90 * DAY_SECONDS * 1000)) });
    await expect(source(fake).secrets.getSecrets()).resolves.toEqual(['current', 'previous']);
    expect(fake.calls).toEqual(bothStages);
  });

  it.each([
    ['has no previous version (never rotated)', { AWSCURRENT: version('current') }],
    ['has a previous version equal to the current one', { AWSCURRENT: version('current'), AWSPREVIOUS: version('current') }],
    ['has an empty previous version', { AWSCURRENT: version('current'), AWSPREVIOUS: version('') }],
    ['gives no creation date for the current version, so no grace can be bounded', { AWSCURRENT: { SecretString: 'current' }, AWSPREVIOUS: version('previous') }],
  ])('accepts the current version alone when the secret %s', async (_name, stages) => {
    await expect(source(fakeSecretsManager(stages)).secrets.getSecrets()).resolves.toEqual(['current']);
  });

  it('reuses loaded secrets for maxAge, then loads the rotated ones', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'one' } });
    const { secrets, advanceSeconds } = source(fake, 300);
    await secrets.getSecrets();
    advanceSeconds(299);
    await expect(secrets.getSecrets()).resolves.toEqual(['one']);
    expect(fake.calls).toHaveLength(2);

    fake.stages.AWSCURRENT = version('two', new Date(START));
    fake.stages.AWSPREVIOUS = version('one');
    advanceSeconds(1);
    await expect(secrets.getSecrets()).resolves.toEqual(['two', 'one']);
    expect(fake.calls).toEqual([...bothStages, ...bothStages]);
  });

  it('remembers a missing previous version too, instead of asking on every request', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'current' } });
    const { secrets } = source(fake);
    await secrets.getSecrets();
    await secrets.getSecrets();
    expect(fake.calls).toEqual(bothStages);
  });

  it('loads on every request with maxAge 0', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'current' } });
    const { secrets } = source(fake, 0);
    await secrets.getSecrets();
    await secrets.getSecrets();
    expect(fake.calls).toEqual([...bothStages, ...bothStages]);
  });

  it('shares one load between concurrent requests', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'current' } });
    const { secrets } = source(fake);
    const results = await Promise.all([secrets.getSecrets(), secrets.getSecrets(), secrets.getSecrets()]);
    expect(results).toEqual([['current'], ['current'], ['current']]);
    expect(fake.calls).toEqual(bothStages);
  });

  describe('AWSPREVIOUS only within the grace period after AWSCURRENT was created', () => {
    const rotatedAt = new Date(START - HOUR_MS);
    const rotated = () => fakeSecretsManager({ AWSCURRENT: version('current', rotatedAt), AWSPREVIOUS: version('previous') });

    it.each([
      ['right after the rotation', 0, ['current', 'previous']],
      ['one millisecond before the grace ends', DAY_SECONDS * 1000 - 1, ['current', 'previous']],
      ['when the grace ends', DAY_SECONDS * 1000, ['current']],
      ['a month later', 30 * DAY_SECONDS * 1000, ['current']],
    ])('%s', async (_name, sinceRotationMs, expected) => {
      const { secrets, setNow } = source(rotated(), 300, DAY_SECONDS);
      setNow(rotatedAt.getTime() + sinceRotationMs);
      await expect(secrets.getSecrets()).resolves.toEqual(expected);
    });

    it('stops accepting AWSPREVIOUS when the grace ends, even from secrets loaded before', async () => {
      const fake = rotated();
      const { secrets, setNow } = source(fake, 300, DAY_SECONDS);
      setNow(rotatedAt.getTime() + DAY_SECONDS * 1000 - 60_000);
      await expect(secrets.getSecrets()).resolves.toEqual(['current', 'previous']);
      setNow(rotatedAt.getTime() + DAY_SECONDS * 1000);
      await expect(secrets.getSecrets()).resolves.toEqual(['current']);
      expect(fake.calls).toEqual(bothStages);
    });

    it('never asks for AWSPREVIOUS with a grace of 0 (immediate cut-off of a compromised secret)', async () => {
      const fake = rotated();
      await expect(source(fake, 300, 0).secrets.getSecrets()).resolves.toEqual(['current']);
      expect(fake.calls).toEqual([{ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' }]);
    });

    it('ignores a failing AWSPREVIOUS once the grace is over, since it would be refused anyway', async () => {
      const fake = fakeSecretsManager({
        AWSCURRENT: version('current', new Date(START - 2 * DAY_SECONDS * 1000)),
        AWSPREVIOUS: new DecryptionFailure({ message: 'kms', $metadata: {} }),
      });
      await expect(source(fake).secrets.getSecrets()).resolves.toEqual(['current']);
    });
  });

  it.each([
    ['the current version cannot be read', { AWSCURRENT: new InternalServiceError({ message: 'boom', $metadata: {} }) }, /could not load AWSCURRENT of secret arn:aws:secretsmanager/],
    ['the secret does not exist', { AWSCURRENT: notFound() }, /could not load AWSCURRENT/],
    ['the current version is empty', { AWSCURRENT: { SecretString: '' } }, /\(AWSCURRENT\) has no string value/],
    ['the current version is binary', { AWSCURRENT: { SecretBinary: new Uint8Array([1, 2]) } }, /\(AWSCURRENT\) is binary; the HMAC secret must be stored as a plain SecretString/],
    ['the previous version cannot be decrypted within the grace period', { AWSCURRENT: version('c'), AWSPREVIOUS: new DecryptionFailure({ message: 'kms', $metadata: {} }) }, /could not load AWSPREVIOUS/],
  ])('fails closed when %s', async (_name, stages, message) => {
    const error = await source(fakeSecretsManager(stages)).secrets.getSecrets().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(HmacSecretUnavailableError);
    expect((error as Error).message).toMatch(message);
  });

  it('keeps the SDK error as the cause, for the logs', async () => {
    const sdkError = new InternalServiceError({ message: 'boom', $metadata: {} });
    const error = await source(fakeSecretsManager({ AWSCURRENT: sdkError })).secrets.getSecrets().catch((reason: Error) => reason);
    expect((error as Error).cause).toBe(sdkError);
  });

  it('does not keep a failure: the next request tries again', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: new InternalServiceError({ message: 'boom', $metadata: {} }) });
    const { secrets } = source(fake);
    await expect(secrets.getSecrets()).rejects.toBeInstanceOf(HmacSecretUnavailableError);
    fake.stages.AWSCURRENT = { SecretString: 'back' };
    await expect(secrets.getSecrets()).resolves.toEqual(['back']);
  });
});

describe('prefetch during init', () => {
  it('lets the first request await the load the prefetch started, not start another', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: version('current'), AWSPREVIOUS: version('previous') });
    const { secrets } = source(fake);
    const onFailure = jest.fn();
    prefetchHmacSecrets(secrets, onFailure);
    // The request arrives while the prefetch is still in flight.
    await expect(secrets.getSecrets()).resolves.toEqual(['current', 'previous']);
    expect(fake.calls).toEqual(bothStages);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('reports a failed prefetch without keeping it: the first request loads again', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: new InternalServiceError({ message: 'boom', $metadata: {} }) });
    const { secrets } = source(fake, 300, 0);
    const failure = new Promise<unknown>((resolve) => prefetchHmacSecrets(secrets, resolve));
    await expect(failure).resolves.toBeInstanceOf(HmacSecretUnavailableError);
    fake.stages.AWSCURRENT = version('back');
    await expect(secrets.getSecrets()).resolves.toEqual(['back']);
    expect(fake.calls).toEqual([bothStages[0], bothStages[0]]);
  });

  it('reports a failed prefetch and fails the first request closed if its own load fails too', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: new InternalServiceError({ message: 'boom', $metadata: {} }) });
    const { secrets } = source(fake, 300, 0);
    await new Promise<unknown>((resolve) => prefetchHmacSecrets(secrets, resolve));
    await expect(secrets.getSecrets()).rejects.toBeInstanceOf(HmacSecretUnavailableError);
    expect(fake.calls).toHaveLength(2);
  });
});

describe('refresh after a signature matched none of the secrets', () => {
  const INTERVAL = FORCED_RELOAD_INTERVAL_SECONDS;
  /** A warm instance that loaded `one`, then the secret is rotated to `two` behind its back. */
  async function warmThenRotated(maxAgeSeconds = 300) {
    const fake = fakeSecretsManager({ AWSCURRENT: version('one') });
    const held = source(fake, maxAgeSeconds);
    await expect(held.secrets.getSecrets()).resolves.toEqual(['one']);
    fake.stages.AWSCURRENT = version('two', new Date(START));
    fake.stages.AWSPREVIOUS = version('one');
    fake.calls.length = 0;
    return { fake, ...held };
  }

  it(`reloads at once when the secrets held are ${INTERVAL} s old or more, and keeps what it loaded`, async () => {
    const { fake, secrets, advanceSeconds } = await warmThenRotated();
    advanceSeconds(INTERVAL);
    await expect(secrets.refresh()).resolves.toEqual(['two', 'one']);
    await expect(secrets.getSecrets()).resolves.toEqual(['two', 'one']);
    expect(fake.calls).toEqual(bothStages);
  });

  it(`keeps secrets younger than ${INTERVAL} s: a reload would load the same`, async () => {
    const { fake, secrets, advanceSeconds } = await warmThenRotated();
    advanceSeconds(INTERVAL - 1);
    await expect(secrets.refresh()).resolves.toEqual(['one']);
    expect(fake.calls).toEqual([]);
  });

  it('does not load twice in one request with a max age of 0', async () => {
    const { fake, secrets } = await warmThenRotated(0);
    await expect(secrets.getSecrets()).resolves.toEqual(['two', 'one']);
    await expect(secrets.refresh()).resolves.toEqual(['two', 'one']);
    expect(fake.calls).toEqual(bothStages);
  });

  it(`shares one forced reload between concurrent requests, and forces at most one per ${INTERVAL} s`, async () => {
    const { fake, secrets, advanceSeconds } = await warmThenRotated();
    advanceSeconds(60);
    const results = await Promise.all([secrets.refresh(), secrets.refresh(), secrets.refresh()]);
    advanceSeconds(INTERVAL - 1);
    await secrets.refresh();
    expect(results).toEqual([['two', 'one'], ['two', 'one'], ['two', 'one']]);
    expect(fake.calls).toEqual(bothStages);

    advanceSeconds(1);
    await secrets.refresh();
    expect(fake.calls).toEqual([...bothStages, ...bothStages]);
  });

  it(`fails the request closed when the forced reload fails, keeps the secrets held for the others, and waits ${INTERVAL} s to force again`, async () => {
    const { fake, secrets, advanceSeconds } = await warmThenRotated();
    fake.stages.AWSCURRENT = new InternalServiceError({ message: 'boom', $metadata: {} });
    advanceSeconds(60);
    await expect(secrets.refresh()).rejects.toBeInstanceOf(HmacSecretUnavailableError);
    await expect(secrets.getSecrets()).resolves.toEqual(['one']);
    advanceSeconds(INTERVAL - 1);
    await expect(secrets.refresh()).resolves.toEqual(['one']);
    expect(fake.calls).toEqual(bothStages);

    fake.stages.AWSCURRENT = version('two', new Date(START));
    advanceSeconds(1);
    await expect(secrets.refresh()).resolves.toEqual(['two', 'one']);
  });

  it('serves static secrets unchanged', async () => {
    const secrets = staticHmacSecrets(['a', 'b']);
    await expect(secrets.refresh()).resolves.toBe(await secrets.getSecrets());
  });
});

describe('createHmacSecretSource', () => {
  const noSecretsManager = () => {
    throw new Error('no Secrets Manager client should be built for this source');
  };

  it.each([
    ['static secrets', { kind: 'static', secrets: ['a', 'b'] } as const, ['a', 'b']],
    ['no secret (ALLOW_UNSIGNED)', { kind: 'none' } as const, []],
  ])('serves %s without Secrets Manager', async (_name, config, expected) => {
    await expect(createHmacSecretSource(config, { secretsManager: noSecretsManager }).getSecrets()).resolves.toEqual(expected);
  });

  it('reads Secrets Manager with the client it is given', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'current' } });
    const secrets = createHmacSecretSource(
      { kind: 'secrets-manager', secretId: SECRET_ID, maxAgeSeconds: 60, previousGraceSeconds: DAY_SECONDS },
      { secretsManager: () => fake.client },
    );
    await expect(secrets.getSecrets()).resolves.toEqual(['current']);
    expect(fake.calls).toEqual(bothStages);
  });

  it('hands out a copy of static secrets that callers cannot change', async () => {
    const given = ['a'];
    const secrets = await staticHmacSecrets(given).getSecrets();
    given.push('b');
    expect(secrets).toEqual(['a']);
    expect(Object.isFrozen(secrets)).toBe(true);
  });
});
