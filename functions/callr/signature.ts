import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC algorithms CALLR signs webhooks with (`hmac_algo` at subscription time). */
export const CALLR_HMAC_ALGORITHMS = ['SHA256', 'SHA512'] as const;
export type CallrHmacAlgorithm = (typeof CALLR_HMAC_ALGORITHMS)[number];

/** The header CALLR puts the signature in. HTTP header names are case-insensitive. */
export const CALLR_SIGNATURE_HEADER = 'X-CALLR-HmacSignature';
export const CALLR_EVENT_ID_HEADER = 'X-CALLR-EventId';

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing_signature' | 'invalid_signature' };

const NODE_DIGEST: Record<CallrHmacAlgorithm, string> = { SHA256: 'sha256', SHA512: 'sha512' };

/**
 * Signs a request body the way CALLR does: standard base64 of the raw HMAC digest of the exact
 * bytes sent. Used by the CALLR emulator, the tests and the benchmarks, so that signing and
 * verifying can never drift apart.
 */
export function signCallrBody(
  rawBody: Uint8Array | string,
  secret: string,
  algorithm: CallrHmacAlgorithm = 'SHA256',
): string {
  return createHmac(NODE_DIGEST[algorithm], secret).update(rawBody).digest('base64');
}

/**
 * Verifies `X-CALLR-HmacSignature` over the raw body bytes against every configured secret
 * (current and previous, so a rotation never rejects events signed just before it).
 *
 * Pure and total: it never throws, whatever the header holds. Every secret is compared in
 * constant time, and all of them are always compared, so timing tells nothing about which
 * secret (if any) matched.
 */
export function verifyCallrSignature(input: {
  rawBody: Uint8Array;
  header: string | undefined;
  secrets: readonly string[];
  algorithm?: CallrHmacAlgorithm;
}): SignatureCheck {
  const header = input.header?.trim();
  if (!header) return { ok: false, reason: 'missing_signature' };

  const received = decodeStrictBase64(header);
  if (!received) return { ok: false, reason: 'invalid_signature' };

  let matched = false;
  for (const secret of input.secrets) {
    if (!secret) continue;
    const expected = Buffer.from(signCallrBody(input.rawBody, secret, input.algorithm), 'base64');
    // timingSafeEqual throws on a length mismatch; a wrong-length signature is simply wrong.
    if (expected.length === received.length && timingSafeEqual(expected, received)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'invalid_signature' };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Node's base64 decoder skips junk silently; a signature must be exactly base64 or nothing. */
function decodeStrictBase64(value: string): Buffer | undefined {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}
