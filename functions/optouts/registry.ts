import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, rejectingPermanentErrors } from '../messages/errors';
import type { MessageTable } from '../messages/message-store';
import { OPT_OUT_KEY_PREFIX, TABLE_KEYS } from '../messages/table-design';
import { hashNumber, normaliseNumber } from '../privacy/number-hash';
import { EXPIRES_AT_ATTRIBUTE } from '../privacy/retention';
import type { OptOutAction } from './words';

/**
 * The opt-out registry (docs/table-design.md, "Opt-outs"): whether a sender asked not to receive
 * SMS from one of our numbers. One item per (sender, our number) holding only what the law needs
 * to prove the opposition: the keyed hash of the sender's number (functions/privacy/number-hash.ts),
 * the id of the MO that asked, its time and the word matched. No number in clear, no text: the
 * French data-protection authority (CNIL) has found opposition lists that kept more unlawful.
 *
 * A START does not delete the item, it turns it off: the latest MO by time wins, and a START that
 * arrives before an older STOP (SQS and CALLR deliver in any order) must still win over it.
 */

export interface OptOutChange {
  /** hashNumber(key, the MO's `from`). */
  readonly senderHash: string;
  /** The MO's `to`: the number of ours the sender wrote to. */
  readonly ourNumber: string;
  readonly action: OptOutAction;
  /** The stop or start word the whole text matched, normalised. */
  readonly word: string;
  /** The MO's id (SMS hash): the evidence, in the message store. */
  readonly messageId: string;
  /** The MO's receivedAt (ISO 8601 UTC): later wins. */
  readonly at: string;
  /**
   * The MO's event time (ISO 8601 UTC, milliseconds): decides between two MOs of the same
   * receivedAt, which CALLR gives to the second (a STOP and a START typed in one second).
   * @default `at`
   */
  readonly eventAt?: string;
  /** When the item expires (TTL, epoch seconds: retention.optOutEvidence); absent: kept until erased. */
  readonly expiresAt?: number;
}

export interface OptOutRecord {
  readonly ourNumber: string;
  readonly optedOut: boolean;
  readonly word: string;
  readonly messageId: string;
  readonly at: string;
  readonly eventAt?: string;
}

const ATTRIBUTES = { optedOut: 'optedOut', word: 'word', messageId: 'messageId', at: 'at', eventAt: 'eventAt' } as const;

function optOutKey(senderHash: string, ourNumber: string): Record<string, string> {
  return {
    [TABLE_KEYS.partitionKey]: `${OPT_OUT_KEY_PREFIX.partition}${senderHash}`,
    [TABLE_KEYS.sortKey]: `${OPT_OUT_KEY_PREFIX.sort}${normaliseNumber(ourNumber)}`,
  };
}

/**
 * Applies a STOP or a START unless the registry holds a later one for the pair. `changed: false`
 * when it holds a later MO's, or this very MO's (a redelivery, or the same SMS through the other
 * webhook): applying is idempotent, so each MO changes the registry at most once, whatever the
 * deliveries. Ties on time go to the greater MO id, so every order of arrival ends the same.
 * Throttling and network errors propagate; a write DynamoDB refuses for good is an ItemRejectedError.
 */
export async function applyOptOutChange(table: MessageTable, change: OptOutChange): Promise<{ changed: boolean }> {
  const eventAt = change.eventAt ?? change.at;
  try {
    await rejectingPermanentErrors(() =>
      table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...optOutKey(change.senderHash, change.ourNumber),
            [ATTRIBUTES.optedOut]: change.action === 'stop',
            [ATTRIBUTES.word]: change.word,
            [ATTRIBUTES.messageId]: change.messageId,
            [ATTRIBUTES.at]: change.at,
            [ATTRIBUTES.eventAt]: eventAt,
            ...(change.expiresAt === undefined ? {} : { [EXPIRES_AT_ATTRIBUTE]: change.expiresAt }),
          },
          // Later receivedAt wins; on the same receivedAt (CALLR gives seconds), the later event time;
          // then the greater MO id, so that every order of arrival ends the same.
          ConditionExpression:
            'attribute_not_exists(#pk) OR #at < :at OR (#at = :at AND (attribute_not_exists(#eventAt) OR #eventAt < :eventAt OR ' +
            '(#eventAt = :eventAt AND #messageId < :messageId)))',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#at': ATTRIBUTES.at, '#eventAt': ATTRIBUTES.eventAt, '#messageId': ATTRIBUTES.messageId },
          ExpressionAttributeValues: { ':at': change.at, ':eventAt': eventAt, ':messageId': change.messageId },
        }),
      ),
    );
    return { changed: true };
  } catch (error) {
    if (isConditionalCheckFailed(error)) return { changed: false };
    throw error;
  }
}

/** What the registry holds for a sender's hash: one record per number of ours it wrote STOP or START to. */
export async function getOptOutRecords(table: MessageTable, senderHash: string): Promise<OptOutRecord[]> {
  const records: OptOutRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':pk': `${OPT_OUT_KEY_PREFIX.partition}${senderHash}` },
        // Read right after a STOP, a check must see it.
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) records.push(toRecord(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

async function getOptOutRecord(table: MessageTable, senderHash: string, ourNumber: string): Promise<OptOutRecord | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: optOutKey(senderHash, ourNumber), ConsistentRead: true }),
  );
  return Item ? toRecord(Item) : undefined;
}

function toRecord(item: Record<string, unknown>): OptOutRecord {
  return {
    ourNumber: String(item[TABLE_KEYS.sortKey]).slice(OPT_OUT_KEY_PREFIX.sort.length),
    optedOut: item[ATTRIBUTES.optedOut] === true,
    word: item[ATTRIBUTES.word] as string,
    messageId: item[ATTRIBUTES.messageId] as string,
    at: item[ATTRIBUTES.at] as string,
    ...(typeof item[ATTRIBUTES.eventAt] === 'string' ? { eventAt: item[ATTRIBUTES.eventAt] as string } : {}),
  };
}

export interface OptOutQuery {
  /**
   * The number of ours that would send. Without it, the answer is whether the number opted out
   * from ANY of our numbers: an SMS sent with an empty sender leaves CALLR to pick the number it
   * goes from, so only that answer is safe for it.
   */
  readonly ourNumber?: string;
}

/** Whether `number` asked not to receive our SMS (from `ourNumber`, or from any of ours). */
export async function isOptedOut(table: MessageTable, key: Uint8Array, number: string, query: OptOutQuery = {}): Promise<boolean> {
  const senderHash = hashNumber(key, number);
  if (query.ourNumber !== undefined) return (await getOptOutRecord(table, senderHash, query.ourNumber))?.optedOut ?? false;
  return (await getOptOutRecords(table, senderHash)).some((record) => record.optedOut);
}

/** What the sender of outbound SMS is given (it sends with an empty sender: any of our numbers counts). */
export interface OptOutChecker {
  isOptedOut(to: string): Promise<boolean>;
}

/** The checker over the table; the key loaded when first needed (and kept by its loader). */
export function createOptOutChecker(deps: { readonly table: MessageTable; readonly key: () => Promise<Uint8Array> }): OptOutChecker {
  return { isOptedOut: async (to) => isOptedOut(deps.table, await deps.key(), to) };
}
