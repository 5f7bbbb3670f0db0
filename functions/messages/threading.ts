import type { InboundMessage } from './inbound-message';
import { isPermanentWriteError } from './errors';
import type { MessageTable } from './message-store';
import { findRepliedTo } from './outbound-store';

/**
 * Threading: an inbound message is the reply to the most recent SMS sent through the outbox to
 * its sender, from the number it wrote to when that is known, within the window. Found through
 * the send records (index byOutboundRecipient), which exist from the moment a request is claimed,
 * before CALLR is even called: a reply can never come before its SMS's record, only before the
 * record holds the SMS hash (then `inReplyTo.hash` is null, and `requestId` joins them).
 */

/** How far back a reply looks for what it answers. */
export const DEFAULT_THREADING_WINDOW_MS = 7 * 24 * 3600 * 1000;

export interface ThreadingOptions {
  readonly windowMs: number;
  /**
   * Told when the lookup cannot be asked at all (an index the table lacks: a local table created
   * before it). The message is then stored without `inReplyTo` rather than not at all.
   */
  readonly onUnavailable?: (error: Error) => void;
}

/** The message with `inReplyTo` when it answers an SMS of ours. Throttling and network errors propagate. */
export async function threadReply(table: MessageTable, message: InboundMessage, options: ThreadingOptions): Promise<InboundMessage> {
  const receivedAt = new Date(message.receivedAt);
  let repliedTo;
  try {
    repliedTo = await findRepliedTo(table, {
      number: message.from,
      ourNumber: message.to,
      since: new Date(receivedAt.getTime() - options.windowMs),
      // CALLR dates a reply to the second: one sent within the second of our SMS still answers it.
      before: new Date(receivedAt.getTime() + 1000),
    });
  } catch (error) {
    if (!isPermanentWriteError(error)) throw error;
    options.onUnavailable?.(error as Error);
    return message;
  }
  return repliedTo ? { ...message, inReplyTo: repliedTo } : message;
}
