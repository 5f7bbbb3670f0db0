import { DEFAULT_CALLR_API_URL, DEFAULT_CALLR_TIMEOUT_MS } from '../callr/json-rpc-client';
import { SENDER_TIMEOUT_SECONDS } from '../queues/queue-design';

/**
 * The sender Lambda's configuration, read from the environment and checked once at cold start.
 * Every problem is reported at once. No secret lives here: the CALLR credentials are read from
 * the secret `CALLR_CREDENTIALS_SECRET_ARN` names.
 */
export interface SenderConfig {
  readonly tableName: string;
  /** Where outcomes go (the inbox). */
  readonly inboxQueueUrl: string;
  /** Where unreadable requests go, with the reason (the outbox's dead-letter queue). */
  readonly deadLetterQueueUrl: string;
  /** Our webhook: each SMS's per-SMS webhook, so that its statuses and replies come back. */
  readonly webhookUrl: string;
  readonly callrCredentialsSecretId: string;
  readonly callrApiUrl: string;
  readonly callrTimeoutMs: number;
  /** How long a claim may be held by a live attempt (twice the Lambda's timeout). */
  readonly claimStaleAfterMs: number;
  /** How long after its claim an unknown send may still show in CALLR's listing. */
  readonly lookupGiveUpAfterMs: number;
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

export function loadSenderConfig(env: Readonly<Record<string, string | undefined>>): SenderConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  const required = (name: string, what: string): string => {
    const value = read(name);
    if (!value) problems.push(`${name} is required: ${what}.`);
    return value ?? '';
  };
  const url = (name: string, what: string, fallback?: string): string => {
    const value = read(name) ?? fallback;
    if (!value) {
      problems.push(`${name} is required: ${what}.`);
      return '';
    }
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) problems.push(`${name} must be an http(s) URL (${what}); got "${value}".`);
    return value;
  };
  const integer = (name: string, fallback: number, min: number): number => {
    const raw = read(name);
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) problems.push(`${name} must be an integer >= ${min} (got "${raw}"); unset it for the default ${fallback}.`);
    return value;
  };

  const config: SenderConfig = {
    tableName: required('TABLE_NAME', 'the DynamoDB table of messages and send records'),
    inboxQueueUrl: url('INBOX_QUEUE_URL', 'the inbox queue, where outcomes go'),
    deadLetterQueueUrl: url('DEAD_LETTER_QUEUE_URL', "the outbox's dead-letter queue, for unreadable requests"),
    webhookUrl: url('WEBHOOK_URL', 'our webhook URL, set on each SMS so that its statuses and replies come back'),
    callrCredentialsSecretId: required('CALLR_CREDENTIALS_SECRET_ARN', 'the Secrets Manager secret holding {"apiKey"} or {"login","password"}'),
    callrApiUrl: url('CALLR_API_URL', 'the CALLR JSON-RPC endpoint', DEFAULT_CALLR_API_URL),
    callrTimeoutMs: integer('CALLR_TIMEOUT_MS', DEFAULT_CALLR_TIMEOUT_MS, 1),
    claimStaleAfterMs: integer('CLAIM_STALE_AFTER_MS', SENDER_CONFIG_DEFAULTS.claimStaleAfterMs, 1),
    lookupGiveUpAfterMs: integer('LOOKUP_GIVE_UP_AFTER_MS', SENDER_CONFIG_DEFAULTS.lookupGiveUpAfterMs, 1),
  };
  if (problems.length > 0) throw new SenderConfigError(problems);
  return config;
}
