import { createHmac, randomBytes } from 'node:crypto';
import { signCallrBody, verifyCallrSignature } from '../../functions/callr/signature';
import { smsMoBody } from '../../test/fixtures/callr-fixtures';
import type { PairSpec } from '../harness/compare';

/**
 * `verifyCallrSignature` against the HMAC it cannot avoid. During a rotation it checks every
 * secret, always (constant time says nothing about which one matched), so its baseline with two
 * secrets is two bare HMACs: the ratio is then what verification adds, not what rotation costs.
 */

const CURRENT_SECRET = 'bench-current-secret-5b1e';
const PREVIOUS_SECRET = 'bench-previous-secret-77c3';
/** The largest body the ingest Lambda accepts (MAX_BODY_BYTES). */
const LARGE_BODY_BYTES = 256 * 1024;

export function signaturePairs(): PairSpec[] {
  const bodies = [
    { label: `fixture sms-mo.json (${smsMoBody().length} B)`, id: 'fixture', bytes: smsMoBody() },
    { label: '256 KiB body', id: '256k', bytes: randomBytes(LARGE_BODY_BYTES) },
  ];
  const secretSets = [
    { label: 'one secret', id: '1-secret', secrets: [CURRENT_SECRET] },
    // Signed with the previous secret: the event that arrives mid-rotation, where both are needed.
    { label: 'two secrets (rotation)', id: '2-secrets', secrets: [CURRENT_SECRET, PREVIOUS_SECRET] },
  ];

  return bodies.flatMap((body) =>
    secretSets.map((set): PairSpec => {
      const header = signCallrBody(body.bytes, set.secrets[set.secrets.length - 1] ?? '');
      const large = body.bytes.length > 64 * 1024;
      return {
        id: `signature.${body.id}.${set.id}`,
        title: `Signature, ${body.label}, ${set.label}`,
        subject: {
          name: 'verifyCallrSignature',
          run: () => {
            const check = verifyCallrSignature({ rawBody: body.bytes, header, secrets: set.secrets });
            if (!check.ok) throw new Error(`signature benchmark: verification failed (${check.reason})`);
          },
        },
        baseline: {
          name: `bare HMAC-SHA256 × ${set.secrets.length}`,
          run: () => {
            for (const secret of set.secrets) createHmac('sha256', secret).update(body.bytes).digest();
          },
        },
        timeMs: large ? 1200 : 800,
        minIterations: large ? 100 : 2000,
      };
    }),
  );
}
