import { loadOrCreateLocalSecret } from './local-secret';

export const HMAC_SECRET_FILE = 'hmac-secret';

/**
 * The local webhook secret: the given one, or one generated on first start and kept in the data
 * directory (mode 0600), so that a restart keeps accepting what the emulator signs.
 */
export function loadOrCreateHmacSecret(dataDir: string, given: string | undefined): string {
  return given || loadOrCreateLocalSecret(dataDir, HMAC_SECRET_FILE);
}
