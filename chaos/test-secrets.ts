/**
 * Known, fake secrets the chaos run and its tests use, so that a scan of logs, templates and
 * bundles can look for them (docs/threat-model.md). Never a real credential.
 */
export const CHAOS_HMAC_SECRET = 'chaos-hmac-secret-6f1d0c2b9a8e4d7f';
export const CHAOS_PREVIOUS_HMAC_SECRET = 'chaos-previous-hmac-secret-3b7e91a4';
/** The key of the numbers' keyed hash in the chaos run (at least 32 bytes). */
export const CHAOS_NUMBER_HASH_KEY = 'chaos-number-hash-key-7a2c9e4b1d8f3a6c';
export const CHAOS_CALLR_API_KEY = 'chaos-callr-api-key-c41f09d2e8b7';
