import { DEFAULT_CALLR_API_URL, DEFAULT_CALLR_TIMEOUT_MS } from '../callr/json-rpc-client';
import { INBOX_TOPIC_ARN_VARIABLE, readInboxTopicArn } from '../inbox/config';
import { readNumberHashKeyConfig, type NumberHashKeyConfig, NUMBER_HASH_KEY_ARN_VARIABLE } from '../privacy/number-hash-key';
import { SENDER_TIMEOUT_SECONDS } from '../queues/queue-design';
import { environmentReader } from '../config/environment';
import { readRetention, type Retention } from '../privacy/retention';

/**
 * The sender Lambda's configuration, read from the environment and checked once at cold start.
 * Every problem is reported at once. No secret lives here: the CALLR credentials are read from
 * the secret `CALLR_CREDENTIALS_SECRET_ARN` names.
 */
export interface SenderConfig {
  readonly tableName: string;
  /** Where outcomes go: the inbox topic (INBOX_TOPIC_ARN), as the persister's messages. */
  readonly inboxTopicArn: string;
  /** Where unreadable requests go, with the reason (the outbox's dead-letter queue). */
  readonly deadLetterQueueUrl: string;
  /** Our webhook: each SMS's per-SMS webhook, so that its statuses and replies come back. */
  readonly webhookUrl: string;
  /** Where the CALLR credentials are (the Lambda); undefined where they are given directly (local mode). */
  readonly callrCredentialsSecretId: string | undefined;
  readonly callrApiUrl: string;
  readonly callrTimeoutMs: number;
  /** The key of the numbers' keyed hash: the opt-out registry is keyed on it. */
  readonly numberHashKey: NumberHashKeyConfig;
  /** How long a claim may be held by a live attempt (twice the Lambda's timeout). */
  readonly claimStaleAfterMs: number;
  /** How long after its claim an unknown send may still show in CALLR's listing. */
  readonly lookupGiveUpAfterMs: number;
  /** How long send records are kept (RETENTION_OUTBOUND_RECORDS_SECONDS); none by default. */
  readonly retention: Retention;
}

export const SENDER_CONFIG_DEFAULTS = {
  claimStaleAfterMs: 2 * SENDER_TIMEOUT_SECONDS * 1000,
  lookupGiveUpAfterMs: 15 * 60 * 1000,
} as const;

export class SenderConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid sender configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'SenderConfigError';
  }
}

/** `CALLR_CREDENTIALS_SECRET_ARN`, the secret holding {"apiKey"} or {"login","password"}, is required inside Lambda. */
export function loadSenderConfig(env: Readonly<Record<string, string | undefined>>): SenderConfig {
  const problems: string[] = [];
  const { read, required, integer } = environmentReader(env, problems);
  const url = (name: string, what: string, fallback?: string): string => {
    const value = read(name) ?? fallback;
    if (!value) {
      problems.push(`${name} is required: ${what}.`);
      return '';
    }
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) problems.push(`${name} must be an http(s) URL (${what}); got "${value}".`);
    return value;
  };

  const numberHashKey = (): NumberHashKeyConfig => {
    const key = readNumberHashKeyConfig(env, problems);
    if (!key && !problems.some((problem) => problem.includes(NUMBER_HASH_KEY_ARN_VARIABLE))) {
      problems.push(`${NUMBER_HASH_KEY_ARN_VARIABLE} is required: the number hash key's secret, which the opt-out registry is keyed on (the sender refuses opted-out numbers).`);
    }
    return key ?? { kind: 'static', key: '' };
  };

  const config: SenderConfig = {
    tableName: required('TABLE_NAME', 'the DynamoDB table of messages and send records'),
    inboxTopicArn: readInboxTopicArn(env[INBOX_TOPIC_ARN_VARIABLE], problems) ?? '',
    deadLetterQueueUrl: url('DEAD_LETTER_QUEUE_URL', "the outbox's dead-letter queue, for unreadable requests"),
    webhookUrl: url('WEBHOOK_URL', 'our webhook URL, set on each SMS so that its statuses and replies come back'),
    callrCredentialsSecretId: read('CALLR_CREDENTIALS_SECRET_ARN'),
    callrApiUrl: url('CALLR_API_URL', 'the CALLR JSON-RPC endpoint', DEFAULT_CALLR_API_URL),
    callrTimeoutMs: integer('CALLR_TIMEOUT_MS', DEFAULT_CALLR_TIMEOUT_MS, 1),
    claimStaleAfterMs: integer('CLAIM_STALE_AFTER_MS', SENDER_CONFIG_DEFAULTS.claimStaleAfterMs, 1),
    lookupGiveUpAfterMs: integer('LOOKUP_GIVE_UP_AFTER_MS', SENDER_CONFIG_DEFAULTS.lookupGiveUpAfterMs, 1),
    numberHashKey: numberHashKey(),
    retention: readRetention(env, problems),
  };
  if (env.AWS_LAMBDA_FUNCTION_NAME?.trim() && !config.callrCredentialsSecretId) {
    problems.push('CALLR_CREDENTIALS_SECRET_ARN is required: the Secrets Manager secret holding {"apiKey"} or {"login","password"}.');
  }
  if (problems.length > 0) throw new SenderConfigError(problems);
  return config;
}
