import { parseCallrEvent } from '../../functions/callr/events';
import { smsMoBody, smsStatusBody } from '../../test/fixtures/callr-fixtures';
import type { PairSpec } from '../harness/compare';

/**
 * `parseCallrEvent` (JSON, then the zod schemas of the envelope and of the event type) against
 * `JSON.parse` of the same text: the ratio is the price of validating and normalising dates.
 */
export function parsePairs(): PairSpec[] {
  const fixtures = [
    { id: 'sms-mo', file: 'sms-mo.json', bytes: smsMoBody() },
    { id: 'sms-mt-status-update', file: 'sms-mt-status-update.json', bytes: smsStatusBody() },
  ];
  return fixtures.map(({ id, file, bytes }): PairSpec => {
    const text = bytes.toString('utf8');
    return {
      id: `parse.${id}`,
      title: `Event parsing, ${file} (${bytes.length} B)`,
      subject: {
        name: 'parseCallrEvent',
        run: () => {
          const parsed = parseCallrEvent(text);
          if (!parsed.ok || !parsed.handled) throw new Error(`parse benchmark: ${file} did not parse as a handled event`);
        },
      },
      baseline: { name: 'JSON.parse', run: () => JSON.parse(text) },
      timeMs: 800,
      minIterations: 2000,
    };
  });
}
