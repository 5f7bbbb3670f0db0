/**
 * Why the webhook subscription could not be made. The Provider framework hands `message` to
 * CloudFormation as the failure reason, so each one says what to fix, and none ever holds a
 * secret value (only ARNs, property names, endpoints and CALLR's error codes).
 */

/** The custom resource's properties are missing or malformed; the message lists every problem. */
export class SubscriptionPropertiesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid CALLR webhook subscription properties: ${problems.join('; ')}`);
    this.name = 'SubscriptionPropertiesError';
  }
}

/** The CALLR credentials secret does not hold `{"apiKey"}` or `{"login","password"}`. */
export class CredentialsSecretError extends Error {
  constructor(problem: string) {
    super(
      `The CALLR credentials secret is unusable: ${problem}. ` +
        'Store it as JSON: {"apiKey":"..."} or {"login":"...","password":"..."}',
    );
    this.name = 'CredentialsSecretError';
  }
}

/** A secret could not be read (missing, no permission, binary, empty). */
export class SecretUnavailableError extends Error {
  constructor(readonly secretId: string, problem: string, options?: { cause?: unknown }) {
    super(`Could not read secret ${secretId}: ${problem}`, options);
    this.name = 'SecretUnavailableError';
  }
}

/** CALLR did not take the subscription; `cause` is the CallrApiError or CallrTransportError. */
export class SubscriptionFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubscriptionFailedError';
  }
}
