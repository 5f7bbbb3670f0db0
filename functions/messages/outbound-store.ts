import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboxRequest } from '../outbox/request';
import type { SendFailureReason } from '../outbox/outcome';
import { MessageStoreConsistencyError, isConditionalCheckFailed, rejectingPermanentErrors } from './errors';
import { itemKey, type MessageTable } from './message-store';
import { BY_OUTBOUND_RECIPIENT_INDEX, ITEM_KIND, OUTBOX_REQUEST_SORT_KEY, TABLE_KEYS } from './table-design';
import { EXPIRES_AT_ATTRIBUTE } from '../privacy/retention';

/**
 * The outbound half of the table (docs/table-design.md): one send record per outbox request, keyed
 * on its requestId, that makes the sender send at most once.
 *
 *   claimed ──CALLR answered with a hash──▶ sent
 *      │  └──CALLR refused / opted out────▶ failed
 *      └──the answer was lost─────────────▶ unknown ──found in CALLR's listing──▶ sent
 *                                                   └─not listed, long after────▶ failed (not_sent)
 *
 * The record is claimed before CALLR is called. Whoever finds a record already there never calls
 * CALLR: it finishes what the record says (publishes a missing outcome, resolves an unknown).
 * Once sent, a link item under the SMS hash (`sms#<HASH>`, sk `outbound`) says which request the
 * SMS belongs to, for its statuses; the record's `outboxToPk`/`outboxToSk` keys (index
 * byOutboundRecipient) find the latest SMS sent to a number, for the replies.
 */

export const OUTBOUND_STATES = ['claimed', 'sent', 'failed', 'unknown'] as const;
export type OutboundState = (typeof OUTBOUND_STATES)[number];

export interface OutboundRecord {
  readonly requestId: string;
  readonly to: string;
  readonly userData: string | null;
  readonly nature: string | null;
  /** SHA-256 of the text (base64url): tells the SMS apart in CALLR's listing without keeping the text. */
  readonly textDigest: string;
  readonly state: OutboundState;
  readonly claimedAt: string;
  /** The sender attempt that claimed it (random): its own retry after a lost answer recognises itself. */
  readonly claimToken: string;
  /** CALLR SMS hash, upper case; once sent. */
  readonly hash?: string;
  /** The number or shortcode CALLR sent it from, once known (CALLR's listing, or a status). */
  readonly from?: string;
  readonly sentAt?: string;
  readonly confirmedBy?: 'answer' | 'lookup';
  readonly failureReason?: SendFailureReason;
  readonly failureDetail?: string;
  readonly failedAt?: string;
  /** When the answer to the send was found lost. */
  readonly unknownSince?: string;
  /** When the outcome (`sms.sent` / `sms.send_failed`) was put on the inbox; absent until then. */
  readonly outcomePublishedAt?: string;
}

/** Key of a request's send record. */
export function outboxRequestKey(requestId: string): Record<string, string> {
  return { [TABLE_KEYS.partitionKey]: `outbox#${requestId}`, [TABLE_KEYS.sortKey]: OUTBOX_REQUEST_SORT_KEY };
}

/** Digits only: CALLR writes a reply's sender with or without `+`, the request had it in E.164. */
export const outboundRecipientPartition = (to: string): string => `outbox-to#${to.replace(/[^0-9]/g, '')}`;

export function textDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

export type ClaimResult =
  | { readonly claimed: true; readonly record: OutboundRecord }
  /** Somebody (an earlier delivery of the request) holds it: never call CALLR for it. */
  | { readonly claimed: false; readonly existing: OutboundRecord };

/**
 * Claims a request before anything is sent. One conditional put: of two deliveries of the same
 * request, exactly one claims it. Our own claim, committed once but whose answer was lost, is
 * recognised by its token and claimed again. Throttling and network errors propagate.
 */
export async function claimOutboundRequest(
  table: MessageTable,
  input: {
    readonly request: OutboxRequest;
    readonly token: string;
    readonly at: Date;
    /** TTL of the send record (epoch seconds, `expiresAtFor('outboundRecords', …)`); none by default. */
    readonly expiresAt?: number;
  },
): Promise<ClaimResult> {
  const { request } = input;
  const claimedAt = input.at.toISOString();
  const record: OutboundRecord = {
    requestId: request.requestId,
    to: request.to,
    userData: request.userData ?? null,
    nature: request.nature ?? null,
    textDigest: textDigest(request.text),
    state: 'claimed',
    claimedAt,
    claimToken: input.token,
  };
  try {
    await rejectingPermanentErrors(() =>
      table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...outboxRequestKey(request.requestId),
            ...record,
            [BY_OUTBOUND_RECIPIENT_INDEX.partitionKey]: outboundRecipientPartition(request.to),
            [BY_OUTBOUND_RECIPIENT_INDEX.sortKey]: `${claimedAt}#${request.requestId}`,
            ...(input.expiresAt !== undefined ? { [EXPIRES_AT_ATTRIBUTE]: input.expiresAt } : {}),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR (#token = :token AND #state = :claimed)',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#token': 'claimToken', '#state': 'state' },
          ExpressionAttributeValues: { ':token': input.token, ':claimed': 'claimed' },
        }),
      ),
    );
    return { claimed: true, record };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  const existing = await getOutboundRecord(table, request.requestId);
  if (!existing) throw new MessageStoreConsistencyError(`outbox request ${request.requestId} was claimed but is no longer stored`);
  return { claimed: false, existing };
}

/** A request's send record, strongly consistent (the sender decides on it). */
export async function getOutboundRecord(table: MessageTable, requestId: string): Promise<OutboundRecord | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: outboxRequestKey(requestId), ConsistentRead: true }),
  );
  return Item ? toRecord(Item) : undefined;
}

/**
 * Records the SMS hash CALLR gave (or that its listing showed). Allowed from `claimed` and
 * `unknown`, and again with the same hash (a retry after a lost answer); refused otherwise, since a
 * request has one SMS: a different hash for a sent request, or a hash for a failed one, throws.
 */
export async function recordSent(
  table: MessageTable,
  requestId: string,
  sent: { readonly hash: string; readonly at: Date; readonly confirmedBy: 'answer' | 'lookup'; readonly from?: string },
): Promise<OutboundRecord> {
  const hash = sent.hash.toUpperCase();
  try {
    const { Attributes } = await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: outboxRequestKey(requestId),
        UpdateExpression: `SET #state = :sent, #hash = :hash, #sentAt = if_not_exists(#sentAt, :at), #confirmedBy = if_not_exists(#confirmedBy, :confirmedBy)${
          sent.from ? ', #from = :from' : ''
        }`,
        ConditionExpression: '#state IN (:claimed, :unknown) OR (#state = :sent AND #hash = :hash)',
        ExpressionAttributeNames: {
          '#state': 'state',
          '#hash': 'hash',
          '#sentAt': 'sentAt',
          '#confirmedBy': 'confirmedBy',
          ...(sent.from ? { '#from': 'from' } : {}),
        },
        ExpressionAttributeValues: {
          ':sent': 'sent',
          ':claimed': 'claimed',
          ':unknown': 'unknown',
          ':hash': hash,
          ':at': sent.at.toISOString(),
          ':confirmedBy': sent.confirmedBy,
          ...(sent.from ? { ':from': sent.from } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(Attributes ?? {});
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      throw new MessageStoreConsistencyError(`outbox request ${requestId} cannot be recorded as sent with SMS ${hash}: it is no longer claimed or unknown`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The link from an SMS to the request it was sent for (`sms#<HASH>`, sk `outbound`), beside the
 * SMS's status item: what a delivery status is joined with. Idempotent.
 */
export async function linkSmsToRequest(table: MessageTable, record: OutboundRecord, expiresAt?: number): Promise<void> {
  if (!record.hash) throw new RangeError(`outbox request ${record.requestId} has no SMS hash to link`);
  await table.documents.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...itemKey(record.hash, ITEM_KIND.outbound),
        requestId: record.requestId,
        to: record.to,
        userData: record.userData,
        sentAt: record.sentAt,
        ...(record.from ? { from: record.from } : {}),
        ...(expiresAt !== undefined ? { [EXPIRES_AT_ATTRIBUTE]: expiresAt } : {}),
      },
    }),
  );
}

export interface OutboundLink {
  readonly requestId: string;
  readonly to: string;
  readonly userData: string | null;
  readonly sentAt: string;
  readonly from?: string;
}

/** Which request an SMS was sent for; undefined for an SMS not sent through the outbox (or not recorded yet). */
export async function getOutboundLink(table: MessageTable, smsHash: string): Promise<OutboundLink | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: itemKey(smsHash.toUpperCase(), ITEM_KIND.outbound), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return {
    requestId: Item.requestId as string,
    to: Item.to as string,
    userData: (Item.userData as string | null | undefined) ?? null,
    sentAt: Item.sentAt as string,
    ...(typeof Item.from === 'string' ? { from: Item.from } : {}),
  };
}

/**
 * Records the number or shortcode CALLR sent a request's SMS from, once known (its first status
 * says): threading then skips it for a reply to another number of ours. Only the first one counts.
 */
export async function recordSenderNumber(table: MessageTable, requestId: string, from: string): Promise<void> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: outboxRequestKey(requestId),
        UpdateExpression: 'SET #from = :from',
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#from)',
        ExpressionAttributeNames: { '#from': 'from', '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':from': from },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

/** Nothing was sent, and nothing will be. Allowed from `claimed` and `unknown`, and again with the same reason. */
export async function recordFailed(
  table: MessageTable,
  requestId: string,
  failure: { readonly reason: SendFailureReason; readonly detail: string; readonly at: Date },
): Promise<OutboundRecord> {
  try {
    const { Attributes } = await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: outboxRequestKey(requestId),
        UpdateExpression: 'SET #state = :failed, #reason = :reason, #detail = :detail, #failedAt = if_not_exists(#failedAt, :at)',
        ConditionExpression: '#state IN (:claimed, :unknown) OR (#state = :failed AND #reason = :reason)',
        ExpressionAttributeNames: { '#state': 'state', '#reason': 'failureReason', '#detail': 'failureDetail', '#failedAt': 'failedAt' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':claimed': 'claimed',
          ':unknown': 'unknown',
          ':reason': failure.reason,
          ':detail': failure.detail,
          ':at': failure.at.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(Attributes ?? {});
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      throw new MessageStoreConsistencyError(`outbox request ${requestId} cannot be recorded as failed: it is no longer claimed or unknown`, { cause: error });
    }
    throw error;
  }
}

/**
 * The answer to the send was lost: CALLR may or may not have sent it. From `claimed` only; true
 * when this call (or its own earlier attempt) left it unknown, false when it is no longer claimed
 * (a copy recorded the outcome meanwhile).
 */
export async function markUnknown(table: MessageTable, requestId: string, at: Date): Promise<boolean> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: outboxRequestKey(requestId),
        UpdateExpression: 'SET #state = :unknown, #since = if_not_exists(#since, :at)',
        ConditionExpression: '#state IN (:claimed, :unknown)',
        ExpressionAttributeNames: { '#state': 'state', '#since': 'unknownSince' },
        ExpressionAttributeValues: { ':unknown': 'unknown', ':claimed': 'claimed', ':at': at.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/**
 * Gives up our claim when the request provably never reached CALLR (connection refused), so that
 * its redelivery may send it. Only our own claim, still `claimed`; false when it is not.
 */
export async function releaseOutboundClaim(table: MessageTable, requestId: string, token: string): Promise<boolean> {
  try {
    await table.documents.send(
      new DeleteCommand({
        TableName: table.tableName,
        Key: outboxRequestKey(requestId),
        ConditionExpression: '#token = :token AND #state = :claimed',
        ExpressionAttributeNames: { '#token': 'claimToken', '#state': 'state' },
        ExpressionAttributeValues: { ':token': token, ':claimed': 'claimed' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Records that the request's outcome is on the inbox. Only a sent or failed request has one to publish. */
export async function markOutcomePublished(table: MessageTable, requestId: string, at: Date): Promise<void> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: outboxRequestKey(requestId),
        UpdateExpression: 'SET #published = if_not_exists(#published, :at)',
        ConditionExpression: '#state IN (:sent, :failed)',
        ExpressionAttributeNames: { '#published': 'outcomePublishedAt', '#state': 'state' },
        ExpressionAttributeValues: { ':at': at.toISOString(), ':sent': 'sent', ':failed': 'failed' },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      throw new MessageStoreConsistencyError(`outbox request ${requestId} has no outcome to mark published`, { cause: error });
    }
    throw error;
  }
}

/** What a reply joins: the outbox request it answers. */
export interface RepliedTo {
  readonly requestId: string;
  /** Null while the send is not recorded yet (the reply beat CALLR's answer, or the answer was lost). */
  readonly hash: string | null;
  readonly userData: string | null;
  /** When CALLR took it; the claim time while the send is not recorded yet. */
  readonly sentAt: string;
}

export interface RepliedToQuery {
  /** The number the reply came from: the one the SMS was sent to. */
  readonly number: string;
  /** Our number or shortcode the reply came to: a send known to come from another number is not its parent. */
  readonly ourNumber?: string;
  /** Only SMS sent at or after this. */
  readonly since: Date;
  /** Only SMS sent before this (the reply's own time). */
  readonly before: Date;
}

/** Pages read at most, of 25 items: a number that was sent 200 failed requests in the window is given up on. */
const REPLIED_TO_MAX_PAGES = 8;

/**
 * The most recent SMS sent through the outbox to `number` within [since, before), skipping failed
 * requests and sends known to come from another number than `ourNumber` (a send whose sender is
 * not known yet is a candidate: CALLR picks the shortcode when the sender is empty).
 */
export async function findRepliedTo(table: MessageTable, query: RepliedToQuery): Promise<RepliedTo | undefined> {
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < REPLIED_TO_MAX_PAGES; page++) {
    const answer = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: BY_OUTBOUND_RECIPIENT_INDEX.indexName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :since AND :before',
        ExpressionAttributeNames: { '#pk': BY_OUTBOUND_RECIPIENT_INDEX.partitionKey, '#sk': BY_OUTBOUND_RECIPIENT_INDEX.sortKey },
        ExpressionAttributeValues: {
          ':pk': outboundRecipientPartition(query.number),
          ':since': query.since.toISOString(),
          ':before': query.before.toISOString(),
        },
        ScanIndexForward: false,
        Limit: 25,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of answer.Items ?? []) {
      if (item.state === 'failed') continue;
      if (query.ourNumber && typeof item.from === 'string' && digits(item.from) !== digits(query.ourNumber)) continue;
      return {
        requestId: item.requestId as string,
        hash: typeof item.hash === 'string' ? item.hash : null,
        userData: (item.userData as string | null | undefined) ?? null,
        sentAt: (item.sentAt as string | undefined) ?? (item.claimedAt as string),
      };
    }
    startKey = answer.LastEvaluatedKey;
    if (!startKey) return undefined;
  }
  return undefined;
}

const digits = (number: string): string => number.replace(/[^0-9]/g, '');

const RECORD_FIELDS = [
  'requestId',
  'to',
  'userData',
  'nature',
  'textDigest',
  'state',
  'claimedAt',
  'claimToken',
  'hash',
  'from',
  'sentAt',
  'confirmedBy',
  'failureReason',
  'failureDetail',
  'failedAt',
  'unknownSince',
  'outcomePublishedAt',
] as const;

function toRecord(item: Record<string, unknown>): OutboundRecord {
  return Object.fromEntries(RECORD_FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]])) as unknown as OutboundRecord;
}
