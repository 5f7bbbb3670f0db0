import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { toSqsSafeText } from './sqs-safe-json';

/**
 * How a verified CALLR event travels through SQS (ingest queue and dead-letter queue).
 *
 * The body is the raw request body, byte for byte, base64-encoded. SQS refuses characters that
 * are valid in JSON (U+0000-U+0008, U+FFFE, U+FFFF, lone surrogates ...), and the local emulator
 * refuses everything above U+FFFF, emoji included; base64 is accepted everywhere whatever the text
 * holds, and it keeps the exact bytes that were signed, for audit and replay. Base64 of the
 * largest accepted body (256 KiB) is about 342 KiB, well under SQS's 1 MiB.
 */
export const BODY_ENCODING = 'base64';

/** Message attribute names: a contract with operators' tooling and the CLI. */
export const ATTRIBUTE = {
  eventType: 'eventType',
  eventId: 'eventId',
  receivedAt: 'receivedAt',
  requestId: 'requestId',
  bodyEncoding: 'bodyEncoding',
  /** Why a message is on the dead-letter queue (a stable code). */
  deadLetterReason: 'deadLetterReason',
  /** Human detail of that reason. */
  deadLetterDetail: 'deadLetterDetail',
  /** Which stage sent it there: `ingest`, `persist` or `sender` (the outbox's dead-letter queue). */
  deadLetterSource: 'deadLetterSource',
} as const;

export interface EventMetadata {
  /** CALLR `type`, when the body could be parsed that far. */
  readonly eventType?: string;
  /** CALLR `event_id` (or the `X-CALLR-EventId` header when the body could not be parsed). */
  readonly eventId?: string;
  readonly receivedAt: string;
  readonly requestId: string;
}

export interface QueueMessage {
  readonly MessageBody: string;
  readonly MessageAttributes: Record<string, MessageAttributeValue>;
}

/** Longest attribute value written, in characters (escapes included). */
export const MAX_ATTRIBUTE_LENGTH = 1024;

/**
 * SQS refuses empty attribute values, and one value it refuses (too long, a character it does not
 * take) fails the whole send, on every retry: every value goes through `toSqsSafeText`, since
 * several come from the request body.
 */
function stringAttributes(values: Record<string, string | undefined>): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(values)) {
    const text = value ? toSqsSafeText(value, MAX_ATTRIBUTE_LENGTH) : '';
    if (text) attributes[name] = { DataType: 'String', StringValue: text };
  }
  return attributes;
}

export function encodeEventMessage(rawBody: Uint8Array, metadata: EventMetadata): QueueMessage {
  return {
    MessageBody: Buffer.from(rawBody).toString('base64'),
    MessageAttributes: stringAttributes({
      [ATTRIBUTE.eventType]: metadata.eventType,
      [ATTRIBUTE.eventId]: metadata.eventId,
      [ATTRIBUTE.receivedAt]: metadata.receivedAt,
      [ATTRIBUTE.requestId]: metadata.requestId,
      [ATTRIBUTE.bodyEncoding]: BODY_ENCODING,
    }),
  };
}

export interface DeadLetter {
  readonly reason: string;
  readonly detail: string;
  readonly source: 'ingest' | 'persist' | 'sender';
}

/** Adds the dead-letter reason to a message, keeping the attributes it already carries. */
export function withDeadLetterReason(message: QueueMessage, deadLetter: DeadLetter): QueueMessage {
  return {
    MessageBody: message.MessageBody,
    MessageAttributes: {
      ...message.MessageAttributes,
      ...stringAttributes({
        [ATTRIBUTE.deadLetterReason]: deadLetter.reason,
        [ATTRIBUTE.deadLetterDetail]: deadLetter.detail,
        [ATTRIBUTE.deadLetterSource]: deadLetter.source,
      }),
    },
  };
}

export class UnknownBodyEncodingError extends Error {
  constructor(readonly encoding: string | undefined) {
    super(`unknown body encoding: ${encoding ?? '(none)'}`);
    this.name = 'UnknownBodyEncodingError';
  }
}

/** The raw event bytes back from a queue message body. */
export function decodeEventBody(body: string, encoding: string | undefined): Buffer {
  if (encoding !== BODY_ENCODING) throw new UnknownBodyEncodingError(encoding);
  return Buffer.from(body, 'base64');
}
