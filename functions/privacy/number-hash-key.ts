import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { MIN_NUMBER_HASH_KEY_BYTES } from './number-hash';

/**
 * The key of the numbers' keyed hash (number-hash.ts): a Secrets Manager secret the stack
 * generates, named to each Lambda that needs it by ARN in {@link NUMBER_HASH_KEY_ARN_VARIABLE}.
 * Local mode and tests give the key itself in {@link NUMBER_HASH_KEY_VARIABLE}.
 *
 * The key is never rotated: every stored hash (the sender index, opt-out evidence, erasure audit
 * items) was computed with it, and a new key would make them unfindable. Loaded once per Lambda
 * instance and kept.
 */

/** The Lambda environment variable holding the key's secret ARN (set by the construct). */
export const NUMBER_HASH_KEY_ARN_VARIABLE = 'NUMBER_HASH_KEY_ARN';

/** The key itself, for local mode and tests only (refused inside Lambda, like CALLR_HMAC_SECRET). */
export const NUMBER_HASH_KEY_VARIABLE = 'NUMBER_HASH_KEY';

export type NumberHashKeyConfig =
  /** The secret's AWSCURRENT string value, read through Powertools' SecretsProvider. */
  | { readonly kind: 'secrets-manager'; readonly secretId: string }
  /** Given directly: local mode and tests. */
  | { readonly kind: 'static'; readonly key: string };

export type NumberHashKeyEnv = Readonly<Record<string, string | undefined>>;

/**
 * Reads where the key comes from, adding to `problems` what is wrong (for a config loader that
 * reports every problem at once). Undefined when neither variable is set or one is wrong.
 */
export function readNumberHashKeyConfig(env: NumberHashKeyEnv, problems: string[]): NumberHashKeyConfig | undefined {
  const secretId = env[NUMBER_HASH_KEY_ARN_VARIABLE]?.trim();
  const key = env[NUMBER_HASH_KEY_VARIABLE]?.trim();
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME?.trim());
  if (secretId && key) {
    problems.push(
      `${NUMBER_HASH_KEY_ARN_VARIABLE} and ${NUMBER_HASH_KEY_VARIABLE} are both set: set only one (${NUMBER_HASH_KEY_ARN_VARIABLE} on AWS, ${NUMBER_HASH_KEY_VARIABLE} for local use and tests).`,
    );
    return undefined;
  }
  if (secretId) {
    if (secretId.startsWith('arn:') && !/^arn:aws[a-z-]*:secretsmanager:/.test(secretId)) {
      problems.push(`${NUMBER_HASH_KEY_ARN_VARIABLE} must be a Secrets Manager secret ARN (arn:aws:secretsmanager:...) or name; got "${secretId}".`);
      return undefined;
    }
    return { kind: 'secrets-manager', secretId };
  }
  if (key) {
    if (inLambda) {
      problems.push(
        `${NUMBER_HASH_KEY_VARIABLE} is for local use and tests only: a key in a Lambda environment variable is readable by anyone who can read the function. Set ${NUMBER_HASH_KEY_ARN_VARIABLE} instead.`,
      );
      return undefined;
    }
    if (Buffer.byteLength(key, 'utf8') < MIN_NUMBER_HASH_KEY_BYTES) {
      problems.push(`${NUMBER_HASH_KEY_VARIABLE} must be at least ${MIN_NUMBER_HASH_KEY_BYTES} bytes long (a random string); got ${Buffer.byteLength(key, 'utf8')}.`);
      return undefined;
    }
    return { kind: 'static', key };
  }
  return undefined;
}

/** The key could not be loaded: nothing that needs a number's hash can be done (fail closed). */
export class NumberHashKeyUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NumberHashKeyUnavailableError';
  }
}

/** Loads the key once; concurrent callers share the load, and a failed load is tried again next time. */
export interface NumberHashKeyLoader {
  load(): Promise<Uint8Array>;
  /** The key if a load has succeeded, else undefined: for what cannot wait (the log masking). */
  current(): Uint8Array | undefined;
}

/** The key's bytes: the UTF-8 of the secret's string (the stack generates 64 random letters and digits). */
export function numberHashKeyBytes(value: string, where: string): Uint8Array {
  const bytes = new TextEncoder().encode(value);
  if (bytes.byteLength < MIN_NUMBER_HASH_KEY_BYTES) {
    throw new NumberHashKeyUnavailableError(`${where} holds ${bytes.byteLength} bytes; the number hash key needs at least ${MIN_NUMBER_HASH_KEY_BYTES}`);
  }
  return bytes;
}

/** A key given directly (local mode, tests, benchmarks). */
export function staticNumberHashKey(key: string): NumberHashKeyLoader {
  const bytes = numberHashKeyBytes(key, NUMBER_HASH_KEY_VARIABLE);
  return { load: async () => bytes, current: () => bytes };
}

/** The secrets provider is made only when the key is in Secrets Manager (never in local mode). */
export function createNumberHashKeyLoader(
  config: NumberHashKeyConfig,
  clients: { readonly secrets: () => SecretsProvider },
): NumberHashKeyLoader {
  if (config.kind === 'static') return staticNumberHashKey(config.key);
  let loaded: Promise<Uint8Array> | undefined;
  let current: Uint8Array | undefined;
  const fetchKey = async (): Promise<Uint8Array> => {
    let value: unknown;
    try {
      value = await clients.secrets().get(config.secretId);
    } catch (error) {
      throw new NumberHashKeyUnavailableError(`could not load the number hash key from secret ${config.secretId}`, { cause: error });
    }
    if (typeof value !== 'string') {
      throw new NumberHashKeyUnavailableError(
        `secret ${config.secretId} ${value === undefined ? 'has no value' : 'is binary'}; the number hash key must be a plain SecretString`,
      );
    }
    current = numberHashKeyBytes(value, `secret ${config.secretId}`);
    return current;
  };
  return {
    current: () => current,
    load() {
      const attempt = (loaded ??= fetchKey());
      attempt.catch(() => {
        if (loaded === attempt) loaded = undefined;
      });
      return attempt;
    },
  };
}
