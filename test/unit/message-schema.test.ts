import { readFileSync } from 'node:fs';
import { InboundMessage } from '../../functions/messages/inbound-message';
import {
  MESSAGE_SCHEMA_PATH,
  OUTBOX_OUTCOME_SCHEMA_PATH,
  OUTBOX_REQUEST_SCHEMA_PATH,
  renderMessageSchema,
  renderOutboxOutcomeSchema,
  renderOutboxRequestSchema,
} from '../../scripts/generate-message-schema';

describe('docs/message.schema.json', () => {
  it('is what `npm run schema` writes from the InboundMessage schema (run it after changing the schema)', () => {
    expect(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')).toBe(renderMessageSchema());
  });

  // Fields added within schema version 1: absent on messages stored before them, or when they do not apply.
  const OPTIONAL_FIELDS = ['kind', 'source', 'keyword', 'optOut', 'suspectedOptOut', 'arrival', 'inReplyTo'];

  it('describes every field of the message, all required but those added within version 1', () => {
    const schema = JSON.parse(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')) as { properties: object; required: string[] };
    const fields = Object.keys(InboundMessage.shape).sort();

    expect(Object.keys(schema.properties).sort()).toEqual(fields);
    expect([...schema.required].sort()).toEqual(fields.filter((field) => !OPTIONAL_FIELDS.includes(field)));
  });

  it('names both CALLR formats a message can come from', () => {
    const schema = JSON.parse(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')) as { properties: { source: { properties: { format: { enum: string[] } }; required: string[] } } };
    expect(schema.properties.source.properties.format.enum).toEqual(['callr.v1', 'callr.v2']);
    expect(schema.properties.source.required.sort()).toEqual(['eventType', 'format']);
  });

  it('lets consumers accept fields added later without a new schemaVersion', () => {
    expect(JSON.parse(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8'))).not.toHaveProperty('additionalProperties', false);
  });
});

describe('docs/outbox-request.schema.json and docs/outbox-outcome.schema.json', () => {
  it.each([
    ['outbox-request', OUTBOX_REQUEST_SCHEMA_PATH, renderOutboxRequestSchema],
    ['outbox-outcome', OUTBOX_OUTCOME_SCHEMA_PATH, renderOutboxOutcomeSchema],
  ])('%s is what `npm run schema` writes (run it after changing the schema)', (_name, path, render) => {
    expect(readFileSync(path, 'utf8')).toBe(render());
  });

  it('requires requestId, to and text of a request, and nothing else', () => {
    const schema = JSON.parse(readFileSync(OUTBOX_REQUEST_SCHEMA_PATH, 'utf8')) as { properties: object; required: string[] };
    expect(Object.keys(schema.properties).sort()).toEqual(['nature', 'requestId', 'text', 'to', 'userData']);
    expect([...schema.required].sort()).toEqual(['requestId', 'text', 'to']);
  });

  it('tells the outcome kinds apart by kind', () => {
    const schema = JSON.parse(readFileSync(OUTBOX_OUTCOME_SCHEMA_PATH, 'utf8')) as { oneOf?: Array<{ properties: { kind: { const: string } } }>; anyOf?: Array<{ properties: { kind: { const: string } } }> };
    const kinds = (schema.oneOf ?? schema.anyOf ?? []).map((variant) => variant.properties.kind.const);
    expect(kinds).toEqual(['sms.sent', 'sms.send_failed', 'sms.status']);
  });
});
