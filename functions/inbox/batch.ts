import type { InboxMessage } from './message';
import type { InboxPublishResult } from './publish';

/**
 * One publication for the messages of one batch of records that are processed concurrently: each
 * record that has a message to forward calls `publish` and waits; once every record of the batch
 * is either waiting there or done (`settle`), all the waiting messages go out in one call of
 * `publishAll` (one PublishBatch request for a batch of 10), and each record learns the fate of
 * its own message. Records keep their own logic, claims and failures; only the request is shared.
 *
 * Every record must call `settle` when it finishes, whatever happened (a `finally`), or the batch
 * waits for it; and the records must run concurrently, or the first to publish waits for the next
 * to start.
 */
export interface InboxBatch {
  /** Resolves once the message is published; rejects with its InboxPublishError when it was not. */
  publish(message: InboxMessage): Promise<void>;
  /** This record has finished: it publishes nothing more. */
  settle(): void;
}

type PublishAll = (messages: readonly InboxMessage[]) => Promise<readonly InboxPublishResult[]>;

interface Waiting {
  readonly message: InboxMessage;
  resolve(): void;
  reject(error: unknown): void;
}

export function createInboxBatch(records: number, publishAll: PublishAll): InboxBatch {
  /** Records that have not settled: working, waiting to publish, or publishing. */
  let active = records;
  /** Messages handed to publishAll whose results have not come back. */
  let publishing = 0;
  let waiting: Waiting[] = [];

  function flushWhenNoRecordIsStillWorking(): void {
    if (waiting.length === 0 || active - waiting.length - publishing > 0) return;
    const flushing = waiting;
    waiting = [];
    publishing += flushing.length;
    publishAll(flushing.map(({ message }) => message)).then(
      (results) =>
        flushing.forEach((entry, index) => {
          publishing -= 1;
          const result = results[index];
          if (result?.published) entry.resolve();
          else entry.reject(result ? result.error : new Error(`no publish result for inbox message ${entry.message.messageId}`));
        }),
      (error: unknown) =>
        flushing.forEach((entry) => {
          publishing -= 1;
          entry.reject(error);
        }),
    );
  }

  return {
    publish(message) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ message, resolve, reject });
        flushWhenNoRecordIsStillWorking();
      });
    },
    settle() {
      active -= 1;
      flushWhenNoRecordIsStillWorking();
    },
  };
}
