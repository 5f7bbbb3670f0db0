/**
 * Known, fake secrets the chaos run and its tests use, so that a scan of logs, templates and
 * bundles can look for them (docs/threat-model.md). Never a real credential.
 */
export const CHAOS_HMAC_SECRET = 'chaos-hmac-secret-6f1d0c2b9a8e4d7f';
export const CHAOS_PREVIOUS_HMAC_SECRET = 'chaos-previous-hmac-secret-3b7e91a4';
export const CHAOS_CALLR_API_KEY = 'chaos-callr-api-key-c41f09d2e8b7';
