import {
  DecryptionFailure,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import {
  createHmacSecretSource,
  secretsManagerHmacSecrets,
  staticHmacSecrets,
} from '../../functions/ingest/hmac-secrets';
import { HmacSecretUnavailableError } from '../../functions/ingest/errors';

/**
 * A real SecretsManagerClient whose middleware stack answers GetSecretValue itself, before
 * anything is serialised or sent: there is no Secrets Manager emulator, and this exercises the
 * real client, command and Powertools provider around it.
 */
type StageAnswer = Partial<GetSecretValueCommandOutput> | Error;

function fakeSecretsManager(stages: Record<string, StageAnswer>) {
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const calls: Array<{ SecretId?: string; VersionStage?: string }> = [];
  client.middlewareStack.add(
    () => async (args) => {
      const { SecretId, VersionStage } = args.input as GetSecretValueCommandInput;
      calls.push({ SecretId, VersionStage });
      const answer = stages[VersionStage ?? 'AWSCURRENT'] ?? notFound(VersionStage);
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, ...answer }, response: {} } as never;
    },
    { step: 'initialize', name: 'fakeSecretsManager' },
  );
  return { client, calls, stages };
}

const notFound = (stage = 'AWSCURRENT') =>
  new ResourceNotFoundException({
    message: `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
    $metadata: {},
  });

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-hmac-AbCdEf';
const bothStages = [
  { SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' },
  { SecretId: SECRET_ID, VersionStage: 'AWSPREVIOUS' },
];

function source(fake: ReturnType<typeof fakeSecretsManager>, maxAgeSeconds = 300) {
  let nowMs = 1_000_000;
  const secrets = secretsManagerHmacSecrets({ client: fake.client, secretId: SECRET_ID, maxAgeSeconds, nowMs: () => nowMs });
  return { secrets, advanceSeconds: (seconds: number) => (nowMs += seconds * 1000) };
}

describe('Secrets Manager HMAC secrets', () => {
  it('accepts the current and the previous version, current first', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'current' }, AWSPREVIOUS: { SecretString: 'previous' } });
    await expect(source(fake).secrets.getSecrets()).resolves.toEqual(['current', 'previous']);
    expect(fake.calls).toEqual(bothStages);
  });

  it.each([
    ['has no previous version (never rotated)', { AWSCURRENT: { SecretString: 'current' } }],
    ['has a previous version equal to the current one', { AWSCURRENT: { SecretString: 'current' }, AWSPREVIOUS: { SecretString: 'current' } }],
    ['has an empty previous version', { AWSCURRENT: { SecretString: 'current' }, AWSPREVIOUS: { SecretString: '' } }],
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

    fake.stages.AWSCURRENT = { SecretString: 'two' };
    fake.stages.AWSPREVIOUS = { SecretString: 'one' };
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

  it.each([
    ['the current version cannot be read', { AWSCURRENT: new InternalServiceError({ message: 'boom', $metadata: {} }) }, /could not load AWSCURRENT of secret arn:aws:secretsmanager/],
    ['the secret does not exist', { AWSCURRENT: notFound() }, /could not load AWSCURRENT/],
    ['the current version is empty', { AWSCURRENT: { SecretString: '' } }, /\(AWSCURRENT\) has no string value/],
    ['the current version is binary', { AWSCURRENT: { SecretBinary: new Uint8Array([1, 2]) } }, /\(AWSCURRENT\) is binary; the HMAC secret must be stored as a plain SecretString/],
    ['the previous version cannot be decrypted', { AWSCURRENT: { SecretString: 'c' }, AWSPREVIOUS: new DecryptionFailure({ message: 'kms', $metadata: {} }) }, /could not load AWSPREVIOUS/],
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
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(((error as Error).cause as Error).cause).toBe(sdkError);
  });

  it('does not keep a failure: the next request tries again', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: new InternalServiceError({ message: 'boom', $metadata: {} }) });
    const { secrets } = source(fake);
    await expect(secrets.getSecrets()).rejects.toBeInstanceOf(HmacSecretUnavailableError);
    fake.stages.AWSCURRENT = { SecretString: 'back' };
    await expect(secrets.getSecrets()).resolves.toEqual(['back']);
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
      { kind: 'secrets-manager', secretId: SECRET_ID, maxAgeSeconds: 60 },
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
