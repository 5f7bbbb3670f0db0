/**
 * JSON text that SQS accepts whatever the strings inside hold.
 *
 * SQS refuses characters that JSON allows (U+FFFE, U+FFFF, lone surrogates, most C0 controls) and
 * the local emulator refuses everything above U+FFFF, emoji included. JSON.stringify already
 * escapes C0 controls and lone surrogates; escaping every non-ASCII UTF-16 unit as `\uXXXX` covers
 * the rest. The result is still plain JSON: any parser returns the original value unchanged.
 */
export function toSqsSafeJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('value has no JSON representation');
  return json.replace(/[\u0080-\uffff]/g, escapeUnit);
}

/**
 * Text for an SQS message attribute, at most `maxLength` characters, that SQS and the emulator
 * accept whatever `value` holds.
 *
 * Attribute values obey the same character rules as bodies, and they carry text taken from the
 * request (event ids, parse errors quoting the body): one U+FFFE there and the send is refused on
 * every retry. Every character outside printable ASCII, and the backslash itself, is written as
 * `\uXXXX` (UTF-16 units, as in JSON), so the text stays readable and every backslash starts an
 * escape: `fromSqsSafeText` gives the original back. The cut never splits an escape or a
 * surrogate pair.
 */
export function toSqsSafeText(value: string, maxLength: number): string {
  let text = '';
  for (const codePoint of value) {
    const piece = /^[\x20-\x5b\x5d-\x7e]$/.test(codePoint) ? codePoint : codePoint.replace(/[\s\S]/g, escapeUnit);
    if (text.length + piece.length > maxLength) break;
    text += piece;
  }
  return text;
}

/** The original of a `toSqsSafeText` value (of its whole, when it was not cut). */
export function fromSqsSafeText(text: string): string {
  return text.replace(/\\u([0-9a-f]{4})/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function escapeUnit(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
