import { CHAOS_CALLR_API_KEY, CHAOS_HMAC_SECRET, CHAOS_NUMBER_HASH_KEY, CHAOS_PREVIOUS_HMAC_SECRET } from './test-secrets';

/**
 * Looks for known secrets in text that must never hold them: logs, synthesized templates, Lambda
 * bundles. A secret leaks in more than one spelling, so each is looked for as it is, base64-encoded
 * (an `Authorization: Basic` header, a base64 body), URL-encoded, and, for a login and password,
 * as the `login:password` pair CALLR's Basic authentication encodes.
 */

export interface KnownSecret {
  /** What it is, for the report: `HMAC secret`, `CALLR API key`… */
  readonly name: string;
  readonly value: string;
}

export interface SecretFinding {
  readonly name: string;
  /** `as is`, `base64`, `url-encoded`. */
  readonly form: string;
  /** Where in the text: a few characters around the first match, the secret itself masked. */
  readonly context: string;
}

/** The known test values the chaos run, local mode's emulator and the test fixtures use. */
export const KNOWN_TEST_SECRETS: readonly KnownSecret[] = [
  { name: 'chaos HMAC secret', value: CHAOS_HMAC_SECRET },
  { name: 'chaos previous HMAC secret', value: CHAOS_PREVIOUS_HMAC_SECRET },
  { name: 'chaos CALLR API key', value: CHAOS_CALLR_API_KEY },
  { name: 'chaos number hash key', value: CHAOS_NUMBER_HASH_KEY },
];

/** A login and password are also looked for as the pair Basic authentication encodes. */
export function basicCredentialSecrets(name: string, login: string, password: string): KnownSecret[] {
  return [
    { name: `${name} password`, value: password },
    { name: `${name} login:password`, value: `${login}:${password}` },
  ];
}

function formsOf(value: string): Array<{ form: string; text: string }> {
  const forms = [
    { form: 'as is', text: value },
    { form: 'base64', text: Buffer.from(value).toString('base64').replace(/=+$/, '') },
    { form: 'url-encoded', text: encodeURIComponent(value) },
  ];
  return forms.filter((form, index) => forms.findIndex((other) => other.text === form.text) === index);
}

export function findSecrets(text: string, secrets: readonly KnownSecret[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const secret of secrets) {
    for (const { form, text: needle } of formsOf(secret.value)) {
      const at = text.indexOf(needle);
      if (at < 0) continue;
      const context = `${text.slice(Math.max(0, at - 40), at)}[${secret.name}]${text.slice(at + needle.length, at + needle.length + 40)}`;
      findings.push({ name: secret.name, form, context });
    }
  }
  return findings;
}

/**
 * Everything written to stdout and stderr while `work` runs (Powertools writes its logs there),
 * kept in memory and not shown; for the secret scan of a run's logs.
 */
export async function captureOutput<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  try {
    const result = await work();
    return { result, output: chunks.join('') };
  } finally {
    streams.forEach((stream, index) => {
      stream.write = originals[index]!;
    });
  }
}
