import { parseKeyword } from '../functions/keywords/keyword';
import { canonicalMessageId, type InboundMessage } from '../functions/messages/inbound-message';
import {
  DEFAULT_LIST_LIMIT,
  getMessage,
  listMessagesByKeyword,
  listMessagesByRecipient,
  listMessagesBySender,
  listRecentMessages,
  type MessageTable,
} from '../functions/messages/message-store';
import { BY_KEYWORD_INDEX } from '../functions/messages/table-design';
import { requireIndexes } from '../functions/messages/table-indexes';
import { UsageError } from './errors';
import { oneLine, renderTable } from './format';
import { SIMULATED_RECIPIENTS } from './mo-generator';

/**
 * `callr-mo messages`: stored messages by sender, by recipient (and time range), or by SMS hash;
 * with none of these, the newest messages of a local pipeline (a full scan, refused on AWS).
 */

export type MessageSelector =
  | { readonly by: 'recent' }
  | { readonly by: 'from'; readonly from: string }
  /** `keyword`: normalised, as stored (parseKeyword). */
  | { readonly by: 'to'; readonly to: string; readonly keyword?: string; readonly since?: Date; readonly until?: Date }
  | { readonly by: 'hash'; readonly hash: string };

export interface MessagesFlags {
  readonly from?: string;
  readonly to?: string;
  readonly hash?: string;
  readonly keyword?: string;
  readonly since?: string;
  readonly until?: string;
}

/**
 * At most one of --from, --to, --hash (none: the newest); --since/--until, as ISO 8601 dates, and
 * --keyword only with --to.
 */
export function parseMessageSelector(flags: MessagesFlags): MessageSelector {
  const given = (['from', 'to', 'hash'] as const).filter((flag) => flags[flag] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --from, --to, --hash (got ${given.map((flag) => `--${flag}`).join(' and ')})`);
  if ((flags.since !== undefined || flags.until !== undefined) && flags.to === undefined) {
    throw new UsageError('--since and --until go with --to (a sender\'s messages are listed newest first, without a range)');
  }
  if (flags.keyword !== undefined && flags.to === undefined) {
    throw new UsageError('--keyword goes with --to: keywords are indexed per number of ours (--to <our number> --keyword <word>)');
  }
  const keyword = flags.keyword === undefined ? undefined : parseKeyword(flags.keyword);
  if (keyword === null) {
    throw new UsageError(`--keyword ${flags.keyword} is not one word: give the first word of the texts, e.g. --keyword vote (case, accents and punctuation do not matter)`);
  }
  for (const [flag, value] of [['--from', flags.from], ['--to', flags.to], ['--hash', flags.hash]] as const) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  }
  if (given.length === 0) return { by: 'recent' };
  if (flags.from !== undefined) return { by: 'from', from: flags.from.trim() };
  // Stored ids are the SMS id in upper case: a REST v2 `sid` (lower case) finds its message too.
  if (flags.hash !== undefined) return { by: 'hash', hash: canonicalMessageId(flags.hash.trim()) };
  const since = flags.since === undefined ? undefined : parseIsoDate('--since', flags.since);
  const until = flags.until === undefined ? undefined : parseIsoDate('--until', flags.until);
  if (since && until && since >= until) throw new UsageError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()})`);
  return { by: 'to', to: flags.to!.trim(), ...(keyword ? { keyword } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) };
}

// A date, or a date and time with an explicit zone: a bare local time would mean different things on different machines.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

function parseIsoDate(flag: string, value: string): Date {
  const date = new Date(value.trim());
  if (!ISO_8601.test(value.trim()) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag} ${value} is not an ISO 8601 date: use e.g. 2024-03-10 or 2024-03-10T08:15:00Z`);
  }
  return date;
}

/** Refuses what would scan a deployed table: its size, and so the cost of a scan, is unknown. */
export function checkSelectorForTarget(selector: MessageSelector, target: 'local' | 'aws'): void {
  if (selector.by === 'recent' && target === 'aws') {
    throw new UsageError(
      'a deployed table is not scanned: say which messages with --from <sender number>, --to <our number> ' +
        `(simulations go to ${SIMULATED_RECIPIENTS.join(', ')}), or --hash <sms hash>`,
    );
  }
}

/**
 * The messages a selector names, newest first (a hash names at most one). `onPartial` hears when
 * the newest-messages scan stopped at its bound, so the list may miss newer ones.
 */
export async function listMessages(
  table: MessageTable,
  selector: MessageSelector,
  limit = DEFAULT_LIST_LIMIT,
  onPartial: (note: string) => void = () => undefined,
): Promise<InboundMessage[]> {
  switch (selector.by) {
    case 'recent': {
      const { messages, complete } = await listRecentMessages(table, { limit });
      if (!complete) onPartial('the table holds more messages than one scan reads: newer ones may be missing; ask by --from, --to or --hash');
      return messages;
    }
    case 'from':
      return listMessagesBySender(table, { from: selector.from, limit });
    case 'to': {
      const query = { to: selector.to, since: selector.since, until: selector.until, limit };
      if (!selector.keyword) return listMessagesByRecipient(table, query);
      await requireIndexes(table, [BY_KEYWORD_INDEX], 'messages --keyword');
      return listMessagesByKeyword(table, { ...query, keyword: selector.keyword });
    }
    case 'hash': {
      const message = await getMessage(table, selector.hash);
      return message ? [message] : [];
    }
  }
}

export function formatMessages(messages: readonly InboundMessage[]): string {
  if (messages.length === 0) return 'no messages';
  return renderTable(
    ['received', 'from', 'to', 'id', 'via', 'parts', 'text'],
    messages.map((message) => [
      message.receivedAt.replace('.000Z', 'Z'),
      message.from,
      message.to,
      message.id,
      // Messages stored before `arrival` existed all came through the webhook.
      message.arrival ?? 'webhook',
      String(message.parts ?? ''),
      oneLine(message.text, 60),
    ]),
  );
}
