import { createHmac } from 'node:crypto';

/**
 * Phone numbers are personal data. Where the system must find or show a number without holding
 * it in clear — log lines, erasure audit items, opt-out evidence, the index an erasure searches
 * by — it uses the number's keyed hash, and shows people the masked number.
 *
 * The hash is keyed (HMAC, not a bare digest): phone numbers are few enough (about 10^10 per
 * country code) that an unkeyed hash is reversed by trying them all. Without the key (a Secrets
 * Manager secret, see number-hash-key.ts) a hash tells nothing about the number; with it, an
 * operator hashes the number a person gives and searches logs and the audit for that hash.
 */

/** Characters of the base64url hash kept: 22 characters are 132 bits, no collision in any realistic set of numbers. */
export const NUMBER_HASH_LENGTH = 22;

/** The smallest key accepted: 32 bytes, the size of the HMAC-SHA256 digest. */
export const MIN_NUMBER_HASH_KEY_BYTES = 32;

/**
 * The form a number is hashed in: its digits, with a leading '+' kept when the number starts with
 * one (E.164: `+33612345678`). Spaces, dots, dashes, parentheses and every other character are
 * dropped, so `+33 6 12-34-56-78` and `+33612345678` are one number. The '+' is kept rather than
 * guessed: `33612345678` without it could be a national number of another plan, and CALLR writes
 * E.164 numbers with it, so the same person's number always hashes the same way.
 */
export function normaliseNumber(number: string): string {
  const trimmed = number.trim();
  const digits = trimmed.replace(/\D/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}

/**
 * HMAC-SHA256 of the normalised number (UTF-8) under `key`, base64url, the first
 * {@link NUMBER_HASH_LENGTH} characters. Pure and deterministic: the same key and number give the
 * same hash in every Lambda, in local mode and in the CLI.
 */
export function hashNumber(key: Uint8Array, number: string): string {
  if (key.byteLength < MIN_NUMBER_HASH_KEY_BYTES) {
    throw new RangeError(`the number hash key must be at least ${MIN_NUMBER_HASH_KEY_BYTES} bytes, got ${key.byteLength}`);
  }
  return createHmac('sha256', key).update(normaliseNumber(number), 'utf8').digest('base64url').slice(0, NUMBER_HASH_LENGTH);
}

/** Digits shown by {@link maskNumber}. */
export const MASK_VISIBLE_DIGITS = 4;

/** Hidden digits are shown as this many dots whatever the number's length, which is not shown either. */
const MASK_PREFIX = '•'.repeat(7);

/**
 * The number as people may see it: its last four digits only (`+33612341234` → `•••••••1234`).
 * A number of four digits or fewer shows none, since all of it would be shown.
 */
export function maskNumber(number: string): string {
  const digits = number.replace(/\D/g, '');
  return digits.length > MASK_VISIBLE_DIGITS ? `${MASK_PREFIX}${digits.slice(-MASK_VISIBLE_DIGITS)}` : MASK_PREFIX;
}
