import { CALLR_HMAC_ALGORITHMS, CALLR_SIGNATURE_HEADER, isHttpHeaderName } from '../callr/signature';
import { DEFAULT_EVENT_WINDOW, type EventWindow } from '../callr/events';
import { IngestConfigError } from './errors';

/**
 * The ingest Lambda's configuration, read from the environment and checked once at cold start.
 * Every problem is reported at once, each with the variable at fault and what it accepts, so one
 * failed deploy is enough to fix them all.
 */

/** Largest request body accepted, in decoded bytes. Its base64 (about 342 KiB) fits an SQS message. */
export const MAX_BODY_BYTES = 256 * 1024;

export const INGEST_CONFIG_DEFAULTS = {
  hmacSecretMaxAgeSeconds: 300,
  /** CALLR's retry schedule is unpublished: a day covers its retries of events signed before the re-subscription. */
  hmacPreviousSecretGraceSeconds: 86_400,
  eventMaxAgeSeconds: DEFAULT_EVENT_WINDOW.maxAgeMs / 1000,
  eventMaxFutureSeconds: DEFAULT_EVENT_WINDOW.maxFutureMs / 1000,
  /** CALLR's JSON-RPC webhooks sign in this header; REST v2's signing is not documented yet. */
  signatureHeader: CALLR_SIGNATURE_HEADER,
} as const;

/** Where the HMAC secrets come from. */
export type HmacSecretSourceConfig =
  /**
   * Secrets Manager: version AWSCURRENT, and AWSPREVIOUS for `previousGraceSeconds` after
   * AWSCURRENT was created (a rotation), so that a replaced secret stops being accepted.
   */
  | {
      readonly kind: 'secrets-manager';
      readonly secretId: string;
      readonly maxAgeSeconds: number;
      readonly previousGraceSeconds: number;
    }
  /** Given in the environment: local mode and tests only. Every one is accepted, with no grace period. */
  | { readonly kind: 'static'; readonly secrets: readonly string[] }
  /** None at all: only with `ALLOW_UNSIGNED=true`, for local development. */
  | { readonly kind: 'none' };

export interface IngestConfig {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly hmacSecrets: HmacSecretSourceConfig;
  /** Local development only: a request without a signature header is let through (with a warning). */
  readonly allowUnsigned: boolean;
  readonly eventWindow: EventWindow;
  /** The request header the HMAC signature comes in (`HMAC_SIGNATURE_HEADER`; case-insensitive). */
  readonly signatureHeader: string;
}

export type IngestEnv = Readonly<Record<string, string | undefined>>;

/**
 * Reads the configuration from `env` (the entry point passes `process.env`) or throws an
 * `IngestConfigError` listing every problem.
 *
 * With no secret source the Lambda refuses to start rather than answer every request with a 500:
 * a deploy that cannot verify anything should fail loudly, at once, with the reason in its logs.
 */
export function loadIngestConfig(env: IngestEnv): IngestConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const queueUrl = readQueueUrl('QUEUE_URL', read('QUEUE_URL'), 'the ingest queue', 'callr-ingest', problems);
  const deadLetterQueueUrl = readQueueUrl(
    'DEAD_LETTER_QUEUE_URL',
    read('DEAD_LETTER_QUEUE_URL'),
    'the dead-letter queue (where authentic but unusable events are kept)',
    'callr-dead-letter',
    problems,
  );

  // HMAC_ALGORITHM is the hmac_algo the webhooks are subscribed with (the construct and local mode
  // set it). It restricts nothing: verification accepts both CALLR algorithms, told apart by the
  // signature's length, so a change of algorithm never refuses events signed under the old one.
  // A value that is neither still means a broken deployment, so it is checked.
  checkAlgorithm(read('HMAC_ALGORITHM'), problems);
  const maxAgeSeconds = readInteger(env, 'HMAC_SECRET_MAX_AGE_SECONDS', INGEST_CONFIG_DEFAULTS.hmacSecretMaxAgeSeconds, 0, problems);
  const previousGraceSeconds = readInteger(
    env,
    'HMAC_PREVIOUS_SECRET_GRACE_SECONDS',
    INGEST_CONFIG_DEFAULTS.hmacPreviousSecretGraceSeconds,
    0,
    problems,
  );
  const eventMaxAgeSeconds = readInteger(env, 'EVENT_MAX_AGE_SECONDS', INGEST_CONFIG_DEFAULTS.eventMaxAgeSeconds, 1, problems);
  const eventMaxFutureSeconds = readInteger(env, 'EVENT_MAX_FUTURE_SECONDS', INGEST_CONFIG_DEFAULTS.eventMaxFutureSeconds, 0, problems);
  const allowUnsigned = readBoolean(env, 'ALLOW_UNSIGNED', problems);
  const signatureHeader = readHeaderName(read('HMAC_SIGNATURE_HEADER'), problems);

  const secretArn = read('HMAC_SECRET_ARN');
  const localSecrets = env.CALLR_HMAC_SECRET;
  const inLambda = Boolean(read('AWS_LAMBDA_FUNCTION_NAME'));
  let hmacSecrets: HmacSecretSourceConfig = { kind: 'none' };

  if (secretArn && localSecrets !== undefined && localSecrets.trim() !== '') {
    problems.push('HMAC_SECRET_ARN and CALLR_HMAC_SECRET are both set: set only one (HMAC_SECRET_ARN on AWS, CALLR_HMAC_SECRET for local use and tests).');
  } else if (secretArn) {
    if (secretArn.startsWith('arn:') && !/^arn:aws[a-z-]*:secretsmanager:/.test(secretArn)) {
      problems.push(`HMAC_SECRET_ARN must be a Secrets Manager secret ARN (arn:aws:secretsmanager:...) or name; got "${secretArn}".`);
    }
    hmacSecrets = { kind: 'secrets-manager', secretId: secretArn, maxAgeSeconds, previousGraceSeconds };
  } else if (localSecrets !== undefined && localSecrets.trim() !== '') {
    const secrets = localSecrets.split(',').map((secret) => secret.trim());
    if (secrets.some((secret) => secret === '')) {
      problems.push('CALLR_HMAC_SECRET holds an empty secret: give one secret, or several separated by commas (current first, then previous), none empty.');
    }
    if (inLambda) {
      problems.push('CALLR_HMAC_SECRET is for local use and tests only: a secret in a Lambda environment variable is readable by anyone who can read the function. Set HMAC_SECRET_ARN instead.');
    }
    hmacSecrets = { kind: 'static', secrets };
  } else if (!allowUnsigned) {
    problems.push(
      'No HMAC secret configured, so no request could be verified: set HMAC_SECRET_ARN (the Secrets Manager secret CALLR signs with), ' +
        'or CALLR_HMAC_SECRET for local use, or ALLOW_UNSIGNED=true for local development without signatures.',
    );
  }

  if (allowUnsigned && inLambda) {
    problems.push('ALLOW_UNSIGNED=true is for local development only and is refused inside AWS Lambda: remove it (CALLR signs every request when subscribed with a secret).');
  }

  if (problems.length > 0) throw new IngestConfigError(problems);
  return {
    queueUrl: queueUrl ?? '',
    deadLetterQueueUrl: deadLetterQueueUrl ?? '',
    hmacSecrets,
    allowUnsigned,
    eventWindow: { maxAgeMs: eventMaxAgeSeconds * 1000, maxFutureMs: eventMaxFutureSeconds * 1000 },
    signatureHeader,
  };
}

function readHeaderName(value: string | undefined, problems: string[]): string {
  if (value === undefined) return INGEST_CONFIG_DEFAULTS.signatureHeader;
  if (!isHttpHeaderName(value)) {
    problems.push(
      `HMAC_SIGNATURE_HEADER must be an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~, no spaces or colon; default ${INGEST_CONFIG_DEFAULTS.signatureHeader}); got "${value}".`,
    );
    return INGEST_CONFIG_DEFAULTS.signatureHeader;
  }
  return value;
}

function readQueueUrl(
  name: string,
  value: string | undefined,
  what: string,
  exampleName: string,
  problems: string[],
): string | undefined {
  if (!value) {
    problems.push(`${name} is required: the URL of ${what}, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/${exampleName}.`);
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    problems.push(`${name} must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>); got "${value}".`);
  }
  return value;
}

function checkAlgorithm(value: string | undefined, problems: string[]): void {
  if (value === undefined) return;
  if (!(CALLR_HMAC_ALGORITHMS as readonly string[]).includes(value.toUpperCase())) {
    problems.push(
      `HMAC_ALGORITHM must be one of ${CALLR_HMAC_ALGORITHMS.join(', ')} (the hmac_algo the webhook was subscribed with; optional, signatures of both are verified); got "${value}".`,
    );
  }
}

function readInteger(env: IngestEnv, name: string, fallback: number, min: number, problems: string[]): number {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    problems.push(`${name} must be a whole number of seconds, at least ${min} (default ${fallback}); got "${value}".`);
    return fallback;
  }
  return parsed;
}

function readBoolean(env: IngestEnv, name: string, problems: string[]): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  problems.push(`${name} must be "true" or "false" (default false); got "${env[name]}".`);
  return false;
}
