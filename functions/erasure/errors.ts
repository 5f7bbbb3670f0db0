/**
 * An erasure that could not finish: throttling or a DynamoDB failure left items in place. Nothing
 * is undone (what was deleted stays deleted) and no audit item is written; run the erasure again,
 * it finds what is left.
 */
export class ErasureIncompleteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ErasureIncompleteError';
  }
}

/** Tries of one batch call whose unprocessed part is sent again (DynamoDB throttling). */
export const MAX_BATCH_ATTEMPTS = 8;

/** Exponential back-off before try `attempt` (1-based after the first), at most a second. */
export function backOff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
}
