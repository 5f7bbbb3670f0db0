import { readFileSync } from 'node:fs';
import { InboundMessage } from '../../functions/messages/inbound-message';
import { MESSAGE_SCHEMA_PATH, renderMessageSchema } from '../../scripts/generate-message-schema';

describe('docs/message.schema.json', () => {
  it('is what `npm run schema` writes from the InboundMessage schema (run it after changing the schema)', () => {
    expect(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')).toBe(renderMessageSchema());
  });

  it('describes every field of the message, all required', () => {
    const schema = JSON.parse(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8')) as { properties: object; required: string[] };
    const fields = Object.keys(InboundMessage.shape).sort();

    expect(Object.keys(schema.properties).sort()).toEqual(fields);
    expect([...schema.required].sort()).toEqual(fields);
  });

  it('lets consumers accept fields added later without a new schemaVersion', () => {
    expect(JSON.parse(readFileSync(MESSAGE_SCHEMA_PATH, 'utf8'))).not.toHaveProperty('additionalProperties', false);
  });
});
