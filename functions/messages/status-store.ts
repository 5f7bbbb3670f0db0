import { gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SmsStatusEvent } from '../callr/events';
import { isConditionalCheckFailed, rejectingPermanentErrors } from './errors';
import { fitToItemLimit, type RawOmitted } from './item-size';
import { EXPIRES_AT_ATTRIBUTE } from '../privacy/retention';
import { itemKey, type MessageTable } from './message-store';
import { ITEM_ATTRIBUTES, ITEM_KIND, numberHashKeys, TABLE_KEYS } from './table-design';

/**
 * The outbound-status half of the table: the latest delivery status of an SMS we sent, one item
 * per SMS hash, replaced only by an event newer than the one that wrote it. CALLR's retries and
 * SQS's redeliveries arrive in any order; `event_at` decides.
 */

export interface StatusChange {
  readonly oldStatus: string | null;
  readonly newStatus: string;
  /** ISO 8601 UTC; null where CALLR gives no date. */
  readonly at: string | null;
}

export interface OutboundStatus {
  /** CALLR SMS hash. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** CALLR status, e.g. SENT, DELIVERED, FAILED. */
  readonly status: string;
  readonly statusError: string | null;
  readonly history: readonly StatusChange[];
  /** `event_id` and `event_at` of the event that set this status. */
  readonly eventId: string;
  readonly eventAt: string;
  /** When this system wrote it. */
  readonly updatedAt: string;
}

/** Maps a validated `sms.mt.status_update` event onto the stored shape. Pure. */
export function toOutboundStatus(event: SmsStatusEvent, updatedAt: Date): OutboundStatus {
  const sms = event.data;
  return {
    id: sms.hash,
    from: sms.from,
    to: sms.to,
    status: sms.status,
    statusError: sms.status_error ? sms.status_error : null,
    history: (sms.status_history ?? []).map((change) => ({
      oldStatus: change.old_status ? change.old_status : null,
      newStatus: change.new_status,
      at: change.updated_at,
    })),
    eventId: event.event_id,
    // One format for every stored event_at: the staleness check compares them as strings.
    eventAt: new Date(event.event_at).toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}

const WRITE_TOKEN = ITEM_ATTRIBUTES.writeToken;

export type StatusUpdateResult =
  /** `rawOmitted`: written without the raw copy, which would have taken the item past 400 KB. */
  | { readonly applied: true; readonly rawOmitted?: RawOmitted }
  | { readonly applied: false; readonly reason: 'stale' };

export interface StatusUpdateInput {
  readonly status: OutboundStatus;
  /** The CALLR event exactly as received. */
  readonly rawEvent: Uint8Array;
  /**
   * Unique to this persist attempt, stored on the item (`writeToken`): the write recognises itself
   * when DynamoDB committed it but its answer was lost and the SDK sends it again.
   */
  readonly writeToken: string;
  /** When the item expires (TTL, epoch seconds: functions/privacy/retention.ts); absent: kept until erased. */
  readonly expiresAt?: number;
  /** Keyed hash of the recipient's number: the item's entry in the byNumberHash index (erasure). */
  readonly recipientHash?: string;
}

/**
 * Writes the status unless the stored one comes from an event at least as recent. An older or
 * repeated event is an answer (`stale`), not an error; throttling and network errors propagate.
 * The condition also holds for the item this very write left (our token): its retry after a lost
 * answer writes the same again and answers `applied`, not `stale`. Sizes as putMessageOnce: without
 * the raw copy past 400 KB, ItemRejectedError when it cannot be stored at all.
 */
export async function applyStatusUpdate(table: MessageTable, input: StatusUpdateInput): Promise<StatusUpdateResult> {
  const { item, rawOmitted } = fitToItemLimit(
    {
      ...itemKey(input.status.id, ITEM_KIND.status),
      ...input.status,
      [ITEM_ATTRIBUTES.raw]: gzipSync(input.rawEvent),
      [WRITE_TOKEN]: input.writeToken,
      ...(input.expiresAt === undefined ? {} : { [EXPIRES_AT_ATTRIBUTE]: input.expiresAt }),
      ...(input.recipientHash === undefined ? {} : numberHashKeys({ pk: `sms#${input.status.id}`, sk: ITEM_KIND.status }, input.recipientHash)),
    },
    `status of ${input.status.id}`,
  );
  try {
    await rejectingPermanentErrors(() =>
      table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk) OR #eventAt < :eventAt OR #writeToken = :writeToken',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#eventAt': 'eventAt', '#writeToken': WRITE_TOKEN },
          ExpressionAttributeValues: { ':eventAt': input.status.eventAt, ':writeToken': input.writeToken },
        }),
      ),
    );
    return rawOmitted ? { applied: true, rawOmitted } : { applied: true };
  } catch (error) {
    if (isConditionalCheckFailed(error)) return { applied: false, reason: 'stale' };
    throw error;
  }
}

const STATUS_ATTRIBUTES = ['id', 'from', 'to', 'status', 'statusError', 'history', 'eventId', 'eventAt', 'updatedAt'] as const;

/**
 * Status items of SMS sent through the outbox: the status last put on the inbox, and the `eventAt`
 * of the event that set it. A transition is forwarded once: the same status again (CALLR delivers
 * each status to the per-SMS and to the global webhook, as two events) is not a new one.
 */
const FORWARDED = { eventAt: 'forwardedEventAt', status: 'forwardedStatus' } as const;

export interface ForwardedStatus {
  readonly eventAt: string;
  readonly status: string;
}

/** The stored status and what of it is on the inbox, strongly consistent (a forward decides on it). */
export async function getStatusToForward(
  table: MessageTable,
  smsHash: string,
): Promise<{ readonly status: OutboundStatus; readonly forwarded: ForwardedStatus | null } | undefined> {
  const { Item } = await table.documents.send(new GetCommand({ TableName: table.tableName, Key: itemKey(smsHash, ITEM_KIND.status), ConsistentRead: true }));
  if (!Item) return undefined;
  const status = Object.fromEntries(STATUS_ATTRIBUTES.map((name) => [name, Item[name]])) as unknown as OutboundStatus;
  const forwarded = typeof Item[FORWARDED.eventAt] === 'string' ? { eventAt: Item[FORWARDED.eventAt] as string, status: String(Item[FORWARDED.status]) } : null;
  return { status, forwarded };
}

/** Whether `status` is a transition the inbox has not seen: newer than the last forwarded, and another status. */
export function isNewTransition(status: Pick<OutboundStatus, 'eventAt' | 'status'>, forwarded: ForwardedStatus | null): boolean {
  return forwarded === null || (forwarded.eventAt < status.eventAt && forwarded.status !== status.status);
}

/**
 * Claims the forward of the stored status (set by the event at `status.eventAt`): true when this
 * caller must put it on the inbox. False when it is on the inbox already, is the same status as the
 * last forwarded, or a newer status replaced it (newest wins: that one is forwarded instead). One
 * conditional write: of two callers, one wins.
 */
export async function claimStatusForward(table: MessageTable, status: Pick<OutboundStatus, 'id' | 'eventAt' | 'status'>): Promise<boolean> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKey(status.id, ITEM_KIND.status),
        UpdateExpression: 'SET #forwardedAt = :eventAt, #forwardedStatus = :status',
        ConditionExpression:
          '#eventAt = :eventAt AND (attribute_not_exists(#forwardedAt) OR (#forwardedAt < :eventAt AND #forwardedStatus <> :status))',
        ExpressionAttributeNames: { '#forwardedAt': FORWARDED.eventAt, '#forwardedStatus': FORWARDED.status, '#eventAt': 'eventAt' },
        ExpressionAttributeValues: { ':eventAt': status.eventAt, ':status': status.status },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Gives back a claim whose forward failed, so that the next delivery forwards it. */
export async function releaseStatusForward(table: MessageTable, smsHash: string, claimed: ForwardedStatus, previous: ForwardedStatus | null): Promise<void> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKey(smsHash, ITEM_KIND.status),
        UpdateExpression: previous === null ? 'REMOVE #forwardedAt, #forwardedStatus' : 'SET #forwardedAt = :previousAt, #forwardedStatus = :previousStatus',
        ConditionExpression: '#forwardedAt = :eventAt',
        ExpressionAttributeNames: { '#forwardedAt': FORWARDED.eventAt, '#forwardedStatus': FORWARDED.status },
        ExpressionAttributeValues: {
          ':eventAt': claimed.eventAt,
          ...(previous === null ? {} : { ':previousAt': previous.eventAt, ':previousStatus': previous.status }),
        },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

/** The latest known status of an outbound SMS. */
export async function getOutboundStatus(table: MessageTable, smsHash: string): Promise<OutboundStatus | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: itemKey(smsHash, ITEM_KIND.status),
      // `status` and `from` are DynamoDB reserved words.
      ProjectionExpression: STATUS_ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
      ExpressionAttributeNames: Object.fromEntries(STATUS_ATTRIBUTES.map((name, index) => [`#a${index}`, name])),
    }),
  );
  if (!Item) return undefined;
  return Object.fromEntries(STATUS_ATTRIBUTES.map((name) => [name, Item[name]])) as unknown as OutboundStatus;
}
