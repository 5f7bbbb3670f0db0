import { expiresAtFor, expiryAttribute, readRetention, RETENTION_KINDS } from '../../functions/privacy/retention';

const NOW = new Date('2026-03-01T12:00:00.400Z');
const DAY = 86_400;

describe('expiresAtFor', () => {
  it('is the write time plus the kind\'s retention, in epoch seconds, rounded up', () => {
    expect(expiresAtFor('inboundMessages', NOW, { inboundMessages: 30 * DAY })).toBe(Math.ceil(NOW.getTime() / 1000) + 30 * DAY);
    expect(expiresAtFor('inboundMessages', NOW, { inboundMessages: 30 * DAY })! * 1000).toBeGreaterThan(NOW.getTime() + 30 * DAY * 1000);
  });

  it.each(RETENTION_KINDS)('keeps each kind apart: %s uses its own retention only', (kind) => {
    const others = Object.fromEntries(RETENTION_KINDS.filter((other) => other !== kind).map((other) => [other, DAY]));
    expect(expiresAtFor(kind, NOW, others)).toBeUndefined();
    expect(expiresAtFor(kind, NOW, { ...others, [kind]: 9 * DAY })).toBe(Math.ceil(NOW.getTime() / 1000) + 9 * DAY);
  });

  it('gives the item attribute, or nothing without a retention', () => {
    expect(expiryAttribute('statuses', NOW, { statuses: 60 })).toEqual({ expiresAt: Math.ceil(NOW.getTime() / 1000) + 60 });
    expect(expiryAttribute('statuses', NOW, {})).toEqual({});
  });
});

describe('readRetention', () => {
  it('reads every kind from its variable', () => {
    const problems: string[] = [];
    expect(
      readRetention(
        {
          RETENTION_INBOUND_MESSAGES_SECONDS: '2592000',
          RETENTION_STATUSES_SECONDS: '864000',
          RETENTION_OUTBOUND_RECORDS_SECONDS: ' 1000000 ',
          RETENTION_OPT_OUT_EVIDENCE_SECONDS: '',
        },
        problems,
      ),
    ).toEqual({ inboundMessages: 2_592_000, statuses: 864_000, outboundRecords: 1_000_000 });
    expect(problems).toEqual([]);
  });

  it.each(['0', '-5', '1.5', '30d'])('refuses %j, saying what it takes', (value) => {
    const problems: string[] = [];
    expect(readRetention({ RETENTION_STATUSES_SECONDS: value }, problems)).toEqual({});
    expect(problems).toEqual([expect.stringMatching(/^RETENTION_STATUSES_SECONDS must be a whole number of seconds above 0/)]);
  });
});
