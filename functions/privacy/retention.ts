/**
 * How long each kind of item is kept: a store of people's messages has a legal lifetime. Each kind
 * has its own retention, none by default (kept until erased), enforced by DynamoDB's TTL on the
 * {@link EXPIRES_AT_ATTRIBUTE} attribute, which the writer sets from the retention when it writes.
 *
 * DynamoDB deletes an expired item within a few days of its expiry, not at once: an expired item
 * may still be read meanwhile (the readers do not filter it out, since it was valid when written).
 * The construct refuses a retention so short that de-duplication would forget what it must remember
 * (lib/constructs/privacy.ts, minimumRetention).
 */

/** The kinds kept apart: each has its own retention. */
export const RETENTION_KINDS = ['inboundMessages', 'statuses', 'outboundRecords', 'optOutEvidence'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Seconds each kind is kept after it is written; a kind left out is kept until erased. */
export type Retention = Readonly<Partial<Record<RetentionKind, number>>>;

/** The table's TTL attribute: epoch seconds (DynamoDB's TTL format), absent on items kept for ever. */
export const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

/** The Lambda environment variable that carries each kind's retention, in whole seconds. */
export const RETENTION_VARIABLES: Readonly<Record<RetentionKind, string>> = {
  inboundMessages: 'RETENTION_INBOUND_MESSAGES_SECONDS',
  statuses: 'RETENTION_STATUSES_SECONDS',
  outboundRecords: 'RETENTION_OUTBOUND_RECORDS_SECONDS',
  optOutEvidence: 'RETENTION_OPT_OUT_EVIDENCE_SECONDS',
};

/**
 * When an item of `kind` written at `now` expires, in epoch seconds; undefined when the kind has no
 * retention. Rounded up, so that an item is never kept shorter than its retention.
 */
export function expiresAtFor(kind: RetentionKind, now: Date, retention: Retention): number | undefined {
  const seconds = retention[kind];
  if (seconds === undefined) return undefined;
  return Math.ceil(now.getTime() / 1000) + seconds;
}

/** The TTL attribute to spread into an item of `kind` written at `now`: none without a retention. */
export function expiryAttribute(kind: RetentionKind, now: Date, retention: Retention): { readonly [EXPIRES_AT_ATTRIBUTE]?: number } {
  const expiresAt = expiresAtFor(kind, now, retention);
  return expiresAt === undefined ? {} : { [EXPIRES_AT_ATTRIBUTE]: expiresAt };
}

/** Reads every kind's retention from `env`, adding what is wrong to `problems`. */
export function readRetention(env: Readonly<Record<string, string | undefined>>, problems: string[]): Retention {
  const retention: Partial<Record<RetentionKind, number>> = {};
  for (const kind of RETENTION_KINDS) {
    const name = RETENTION_VARIABLES[kind];
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(seconds) || seconds < 1) {
      problems.push(`${name} must be a whole number of seconds above 0 (how long ${kind} are kept; unset keeps them until erased); got "${value}".`);
      continue;
    }
    retention[kind] = seconds;
  }
  return retention;
}
