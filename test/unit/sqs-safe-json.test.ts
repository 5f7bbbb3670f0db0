import { toSqsSafeJson } from '../../functions/queues/sqs-safe-json';

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
