import { createHmac } from 'node:crypto';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { hashNumber, maskNumber, normaliseNumber, NUMBER_HASH_LENGTH } from '../../functions/privacy/number-hash';
import {
  createNumberHashKeyLoader,
  NumberHashKeyUnavailableError,
  readNumberHashKeyConfig,
} from '../../functions/privacy/number-hash-key';
import { fakeSecretsManager } from '../support/secrets-manager-fake';

const KEY = new TextEncoder().encode('k'.repeat(32));
const OTHER_KEY = new TextEncoder().encode('o'.repeat(32));
const KEY_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:number-hash-key-AbCdEf';

describe('normaliseNumber', () => {
  it.each([
    ['+33612345678', '+33612345678'],
    [' +33 6 12-34.56(78) ', '+33612345678'],
    ['33612345678', '33612345678'],
    ['36180', '36180'],
  ])('%j → %j', (number, normalised) => {
    expect(normaliseNumber(number)).toBe(normalised);
  });
});

describe('hashNumber', () => {
  it('is HMAC-SHA256 of the normalised number, base64url, truncated to the stated length', () => {
    const expected = createHmac('sha256', KEY).update('+33612345678').digest('base64url').slice(0, NUMBER_HASH_LENGTH);
    expect(hashNumber(KEY, '+33 6 12 34 56 78')).toBe(expected);
    expect(expected).toMatch(new RegExp(`^[A-Za-z0-9_-]{${NUMBER_HASH_LENGTH}}$`));
  });

  it('gives one hash for every way of writing a number, and different ones for different numbers or keys', () => {
    expect(hashNumber(KEY, '+33612345678')).toBe(hashNumber(KEY, '+33-612-345-678'));
    expect(hashNumber(KEY, '+33612345678')).not.toBe(hashNumber(KEY, '+33612345679'));
    // Without '+' it is another number: not guessed to be the same one.
    expect(hashNumber(KEY, '+33612345678')).not.toBe(hashNumber(KEY, '33612345678'));
    expect(hashNumber(KEY, '+33612345678')).not.toBe(hashNumber(OTHER_KEY, '+33612345678'));
  });

  it('holds no digit run of the number', () => {
    expect(hashNumber(KEY, '+33612345678')).not.toContain('5678');
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => hashNumber(new Uint8Array(16), '+33612345678')).toThrow(/at least 32 bytes, got 16/);
  });
});

describe('maskNumber', () => {
  it.each([
    ['+33612341234', '•••••••1234'],
    ['+1 (415) 555-0199', '•••••••0199'],
    ['36180', '•••••••6180'],
    // All of it would show: nothing shows.
    ['1234', '•••••••'],
    ['', '•••••••'],
  ])('%j → %j', (number, masked) => {
    expect(maskNumber(number)).toBe(masked);
  });

  it('does not tell the length of the number', () => {
    expect(maskNumber('+33612341234').length).toBe(maskNumber('+4915112341234').length);
  });
});

describe('readNumberHashKeyConfig', () => {
  const read = (env: Record<string, string>) => {
    const problems: string[] = [];
    return { config: readNumberHashKeyConfig(env, problems), problems };
  };

  it.each([
    ['the secret ARN', { NUMBER_HASH_KEY_ARN: KEY_SECRET_ARN }, { kind: 'secrets-manager', secretId: KEY_SECRET_ARN }],
    ['the key itself, outside Lambda', { NUMBER_HASH_KEY: 'k'.repeat(32) }, { kind: 'static', key: 'k'.repeat(32) }],
    ['nothing', {}, undefined],
  ])('reads %s', (_name, env, config) => {
    expect(read(env)).toEqual({ config, problems: [] });
  });

  it.each([
    ['both', { NUMBER_HASH_KEY_ARN: KEY_SECRET_ARN, NUMBER_HASH_KEY: 'k'.repeat(32) }, /are both set/],
    ['the key inside Lambda', { NUMBER_HASH_KEY: 'k'.repeat(32), AWS_LAMBDA_FUNCTION_NAME: 'persist' }, /local use and tests only/],
    ['a short key', { NUMBER_HASH_KEY: 'short' }, /at least 32 bytes long/],
    ['an ARN of another service', { NUMBER_HASH_KEY_ARN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/key' }, /Secrets Manager secret ARN/],
  ])('refuses %s, saying why', (_name, env, problem) => {
    expect(read(env)).toEqual({ config: undefined, problems: [expect.stringMatching(problem)] });
  });
});

describe('createNumberHashKeyLoader', () => {
  const loaderFor = (fake: ReturnType<typeof fakeSecretsManager>) =>
    createNumberHashKeyLoader(
      { kind: 'secrets-manager', secretId: KEY_SECRET_ARN },
      { secrets: () => new SecretsProvider({ awsSdkV3Client: fake.client }) },
    );

  it('loads the secret once and keeps its UTF-8 bytes', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: { SecretString: 'k'.repeat(64) } });
    const loader = loaderFor(fake);
    const [first, second] = await Promise.all([loader.load(), loader.load()]);
    expect(Buffer.from(first).toString('utf8')).toBe('k'.repeat(64));
    expect(second).toBe(first);
    await loader.load();
    expect(fake.calls).toEqual([{ SecretId: KEY_SECRET_ARN, VersionStage: undefined }]);
  });

  it('fails closed when the secret cannot be read, and tries again on the next load', async () => {
    const fake = fakeSecretsManager({ AWSCURRENT: new Error('AccessDenied') });
    const loader = loaderFor(fake);
    await expect(loader.load()).rejects.toThrow(NumberHashKeyUnavailableError);
    fake.stages.AWSCURRENT = { SecretString: 'k'.repeat(64) };
    await expect(loader.load()).resolves.toHaveLength(64);
  });

  it.each([
    ['too short', { SecretString: 'short' }, /holds 5 bytes; the number hash key needs at least 32/],
    ['binary', { SecretBinary: new Uint8Array(64) }, /must be a plain SecretString/],
  ])('refuses a secret that is %s', async (_name, answer, message) => {
    await expect(loaderFor(fakeSecretsManager({ AWSCURRENT: answer })).load()).rejects.toThrow(message);
  });

  it('gives a static key without any Secrets Manager', async () => {
    const loader = createNumberHashKeyLoader({ kind: 'static', key: 'k'.repeat(32) }, {
      secrets: () => {
        throw new Error('no Secrets Manager here');
      },
    });
    await expect(loader.load()).resolves.toEqual(KEY);
  });
});
