/**
 * Errors of the message store. AWS SDK errors that mean a domain outcome (a conditional check that
 * failed: a duplicate, a stale status) are turned into results inside the store; a write DynamoDB
 * refuses for good becomes an ItemRejectedError, so that the caller stops retrying it; everything
 * else (throttling, network) propagates unchanged so the caller can retry.
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

/** Why a write can never succeed: the persister's dead-letter reason. */
export type ItemRejection = 'item_too_large' | 'store_rejected';

/**
 * A write that no retry can make succeed: the item is over DynamoDB's size limit even without the
 * raw copy (`item_too_large`), or DynamoDB refused the request as invalid (`store_rejected`, its
 * ValidationException as `cause`). The event belongs on the dead-letter queue, with this reason.
 */
export class ItemRejectedError extends Error {
  constructor(
    readonly reason: ItemRejection,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ItemRejectedError';
  }
}

/**
 * DynamoDB refused the request itself, as invalid: retrying the same request gets the same answer.
 * (Its other client errors, throttling, a missing table, denied access, depend on the moment or
 * the deployment, not on the record, and stay retryable.)
 */
export function isPermanentWriteError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ValidationException' || error.name === 'SerializationException');
}

/** Runs one write, turning a permanent refusal into an ItemRejectedError. */
export async function rejectingPermanentErrors<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isPermanentWriteError(error)) {
      throw new ItemRejectedError('store_rejected', `DynamoDB refused the write: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}

/** DynamoDB refused a write because its condition did not hold. */
export function isConditionalCheckFailed(error: unknown): boolean {
  // By name, not instanceof: a second copy of the SDK in a bundle would defeat instanceof.
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
