import { staticNumberHashKey, type NumberHashKeyLoader } from '../../functions/privacy/number-hash-key';

/** The key of the numbers' keyed hash in tests: fake, at least 32 bytes. */
export const TEST_NUMBER_HASH_KEY = 'test-number-hash-key-5b8d2f0e6a4c1937';

export const testNumberHashKey = (): NumberHashKeyLoader => staticNumberHashKey(TEST_NUMBER_HASH_KEY);
