import { createHash } from 'node:crypto';
import { RECIPIENT_SHARDS } from './table-design';

/**
 * Which recipient-index partition an SMS lands in. Derived from the SMS hash alone, so every
 * delivery of the same SMS computes the same shard, and spread evenly whatever CALLR's hashes look
 * like (they share prefixes; a digest does not).
 */
export function recipientShard(smsHash: string, shards: number = RECIPIENT_SHARDS): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  return createHash('sha256').update(smsHash, 'utf8').digest().readUInt32BE(0) % shards;
}
