import { INGEST_CONFIG_DEFAULTS, loadIngestConfig, type IngestEnv } from '../../functions/ingest/config';
import { IngestConfigError } from '../../functions/ingest/errors';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letter';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callr-hmac-AbCdEf';
const base = { QUEUE_URL, DEAD_LETTER_QUEUE_URL };

function problemsOf(env: IngestEnv): readonly string[] {
  try {
    loadIngestConfig(env);
  } catch (error) {
    if (error instanceof IngestConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected an IngestConfigError');
}

describe('loadIngestConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadIngestConfig({ ...base, HMAC_SECRET_ARN: SECRET_ARN })).toEqual({
      queueUrl: QUEUE_URL,
      deadLetterQueueUrl: DEAD_LETTER_QUEUE_URL,
      hmacSecrets: { kind: 'secrets-manager', secretId: SECRET_ARN, maxAgeSeconds: 300, previousGraceSeconds: 86_400 },
      allowUnsigned: false,
      eventWindow: { maxAgeMs: 604_800_000, maxFutureMs: 300_000 },
      signatureHeader: 'X-CALLR-HmacSignature',
    });
    expect(INGEST_CONFIG_DEFAULTS).toEqual({
      hmacSecretMaxAgeSeconds: 300,
      hmacPreviousSecretGraceSeconds: 86_400,
      eventMaxAgeSeconds: 604_800,
      eventMaxFutureSeconds: 300,
      signatureHeader: 'X-CALLR-HmacSignature',
    });
  });

  it('reads every knob', () => {
    expect(
      loadIngestConfig({
        ...base,
        HMAC_SECRET_ARN: 'callr-hmac',
        HMAC_ALGORITHM: 'sha512',
        HMAC_SECRET_MAX_AGE_SECONDS: '0',
        HMAC_PREVIOUS_SECRET_GRACE_SECONDS: '0',
        EVENT_MAX_AGE_SECONDS: '3600',
        EVENT_MAX_FUTURE_SECONDS: '0',
        HMAC_SIGNATURE_HEADER: 'X-Callr-Signature',
      }),
    ).toEqual({
      queueUrl: QUEUE_URL,
      deadLetterQueueUrl: DEAD_LETTER_QUEUE_URL,
      hmacSecrets: { kind: 'secrets-manager', secretId: 'callr-hmac', maxAgeSeconds: 0, previousGraceSeconds: 0 },
      allowUnsigned: false,
      eventWindow: { maxAgeMs: 3_600_000, maxFutureMs: 0 },
      signatureHeader: 'X-Callr-Signature',
    });
  });

  it.each(['X CALLR Signature', 'X-CALLR-HmacSignature:', 'Signé'])('refuses HMAC_SIGNATURE_HEADER=%s, saying what a header name is', (value) => {
    expect(problemsOf({ ...base, HMAC_SECRET_ARN: SECRET_ARN, HMAC_SIGNATURE_HEADER: value })).toEqual([
      expect.stringMatching(/^HMAC_SIGNATURE_HEADER must be an HTTP header name .*default X-CALLR-HmacSignature\); got "/),
    ]);
  });

  it.each(['SHA256', 'SHA512', 'sha512'])('takes HMAC_ALGORITHM=%s as the subscription\'s, restricting nothing', (algorithm) => {
    const env = { ...base, HMAC_SECRET_ARN: SECRET_ARN };
    expect(loadIngestConfig({ ...env, HMAC_ALGORITHM: algorithm })).toEqual(loadIngestConfig(env));
  });

  it.each([
    ['one local secret', { CALLR_HMAC_SECRET: 'current' }, { kind: 'static', secrets: ['current'] }, false],
    ['current and previous', { CALLR_HMAC_SECRET: 'current, previous' }, { kind: 'static', secrets: ['current', 'previous'] }, false],
    ['ALLOW_UNSIGNED alone', { ALLOW_UNSIGNED: 'true' }, { kind: 'none' }, true],
    ['ALLOW_UNSIGNED with a secret', { ALLOW_UNSIGNED: 'TRUE', CALLR_HMAC_SECRET: 's' }, { kind: 'static', secrets: ['s'] }, true],
    ['ALLOW_UNSIGNED=false with a secret', { ALLOW_UNSIGNED: 'false', CALLR_HMAC_SECRET: 's' }, { kind: 'static', secrets: ['s'] }, false],
    ['an empty HMAC_SECRET_ARN beside a local secret', { HMAC_SECRET_ARN: '', CALLR_HMAC_SECRET: 's' }, { kind: 'static', secrets: ['s'] }, false],
  ])('secret source: %s', (_name, env, hmacSecrets, allowUnsigned) => {
    expect(loadIngestConfig({ ...base, ...env })).toMatchObject({ hmacSecrets, allowUnsigned });
  });

  it.each([
    ['QUEUE_URL missing', { DEAD_LETTER_QUEUE_URL, CALLR_HMAC_SECRET: 's' }, /^QUEUE_URL is required: the URL of the ingest queue/],
    ['QUEUE_URL blank', { ...base, QUEUE_URL: '  ', CALLR_HMAC_SECRET: 's' }, /^QUEUE_URL is required/],
    ['QUEUE_URL not a URL', { ...base, QUEUE_URL: 'ingest', CALLR_HMAC_SECRET: 's' }, /^QUEUE_URL must be an SQS queue URL .*got "ingest"/],
    ['DEAD_LETTER_QUEUE_URL missing', { QUEUE_URL, CALLR_HMAC_SECRET: 's' }, /^DEAD_LETTER_QUEUE_URL is required: the URL of the dead-letter queue/],
    ['HMAC_ALGORITHM unknown', { ...base, CALLR_HMAC_SECRET: 's', HMAC_ALGORITHM: 'MD5' }, /^HMAC_ALGORITHM must be one of SHA256, SHA512 .*got "MD5"/],
    ['HMAC_SECRET_MAX_AGE_SECONDS not a number', { ...base, CALLR_HMAC_SECRET: 's', HMAC_SECRET_MAX_AGE_SECONDS: '5m' }, /^HMAC_SECRET_MAX_AGE_SECONDS must be a whole number of seconds, at least 0 \(default 300\); got "5m"/],
    ['HMAC_PREVIOUS_SECRET_GRACE_SECONDS not a number', { ...base, HMAC_SECRET_ARN: SECRET_ARN, HMAC_PREVIOUS_SECRET_GRACE_SECONDS: '1d' }, /^HMAC_PREVIOUS_SECRET_GRACE_SECONDS must be a whole number of seconds, at least 0 \(default 86400\); got "1d"/],
    ['EVENT_MAX_AGE_SECONDS zero', { ...base, CALLR_HMAC_SECRET: 's', EVENT_MAX_AGE_SECONDS: '0' }, /^EVENT_MAX_AGE_SECONDS must be a whole number of seconds, at least 1 \(default 604800\); got "0"/],
    ['EVENT_MAX_FUTURE_SECONDS negative', { ...base, CALLR_HMAC_SECRET: 's', EVENT_MAX_FUTURE_SECONDS: '-5' }, /^EVENT_MAX_FUTURE_SECONDS must be a whole number.*got "-5"/],
    ['EVENT_MAX_FUTURE_SECONDS fractional', { ...base, CALLR_HMAC_SECRET: 's', EVENT_MAX_FUTURE_SECONDS: '1.5' }, /^EVENT_MAX_FUTURE_SECONDS must be a whole number.*got "1.5"/],
    ['ALLOW_UNSIGNED not a boolean', { ...base, ALLOW_UNSIGNED: 'yes', CALLR_HMAC_SECRET: 's' }, /^ALLOW_UNSIGNED must be "true" or "false" \(default false\); got "yes"/],
    ['no secret source at all', base, /^No HMAC secret configured.*set HMAC_SECRET_ARN.*CALLR_HMAC_SECRET.*ALLOW_UNSIGNED=true/],
    ['ALLOW_UNSIGNED=false and no secret', { ...base, ALLOW_UNSIGNED: 'false' }, /^No HMAC secret configured/],
    ['both secret sources', { ...base, HMAC_SECRET_ARN: SECRET_ARN, CALLR_HMAC_SECRET: 's' }, /^HMAC_SECRET_ARN and CALLR_HMAC_SECRET are both set: set only one/],
    ['an ARN of another service', { ...base, HMAC_SECRET_ARN: 'arn:aws:ssm:eu-west-1:1:parameter/x' }, /^HMAC_SECRET_ARN must be a Secrets Manager secret ARN/],
    ['an empty secret in the list', { ...base, CALLR_HMAC_SECRET: 'current,,previous' }, /^CALLR_HMAC_SECRET holds an empty secret/],
    ['ALLOW_UNSIGNED inside Lambda', { ...base, ALLOW_UNSIGNED: 'true', AWS_LAMBDA_FUNCTION_NAME: 'ingest' }, /^ALLOW_UNSIGNED=true is for local development only and is refused inside AWS Lambda/],
    ['a plaintext secret inside Lambda', { ...base, CALLR_HMAC_SECRET: 's', AWS_LAMBDA_FUNCTION_NAME: 'ingest' }, /^CALLR_HMAC_SECRET is for local use and tests only.*Set HMAC_SECRET_ARN instead/],
  ])('refuses %s, saying how to fix it', (_name, env, message) => {
    expect(problemsOf(env)).toEqual([expect.stringMatching(message)]);
  });

  it('lists every problem at once, in one error', () => {
    const env = { QUEUE_URL: 'nope', HMAC_ALGORITHM: 'SHA1', EVENT_MAX_AGE_SECONDS: 'x' };
    expect(problemsOf(env)).toEqual([
      expect.stringMatching(/^QUEUE_URL must be an SQS queue URL/),
      expect.stringMatching(/^DEAD_LETTER_QUEUE_URL is required/),
      expect.stringMatching(/^HMAC_ALGORITHM must be one of/),
      expect.stringMatching(/^EVENT_MAX_AGE_SECONDS must be a whole number/),
      expect.stringMatching(/^No HMAC secret configured/),
    ]);
    expect(() => loadIngestConfig(env)).toThrow(/^The ingest Lambda is misconfigured \(5 problems\):\n {2}- QUEUE_URL/);
  });
});
