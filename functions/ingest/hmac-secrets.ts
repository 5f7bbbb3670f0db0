import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { HmacSecretSourceConfig } from './config';
import { HmacSecretUnavailableError } from './errors';

/**
 * The HMAC secrets a request may be signed with: the current one first, then the previous one
 * while a rotation settles (CALLR signs with whichever secret its subscription held when it sent).
 */
export interface HmacSecretSource {
  /** Throws `HmacSecretUnavailableError` when the current secret cannot be loaded (fail closed). */
  getSecrets(): Promise<readonly string[]>;
}

/** Secrets given directly (local mode, tests); an empty list verifies nothing. */
export function staticHmacSecrets(secrets: readonly string[]): HmacSecretSource {
  const frozen = Object.freeze([...secrets]);
  return { getSecrets: async () => frozen };
}

export interface SecretsManagerHmacSecretsOptions {
  readonly client: SecretsManagerClient;
  /** Secret ARN or name; its value is the plain-string HMAC secret. */
  readonly secretId: string;
  /** How long loaded secrets are reused; 0 loads them on every request. */
  readonly maxAgeSeconds: number;
  /** Milliseconds clock for the cache; injectable so tests can expire it. */
  readonly nowMs?: () => number;
}

export const CURRENT_STAGE = 'AWSCURRENT';
export const PREVIOUS_STAGE = 'AWSPREVIOUS';

/**
 * Loads versions AWSCURRENT and AWSPREVIOUS of a Secrets Manager secret through Powertools'
 * SecretsProvider, and keeps them for `maxAgeSeconds` so a rotation takes effect within that time.
 *
 * The cache is ours, not Powertools': its cache key is (name, transform) and ignores
 * `sdkOptions`, so it would answer the AWSPREVIOUS request with the cached AWSCURRENT value; and
 * it does not remember a missing version, which would cost a Secrets Manager call on every request
 * until the first rotation. Concurrent callers share one load; a failed load is not kept, so the
 * next request tries again.
 */
export function secretsManagerHmacSecrets(options: SecretsManagerHmacSecretsOptions): HmacSecretSource {
  const provider = new SecretsProvider({ awsSdkV3Client: options.client });
  const nowMs = options.nowMs ?? Date.now;
  const maxAgeMs = options.maxAgeSeconds * 1000;
  let cached: { readonly secrets: Promise<readonly string[]>; readonly expiresAt: number } | undefined;

  const loadStage = async (stage: string): Promise<string | undefined> => {
    const value = await provider.get(options.secretId, { sdkOptions: { VersionStage: stage }, forceFetch: true });
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw new HmacSecretUnavailableError(
        `secret ${options.secretId} (${stage}) is binary; the HMAC secret must be stored as a plain SecretString`,
      );
    }
    return value === '' ? undefined : value;
  };

  const load = async (): Promise<readonly string[]> => {
    const [current, previous] = await Promise.allSettled([loadStage(CURRENT_STAGE), loadStage(PREVIOUS_STAGE)]);
    if (current.status === 'rejected') {
      throw asUnavailable(current.reason, `could not load ${CURRENT_STAGE} of secret ${options.secretId}`);
    }
    if (current.value === undefined) {
      throw new HmacSecretUnavailableError(`secret ${options.secretId} (${CURRENT_STAGE}) has no string value`);
    }
    // A secret that was never rotated has no AWSPREVIOUS: normal. Any other failure could reject
    // events signed with the previous secret mid-rotation, so it fails closed like the current one.
    let previousValue: string | undefined;
    if (previous.status === 'fulfilled') previousValue = previous.value;
    else if (!isNotFound(previous.reason)) {
      throw asUnavailable(previous.reason, `could not load ${PREVIOUS_STAGE} of secret ${options.secretId}`);
    }
    return previousValue !== undefined && previousValue !== current.value ? [current.value, previousValue] : [current.value];
  };

  return {
    getSecrets() {
      const at = nowMs();
      if (cached && at < cached.expiresAt) return cached.secrets;
      const secrets = load();
      const entry = { secrets, expiresAt: at + maxAgeMs };
      cached = entry;
      secrets.catch(() => {
        if (cached === entry) cached = undefined;
      });
      return secrets;
    },
  };
}

/** Builds the source the configuration names; the Secrets Manager client is made only if needed. */
export function createHmacSecretSource(
  config: HmacSecretSourceConfig,
  clients: { readonly secretsManager: () => SecretsManagerClient },
): HmacSecretSource {
  switch (config.kind) {
    case 'secrets-manager':
      return secretsManagerHmacSecrets({
        client: clients.secretsManager(),
        secretId: config.secretId,
        maxAgeSeconds: config.maxAgeSeconds,
      });
    case 'static':
      return staticHmacSecrets(config.secrets);
    case 'none':
      return staticHmacSecrets([]);
  }
}

function asUnavailable(error: unknown, message: string): HmacSecretUnavailableError {
  return error instanceof HmacSecretUnavailableError ? error : new HmacSecretUnavailableError(message, { cause: error });
}

/** Powertools wraps SDK errors in GetParameterError; the SDK's own error is its `cause`. */
function isNotFound(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.name === 'ResourceNotFoundException') return true;
  }
  return false;
}
