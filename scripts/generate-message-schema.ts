import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { InboundMessage } from '../functions/messages/inbound-message';
import { OutboxOutcome } from '../functions/outbox/outcome';
import { OutboxRequest } from '../functions/outbox/request';

/**
 * Writes the JSON Schemas of the contracts with downstream services, from the zod schemas the code
 * itself uses (`npm run schema`): docs/message.schema.json (inbound messages on the inbox),
 * docs/outbox-request.schema.json (what services put on the outbox) and
 * docs/outbox-outcome.schema.json (what the outbox answers on the inbox). A unit test fails when a
 * committed file differs from what this would write.
 */
export const MESSAGE_SCHEMA_PATH = join(__dirname, '..', 'docs', 'message.schema.json');
export const OUTBOX_REQUEST_SCHEMA_PATH = join(__dirname, '..', 'docs', 'outbox-request.schema.json');
export const OUTBOX_OUTCOME_SCHEMA_PATH = join(__dirname, '..', 'docs', 'outbox-outcome.schema.json');

function render(title: string, schema: z.ZodMiniType): string {
  // `io: 'input'` leaves out `additionalProperties: false`: adding an optional field does not
  // change `schemaVersion`, so a consumer validating with this schema must accept one it does not know.
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  return `${JSON.stringify({ title, ...json }, null, 2)}\n`;
}

export function renderMessageSchema(): string {
  return render('InboundMessage', InboundMessage);
}

export function renderOutboxRequestSchema(): string {
  return render('OutboxRequest', OutboxRequest);
}

export function renderOutboxOutcomeSchema(): string {
  return render('OutboxOutcome', OutboxOutcome);
}

if (require.main === module) {
  for (const [path, text] of [
    [MESSAGE_SCHEMA_PATH, renderMessageSchema()],
    [OUTBOX_REQUEST_SCHEMA_PATH, renderOutboxRequestSchema()],
    [OUTBOX_OUTCOME_SCHEMA_PATH, renderOutboxOutcomeSchema()],
  ] as const) {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
