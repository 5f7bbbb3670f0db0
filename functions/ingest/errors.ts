/**
 * Why the ingest Lambda could not do its job. Each error is named so that the one place that
 * turns errors into HTTP answers (`http-answers.ts`) can pick the status without looking at
 * messages, and carries its `cause` for the logs; none of these messages ever reaches a caller.
 */

/** The environment does not describe a usable configuration; the message lists every problem. */
export class IngestConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `The ingest Lambda is misconfigured (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'IngestConfigError';
  }
}

/** The HMAC secret could not be loaded, so no signature can be checked: fail closed (500). */
export class HmacSecretUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HmacSecretUnavailableError';
  }
}

export type IngestQueueRole = 'ingest' | 'dead-letter';

/** An authentic event could not be written to its queue: CALLR must retry (503). */
export class QueueUnavailableError extends Error {
  constructor(readonly queue: IngestQueueRole, options: { cause: unknown }) {
    super(`could not write to the ${queue} queue: ${describeCause(options.cause)}`, options);
    this.name = 'QueueUnavailableError';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
