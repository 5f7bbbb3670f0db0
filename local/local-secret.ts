import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A secret local mode generates on first start and keeps in the data directory (mode 0600), so
 * that a restart finds the same one: 32 random bytes, base64url (43 characters).
 */
export function loadOrCreateLocalSecret(dataDir: string, fileName: string): string {
  const path = join(dataDir, fileName);
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
