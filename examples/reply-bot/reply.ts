import type { InboundMessage } from '../../functions/messages/inbound-message';
import { OutboxRequest } from '../../functions/outbox/request';

/**
 * What the reply bot answers, and to whom: pure. An inbound SMS whose keyword (its first word,
 * normalised: "help", "Help!", "HELP me") is one of the bot's gets the help text back, through the
 * outbox, from whichever of our numbers CALLR picks.
 */

export interface ReplySettings {
  /** Keywords answered, normalised as `message.keyword` is (upper case, no accents). */
  readonly keywords: readonly string[];
  readonly helpText: string;
}

/**
 * The outbox request that answers `message`, or why there is none. Its `requestId` is derived from
 * the message id alone, so however often the inbox delivers the message (at least once), the
 * outbox sends one answer: the sender sends at most one SMS per requestId.
 */
export type ReplyDecision =
  | { readonly reply: true; readonly request: OutboxRequest }
  | { readonly reply: false; readonly why: 'not_a_keyword' | 'sender_not_reachable' };

export const REPLY_REQUEST_ID_PREFIX = 'reply-bot:';

export function decideReply(message: InboundMessage, settings: ReplySettings): ReplyDecision {
  if (!message.keyword || !settings.keywords.includes(message.keyword)) return { reply: false, why: 'not_a_keyword' };
  const request = OutboxRequest.safeParse({
    requestId: `${REPLY_REQUEST_ID_PREFIX}${message.id}`,
    to: message.from,
    text: settings.helpText,
    // Comes back on the outcome, on statuses and on the answer's replies (inReplyTo): which MO this answered.
    userData: `${REPLY_REQUEST_ID_PREFIX}${message.id}`,
  });
  // An alphanumeric or short-code sender ("INFO", "36111") cannot be texted back: the outbox takes E.164 only.
  return request.success ? { reply: true, request: request.data } : { reply: false, why: 'sender_not_reachable' };
}
