import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretUnavailableError } from './errors';
import type { ReadSecret } from './subscription';

/**
 * Reads a secret's current string value through Powertools' SecretsProvider. Always fetched, never
 * cached: a custom resource runs rarely, and an Update after a rotation must see the new value.
 */
export function secretsManagerReader(provider: SecretsProvider): ReadSecret {
  return async (secretId) => {
    const value = await provider.get(secretId, { forceFetch: true });
    if (value === undefined) throw new SecretUnavailableError(secretId, 'it has no value');
    if (typeof value !== 'string') throw new SecretUnavailableError(secretId, 'it is binary; store it as a SecretString');
    return value;
  };
}
