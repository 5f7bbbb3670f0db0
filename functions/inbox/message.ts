import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { INBOUND_MESSAGE_KIND, InboundMessage } from '../messages/inbound-message';
import { MAX_ATTRIBUTE_LENGTH } from '../queues/queue-message';
import { toSqsSafeJson, toSqsSafeText } from '../queues/sqs-safe-json';

/**
 * The inbox: what downstream services consume, published once to an SNS topic and delivered raw
 * (the body as it was published, the attributes as SQS message attributes) to each subscribed
 * queue, the construct's own inbox queue and the `subscribers` a deployment adds, each through its
 * filter policy on the attributes below (docs/infrastructure.md#fan-out).
 *
 * Every body is one JSON object naming its `kind`; a consumer that only knows inbound SMS reads
 * `sms.mo` (docs/message.schema.json) and skips the rest, or subscribes with a filter on `kind`.
 */

/** What an inbox message is about. Each kind has its own body, written by its owner. */
export const INBOX_KINDS = {
  /** An inbound SMS (MO), stored: an `InboundMessage`. */
  inbound: INBOUND_MESSAGE_KIND,
  /** An outbox request CALLR accepted. */
  sent: 'sms.sent',
  /** An outbox request that was not sent, with a reason code. */
  sendFailed: 'sms.send_failed',
  /** A delivery status of an SMS sent through the outbox. */
  status: 'sms.status',
} as const;

export type InboxKind = (typeof INBOX_KINDS)[keyof typeof INBOX_KINDS];

/**
 * Message attribute names, the same on SNS and on every subscribed queue: a contract with
 * consumers and their filter policies. String values are printable ASCII; any other character is
 * written as `\uXXXX` (functions/queues/sqs-safe-json.ts), since a queue refuses some.
 */
export const INBOX_ATTRIBUTE = {
  /** `kind` of the body (INBOX_KINDS). */
  kind: 'kind',
  /** The consumers' de-duplication key: for `sms.mo`, the CALLR SMS id in upper case (= `id` in the body). */
  messageId: 'messageId',
  /** `schemaVersion` of the body (a Number attribute), readable without parsing it. */
  schemaVersion: 'schemaVersion',
  /** The number the message is to: for `sms.mo`, our number or shortcode it was sent to. */
  to: 'to',
  /** The normalised first word of an inbound text, when it has one. */
  keyword: 'keyword',
} as const;

/**
 * One message for the inbox, of any kind: its body and the values of its attributes. `kind` is
 * also written into the body, so that a consumer reading the body alone knows what it holds.
 */
export interface InboxMessage {
  readonly kind: InboxKind;
  /** The de-duplication key consumers key on: unique per message, the same on every redelivery of it. */
  readonly messageId: string;
  readonly schemaVersion: number;
  readonly to?: string;
  readonly keyword?: string;
  /** What consumers receive, as JSON. */
  readonly body: object;
}

/** An inbound SMS as an inbox message: its body is the stored message with `kind: 'sms.mo'`. */
export function inboundInboxMessage(message: InboundMessage): InboxMessage {
  const { keyword } = message;
  return {
    kind: INBOX_KINDS.inbound,
    messageId: message.id,
    schemaVersion: message.schemaVersion,
    to: message.to,
    ...(keyword ? { keyword } : {}),
    body: message,
  };
}

/** What is published: the body as JSON that a queue accepts whatever it holds, and the attributes. */
export interface EncodedInboxMessage {
  readonly Message: string;
  readonly MessageAttributes: Record<string, MessageAttributeValue>;
}

export function encodeInboxMessage(message: InboxMessage): EncodedInboxMessage {
  const attributes: Record<string, MessageAttributeValue> = {
    [INBOX_ATTRIBUTE.kind]: { DataType: 'String', StringValue: message.kind },
    [INBOX_ATTRIBUTE.messageId]: { DataType: 'String', StringValue: toSqsSafeText(message.messageId, MAX_ATTRIBUTE_LENGTH) },
    [INBOX_ATTRIBUTE.schemaVersion]: { DataType: 'Number', StringValue: String(message.schemaVersion) },
  };
  // SNS refuses an empty value: an absent or empty one is left out, and a filter on it does not match.
  for (const name of [INBOX_ATTRIBUTE.to, INBOX_ATTRIBUTE.keyword] as const) {
    const given = message[name];
    const value = given ? toSqsSafeText(given, MAX_ATTRIBUTE_LENGTH) : '';
    if (value) attributes[name] = { DataType: 'String', StringValue: value };
  }
  return { Message: toSqsSafeJson({ ...message.body, kind: message.kind }), MessageAttributes: attributes };
}

/**
 * For consumers and tests: an `sms.mo` body back into a validated message; throws a zod error
 * (`$ZodError`) if it is not one. Any JSON parser reads the body; this one also checks it.
 */
export function decodeInboxMessage(body: string): InboundMessage {
  return InboundMessage.parse(JSON.parse(body));
}
