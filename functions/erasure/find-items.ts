import { BatchGetCommand, QueryCommand, type BatchGetCommandOutput, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { MessageTable } from '../messages/message-store';
import { recipientPartition, senderPartition } from '../messages/message-store';
import { outboundRecipientPartition } from '../messages/outbound-store';
import {
  BY_NUMBER_HASH_INDEX,
  BY_OUTBOUND_RECIPIENT_INDEX,
  BY_RECIPIENT_INDEX,
  BY_SENDER_INDEX,
  ITEM_KIND,
  OPT_OUT_KEY_PREFIX,
  OUTBOX_REQUEST_SORT_KEY,
  RECIPIENT_SHARDS,
  TABLE_KEYS,
} from '../messages/table-design';
import type { RetentionKind } from '../privacy/retention';
import { requireIndexes } from '../messages/table-indexes';
import { backOff, ErasureIncompleteError, MAX_BATCH_ATTEMPTS } from './errors';

/**
 * Every item of the table that holds one phone number, found through the indexes (never a scan:
 * the table can hold millions of messages). docs/table-design.md, "Erasure", lists what is asked:
 *
 * - inbound messages from the number (bySender) and to it (byRecipient, every shard);
 * - every item carrying the number's keyed hash (byNumberHash: inbound messages, statuses);
 * - outbound send records to the number (byOutboundRecipient), with the link item and the status
 *   of each SMS they sent (`sms#<hash>`, sk `outbound` and `status`).
 *
 * The keyword index holds entries of message items only; they go with them. Opt-out evidence
 * (`optout#<hash>`) is never returned: it holds the keyed hash only, and is what erasure keeps.
 */

export interface ItemRef {
  readonly pk: string;
  readonly sk: string;
  /** Which retention kind it is: what the audit counts. */
  readonly kind: RetentionKind;
}

export interface NumberToFind {
  /** As CALLR writes it (E.164 with its '+'), normalised (normaliseNumber). */
  readonly number: string;
  /** hashNumber(key, number). */
  readonly numberHash: string;
}

/** The item kind a key names, for the audit; undefined for what erasure must not touch. */
export function kindOfItem(key: { readonly pk: string; readonly sk: string }): RetentionKind | undefined {
  if (key.pk.startsWith(OPT_OUT_KEY_PREFIX.partition)) return undefined;
  if (key.sk === ITEM_KIND.message) return 'inboundMessages';
  if (key.sk === ITEM_KIND.status) return 'statuses';
  if (key.sk === ITEM_KIND.outbound || key.sk === OUTBOX_REQUEST_SORT_KEY) return 'outboundRecords';
  return undefined;
}

/** Throws a MissingIndexError, before anything is read, when the table lacks an index that finds part of them. */
export async function findItemsHoldingNumber(table: MessageTable, target: NumberToFind): Promise<ItemRef[]> {
  // An erasure that cannot ask every index would erase part and write an audit saying it was done.
  await requireIndexes(table, [BY_NUMBER_HASH_INDEX, BY_OUTBOUND_RECIPIENT_INDEX], 'erasure');
  const found = new Map<string, ItemRef>();
  const add = (key: { pk: string; sk: string }) => {
    const kind = kindOfItem(key);
    if (kind !== undefined) found.set(`${key.pk}\u0000${key.sk}`, { pk: key.pk, sk: key.sk, kind });
  };

  const keyQueries: Array<Promise<void>> = [
    queryKeys(table, BY_SENDER_INDEX.indexName, BY_SENDER_INDEX.partitionKey, senderPartition(target.number), add),
    queryKeys(table, BY_NUMBER_HASH_INDEX.indexName, BY_NUMBER_HASH_INDEX.partitionKey, target.numberHash, add),
    ...Array.from({ length: RECIPIENT_SHARDS }, (_, shard) =>
      queryKeys(table, BY_RECIPIENT_INDEX.indexName, BY_RECIPIENT_INDEX.partitionKey, recipientPartition(target.number, shard), add),
    ),
  ];
  // Send records name the SMS they sent: its link and status items hold the number too.
  const sentHashes: string[] = [];
  keyQueries.push(
    queryKeys(table, BY_OUTBOUND_RECIPIENT_INDEX.indexName, BY_OUTBOUND_RECIPIENT_INDEX.partitionKey, outboundRecipientPartition(target.number), (item) => {
      add(item);
      if (typeof item.hash === 'string') sentHashes.push(item.hash);
    }, ['hash']),
  );
  await Promise.all(keyQueries);

  const candidates = sentHashes.flatMap((hash) => [
    { pk: `sms#${hash}`, sk: ITEM_KIND.outbound },
    { pk: `sms#${hash}`, sk: ITEM_KIND.status },
  ]);
  for (const key of await existingKeys(table, candidates)) add(key);
  return [...found.values()].sort((a, b) => `${a.pk}#${a.sk}`.localeCompare(`${b.pk}#${b.sk}`));
}

type FoundKey = { pk: string; sk: string; hash?: unknown };

/** Every page of one index partition, keys only (and `extra` attributes the index projects). */
async function queryKeys(
  table: MessageTable,
  indexName: string,
  partitionKey: string,
  value: string,
  onItem: (item: FoundKey) => void,
  extra: readonly string[] = [],
): Promise<void> {
  const names: Record<string, string> = { '#partition': partitionKey, '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey };
  extra.forEach((attribute, index) => (names[`#extra${index}`] = attribute));
  let startKey: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#partition = :value',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':value': value },
        ProjectionExpression: ['#pk', '#sk', ...extra.map((_, index) => `#extra${index}`)].join(', '),
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) onItem(item as FoundKey);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Which of `keys` exist (BatchGetItem, 100 at a time, unprocessed keys asked again). */
async function existingKeys(table: MessageTable, keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<FoundKey[]> {
  const existing: FoundKey[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + 100).map((key) => ({ ...key }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new ErasureIncompleteError(`DynamoDB left ${pending.length} keys unread after ${MAX_BATCH_ATTEMPTS} attempts`);
      if (attempt > 0) await backOff(attempt);
      const answer: BatchGetCommandOutput = await table.documents.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: pending, ProjectionExpression: '#pk, #sk', ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' } } },
        }),
      );
      existing.push(...((answer.Responses?.[table.tableName] ?? []) as FoundKey[]));
      pending = answer.UnprocessedKeys?.[table.tableName]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return existing;
}
