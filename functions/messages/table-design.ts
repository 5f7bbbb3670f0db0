/**
 * The DynamoDB table's keys and indexes: the one definition that the CDK construct provisions,
 * local mode creates on the emulator, and the message store reads and writes. See
 * docs/table-design.md for the access patterns behind it.
 *
 * One table, two kinds of item under the SMS hash:
 *   pk = `sms#<hash>`, sk = `message`  an inbound SMS (MO)
 *   pk = `sms#<hash>`, sk = `status`   the latest delivery status of an outbound SMS (MT)
 *   pk = `sms#<hash>`, sk = `outbound` which outbox request an outbound SMS was sent for
 * and one per outbox request, under its requestId:
 *   pk = `outbox#<requestId>`, sk = `request`  the request's send record (claimed/sent/failed/unknown)
 * and the opt-outs, under the keyed hash of the sender's number (functions/optouts/registry.ts):
 *   pk = `optout#<number hash>`, sk = `to#<our number>`
 */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

export const ITEM_KIND = { message: 'message', status: 'status', outbound: 'outbound' } as const;

/** The sort key of an outbox request's send record (`pk = outbox#<requestId>`). */
export const OUTBOX_REQUEST_SORT_KEY = 'request';

/** Opt-out items: one per (sender, our number); the sender only as its keyed hash. */
export const OPT_OUT_KEY_PREFIX = { partition: 'optout#', sort: 'to#' } as const;

/** Attributes the store keeps beside the data (docs/table-design.md). */
export const ITEM_ATTRIBUTES = {
  /** The CALLR event as received, gzip. */
  raw: 'raw',
  /** Why `raw` is missing: `too_large` (the item would exceed DynamoDB's 400 KB with it). */
  rawOmitted: 'rawOmitted',
  /** Message items, while a forward is pending: `<ISO date taken>#<token of the attempt holding it>`. */
  forwardClaim: 'forwardClaim',
  /** Status items: the persist attempt that wrote the status. */
  writeToken: 'writeToken',
} as const;

/**
 * A recipient (one of our numbers or shortcodes) can receive thousands of MO per second in a TV
 * vote; one index partition takes about 1,000 writes per second. Messages to one recipient are
 * spread over this many index partitions by a suffix derived from the SMS hash, and a range query
 * asks all of them in parallel. 16 shards hold about 16,000 MO per second to a single recipient.
 * Changing it re-shards only new items: readers must query max(old, new) shards meanwhile.
 */
export const RECIPIENT_SHARDS = 16;

export interface IndexDesign {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Non-key attributes projected: only what the query answers need. */
  readonly projectedAttributes: readonly string[];
}

/** A sender's messages, newest first. */
export const BY_SENDER_INDEX: IndexDesign = {
  indexName: 'bySender',
  partitionKey: 'senderPk',
  sortKey: 'senderSk',
  projectedAttributes: ['message'],
};

/** Messages to one of our numbers in a time range (sharded, see RECIPIENT_SHARDS). */
export const BY_RECIPIENT_INDEX: IndexDesign = {
  indexName: 'byRecipient',
  partitionKey: 'recipientPk',
  sortKey: 'recipientSk',
  projectedAttributes: ['message'],
};

/**
 * SMS sent through the outbox to one number, newest first: what a reply from that number answers
 * (threading, `inReplyTo`). Sparse: only send records carry its keys, from the moment the request
 * is claimed (before CALLR is called), so that a reply can never beat the record it joins.
 */
export const BY_OUTBOUND_RECIPIENT_INDEX: IndexDesign = {
  indexName: 'byOutboundRecipient',
  partitionKey: 'outboxToPk',
  sortKey: 'outboxToSk',
  projectedAttributes: ['requestId', 'state', 'hash', 'from', 'userData', 'sentAt', 'claimedAt'],
};

/**
 * Messages to one of our numbers with one keyword (the first word of the text, normalised), in a
 * time range. Sharded like byRecipient and with the same shard: in a TV vote every MO to the
 * shortcode starts with the same keyword, so this partition is exactly as hot. Sparse: a text
 * without a keyword writes no entry.
 */
export const BY_KEYWORD_INDEX: IndexDesign = {
  indexName: 'byKeyword',
  partitionKey: 'keywordPk',
  sortKey: 'keywordSk',
  projectedAttributes: ['message'],
};

/**
 * Every item that holds a person's number (an inbound message: its sender; a status: its
 * recipient), by the keyed hash of that number (functions/privacy/number-hash.ts): how an erasure
 * finds what no other index reaches (statuses), without the index holding the number. Keys only;
 * the sort key (`<pk>#<sk>` of the item) only keeps entries distinct. Sparse: items written before
 * it existed carry no entry (an erasure then finds their messages by sender, not their statuses).
 */
export const BY_NUMBER_HASH_INDEX: IndexDesign = {
  indexName: 'byNumberHash',
  partitionKey: 'numberHash',
  sortKey: 'numberHashSk',
  projectedAttributes: [],
};

export const TABLE_INDEXES: readonly IndexDesign[] = [
  BY_SENDER_INDEX,
  BY_RECIPIENT_INDEX,
  BY_OUTBOUND_RECIPIENT_INDEX,
  BY_KEYWORD_INDEX,
  BY_NUMBER_HASH_INDEX,
];

/** The index entry of an item holding the number whose keyed hash is `numberHash`. */
export function numberHashKeys(item: { readonly pk: string; readonly sk: string }, numberHash: string): Record<string, string> {
  return { [BY_NUMBER_HASH_INDEX.partitionKey]: numberHash, [BY_NUMBER_HASH_INDEX.sortKey]: `${item.pk}#${item.sk}` };
}

/** Every key attribute of the table with these indexes (all strings). */
export function keyAttributes(indexes: readonly IndexDesign[] = TABLE_INDEXES): string[] {
  return [TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])];
}
