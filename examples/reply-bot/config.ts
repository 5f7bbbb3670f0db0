import { parseKeyword } from '../../functions/keywords/keyword';
import { MAX_OUTBOX_TEXT_LENGTH } from '../../functions/outbox/request';
import type { ReplySettings } from './reply';

/** The reply bot's configuration, read from its environment once at cold start; every problem at once. */
export interface ReplyBotConfig extends ReplySettings {
  /** Where the answers go: the outbox queue of callr-inbound-sms. */
  readonly outboxQueueUrl: string;
}

/** Its Powertools service name (logs and metrics). */
export const REPLY_BOT_SERVICE_NAME = 'callr-reply-bot';

export const DEFAULT_HELP_TEXT = 'Reply STOP to stop receiving our messages, START to receive them again.';
export const DEFAULT_REPLY_KEYWORDS: readonly string[] = ['HELP', 'AIDE'];

export class ReplyBotConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid reply bot configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ReplyBotConfigError';
  }
}

export function loadReplyBotConfig(env: Readonly<Record<string, string | undefined>>): ReplyBotConfig {
  const problems: string[] = [];
  const outboxQueueUrl = env.OUTBOX_QUEUE_URL?.trim() ?? '';
  if (!URL.canParse(outboxQueueUrl) || !/^https?:$/.test(new URL(outboxQueueUrl).protocol)) {
    problems.push(`OUTBOX_QUEUE_URL must be the http(s) URL of the outbox queue (the stack's OutboxQueueUrl); got "${outboxQueueUrl}".`);
  }
  const helpText = env.REPLY_BOT_HELP_TEXT?.trim() || DEFAULT_HELP_TEXT;
  if (helpText.length > MAX_OUTBOX_TEXT_LENGTH) {
    problems.push(`REPLY_BOT_HELP_TEXT is ${helpText.length} characters; the outbox takes at most ${MAX_OUTBOX_TEXT_LENGTH}.`);
  }
  const given = env.REPLY_BOT_KEYWORDS?.split(',').filter((word) => word.trim() !== '');
  const keywords = (given && given.length > 0 ? given : DEFAULT_REPLY_KEYWORDS).map((word) => [word, parseKeyword(word)] as const);
  for (const [word, keyword] of keywords) {
    if (keyword === null) problems.push(`REPLY_BOT_KEYWORDS: "${word}" is not one word (comma-separated words, e.g. "HELP,AIDE").`);
  }
  if (problems.length > 0) throw new ReplyBotConfigError(problems);
  return { outboxQueueUrl, helpText, keywords: keywords.map(([, keyword]) => keyword!) };
}
