import { buildOutboxRequest, formatSendResult } from '../../cli/send';
import { UsageError } from '../../cli/errors';

describe('callr-mo send', () => {
  it('builds the outbox request, with a new requestId unless one is given', () => {
    expect(buildOutboxRequest({ to: '+33612345678', text: 'Hi', userData: 'u1' }, () => 'generated-id')).toEqual({
      requestId: 'generated-id',
      to: '+33612345678',
      text: 'Hi',
      userData: 'u1',
    });
    expect(buildOutboxRequest({ to: '+33612345678', text: 'Hi', requestId: 'mine-1', nature: 'MARKETING' }).requestId).toBe('mine-1');
  });

  it.each([
    ['a national number', { to: '0612345678', text: 'Hi' }, /to: /],
    ['an empty text', { to: '+33612345678', text: '' }, /text: /],
    ['an unknown nature', { to: '+33612345678', text: 'Hi', nature: 'SPAM' }, /nature: /],
  ])('refuses %s before anything is sent (exit 2)', (_name, input, field) => {
    expect(() => buildOutboxRequest(input)).toThrow(UsageError);
    expect(() => buildOutboxRequest(input)).toThrow(field);
  });

  const request = { requestId: 'r1', to: '+33612345678', text: 'Hi' };

  it.each([
    [
      'sent',
      { schemaVersion: 1 as const, kind: 'sms.sent' as const, requestId: 'r1', hash: 'ABCD1234', to: request.to, userData: null, sentAt: '2026-03-02T09:00:00.000Z', confirmedBy: 'answer' as const },
      'sent: request r1 to +33612345678, SMS ABCD1234, at 2026-03-02T09:00:00.000Z',
    ],
    [
      'not sent, with the reason and its detail escaped for the terminal',
      { schemaVersion: 1 as const, kind: 'sms.send_failed' as const, requestId: 'r1', to: request.to, userData: null, reason: 'callr_refused' as const, detail: 'CALLR refused the SMS: BAD\u001b[2J', failedAt: '2026-03-02T09:00:00.000Z' },
      'not sent: request r1 to +33612345678: callr_refused (CALLR refused the SMS: BAD\\x1b[2J)',
    ],
  ])('prints %s', (_name, outcome, line) => {
    expect(formatSendResult({ request, outcome }, 30_000)).toBe(line);
  });

  it('says when no outcome came in time', () => {
    expect(formatSendResult({ request }, 30_000)).toBe('request r1 is on the outbox; no outcome within 30 s (it comes on the inbox when the sender is done)');
  });
});
