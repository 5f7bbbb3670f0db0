import { parseOutboxRequest, MAX_OUTBOX_TEXT_LENGTH, MAX_USER_DATA_LENGTH } from '../../functions/outbox/request';
import { findSentSmsIn, ListingIncompleteError, LOOKUP_MARGIN_MS, type ListedOutboundSms } from '../../functions/sender/lost-answers';
import { textDigest } from '../../functions/messages/outbound-store';

const valid = { requestId: 'order-1234#reminder', to: '+33612345678', text: 'Votre commande est prête 👍' };

describe('parseOutboxRequest', () => {
  it.each([
    ['the three required fields', valid],
    ['userData and nature', { ...valid, userData: 'x'.repeat(MAX_USER_DATA_LENGTH), nature: 'MARKETING' }],
    ['the longest text', { ...valid, text: 'a'.repeat(MAX_OUTBOX_TEXT_LENGTH) }],
    ['fields it does not know (a newer producer)', { ...valid, sendAfter: '2026-01-01T00:00:00Z' }],
  ])('accepts %s', (_name, body) => {
    const parsed = parseOutboxRequest(JSON.stringify(body));
    expect(parsed).toEqual({ ok: true, request: expect.objectContaining({ requestId: body.requestId, to: body.to, text: body.text }) });
  });

  it.each([
    ['a national number', { ...valid, to: '0612345678' }, 'to'],
    ['an empty text', { ...valid, text: '' }, 'text'],
    ['a text over the limit', { ...valid, text: 'a'.repeat(MAX_OUTBOX_TEXT_LENGTH + 1) }, 'text'],
    ['userData over 255 characters', { ...valid, userData: 'x'.repeat(MAX_USER_DATA_LENGTH + 1) }, 'userData'],
    ['an unknown nature', { ...valid, nature: 'SPAM' }, 'nature'],
  ])('refuses %s, naming the field and keeping the requestId to answer to', (_name, body, field) => {
    const parsed = parseOutboxRequest(JSON.stringify(body));
    expect(parsed).toEqual({ ok: false, reason: 'invalid_request', detail: expect.stringMatching(new RegExp(`^${field}: `)), requestId: valid.requestId });
  });

  it.each([
    ['no requestId', { to: valid.to, text: valid.text }],
    ['a requestId with a space', { ...valid, requestId: 'order 1' }],
    ['a requestId of 129 characters', { ...valid, requestId: 'r'.repeat(129) }],
  ])('refuses %s, with no requestId to answer to', (_name, body) => {
    const parsed = parseOutboxRequest(JSON.stringify(body));
    expect(parsed).toMatchObject({ ok: false, reason: 'invalid_request' });
    expect(parsed).not.toHaveProperty('requestId');
  });

  it('refuses what is not JSON, without quoting it', () => {
    expect(parseOutboxRequest('{"requestId": "a", secret')).toEqual({ ok: false, reason: 'invalid_json', detail: 'the body is not JSON' });
  });
});

describe('findSentSmsIn (a send whose answer was lost, looked up in CALLR listing)', () => {
  const claimedAt = new Date('2026-03-02T09:00:10.000Z');
  const text = 'Your code is 1234';
  const sms = (fields: Partial<ListedOutboundSms>): ListedOutboundSms => ({
    hash: 'abcd1234',
    from: '38100',
    to: '33612345678',
    text,
    userData: 'u1',
    createdAt: '2026-03-02T09:00:11.000Z',
    ...fields,
  });
  const listing = (sms: ListedOutboundSms[], complete = true) => async () => ({ sms, complete });
  const query = { to: '+33612345678', textDigest: textDigest(text), userData: 'u1' as string | null, claimedAt };

  it('asks one minute either side of the claim, for that recipient', async () => {
    const asked: unknown[] = [];
    await findSentSmsIn(async (range) => {
      asked.push(range);
      return { sms: [], complete: true };
    })(query);
    expect(asked).toEqual([{ recipient: '+33612345678', from: new Date(claimedAt.getTime() - LOOKUP_MARGIN_MS), to: new Date(claimedAt.getTime() + LOOKUP_MARGIN_MS) }]);
  });

  it('finds the SMS with the same recipient (with or without +), text and user data; its hash upper-cased, with its sender', async () => {
    const found = await findSentSmsIn(listing([sms({ text: 'another text' }), sms({ userData: 'u2', hash: 'other' }), sms({})]))(query);
    expect(found).toEqual({ hash: 'ABCD1234', from: '38100' });
  });

  it('of two matching SMS, takes the one created nearest the claim', async () => {
    const found = await findSentSmsIn(listing([sms({ hash: 'far', createdAt: '2026-03-02T09:00:50.000Z' }), sms({ hash: 'near' })]))(query);
    expect(found?.hash).toBe('NEAR');
  });

  it('never concludes from a listing that was not complete: it throws, for the lookup to be tried again', async () => {
    await expect(findSentSmsIn(listing([sms({ text: 'another text' })], false))(query)).rejects.toThrow(ListingIncompleteError);
    expect(await findSentSmsIn(listing([sms({})], false))(query)).toEqual({ hash: 'ABCD1234', from: '38100' });
  });

  it('finds nothing when no SMS matches, and does not take one sent without user data for one sent with it', async () => {
    expect(await findSentSmsIn(listing([sms({ userData: undefined })]))(query)).toBeUndefined();
    expect(await findSentSmsIn(listing([sms({ userData: undefined })]))({ ...query, userData: null })).toEqual({ hash: 'ABCD1234', from: '38100' });
  });
});
