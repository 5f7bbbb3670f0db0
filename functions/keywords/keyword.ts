/**
 * Keywords of inbound SMS: what a handset user types first ("VOTE A", "Stop", "Arrêt !") read the
 * way a person reads it, whatever the case, accents or punctuation. Pure; the one normaliser that
 * both the keyword index and the opt-out words (functions/optouts/) use, so that a word configured
 * as "ARRET" matches "arrêt", "Arret." and "ARRÊT".
 */

/**
 * A keyword longer than this is no keyword (a long first word, a URL, a base64 blob): it would
 * only bloat the index key (DynamoDB allows 2048 bytes in a partition key), so it gives none.
 */
export const MAX_KEYWORD_LENGTH = 32;

/** Combining marks, left alone once NFKD has split them off their letters (é -> e + U+0301). */
const COMBINING_MARKS = /\p{M}+/gu;
/** Apostrophes join what they stand between ("don't" is one word, DONT), as a reader sees it. */
const APOSTROPHES = /['\u2019\u02bc`\u00b4]/g;
/** Anything that is neither a letter nor a digit separates words: punctuation, emoji, spaces. */
const SEPARATORS = /[^\p{L}\p{N}]+/gu;

/**
 * The text as words of upper-case letters and digits without accents, one space apart, with no
 * leading or trailing space: `"  Arrêt, s'il vous plaît !"` -> `"ARRET SIL VOUS PLAIT"`.
 * NFKD also folds compatibility forms (full-width letters, ligatures such as "ﬁ") onto plain ones;
 * upper-casing after it turns "ß" into "SS". Idempotent.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(APOSTROPHES, '')
    .toUpperCase()
    // Upper-casing can bring marks back (rare: some Greek letters), and NFKD again splits them.
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(SEPARATORS, ' ')
    .trim();
}

/**
 * The first word of the text, normalised (normaliseText); null when the text has no letter or
 * digit (empty, only emoji or punctuation) or its first word is longer than MAX_KEYWORD_LENGTH.
 */
export function keywordOf(text: string): string | null {
  const normalised = normaliseText(text);
  if (normalised === '') return null;
  const first = normalised.split(' ', 1)[0]!;
  return [...first].length > MAX_KEYWORD_LENGTH ? null : first;
}

/**
 * A keyword given by an operator (`callr-mo messages --keyword vote`), normalised as stored ones
 * are; null when it is not a single keyword (empty, several words, too long).
 */
export function parseKeyword(input: string): string | null {
  const normalised = normaliseText(input);
  return normalised !== '' && !normalised.includes(' ') && keywordOf(normalised) === normalised ? normalised : null;
}
