import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { parseKeyword } from '../keywords/keyword';
import type { InboundMessage } from './inbound-message';
import { InvalidQueryError, MessageStoreConsistencyError, isConditionalCheckFailed, rejectingPermanentErrors } from './errors';
import { fitToItemLimit, type RawOmitted } from './item-size';
import { EXPIRES_AT_ATTRIBUTE } from '../privacy/retention';
import { recipientShard } from './recipient-shard';
import {
  BY_KEYWORD_INDEX,
  BY_RECIPIENT_INDEX,
  BY_SENDER_INDEX,
  ITEM_ATTRIBUTES,
  ITEM_KIND,
  RECIPIENT_SHARDS,
  TABLE_KEYS,
  type IndexDesign,
} from './table-design';
import { numberHashKeys } from './table-design';

/**
 * The inbound-message half of the table (docs/table-design.md): one item per CALLR SMS hash,
 * written once, read by hash, by sender and by recipient. Clients are passed in; nothing here
 * knows whether it talks to DynamoDB or to the local emulator.
 */

export interface MessageTable {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
}

export type ItemKind = (typeof ITEM_KIND)[keyof typeof ITEM_KIND];

export function itemKey(smsHash: string, kind: ItemKind): Record<string, string> {
  return { [TABLE_KEYS.partitionKey]: `sms#${smsHash}`, [TABLE_KEYS.sortKey]: kind };
}

export const senderPartition = (from: string): string => `from#${from}`;
export const recipientPartition = (to: string, shard: number): string => `to#${to}#${shard}`;
/** A keyword holds only letters and digits (functions/keywords/keyword.ts), never the `#` that separates. */
export const keywordPartition = (to: string, keyword: string, shard: number): string => `kw#${to}#${keyword}#${shard}`;
/** Sorts by arrival, then by hash so two messages of the same second keep distinct keys. */
const timeOrderedKey = (message: InboundMessage): string => `${message.receivedAt}#${message.id}`;

/**
 * The stored item of an inbound SMS (docs/table-design.md): the message, the raw event gzip-compressed
 * (kept for audit and replay at a fraction of its size in write units), the `event_id` of the
 * delivery that stored it (its redelivery may still have to forward it) and the index keys.
 * `forwardedAt` is added once the message is on the inbox queue; until then the item also holds
 * the forward claim (`forwardClaim`, see claimForward).
 */
export function toMessageItem(message: InboundMessage, rawEvent: Uint8Array, eventId: string): Record<string, unknown> {
  return {
    ...itemKey(message.id, ITEM_KIND.message),
    message,
    [ITEM_ATTRIBUTES.raw]: gzipSync(rawEvent),
    createdByEventId: eventId,
    [BY_SENDER_INDEX.partitionKey]: senderPartition(message.from),
    [BY_SENDER_INDEX.sortKey]: timeOrderedKey(message),
    [BY_RECIPIENT_INDEX.partitionKey]: recipientPartition(message.to, recipientShard(message.id)),
    [BY_RECIPIENT_INDEX.sortKey]: timeOrderedKey(message),
    ...(message.keyword
      ? {
          [BY_KEYWORD_INDEX.partitionKey]: keywordPartition(message.to, message.keyword, recipientShard(message.id)),
          [BY_KEYWORD_INDEX.sortKey]: timeOrderedKey(message),
        }
      : {}),
  };
}

/** What a duplicate put found already stored. */
export interface StoredMessageState {
  readonly message: InboundMessage;
  readonly createdByEventId: string;
  readonly forwardedAt: string | null;
}

export type PutMessageResult =
  /** `rawOmitted`: stored without the raw copy, which would have taken the item past 400 KB. */
  | { readonly stored: true; readonly rawOmitted?: RawOmitted }
  | { readonly stored: false; readonly reason: 'duplicate'; readonly existing: StoredMessageState };

/**
 * A forward claim: whose it is, and since when. The token is unique to one persist attempt (a
 * random id per processing of a record), so a claim equal to ours is ours even when two copies
 * run in the same millisecond, and a write of ours whose answer was lost (DynamoDB committed it,
 * then a 500 or a reset connection; the SDK sends it again) is recognised by its retry as our
 * own rather than as somebody else's.
 */
export interface ForwardClaim {
  readonly token: string;
  /** When it was taken: after FORWARD_CLAIM_STALE_AFTER_MS another copy may take it over. */
  readonly at: Date;
}

export interface PutMessageInput {
  readonly message: InboundMessage;
  /** The CALLR event exactly as received. */
  readonly rawEvent: Uint8Array;
  readonly eventId: string;
  /** The creator's claim on the forward: a new item is stored already claimed (see claimForward). */
  readonly claim: ForwardClaim;
  /** When the item expires (TTL, epoch seconds: functions/privacy/retention.ts); absent: kept until erased. */
  readonly expiresAt?: number;
  /** Keyed hash of the sender's number: the item's entry in the byNumberHash index (erasure). */
  readonly senderHash?: string;
}

/** The attribute that holds the forward claim while a forward is pending. */
const FORWARD_CLAIM = ITEM_ATTRIBUTES.forwardClaim;

/**
 * The stored claim: `<ISO date it was taken>#<token>`. One attribute, not two, so that a pending
 * forward keeps an ordinary message within one write unit; the date in front makes string order
 * time order, so `claim < :staleBefore` (a bare ISO date) tells a stale claim, and equality tells
 * ours.
 */
export const forwardClaimValue = (claim: ForwardClaim): string => `${claim.at.toISOString()}#${claim.token}`;

/**
 * Stores a message unless its SMS hash is already stored, claimed for forwarding by its creator, so
 * that no copy of the same event can forward it in between. A duplicate is an answer, not an error;
 * throttling and network errors propagate.
 *
 * The condition also holds for an item that carries our own claim: that is this very put,
 * committed once already, whose answer was lost and which the SDK is sending again. The retry then
 * writes the same item again and answers `stored`, where it would otherwise report a duplicate of
 * itself and leave the message stored, claimed, and never forwarded.
 *
 * An item that would exceed DynamoDB's 400 KB is stored without its raw copy (`rawOmitted`); one
 * that cannot be stored at all, or that DynamoDB refuses as invalid, throws ItemRejectedError.
 */
export async function putMessageOnce(table: MessageTable, input: PutMessageInput): Promise<PutMessageResult> {
  const { item, rawOmitted } = fitToItemLimit(
    {
      ...toMessageItem(input.message, input.rawEvent, input.eventId),
      [FORWARD_CLAIM]: forwardClaimValue(input.claim),
      ...(input.expiresAt === undefined ? {} : { [EXPIRES_AT_ATTRIBUTE]: input.expiresAt }),
      ...(input.senderHash === undefined ? {} : numberHashKeys({ pk: `sms#${input.message.id}`, sk: ITEM_KIND.message }, input.senderHash)),
    },
    `message ${input.message.id}`,
  );
  try {
    await rejectingPermanentErrors(() =>
      table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk) OR #claim = :claim',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#claim': FORWARD_CLAIM },
          ExpressionAttributeValues: { ':claim': forwardClaimValue(input.claim) },
        }),
      ),
    );
    return rawOmitted ? { stored: true, rawOmitted } : { stored: true };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  // ReturnValuesOnConditionCheckFailure would save this read, but dynalite ignores it, and
  // duplicates are the rare path: one strongly consistent read keeps a single, tested code path.
  const existing = await readMessageState(table, input.message.id);
  if (!existing) {
    throw new MessageStoreConsistencyError(`message ${input.message.id} was a duplicate but is no longer stored`);
  }
  return { stored: false, reason: 'duplicate', existing };
}

async function readMessageState(table: MessageTable, smsHash: string): Promise<StoredMessageState | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: itemKey(smsHash, ITEM_KIND.message),
      ConsistentRead: true,
      ProjectionExpression: '#message, #createdBy, #forwardedAt',
      ExpressionAttributeNames: { '#message': 'message', '#createdBy': 'createdByEventId', '#forwardedAt': 'forwardedAt' },
    }),
  );
  if (!Item) return undefined;
  return {
    message: Item.message as InboundMessage,
    createdByEventId: Item.createdByEventId as string,
    forwardedAt: (Item.forwardedAt as string | undefined) ?? null,
  };
}

export interface ForwardClaimInput {
  readonly claim: ForwardClaim;
  /** A claim taken before this is abandoned (its holder died) and may be taken over. */
  readonly staleBefore: Date;
}

/**
 * Claims the forward of a stored message that is not forwarded yet: true when this caller now holds
 * it and must forward; false when it is forwarded, claimed by a live forwarder, or not stored.
 * One conditional write, so of two concurrent callers exactly one wins. A claim that already
 * carries our token is ours (this same claim, whose answer was lost), and claiming it again
 * succeeds. Throttling and network errors propagate.
 */
export async function claimForward(table: MessageTable, smsHash: string, input: ForwardClaimInput): Promise<boolean> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKey(smsHash, ITEM_KIND.message),
        UpdateExpression: 'SET #claim = :claim',
        // attribute_exists(pk): on a missing item the rest holds, and the update would create one.
        ConditionExpression:
          'attribute_exists(#pk) AND attribute_not_exists(#forwardedAt) AND ' +
          '(attribute_not_exists(#claim) OR #claim < :staleBefore OR #claim = :claim)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#forwardedAt': 'forwardedAt', '#claim': FORWARD_CLAIM },
        ExpressionAttributeValues: { ':claim': forwardClaimValue(input.claim), ':staleBefore': input.staleBefore.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/**
 * Gives back our claim after a failed forward, so that the next delivery may forward at once rather
 * than after the claim goes stale. True when the item is left with no claim: ours is released (by
 * this call, or by its own earlier attempt whose answer was lost), or it was gone already (the
 * message was forwarded meanwhile). False when another copy holds a claim (it took ours over), or
 * the message is not stored.
 */
export async function releaseForwardClaim(table: MessageTable, smsHash: string, claim: ForwardClaim): Promise<boolean> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKey(smsHash, ITEM_KIND.message),
        UpdateExpression: 'REMOVE #claim',
        ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#claim) OR #claim = :claim)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#claim': FORWARD_CLAIM },
        ExpressionAttributeValues: { ':claim': forwardClaimValue(claim) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/**
 * Records that the message was handed to the inbox queue; the claim, no longer needed, goes. Its
 * condition (the item exists) holds again on a retry after a lost answer, which writes the same.
 */
export async function markMessageForwarded(table: MessageTable, smsHash: string, at: Date): Promise<void> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKey(smsHash, ITEM_KIND.message),
        UpdateExpression: 'SET #forwardedAt = :at REMOVE #claim',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#forwardedAt': 'forwardedAt', '#claim': FORWARD_CLAIM, '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':at': at.toISOString() },
      }),
    );
  } catch (error) {
    // Without the condition, an update would create a bare item with only keys and forwardedAt.
    if (isConditionalCheckFailed(error)) {
      throw new MessageStoreConsistencyError(`message ${smsHash} vanished before it could be marked forwarded`, {
        cause: error,
      });
    }
    throw error;
  }
}

export async function getMessage(table: MessageTable, smsHash: string): Promise<InboundMessage | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: itemKey(smsHash, ITEM_KIND.message),
      ProjectionExpression: '#message',
      ExpressionAttributeNames: { '#message': 'message' },
    }),
  );
  return Item?.message as InboundMessage | undefined;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_KEYS = 100;
/** Rounds of UnprocessedKeys (throttling) before giving up: the SDK's own retries come first. */
const BATCH_GET_ROUNDS = 5;

/**
 * Which of these message ids (canonical SMS hashes) are stored, in calls of 100 keys reading the
 * key only. Keys DynamoDB leaves unprocessed are asked again; still unprocessed after a few rounds,
 * the read throws, so that a caller never takes "not read" for "not stored".
 */
export async function findStoredMessageIds(table: MessageTable, messageIds: readonly string[]): Promise<Set<string>> {
  const stored = new Set<string>();
  const unique = [...new Set(messageIds)];
  for (let start = 0; start < unique.length; start += BATCH_GET_KEYS) {
    let keys: Array<Record<string, unknown>> = unique.slice(start, start + BATCH_GET_KEYS).map((id) => itemKey(id, ITEM_KIND.message));
    for (let round = 1; keys.length > 0; round++) {
      if (round > BATCH_GET_ROUNDS) throw new Error(`DynamoDB left ${keys.length} keys of ${table.tableName} unread after ${BATCH_GET_ROUNDS} rounds`);
      const answer = await table.documents.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: keys, ProjectionExpression: '#pk', ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey } } },
        }),
      );
      for (const item of answer.Responses?.[table.tableName] ?? []) stored.add(String(item[TABLE_KEYS.partitionKey]).replace(/^sms#/, ''));
      keys = answer.UnprocessedKeys?.[table.tableName]?.Keys ?? [];
    }
  }
  return stored;
}

/**
 * The raw CALLR event stored with a message or a status, byte for byte as CALLR posted it;
 * undefined when nothing is stored, or when it was stored without it (`rawOmitted`).
 */
export async function getRawEvent(table: MessageTable, smsHash: string, kind: ItemKind): Promise<Buffer | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: itemKey(smsHash, kind),
      ProjectionExpression: '#raw',
      ExpressionAttributeNames: { '#raw': ITEM_ATTRIBUTES.raw },
    }),
  );
  const raw = Item?.[ITEM_ATTRIBUTES.raw] as Uint8Array | undefined;
  return raw ? gunzipSync(raw) : undefined;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

export interface SenderQuery {
  readonly from: string;
  /** At most this many messages (default 50, at most 1000). */
  readonly limit?: number;
}

/** A sender's messages, newest first. */
export async function listMessagesBySender(table: MessageTable, query: SenderQuery): Promise<InboundMessage[]> {
  const limit = checkLimit(query.limit);
  if (!query.from) throw new InvalidQueryError('from must not be empty');
  return queryIndexNewestFirst(table, limit, {
    IndexName: BY_SENDER_INDEX.indexName,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': BY_SENDER_INDEX.partitionKey },
    ExpressionAttributeValues: { ':pk': senderPartition(query.from) },
  });
}

export interface RecipientQuery {
  readonly to: string;
  /** Received at or after (inclusive). */
  readonly since?: Date;
  /** Received before (exclusive). */
  readonly until?: Date;
  /** At most this many messages (default 50, at most 1000). */
  readonly limit?: number;
  /**
   * Shards to ask; defaults to RECIPIENT_SHARDS. While a change of the shard count rolls out,
   * pass the larger of the old and new counts.
   */
  readonly shards?: number;
}

/**
 * Messages received on one of our numbers in a time range, newest first. Asks every shard of the
 * recipient index in parallel and merges their answers.
 */
export async function listMessagesByRecipient(table: MessageTable, query: RecipientQuery): Promise<InboundMessage[]> {
  if (!query.to) throw new InvalidQueryError('to must not be empty');
  return queryShardsNewestFirst(table, query, BY_RECIPIENT_INDEX, (shard) => recipientPartition(query.to, shard));
}

export interface KeywordQuery extends RecipientQuery {
  /** A keyword as stored: normalised (parseKeyword / keywordOf in functions/keywords/keyword.ts). */
  readonly keyword: string;
}

/**
 * Messages received on one of our numbers whose keyword (first word, normalised) is `keyword`, in
 * a time range, newest first: every shard of the keyword index in parallel, merged.
 */
export async function listMessagesByKeyword(table: MessageTable, query: KeywordQuery): Promise<InboundMessage[]> {
  if (!query.to) throw new InvalidQueryError('to must not be empty');
  if (parseKeyword(query.keyword) !== query.keyword) {
    throw new InvalidQueryError(`keyword must be one normalised word (upper-case letters and digits), got "${query.keyword}"`);
  }
  return queryShardsNewestFirst(table, query, BY_KEYWORD_INDEX, (shard) => keywordPartition(query.to, query.keyword, shard));
}

/** The sharded indexes (byRecipient, byKeyword): every shard asked in parallel, answers merged newest first. */
async function queryShardsNewestFirst(
  table: MessageTable,
  query: RecipientQuery,
  index: IndexDesign,
  partition: (shard: number) => string,
): Promise<InboundMessage[]> {
  const limit = checkLimit(query.limit);
  const shards = query.shards ?? RECIPIENT_SHARDS;
  if (!Number.isInteger(shards) || shards < 1) throw new InvalidQueryError(`shards must be a positive integer, got ${shards}`);
  const range = timeRangeCondition(index.sortKey, query.since, query.until);

  const perShard = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      queryIndexNewestFirst(table, limit, {
        IndexName: index.indexName,
        KeyConditionExpression: `#pk = :pk${range.condition}`,
        ExpressionAttributeNames: { '#pk': index.partitionKey, ...range.names },
        ExpressionAttributeValues: { ':pk': partition(shard), ...range.values },
      }),
    ),
  );
  return perShard
    .flat()
    .sort((a, b) => compareDescending(timeOrderedKey(a), timeOrderedKey(b)))
    .slice(0, limit);
}

interface RangeCondition {
  readonly condition: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, string>;
}

/**
 * Sort keys are `<receivedAt>#<hash>`, so the bare ISO date sorts just before every key of that
 * instant: `>= since` includes it, and `BETWEEN since AND until` excludes `until` itself.
 */
function timeRangeCondition(sortKey: string, since: Date | undefined, until: Date | undefined): RangeCondition {
  const names = { '#sk': sortKey };
  const sinceIso = since && isoOf('since', since);
  const untilIso = until && isoOf('until', until);
  if (sinceIso && untilIso) {
    if (sinceIso >= untilIso) throw new InvalidQueryError(`since (${sinceIso}) must be before until (${untilIso})`);
    return { condition: ' AND #sk BETWEEN :since AND :until', names, values: { ':since': sinceIso, ':until': untilIso } };
  }
  if (sinceIso) return { condition: ' AND #sk >= :since', names, values: { ':since': sinceIso } };
  if (untilIso) return { condition: ' AND #sk < :until', names, values: { ':until': untilIso } };
  return { condition: '', names: {}, values: {} };
}

function isoOf(name: string, date: Date): string {
  if (Number.isNaN(date.getTime())) throw new InvalidQueryError(`${name} is not a valid date`);
  return date.toISOString();
}

export interface RecentQuery {
  /** At most this many messages (default 50, at most 1000). */
  readonly limit?: number;
  /** Stop scanning after this many items, for a bounded cost. @default 10_000 */
  readonly maxScannedItems?: number;
}

/**
 * The newest messages whoever sent them, by scanning the whole table: no index serves "everything,
 * newest first" without a hot partition (see docs/table-design.md). Meant for local mode and small
 * tables; `complete` is false when the scan stopped at `maxScannedItems`.
 */
export async function listRecentMessages(
  table: MessageTable,
  query: RecentQuery = {},
): Promise<{ messages: InboundMessage[]; complete: boolean }> {
  const limit = checkLimit(query.limit);
  const maxScannedItems = query.maxScannedItems ?? 10_000;
  const messages: InboundMessage[] = [];
  let scanned = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression: '#sk = :message',
        ProjectionExpression: '#message',
        ExpressionAttributeNames: { '#sk': TABLE_KEYS.sortKey, '#message': 'message' },
        ExpressionAttributeValues: { ':message': ITEM_KIND.message },
        // Pages never read past the bound (Limit counts items scanned, before the filter).
        Limit: maxScannedItems - scanned,
        ExclusiveStartKey: startKey,
      }),
    );
    scanned += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) messages.push(item.message as InboundMessage);
    startKey = page.LastEvaluatedKey;
  } while (startKey && scanned < maxScannedItems);
  messages.sort((a, b) => compareDescending(timeOrderedKey(a), timeOrderedKey(b)));
  return { messages: messages.slice(0, limit), complete: startKey === undefined };
}

function checkLimit(limit: number | undefined): number {
  const value = limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIST_LIMIT) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
  }
  return value;
}

async function queryIndexNewestFirst(
  table: MessageTable,
  limit: number,
  query: Pick<QueryCommandInput, 'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
): Promise<InboundMessage[]> {
  const messages: InboundMessage[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        ...query,
        ScanIndexForward: false,
        Limit: limit - messages.length,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) messages.push(item.message as InboundMessage);
    startKey = page.LastEvaluatedKey;
  } while (startKey && messages.length < limit);
  return messages;
}

const compareDescending = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);
