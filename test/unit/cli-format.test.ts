import { formatDeadLetters, formatRedrive, type DeadLetterView } from '../../cli/dead-letters';
import { formatMessages } from '../../cli/messages';
import { formatSubscriptions } from '../../cli/subscriptions';
import { escapeForTerminal, renderTable } from '../../cli/format';
import { describeError } from '../../bin/cli';
import { CallrApiError } from '../../functions/callr/errors';
import type { InboundMessage } from '../../functions/messages/inbound-message';

/**
 * Text chosen by strangers (an SMS, a sender number, a dead letter's body) must never drive the
 * operator's terminal: every control character a terminal acts on is printed escaped.
 */

const ESC = '\u001b';
const BEL = '\u0007';
/** Anything a terminal may act on: C0, DEL, C1, bidi embeddings/overrides/isolates/marks. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE = {
  'an SGR colour sequence': [`${ESC}[31mred${ESC}[0m`, '\\x1b[31mred\\x1b[0m'],
  'an OSC window-title sequence': [`${ESC}]0;pwned${BEL}`, '\\x1b]0;pwned\\x07'],
  'a NUL': ['a\u0000b', 'a\\x00b'],
  'a C1 CSI (U+009B)': ['\u009b2J', '\\x9b2J'],
  'DEL': ['x\u007fy', 'x\\x7fy'],
  'a bidi override (U+202E)': ['abc\u202edcba', 'abc\\u202edcba'],
  'a bidi isolate (U+2066..U+2069)': ['\u2066x\u2069', '\\u2066x\\u2069'],
  'bidi marks (U+200E, U+200F, U+061C)': ['\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
} as const;

describe('escapeForTerminal', () => {
  it.each(Object.entries(HOSTILE))('escapes %s', (_name, [raw, shown]) => {
    expect(escapeForTerminal(raw)).toBe(shown);
  });

  it('escapes every C0, DEL and C1 code point, and nothing printable', () => {
    for (let code = 0; code <= 0xa0; code += 1) {
      const character = String.fromCharCode(code);
      const escaped = escapeForTerminal(character);
      const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
      expect(escaped).toBe(control ? `\\x${code.toString(16).padStart(2, '0')}` : character);
    }
  });

  it('leaves ordinary text of every script and emoji as it is', () => {
    const text = 'Merci ! Rendez-vous à 18h 👍🏽 — 你好 مرحبا שלום C:\\path';
    expect(escapeForTerminal(text)).toBe(text);
  });
});

describe('renderTable', () => {
  it('escapes every cell and header, and aligns on the escaped width', () => {
    const table = renderTable(['a\u001b', 'b'], [[`${ESC}[2J`, 'x'], ['ok', 'y']]);
    expect(table).not.toMatch(RAW_CONTROL);
    expect(table.split('\n')).toEqual(['a\\x1b    b', '\\x1b[2J  x', 'ok       y']);
  });
});

describe('the commands\' tables print strangers\' text escaped', () => {
  const message = (text: string, from = '+33639980042'): InboundMessage =>
    ({
      schemaVersion: 1,
      id: 'IAYHJ6F3',
      eventId: 'ev-1',
      from,
      to: '+33199001234',
      text,
      parts: 1,
      receivedAt: '2024-03-10T08:15:00.000Z',
      storedAt: '2024-03-10T08:15:01.000Z',
    }) as unknown as InboundMessage;

  it.each(Object.entries(HOSTILE))('messages: an SMS with %s', (_name, [raw, shown]) => {
    const printed = formatMessages([message(`hi ${raw}`, `+33${raw}`)]);
    expect(printed).not.toMatch(RAW_CONTROL);
    expect(printed).toContain(`hi ${shown}`);
    expect(printed).toContain(`+33${shown}`);
  });

  const letter = (text: string): DeadLetterView => ({
    messageId: 'm-1',
    reason: 'invalid_shape',
    detail: `data.text: ${text}`,
    source: 'ingest',
    eventId: `ev-${text}`,
    eventType: `sms.mo${text}`,
    receivedAt: '2024-03-10T08:15:00.000Z',
    deadLetteredAt: '2024-03-10T08:15:00.123Z',
    bodyBytes: 10,
    preview: `{"text":"${text}"}`,
  });

  it.each(Object.entries(HOSTILE))('dlq list: a dead letter with %s', (_name, [raw, shown]) => {
    const printed = formatDeadLetters({ deadLetters: [letter(raw)], approximateTotal: 1 });
    expect(printed).not.toMatch(RAW_CONTROL);
    expect(printed).toContain(`ev-${shown}`);
    expect(printed).toContain(`sms.mo${shown}`);
  });

  it('dlq redrive: SQS\'s failure messages are escaped too', () => {
    const printed = formatRedrive({ mode: 'copy', moved: 0, failed: 1, failures: [{ messageId: `m${ESC}]0;x${BEL}`, error: `bad ${ESC}[31m` }] });
    expect(printed).not.toMatch(RAW_CONTROL);
    expect(printed).toContain('m\\x1b]0;x\\x07: bad \\x1b[31m');
  });

  it('subscriptions: an endpoint with control characters', () => {
    const printed = formatSubscriptions([{ hash: 'H1', type: 'sms.mo', endpoint: `https://x/${ESC}[31m\u202e`, hmacAlgorithm: 'SHA256' } as never]);
    expect(printed).not.toMatch(RAW_CONTROL);
    expect(printed).toContain('https://x/\\x1b[31m\\u202e');
  });

  it('an error quoting CALLR\'s text is escaped before it reaches stderr', () => {
    const { message } = describeError(new CallrApiError('webhooks.get_list', { code: 1, message: `boom ${ESC}]0;pwned${BEL}` }, 500));
    expect(message).not.toMatch(RAW_CONTROL);
    expect(message).toContain('boom \\x1b]0;pwned\\x07');
  });
});
