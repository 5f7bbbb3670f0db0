import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hashNumber, maskNumber } from '../../functions/privacy/number-hash';
import { logMaskingReplacer, maskNumberForLogs } from '../../functions/observability/log-masking';
import { createMaskingLogger } from '../../functions/observability/observability';

const KEY = new TextEncoder().encode('log-masking-test-key-0123456789abcdef');
const masked = (number: string) => `${maskNumber(number)}#${hashNumber(KEY, number)}`;
const stringify = (value: unknown, key: Uint8Array | null = KEY) => JSON.stringify(value, logMaskingReplacer(() => key ?? undefined));

describe('log masking', () => {
  it.each([
    ['a number under a number key', { from: '+33612345678' }, { from: masked('+33612345678') }],
    ['a shortcode under a number key', { to: '38100' }, { to: masked('38100') }],
    ['a number written with spaces', { number: '+33 6 12 34 56 78' }, { number: masked('+33 6 12 34 56 78') }],
    ['an alphanumeric sender id', { from: 'CALLR' }, { from: 'CALLR' }],
    ['the dates of a time range', { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02' }, { from: '2026-03-01T00:00:00.000Z', to: '2026-03-02' }],
    ['text', { text: 'hello there' }, { text: '[text withheld: 11 characters]' }],
    ['a raw event as bytes', { raw: Buffer.from('{"text":"hi"}') }, { raw: '[withheld]' }],
    ['a number inside a message', { detail: 'from "+33612345678" is invalid' }, { detail: `from "${masked('+33612345678')}" is invalid` }],
    ['a number without + inside a message', { detail: 'to 33612345678.' }, { detail: `to ${masked('33612345678')}.` }],
    ['nested objects and arrays', { event: { data: [{ to: '+4915112345678' }] } }, { event: { data: [{ to: masked('+4915112345678') }] } }],
  ])('masks %s', (_name, value, expected) => {
    expect(JSON.parse(stringify(value))).toEqual(expected);
  });

  it.each([
    ['an ISO timestamp', '2026-03-01T12:00:00.123Z'],
    ['an account id in an ARN', 'arn:aws:lambda:eu-west-1:123456789012:function:persist'],
    ['a CALLR event id with digits', 'a1234567890b1234567890c1234567890'],
    ['a UUID', '05a7cc8e-4b4d-4250-bf1e-1b639a5de95a'],
    ['a UUID whose last group is all digits (a Lambda request id in tests)', 'c0ffee00-0000-4000-8000-000000000002'],
    ['a UUID whose groups are all digits', '12345678-0000-4000-8000-000000000002'],
    ['a short digit run', 'retry in 1500 ms at line 42'],
  ])('leaves %s alone', (_name, value) => {
    expect(JSON.parse(stringify({ detail: value }))).toEqual({ detail: value });
  });

  it('masks without the hash while no key is loaded', () => {
    expect(maskNumberForLogs('+33612345678', undefined)).toBe('•••••••5678');
    expect(JSON.parse(stringify({ from: "+33612345678" }, null))).toEqual({ from: '•••••••5678' });
  });

  it('masks every line of a logger and of its children, errors included', () => {
    const lines: string[] = [];
    const logger = createMaskingLogger('masking-test', () => KEY);
    // Powertools writes through a console of its own; capture what it would print.
    const write = (line: string) => void lines.push(line);
    for (const target of [logger, logger.createChild()]) {
      const console = (target as unknown as { console: Record<string, unknown> }).console;
      for (const method of ['info', 'warn', 'error', 'debug']) console[method] = write;
    }
    logger.info('stored', { from: '+33612345678', text: 'secret words' });
    const child = logger.createChild();
    (child as unknown as { console: Record<string, unknown> }).console.warn = write;
    child.warn('failed', { error: new Error('ConditionalCheckFailed for to=+33698765432') });

    const all = lines.join('\n');
    expect(lines).toHaveLength(2);
    expect(all).not.toMatch(/33612345678|33698765432|secret words/);
    expect(all).toContain(masked('+33612345678'));
    expect(all).toContain(masked('+33698765432'));
  });
});

it('is how every logger is built: no Powertools Logger is constructed anywhere but createMaskingLogger', () => {
  const root = join(__dirname, '..', '..');
  const sourceFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? (entry.name === 'node_modules' ? [] : sourceFiles(join(dir, entry.name))) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );
  // Code that runs and logs; bench/ only measures Powertools' own cost (a bare Logger in a probe).
  const offenders = ['functions', 'local', 'cli', 'bin', 'chaos', 'examples']
    .flatMap((dir) => {
      try {
        return sourceFiles(join(root, dir));
      } catch {
        return [];
      }
    })
    .filter((file) => relative(root, file) !== join('functions', 'observability', 'observability.ts'))
    .filter((file) => /new Logger\(/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));
  expect(offenders).toEqual([]);
});
