/**
 * Errors of the message store. AWS SDK errors that mean a domain outcome (a conditional check that
 * failed: a duplicate, a stale status) are turned into results inside the store; everything else
 * (throttling, network, validation) propagates unchanged so the caller can retry.
 */

/** A query that cannot be asked as given (bad limit, empty or inverted time range). */
export class InvalidQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQueryError';
  }
}

/** The table does not hold what a write a moment ago left there (an item deleted underneath us). */
export class MessageStoreConsistencyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MessageStoreConsistencyError';
  }
}

/** DynamoDB refused a write because its condition did not hold. */
export function isConditionalCheckFailed(error: unknown): boolean {
  // By name, not instanceof: a second copy of the SDK in a bundle would defeat instanceof.
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
