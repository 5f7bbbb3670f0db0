import { createHmac } from 'node:crypto';
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

    it('verifies with the default, which accepts both algorithms', () => {
      expect(verifyCallrSignature({ rawBody: vector.body, header: vector.signature, secrets: [vector.secret] })).toEqual({ ok: true });
    });

    it('verifies with a list of accepted algorithms that holds its own, and refuses one that does not', () => {
      const other = vector.algorithm === 'SHA256' ? 'SHA512' : 'SHA256';
      const check = (algorithms: Array<'SHA256' | 'SHA512'>) =>
        verifyCallrSignature({ rawBody: vector.body, header: vector.signature, secrets: [vector.secret], algorithms });
      expect([check([other, vector.algorithm]), check([other]), check([])]).toEqual([
        { ok: true },
        { ok: false, reason: 'invalid_signature' },
        { ok: false, reason: 'invalid_signature' },
      ]);
    });
  });

  const body = smsMoBody();
  const secret = 'current-secret';
  const signature = signCallrBody(body, secret);

  it('accepts SHA256 and SHA512 by default, told apart by the signature length', () => {
    expect([
      verifyCallrSignature({ rawBody: body, header: signature, secrets: [secret] }),
      verifyCallrSignature({ rawBody: body, header: signCallrBody(body, secret, 'SHA512'), secrets: [secret] }),
    ]).toEqual([{ ok: true }, { ok: true }]);
  });

  const hmacOf = (digest: string) => createHmac(digest, secret).update(body).digest();
  it.each([
    ['HMAC-SHA1 (20 bytes)', hmacOf('sha1').toString('base64')],
    ['HMAC-SHA384 (48 bytes)', hmacOf('sha384').toString('base64')],
    ['a SHA256 signature cut to 31 bytes', hmacOf('sha256').subarray(0, 31).toString('base64')],
    ['a SHA256 signature with one byte more', Buffer.concat([hmacOf('sha256'), Buffer.from([0])]).toString('base64')],
    ['64 bytes that are not the SHA512 signature (SHA256 twice)', Buffer.concat([hmacOf('sha256'), hmacOf('sha256')]).toString('base64')],
  ])('refuses %s, signed with the right secret', (_name, header) => {
    expect(verifyCallrSignature({ rawBody: body, header, secrets: [secret] })).toEqual({ ok: false, reason: 'invalid_signature' });
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
