import type { CallrCredentials } from '../callr/json-rpc-client';
import { CredentialsSecretError } from './errors';

/**
 * Reads the CALLR credentials secret: JSON `{"apiKey":"..."}` (sent as `Api-Key`) or
 * `{"login":"...","password":"..."}` (sent as Basic). Errors name fields, never values: the text
 * is a secret, and even a JSON parse error message would quote part of it.
 */
export function parseCallrCredentials(secretText: string): CallrCredentials {
  let json: unknown;
  try {
    json = JSON.parse(secretText);
  } catch {
    throw new CredentialsSecretError('it is not JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new CredentialsSecretError('it is not a JSON object');

  const fields = json as Record<string, unknown>;
  const has = (name: string) => fields[name] !== undefined && fields[name] !== null;
  const nonEmptyString = (name: string) => typeof fields[name] === 'string' && (fields[name] as string).trim() !== '';

  if (has('apiKey')) {
    if (has('login') || has('password')) throw new CredentialsSecretError('it holds both apiKey and login/password; keep one form');
    if (!nonEmptyString('apiKey')) throw new CredentialsSecretError('apiKey must be a non-empty string');
    return { apiKey: fields.apiKey as string };
  }
  if (has('login') || has('password')) {
    const problems = ['login', 'password'].filter((name) => !nonEmptyString(name));
    if (problems.length > 0) {
      throw new CredentialsSecretError(`${problems.join(' and ')} must be ${problems.length > 1 ? 'non-empty strings' : 'a non-empty string'}`);
    }
    if ((fields.login as string).includes(':')) throw new CredentialsSecretError('login cannot contain ":" (Basic authentication)');
    return { login: fields.login as string, password: fields.password as string };
  }
  throw new CredentialsSecretError('it has neither apiKey nor login and password');
}
