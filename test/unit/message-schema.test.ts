import { readFileSync } from 'node:fs';
import { InboundMessage } from '../../functions/messages/inbound-message';
import { MESSAGE_SCHEMA_PATH, renderMessageSchema } from '../../scripts/generate-message-schema';

describe('docs/message.schema.json', () => {
  it('is what `npm run schema` writes from the InboundMessage schema (run it after changing the schema)', () => {
    expect(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')).toBe(renderMessageSchema());
  });

  it('describes every field of the message, all required but source and arrival (absent on messages stored before they existed)', () => {
    const schema = JSON.parse(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')) as { properties: object; required: string[] };
    const fields = Object.keys(InboundMessage.shape).sort();

    expect(Object.keys(schema.properties).sort()).toEqual(fields);
    expect([...schema.required].sort()).toEqual(fields.filter((field) => field !== 'source' && field !== 'arrival'));
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
