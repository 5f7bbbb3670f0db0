import { randomInt } from 'node:crypto';

const UPPER_ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALPHANUMERIC = `${UPPER_ALPHANUMERIC}abcdefghijklmnopqrstuvwxyz`;

function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let index = 0; index < length; index++) text += alphabet[randomInt(alphabet.length)];
  return text;
}

/** CALLR object hashes (webhooks, SMS) are 8 upper-case alphanumerics, e.g. `IAYHJ6F3`. */
export const newObjectHash = (): string => randomString(UPPER_ALPHANUMERIC, 8);

/** CALLR event ids are 32 characters, mixed case, e.g. `c5df14852226895334vk6tjqfCS3PFEG`. */
export const newEventId = (): string => randomString(ALPHANUMERIC, 32);
