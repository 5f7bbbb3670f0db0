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
  return json.replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
