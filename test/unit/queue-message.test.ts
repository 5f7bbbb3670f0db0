import {
  ATTRIBUTE,
  BODY_ENCODING,
  decodeEventBody,
  encodeEventMessage,
  UnknownBodyEncodingError,
  withDeadLetterReason,
} from '../../functions/queues/queue-message';
import { smsMoBody } from '../fixtures/callr-fixtures';

const metadata = {
  eventType: 'sms.mo',
  eventId: 'c5df14852226895334vk6tjqfCS3PFEG',
  receivedAt: '2026-03-01T12:00:00.000Z',
  requestId: 'req-1',
};
const text = (value: string) => ({ DataType: 'String', StringValue: value });

describe('queue message codec', () => {
  it.each([
    ['the MO fixture', smsMoBody()],
    ['emoji (above U+FFFF)', Buffer.from('{"text":"vote 🗳️ 👍🏽"}', 'utf8')],
    ['U+FFFE and U+FFFF, which SQS refuses', Buffer.from('{"text":"\uFFFE\uFFFF"}', 'utf8')],
    ['NUL and control characters', Buffer.from('{"text":"a\u0000b\u0001c\u0008"}', 'utf8')],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d])],
    ['an empty body', Buffer.alloc(0)],
  ])('round-trips %s byte for byte', (_name, bytes) => {
    const message = encodeEventMessage(bytes, metadata);
    expect(message.MessageBody).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    expect(decodeEventBody(message.MessageBody, message.MessageAttributes[ATTRIBUTE.bodyEncoding]?.StringValue)).toEqual(bytes);
  });

  it('carries the event metadata and the body encoding as attributes', () => {
    expect(encodeEventMessage(Buffer.from('{}'), metadata)).toEqual({
      MessageBody: Buffer.from('{}').toString('base64'),
      MessageAttributes: {
        eventType: text('sms.mo'),
        eventId: text('c5df14852226895334vk6tjqfCS3PFEG'),
        receivedAt: text('2026-03-01T12:00:00.000Z'),
        requestId: text('req-1'),
        bodyEncoding: text(BODY_ENCODING),
      },
    });
  });

  it('leaves out attributes it does not know, which SQS would refuse empty', () => {
    const message = encodeEventMessage(Buffer.from('x'), { receivedAt: metadata.receivedAt, requestId: '', eventId: undefined });
    expect(Object.keys(message.MessageAttributes).sort()).toEqual([ATTRIBUTE.bodyEncoding, ATTRIBUTE.receivedAt].sort());
  });

  it('cuts attribute values to 1024 characters', () => {
    const message = encodeEventMessage(Buffer.from('x'), { ...metadata, eventId: 'e'.repeat(5000) });
    expect(message.MessageAttributes[ATTRIBUTE.eventId]).toEqual(text('e'.repeat(1024)));
  });

  it('writes every attribute value as text SQS accepts, even when the body put U+FFFE, controls or emoji in it', () => {
    const message = withDeadLetterReason(encodeEventMessage(Buffer.from('{}'), { ...metadata, eventId: 'id-\u0001-👍', eventType: 'sms\uffff' }), {
      reason: 'invalid_shape',
      detail: 'data.date_sent: not a CALLR date (YYYY-MM-DD HH:MM:SS): \ufffe',
      source: 'ingest',
    });
    expect(message.MessageAttributes).toEqual({
      eventType: text('sms\\uffff'),
      eventId: text('id-\\u0001-\\ud83d\\udc4d'),
      receivedAt: text('2026-03-01T12:00:00.000Z'),
      requestId: text('req-1'),
      bodyEncoding: text(BODY_ENCODING),
      deadLetterReason: text('invalid_shape'),
      deadLetterDetail: text('data.date_sent: not a CALLR date (YYYY-MM-DD HH:MM:SS): \\ufffe'),
      deadLetterSource: text('ingest'),
    });
  });

  it('cuts an escaped value without splitting an escape', () => {
    const message = encodeEventMessage(Buffer.from('x'), { ...metadata, eventId: `${'e'.repeat(1020)}\ufffe` });
    expect(message.MessageAttributes[ATTRIBUTE.eventId]).toEqual(text('e'.repeat(1020)));
  });

  it('adds the dead-letter reason and keeps the attributes already there', () => {
    const message = encodeEventMessage(Buffer.from('{'), metadata);
    expect(withDeadLetterReason(message, { reason: 'invalid_json', detail: 'Unexpected end of JSON input', source: 'ingest' })).toEqual({
      MessageBody: message.MessageBody,
      MessageAttributes: {
        ...message.MessageAttributes,
        deadLetterReason: text('invalid_json'),
        deadLetterDetail: text('Unexpected end of JSON input'),
        deadLetterSource: text('ingest'),
      },
    });
  });

  it.each([
    ['no encoding attribute', undefined],
    ['an unknown encoding', 'gzip'],
  ])('refuses to decode a body with %s', (_name, encoding) => {
    expect(() => decodeEventBody('e30=', encoding)).toThrow(UnknownBodyEncodingError);
  });
});
