import { fromSqsSafeText, toSqsSafeJson, toSqsSafeText } from '../../functions/queues/sqs-safe-json';

/** What SQS accepts in a message body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
function sqsAccepts(text: string): boolean {
  return /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd]*$/.test(text);
}
/** What the local emulator accepts on top of that: nothing above U+FFFF. */
const isAscii = (text: string): boolean => /^[\u0000-\u007f]*$/.test(text);

describe('toSqsSafeJson', () => {
  it.each([
    ['plain ASCII', 'Hello world'],
    ['accented Latin', 'Ça coûte 5 €'],
    ['emoji (above U+FFFF)', 'vote 👍🏽 for 🐙'],
    ['U+FFFE and U+FFFF', 'a\ufffeb\uffffc'],
    ['a lone high surrogate', 'x\ud83dy'],
    ['a lone low surrogate', 'x\ude00y'],
    ['C0 controls and DEL', '\u0000\u0001\u0008\u000b\u001f\u007f'],
    ['quotes and backslashes', 'he said "\\u00e9" \\ done'],
    ['CJK and RTL', '你好 שלום مرحبا'],
  ])('writes %s as ASCII JSON that parses back unchanged', (_label, text) => {
    const value = { text, nested: [text, { [text]: text }] };

    const json = toSqsSafeJson(value);

    expect(JSON.parse(json)).toEqual(value);
    expect(isAscii(json)).toBe(true);
    expect(sqsAccepts(json)).toBe(true);
  });

  it('leaves ASCII JSON exactly as JSON.stringify writes it', () => {
    const value = { id: 'ZFUODF1O', parts: 1, network: null, text: 'Hello "world"\n' };
    expect(toSqsSafeJson(value)).toBe(JSON.stringify(value));
  });

  it('escapes each UTF-16 unit of an emoji', () => {
    expect(toSqsSafeJson('👍')).toBe('"\\ud83d\\udc4d"');
  });

  it('refuses a value JSON cannot represent', () => {
    expect(() => toSqsSafeJson(undefined)).toThrow(new TypeError('value has no JSON representation'));
  });
});

describe('toSqsSafeText', () => {
  it.each([
    ['plain ASCII', 'event_at 2026-03-01T12:00:00Z is too old', 'event_at 2026-03-01T12:00:00Z is too old'],
    ['U+FFFE and U+FFFF', 'a\ufffeb\uffffc', 'a\\ufffeb\\uffffc'],
    ['C0 controls, tab, newline and DEL', '\u0000\u0001\t\n\u007f', '\\u0000\\u0001\\u0009\\u000a\\u007f'],
    ['an emoji (above U+FFFF, one escape per UTF-16 unit)', 'vote 👍', 'vote \\ud83d\\udc4d'],
    ['a lone surrogate', 'x\ud83dy', 'x\\ud83dy'],
    ['accented Latin', 'Ça', '\\u00c7a'],
    ['a backslash (escaped too: every backslash starts an escape)', 'a\\u0041', 'a\\u005cu0041'],
  ])('writes %s as printable ASCII that reads back unchanged', (_label, value, expected) => {
    const text = toSqsSafeText(value, 1024);

    expect(text).toBe(expected);
    expect(text).toMatch(/^[\x20-\x7e]*$/);
    expect(fromSqsSafeText(text)).toBe(value);
  });

  it('cuts to maxLength characters', () => {
    expect(toSqsSafeText('e'.repeat(5000), 1024)).toBe('e'.repeat(1024));
  });

  it.each([
    ['an escape', 'abc\ufffe', 8, 'abc'],
    ['an escape that just fits', 'abc\ufffe', 9, 'abc\\ufffe'],
    ['a surrogate pair', 'ab👍', 13, 'ab'],
    ['a surrogate pair that just fits', 'ab👍', 14, 'ab\\ud83d\\udc4d'],
  ])('never splits %s when cutting', (_label, value, maxLength, expected) => {
    expect(toSqsSafeText(value, maxLength)).toBe(expected);
  });
});
