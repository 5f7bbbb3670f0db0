import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateHmacSecret, HMAC_SECRET_FILE } from '../../local/hmac-secret';
import { loadOrCreateNumberHashKey, NUMBER_HASH_KEY_FILE } from '../../local/number-hash-key';
import { hashNumber } from '../../functions/privacy/number-hash';
import { numberHashKeyBytes } from '../../functions/privacy/number-hash-key';

describe('local secrets', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-secret-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates the number hash key once, readable by its owner only, and finds it again after a restart', () => {
    const key = loadOrCreateNumberHashKey(dataDir);
    expect(loadOrCreateNumberHashKey(dataDir)).toBe(key);
    expect(readFileSync(join(dataDir, NUMBER_HASH_KEY_FILE), 'utf8')).toBe(`${key}\n`);
    expect(statSync(join(dataDir, NUMBER_HASH_KEY_FILE)).mode & 0o777).toBe(0o600);
    // Long enough to key the hash.
    expect(() => hashNumber(numberHashKeyBytes(key, NUMBER_HASH_KEY_FILE), '+33612345678')).not.toThrow();
  });

  it('keeps the number hash key apart from the HMAC secret', () => {
    const hmac = loadOrCreateHmacSecret(dataDir, undefined);
    expect(loadOrCreateNumberHashKey(dataDir)).not.toBe(hmac);
    expect(loadOrCreateHmacSecret(dataDir, undefined)).toBe(hmac);
    expect(readFileSync(join(dataDir, HMAC_SECRET_FILE), 'utf8')).toBe(`${hmac}\n`);
    expect(loadOrCreateHmacSecret(dataDir, 'given')).toBe('given');
  });
});
