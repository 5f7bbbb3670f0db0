import { DEFAULT_CALLR_RETRIES, DEFAULT_CALLR_TIMEOUT_MS } from '../callr/json-rpc-client';

/** The subscription Lambda's only settings; it needs none (no secret ever lives in its environment). */
export interface SubscriptionConfig {
  readonly timeoutMs: number;
  readonly retries: number;
}

export class SubscriptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscriptionConfigError';
  }
}

/** `CALLR_TIMEOUT_MS` (per attempt) and `CALLR_RETRIES`, both optional. */
export function loadSubscriptionConfig(env: Readonly<Record<string, string | undefined>>): SubscriptionConfig {
  return {
    timeoutMs: integerFrom(env, 'CALLR_TIMEOUT_MS', DEFAULT_CALLR_TIMEOUT_MS, 1),
    retries: integerFrom(env, 'CALLR_RETRIES', DEFAULT_CALLR_RETRIES, 0),
  };
}

function integerFrom(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new SubscriptionConfigError(`${name} must be an integer >= ${min} (got "${raw}"); unset it for the default ${fallback}`);
  }
  return value;
}
