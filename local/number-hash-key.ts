import { loadOrCreateLocalSecret } from './local-secret';

export const NUMBER_HASH_KEY_FILE = 'number-hash-key';

/**
 * The local key of the numbers' keyed hash (functions/privacy/number-hash.ts): generated on first
 * start and kept in the data directory, so that hashes stored before a restart (the sender index,
 * erasure audit items) still match after it. Deleting the file orphans them, as deleting the
 * stack's secret would.
 */
export function loadOrCreateNumberHashKey(dataDir: string): string {
  return loadOrCreateLocalSecret(dataDir, NUMBER_HASH_KEY_FILE);
}
