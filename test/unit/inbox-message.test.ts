import { findFilterPolicyProblems } from '../../functions/inbox/filter-policy';
import { decodeInboxMessage, encodeInboxMessage, inboundInboxMessage } from '../../functions/inbox/message';
import { parseCallrEvent } from '../../functions/callr/events';
import { toInboundMessage, type InboundMessage } from '../../functions/messages/inbound-message';
import { smsMoBody } from '../fixtures/callr-fixtures';

describe('findFilterPolicyProblems', () => {
  it.each([
    ['a keyword', { kind: ['sms.mo'], keyword: ['HELP', 'INFO'] }],
    ['a number prefix', { to: [{ prefix: '+3361' }] }],
    ['outcomes of the outbox', { kind: ['sms.sent', 'sms.send_failed'] }],
    ['anything but a keyword', { keyword: [{ 'anything-but': ['STOP', 'ARRET'] }] }],
    ['anything but a prefix', { to: [{ 'anything-but': { prefix: '+1' } }] }],
    ['messages without a keyword', { keyword: [{ exists: false }] }],
    ['a schema version range', { schemaVersion: [{ numeric: ['>=', 1, '<', 2] }] }],
    ['a schema version', { schemaVersion: [1] }],
    ['a case-insensitive keyword', { keyword: [{ 'equals-ignore-case': 'help' }] }],
    ['a suffix', { to: [{ suffix: '1234' }] }],
  ])('accepts %s', (_name, policy) => {
    expect(findFilterPolicyProblems(policy, 'filter')).toEqual([]);
  });

  it.each([
    ['not an object', ['HELP'], 'filter must be an object'],
    ['empty', {}, 'filter is empty'],
    ['a misspelt attribute', { keywrod: ['HELP'] }, 'filter.keywrod: the inbox sets no attribute "keywrod"'],
    ['a bare value', { keyword: 'HELP' }, 'filter.keyword must be a non-empty list of conditions'],
    ['no conditions', { keyword: [] }, 'filter.keyword must be a non-empty list of conditions'],
    ['an unknown kind', { kind: ['sms.m0'] }, 'filter.kind: "sms.m0" is no inbox kind'],
    ['a number for a string attribute', { to: [33612345678] }, 'filter.to: 33612345678 is a number; to is a String attribute'],
    ['a string for the schema version', { schemaVersion: ['1'] }, 'filter.schemaVersion: "1" is a string; schemaVersion is a Number attribute'],
    ['numeric on a string', { to: [{ numeric: ['>', 0] }] }, 'filter.to: numeric applies to Number attributes'],
    ['a bad numeric range', { schemaVersion: [{ numeric: ['~', 1] }] }, 'filter.schemaVersion: numeric takes operator/number pairs'],
    ['a prefix on the schema version', { schemaVersion: [{ prefix: '1' }] }, 'filter.schemaVersion: prefix applies to String attributes'],
    ['an unknown operator', { keyword: [{ wildcard: 'HE*' }] }, 'filter.keyword: unknown operator "wildcard"'],
    ['two operators', { keyword: [{ prefix: 'H', suffix: 'P' }] }, 'must hold exactly one operator'],
    ['an empty prefix', { to: [{ prefix: '' }] }, 'filter.to: prefix takes a non-empty string'],
    ['exists with a string', { keyword: [{ exists: 'yes' }] }, 'filter.keyword: exists takes true or false'],
    [
      'six attributes',
      { kind: ['sms.mo'], keyword: ['A'], to: ['B'], messageId: ['C'], schemaVersion: [1], other: ['D'] },
      'filter names 6 attributes; SNS takes at most 5',
    ],
    [
      'too many combinations',
      { keyword: Array.from({ length: 20 }, (_, index) => `K${index}`), to: Array.from({ length: 8 }, (_, index) => `+${index}`) },
      'filter has 160 combinations of values; SNS takes at most 150',
    ],
  ])('refuses %s, saying what to fix', (_name, policy, problem) => {
    expect(findFilterPolicyProblems(policy, 'filter').join('\n')).toContain(problem);
  });
});

describe('encodeInboxMessage', () => {
  const parsed = parseCallrEvent(smsMoBody().toString('utf8'));
  if (!parsed.ok || !parsed.handled || parsed.event.type === 'sms.mt.status_update') throw new Error('the sms.mo fixture does not parse');
  const message = toInboundMessage(parsed.event, new Date('2024-05-01T10:00:02.000Z'));

  it('publishes the stored message as the body, and the attributes filters select on', () => {
    const encoded = encodeInboxMessage(inboundInboxMessage({ ...message, text: 'vote 👍 \ufffe', keyword: 'HÉLP' } as InboundMessage));

    // Printable ASCII, so that a queue takes it whatever the text holds; any JSON parser reads it back.
    expect(encoded.Message).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(encoded.Message)).toEqual({ ...message, text: 'vote 👍 \ufffe', keyword: 'HÉLP' });
    expect(decodeInboxMessage(encoded.Message).text).toBe('vote 👍 \ufffe');
    expect(encoded.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'sms.mo' },
      messageId: { DataType: 'String', StringValue: message.id },
      schemaVersion: { DataType: 'Number', StringValue: '1' },
      to: { DataType: 'String', StringValue: message.to },
      // Printable ASCII only in attributes: a queue refuses some characters.
      keyword: { DataType: 'String', StringValue: 'H\\u00c9LP' },
    });
  });

  it('refuses to decode a body that is not an inbound message', () => {
    expect(() => decodeInboxMessage('{"id":"x"}')).toThrow();
  });
});
