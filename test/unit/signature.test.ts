import { signCallrBody, verifyCallrSignature } from '../../functions/callr/signature';
import { signatureVectors, smsMoBody } from '../fixtures/callr-fixtures';

describe('CALLR HMAC signature', () => {
  describe.each(signatureVectors().map((v) => [v.label, v] as const))('vector %s', (_label, vector) => {
    it('signs to the published value byte for byte', () => {
      expect(signCallrBody(vector.body, vector.secret, vector.algorithm)).toBe(vector.signature);
    });

    it('verifies', () => {
      expect(
        verifyCallrSignature({ rawBody: vector.body, header: vector.signature, secrets: [vector.secret], algorithm: vector.algorithm }),
      ).toEqual({ ok: true });
    });

    it('refuses a body with one byte changed', () => {
      const tampered = Buffer.from(vector.body);
      tampered[tampered.length - 2] ^= 0x01;
      expect(
        verifyCallrSignature({ rawBody: tampered, header: vector.signature, secrets: [vector.secret], algorithm: vector.algorithm }),
      ).toEqual({ ok: false, reason: 'invalid_signature' });
    });

    it('refuses the wrong secret', () => {
      expect(
        verifyCallrSignature({ rawBody: vector.body, header: vector.signature, secrets: ['not-it'], algorithm: vector.algorithm }),
      ).toEqual({ ok: false, reason: 'invalid_signature' });
    });

    it('refuses the other algorithm', () => {
      const other = vector.algorithm === 'SHA256' ? 'SHA512' : 'SHA256';
      expect(
        verifyCallrSignature({ rawBody: vector.body, header: vector.signature, secrets: [vector.secret], algorithm: other }),
      ).toEqual({ ok: false, reason: 'invalid_signature' });
    });
  });

  const body = smsMoBody();
  const secret = 'current-secret';
  const signature = signCallrBody(body, secret);

  it('defaults to SHA256', () => {
    expect(verifyCallrSignature({ rawBody: body, header: signature, secrets: [secret] })).toEqual({ ok: true });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('reports a %s header as missing', (_name, header) => {
    expect(verifyCallrSignature({ rawBody: body, header, secrets: [secret] })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it.each([
    ['not base64', 'not base64 at all!'],
    ['truncated', signature.slice(0, -4)],
    ['hex instead of base64', Buffer.from(signature, 'base64').toString('hex')],
    ['junk appended', `${signature}AAAA`],
  ])('refuses a signature that is %s', (_name, header) => {
    expect(verifyCallrSignature({ rawBody: body, header, secrets: [secret] })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('accepts a body signed with the previous secret during a rotation', () => {
    const signedWithPrevious = signCallrBody(body, 'previous-secret');
    expect(
      verifyCallrSignature({ rawBody: body, header: signedWithPrevious, secrets: [secret, 'previous-secret'] }),
    ).toEqual({ ok: true });
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifyCallrSignature({ rawBody: body, header: signature, secrets: [] })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('ignores an empty secret rather than matching an HMAC keyed with nothing', () => {
    const signedWithEmpty = signCallrBody(body, '');
    expect(verifyCallrSignature({ rawBody: body, header: signedWithEmpty, secrets: [''] })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
  });
});
