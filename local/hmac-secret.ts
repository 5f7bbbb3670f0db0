import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HMAC_SECRET_FILE = 'hmac-secret';

/**
 * The local webhook secret: the given one, or one generated on first start and kept in the data
 * directory (mode 0600), so that a restart keeps accepting what the emulator signs.
 */
export function loadOrCreateHmacSecret(dataDir: string, given: string | undefined): string {
  if (given) return given;
  const path = join(dataDir, HMAC_SECRET_FILE);
  try {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
