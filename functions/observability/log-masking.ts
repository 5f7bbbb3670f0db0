import { hashNumber, maskNumber } from '../privacy/number-hash';

/**
 * What every log line of every Lambda (and of local mode) goes through before it is written:
 * phone numbers masked, message text withheld. Installed as the Powertools logger's JSON
 * replacer (see createObservability), so it sees every key and value of every line — the
 * attributes a handler adds, nested objects, and the fields of formatted errors — and child
 * loggers inherit it.
 *
 * A number becomes `•••••••1234#<keyed hash>`: the last four digits for a human, and the hash
 * (functions/privacy/number-hash.ts) that an operator computes from the number a person gives
 * (`callr-mo number-hash --number N`) and searches the logs for. Before the key is loaded, or in a
 * Lambda that has none, the hash is left out, never the mask.
 */

/**
 * Keys whose string value is a phone number when it looks like one, however short (a shortcode
 * too) or written (spaces, dashes). Other values under these keys (an alphanumeric sender id, the
 * ISO dates of a time range) are no numbers and are left as they are.
 */
const NUMBER_KEYS = new Set(['from', 'to', 'sender', 'recipient', 'number', 'phoneNumber', 'phone_number', 'msisdn']);
const LOOKS_LIKE_A_NUMBER = /^\s*\+?\d[\d ().-]*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** Keys whose value is (or holds) message text: never written, only their length. */
const TEXT_KEYS = new Set(['text', 'messageText', 'message_text', 'rawBody', 'raw_body', 'rawEvent', 'raw']);

/**
 * A phone number inside any other string (an error message quoting a field, say): an optional '+'
 * and 8 to 15 digits (E.164's longest), not part of a longer run of letters, digits or dashes, so
 * that ids and hashes holding digits are left alone (the last group of a UUID, `…-8000-000000000002`,
 * is 12 digits), nor the account id of an ARN (`arn:aws:lambda:<region>:<account>:`).
 * Shorter runs (dates, ports, line numbers) are not numbers.
 */
const NUMBER_IN_TEXT = /(?<![\w+-])(?<!arn:[\w-]+:[\w-]+:[\w-]*:)\+?\d{8,15}(?![\w-])/g;

/** How a number appears in the logs. */
export function maskNumberForLogs(number: string, key: Uint8Array | undefined): string {
  const masked = maskNumber(number);
  return key === undefined ? masked : `${masked}#${hashNumber(key, number)}`;
}

/** What a text value is replaced with: enough to see that there was one, and its size. */
export function withheldText(value: string): string {
  return `[text withheld: ${value.length} characters]`;
}

/**
 * The replacer: `key` and `value` as JSON.stringify gives them. `numberHashKey` is asked on each
 * line, so a key loaded after the logger was built (at the first invocation) is used from then on.
 */
export function logMaskingReplacer(numberHashKey: () => Uint8Array | undefined): (key: string, value: unknown) => unknown {
  return (key, value) => {
    if (TEXT_KEYS.has(key) && value !== null && value !== undefined) {
      // Anything else under such a key (a Buffer, as JSON.stringify hands it over) is withheld whole.
      return typeof value === 'string' ? withheldText(value) : '[withheld]';
    }
    if (typeof value !== 'string') return value;
    const hashKey = numberHashKey();
    if (NUMBER_KEYS.has(key) && LOOKS_LIKE_A_NUMBER.test(value) && !ISO_DATE.test(value)) return maskNumberForLogs(value, hashKey);
    return value.replace(NUMBER_IN_TEXT, (number) => maskNumberForLogs(number, hashKey));
  };
}
