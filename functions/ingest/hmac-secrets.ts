import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HmacSecretSourceConfig } from './config';
import { HmacSecretUnavailableError } from './errors';

/**
 * The HMAC secrets a request may be signed with: the current one first, then the previous one
 * while a rotation settles (CALLR signs with whichever secret its subscription held when it sent).
 */
export interface HmacSecretSource {
  /** Throws `HmacSecretUnavailableError` when the current secret cannot be loaded (fail closed). */
  getSecrets(): Promise<readonly string[]>;
  /**
   * For a signature that matched none of the secrets: they may be stale (a rotation since they
   * were loaded), so they are reloaded now unless that would not be worth it. Resolves to the
   * secrets to verify again with (the same ones when nothing was reloaded); throws like
   * `getSecrets`.
   */
  refresh(): Promise<readonly string[]>;
}

/** Secrets given directly (local mode, tests); an empty list verifies nothing. */
export function staticHmacSecrets(secrets: readonly string[]): HmacSecretSource {
  const frozen = Object.freeze([...secrets]);
  return { getSecrets: async () => frozen, refresh: async () => frozen };
}

export interface SecretsManagerHmacSecretsOptions {
  readonly client: SecretsManagerClient;
  /** Secret ARN or name; its value is the plain-string HMAC secret. */
  readonly secretId: string;
  /** How long loaded secrets are reused; 0 loads them on every request. */
  readonly maxAgeSeconds: number;
  /**
   * How long after AWSCURRENT was created AWSPREVIOUS is still accepted; 0 never accepts it.
   * A leaked secret can forge events until it stops being accepted: this bounds that time.
   */
  readonly previousGraceSeconds: number;
  /** Milliseconds clock for the cache and the grace period; injectable so tests can move it. */
  readonly nowMs?: () => number;
}

/**
 * Secrets younger than this are not reloaded by `refresh`, and forced reloads are at least this
 * far apart per instance: forged requests, which all fail verification, cannot make an instance
 * call Secrets Manager more often than this on their account.
 */
export const FORCED_RELOAD_INTERVAL_SECONDS = 30;

export const CURRENT_STAGE = 'AWSCURRENT';
export const PREVIOUS_STAGE = 'AWSPREVIOUS';

/** The secret's versions as loaded: the previous one is accepted only within its grace period. */
interface LoadedVersions {
  readonly current: string;
  /** When AWSCURRENT was created (ms), i.e. when the rotation that made AWSPREVIOUS happened. */
  readonly currentCreatedAt: number | undefined;
  readonly previous: string | undefined;
}

interface CacheEntry {
  readonly versions: Promise<LoadedVersions>;
  readonly loadedAt: number;
}

/**
 * Loads versions AWSCURRENT and AWSPREVIOUS of a Secrets Manager secret with GetSecretValue, and
 * keeps them for `maxAgeSeconds` so a rotation takes effect within that time. Sooner where it
 * matters: once CALLR signs with a rotated secret, the first request that fails verification
 * reloads (`refresh`), rather than every event being refused with 401 until the cache expires.
 *
 * AWSPREVIOUS is accepted only until `previousGraceSeconds` after AWSCURRENT's `CreatedDate`, so
 * a rotation also ends the validity of the secret it replaced. The SDK is called directly, not
 * through Powertools' SecretsProvider, which returns the value without its `CreatedDate`; and the
 * cache is ours because a missing version must be remembered too (or every request would ask
 * again until the first rotation). Concurrent callers share one load; a failed load is not kept,
 * so the next request tries again.
 */
export function secretsManagerHmacSecrets(options: SecretsManagerHmacSecretsOptions): HmacSecretSource {
  const nowMs = options.nowMs ?? Date.now;
  const maxAgeMs = options.maxAgeSeconds * 1000;
  const graceMs = options.previousGraceSeconds * 1000;
  const forcedReloadIntervalMs = FORCED_RELOAD_INTERVAL_SECONDS * 1000;
  let cached: CacheEntry | undefined;
  let lastForcedReloadAt: number | undefined;

  const loadStage = async (stage: string): Promise<{ value: string; createdAt: number | undefined } | undefined> => {
    const output = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId, VersionStage: stage }));
    if (output.SecretString) return { value: output.SecretString, createdAt: output.CreatedDate?.getTime() };
    if (output.SecretBinary !== undefined) {
      throw new HmacSecretUnavailableError(
        `secret ${options.secretId} (${stage}) is binary; the HMAC secret must be stored as a plain SecretString`,
      );
    }
    return undefined;
  };

  const loadVersions = async (): Promise<LoadedVersions> => {
    // With no grace, AWSPREVIOUS is never accepted: not even asked for.
    const [current, previous] = await Promise.allSettled([
      loadStage(CURRENT_STAGE),
      graceMs > 0 ? loadStage(PREVIOUS_STAGE) : Promise.resolve(undefined),
    ]);
    if (current.status === 'rejected') {
      throw asUnavailable(current.reason, `could not load ${CURRENT_STAGE} of secret ${options.secretId}`);
    }
    if (current.value === undefined) {
      throw new HmacSecretUnavailableError(`secret ${options.secretId} (${CURRENT_STAGE}) has no string value`);
    }
    const { value, createdAt } = current.value;
    // A secret that was never rotated has no AWSPREVIOUS: normal. Any other failure could reject
    // events signed with the previous secret mid-rotation, so it fails closed like the current one.
    // Past the grace period AWSPREVIOUS is refused anyway, so its failure no longer matters.
    let previousValue: string | undefined;
    if (previous.status === 'fulfilled') previousValue = previous.value?.value;
    else if (!isNotFound(previous.reason) && !(createdAt !== undefined && nowMs() >= createdAt + graceMs)) {
      throw asUnavailable(previous.reason, `could not load ${PREVIOUS_STAGE} of secret ${options.secretId}`);
    }
    return { current: value, currentCreatedAt: createdAt, previous: previousValue !== value ? previousValue : undefined };
  };

  // Secrets Manager always returns CreatedDate; without it the grace cannot be bounded: refused.
  const acceptedAt = (versions: LoadedVersions, at: number): readonly string[] =>
    versions.previous !== undefined && versions.currentCreatedAt !== undefined && at < versions.currentCreatedAt + graceMs
      ? [versions.current, versions.previous]
      : [versions.current];

  /**
   * Starts a load that concurrent callers share. A failure is not kept: the entry it replaced
   * comes back if it is still within its max age (a failed forced reload must not cost the
   * secrets every other request is verified with), else the next request loads again.
   */
  const load = (at: number): CacheEntry => {
    const replaced = cached;
    const entry: CacheEntry = { versions: loadVersions(), loadedAt: at };
    cached = entry;
    entry.versions.catch(() => {
      if (cached !== entry) return;
      cached = replaced && at < replaced.loadedAt + maxAgeMs ? replaced : undefined;
    });
    return entry;
  };

  const held = (at: number): CacheEntry => (cached && at < cached.loadedAt + maxAgeMs ? cached : load(at));

  return {
    getSecrets() {
      const at = nowMs();
      return held(at).versions.then((versions) => acceptedAt(versions, at));
    },
    refresh() {
      const at = nowMs();
      // Secrets this fresh (a forced reload in flight included, which concurrent callers thus
      // share) would load the same again, even with a max age below the interval.
      let entry: CacheEntry;
      if (cached && at < cached.loadedAt + forcedReloadIntervalMs) entry = cached;
      // A forced reload is not repeated within the interval, even when it failed.
      else if (lastForcedReloadAt !== undefined && at < lastForcedReloadAt + forcedReloadIntervalMs) entry = held(at);
      else {
        lastForcedReloadAt = at;
        entry = load(at);
      }
      return entry.versions.then((versions) => acceptedAt(versions, at));
    },
  };
}

/**
 * Starts loading the secrets now, during the Lambda's init, so that the Secrets Manager round
 * trips run while the rest of init loads and the first request awaits a load already under way
 * (concurrent callers share one load) instead of starting it. Never throws and leaves no rejected
 * promise behind: a failed prefetch is reported to `onFailure` and not kept, so the first request
 * loads again and fails closed (5xx) only if that load fails too.
 */
export function prefetchHmacSecrets(source: HmacSecretSource, onFailure: (error: unknown) => void): void {
  source.getSecrets().then(
    () => undefined,
    (error: unknown) => onFailure(error),
  );
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
        previousGraceSeconds: config.previousGraceSeconds,
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

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}
