import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC algorithms CALLR signs webhooks with (`hmac_algo` at subscription time). */
export const CALLR_HMAC_ALGORITHMS = ['SHA256', 'SHA512'] as const;
export type CallrHmacAlgorithm = (typeof CALLR_HMAC_ALGORITHMS)[number];

/** The header CALLR puts the signature in. HTTP header names are case-insensitive. */
export const CALLR_SIGNATURE_HEADER = 'X-CALLR-HmacSignature';

const HTTP_HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An HTTP field name (RFC 9110 token): anything else could never match a request header. */
export function isHttpHeaderName(value: string): boolean {
  return HTTP_HEADER_NAME.test(value);
}
export const CALLR_EVENT_ID_HEADER = 'X-CALLR-EventId';

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing_signature' | 'invalid_signature' };

const NODE_DIGEST: Record<CallrHmacAlgorithm, string> = { SHA256: 'sha256', SHA512: 'sha512' };

/** Bytes of each algorithm's digest: a decoded signature's length names its algorithm. */
const DIGEST_BYTES: Record<CallrHmacAlgorithm, number> = { SHA256: 32, SHA512: 64 };

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

/** Which algorithms a signature may be made with; both of CALLR's unless restricted. */
export type AcceptedAlgorithms =
  /** Only this one (what a test of one subscription expects). */
  | { readonly algorithm: CallrHmacAlgorithm; readonly algorithms?: never }
  /** Any of these; default both CALLR algorithms. */
  | { readonly algorithms?: readonly CallrHmacAlgorithm[]; readonly algorithm?: never };

/**
 * Verifies `X-CALLR-HmacSignature` over the raw body bytes against every configured secret
 * (current and previous, so a rotation never rejects events signed just before it).
 *
 * The algorithm is read from the decoded signature's length (32 bytes SHA256, 64 bytes SHA512),
 * among the accepted ones; by default both, so changing the subscription's `hmac_algo` never
 * refuses the events CALLR signed under the old one. That weakens nothing: each is an HMAC under
 * the same secret, and the length is the sender's choice, not a secret. Any other length is invalid.
 *
 * Pure and total: it never throws, whatever the header holds. Every secret is compared in
 * constant time, and all of them are always compared, so timing tells nothing about which
 * secret (if any) matched.
 */
export function verifyCallrSignature(
  input: {
    rawBody: Uint8Array;
    header: string | undefined;
    secrets: readonly string[];
  } & AcceptedAlgorithms,
): SignatureCheck {
  const header = input.header?.trim();
  if (!header) return { ok: false, reason: 'missing_signature' };

  const received = decodeStrictBase64(header);
  if (!received) return { ok: false, reason: 'invalid_signature' };

  const accepted = input.algorithm ? [input.algorithm] : (input.algorithms ?? CALLR_HMAC_ALGORITHMS);
  const algorithm = accepted.find((candidate) => DIGEST_BYTES[candidate] === received.length);
  if (!algorithm) return { ok: false, reason: 'invalid_signature' };

  let matched = false;
  for (const secret of input.secrets) {
    if (!secret) continue;
    const expected = createHmac(NODE_DIGEST[algorithm], secret).update(input.rawBody).digest();
    if (timingSafeEqual(expected, received)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'invalid_signature' };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Node's base64 decoder skips junk silently; a signature must be exactly base64 or nothing. */
function decodeStrictBase64(value: string): Buffer | undefined {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}
