import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { InboundMessage } from '../functions/messages/inbound-message';

/**
 * Writes docs/message.schema.json, the JSON Schema downstream services can validate the inbox
 * queue's messages against, from the zod schema the code itself uses (`npm run schema`). A unit
 * test fails when the committed file differs from what this would write.
 */
export const MESSAGE_SCHEMA_PATH = join(__dirname, '..', 'docs', 'message.schema.json');

export function renderMessageSchema(): string {
  // `io: 'input'` leaves out `additionalProperties: false`: adding an optional field does not
  // change `schemaVersion`, so a consumer validating with this schema must accept one it does not know.
  const schema = z.toJSONSchema(InboundMessage, { target: 'draft-2020-12', io: 'input' });
  return `${JSON.stringify({ title: 'InboundMessage', ...schema }, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(MESSAGE_SCHEMA_PATH, renderMessageSchema());
  console.log(`wrote ${MESSAGE_SCHEMA_PATH}`);
}
