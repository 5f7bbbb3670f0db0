import fc from 'fast-check';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseCallrEventBytes } from '../functions/callr/events';
import { CALLR_EVENT_ID_HEADER, signCallrBody, type CallrHmacAlgorithm } from '../functions/callr/signature';
import { MAX_BODY_BYTES, loadIngestConfig } from '../functions/ingest/config';
import { createIngestHandler } from '../functions/ingest/create-ingest-handler';
import { staticHmacSecrets } from '../functions/ingest/hmac-secrets';
import { withLambdaMiddleware } from '../functions/observability/lambda-middleware';
import { createObservability, SERVICE_NAMES } from '../functions/observability/observability';
import { LOCAL_RESOURCE_NAMES } from '../functions/queues/queue-design';
import { decodeEventBody } from '../functions/queues/queue-message';
import { createLocalClients } from '../local/aws-clients';
import { webhookRequest } from '../local/callr-emulator/delivery';
import { inboundSmsObject, outboundSmsObject } from '../local/callr-emulator/sms-objects';
import { startSqsEmulator } from '../local/emulators';
import { localLambdaContext } from '../local/lambda-context';
import { createQueues } from '../local/provision';
import { createFaultInjector } from './faults';
import { CHAOS_HMAC_SECRET, CHAOS_PREVIOUS_HMAC_SECRET } from './test-secrets';

/**
 * Property-based fuzzing of the ingest handler (wrapped as in Lambda, writing to fauxqs through a
 * real SQS client whose queue writes sometimes fail or lose their answer): bodies, headers and
 * signatures, valid and not. For every input:
 *
 * - the handler never throws, and its answer is one docs/http-contract.md documents, with its code;
 * - a 5xx only when a queue write failed (and then always), never `internal_error`;
 * - nothing is queued unless the request is authentic (signed with an accepted secret over the
 *   exact bytes) — an unauthentic request writes nothing anywhere;
 * - `accepted` only for an event the parser takes, with exactly the signed bytes on the ingest queue;
 *   `quarantined` puts it on the dead-letter queue and nowhere else; `ignored` writes nothing;
 * - a well-formed, signed `sms.mo` or status update is accepted (or 503 when its write failed).
 */

export interface IngestFuzzOptions {
  readonly seed: number;
  readonly runs: number;
  /** Per-attempt failure rate of queue writes (half refused, half answer lost). */
  readonly queueFailureRate: number;
  /** The secrets the handler accepts (tests: one too many, to show the property catches it). @default the chaos secrets */
  readonly acceptedSecrets?: readonly string[];
}

export interface IngestFuzzReport {
  readonly seed: number;
  readonly runs: number;
  /** Answers by `<status> <code>`. */
  readonly answers: Readonly<Record<string, number>>;
  /** Property violations: the first (shrunk) counterexample, when any. */
  readonly failure: string | null;
  readonly durationMs: number;
  readonly ok: boolean;
}

export const DEFAULT_FUZZ_OPTIONS: IngestFuzzOptions = { seed: 1, runs: 10_000, queueFailureRate: 0.25 };

/** The answers docs/http-contract.md lists. */
const DOCUMENTED_ANSWERS: ReadonlySet<string> = new Set([
  '200 accepted',
  '202 ignored',
  '202 quarantined',
  '401 missing_signature',
  '401 invalid_signature',
  '413 payload_too_large',
  '500 secret_unavailable',
  '503 queue_unavailable',
  '500 internal_error',
]);

type BodyKind = 'sms.mo' | 'sms.mt.status_update' | 'other_type' | 'stale' | 'mutated' | 'json_value' | 'bytes' | 'truncated' | 'oversized';
type SignatureKind = 'valid' | 'valid_sha512' | 'valid_previous' | 'wrong_secret' | 'other_body' | 'missing' | 'blank' | 'garbage' | 'truncated';

interface FuzzCase {
  readonly bodyKind: BodyKind;
  readonly body: Buffer;
  readonly signatureKind: SignatureKind;
  readonly signatureHeaderName: string;
  readonly base64Encoded: boolean;
  readonly extraHeaders: Readonly<Record<string, string>>;
  readonly headerEventId: string | undefined;
  readonly garbage: string;
}

/** What a forger signs with. */
export const FORGER_SECRET = 'not-the-secret';

const phoneNumber = fc.stringMatching(/^\+3363998\d{4}$/);
const smsHash = fc.stringMatching(/^[A-Z0-9]{8}$/);
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constant('\u001b]0;pwned\u0007 \u0000 \u202e'));

function envelopeBody(type: string, data: unknown, eventAt: Date, eventId: string, tryNumber: number): string {
  return webhookRequest({ eventId, eventAt: eventAt.toISOString(), type, data }, { hookHash: 'HOOK1234', hmacAlgorithm: 'SHA256' }, tryNumber).body;
}

function bodyArbitrary(now: () => Date): fc.Arbitrary<{ kind: BodyKind; body: Buffer }> {
  const eventId = fc.uuid();
  const mo = fc
    .record({ hash: smsHash, from: phoneNumber, to: fc.constantFrom('+33199001234', '38123'), text: anyText, eventId, tryNumber: fc.nat(5) })
    .map(({ tryNumber, eventId: id, ...sms }) => envelopeBody('sms.mo', inboundSmsObject({ ...sms, receivedAt: now() }), now(), id, tryNumber));
  const status = fc.record({ hash: smsHash, to: phoneNumber, text: anyText, eventId }).map(({ eventId: id, ...sms }) =>
    envelopeBody(
      'sms.mt.status_update',
      outboundSmsObject({
        ...sms,
        from: 'SHOP',
        nature: 'ALERTING',
        userData: '',
        webhookEndpoint: null,
        createdAt: now(),
        history: [{ oldStatus: 'CREATED', newStatus: 'SENT', at: now() }],
      }),
      now(),
      id,
      0,
    ),
  );
  const otherType = fc
    .record({ type: fc.constantFrom('call.hangup', 'media.recording.new', 'did.assigned', 'billing.credit'), data: fc.jsonValue({ maxDepth: 3 }), eventId })
    .map(({ type, data, eventId: id }) => envelopeBody(type, data, now(), id, 0));
  const stale = fc
    .record({ hash: smsHash, from: phoneNumber, text: anyText, eventId, offsetDays: fc.oneof(fc.integer({ min: 8, max: 3000 }), fc.integer({ min: -3000, max: -1 })) })
    .map(({ offsetDays, eventId: id, ...sms }) => {
      const eventAt = new Date(now().getTime() - offsetDays * 86_400_000);
      return envelopeBody('sms.mo', inboundSmsObject({ ...sms, to: '+33199001234', receivedAt: eventAt }), eventAt, id, 0);
    });
  // A valid event with one field removed or replaced by any JSON value, at any depth.
  const mutated = fc
    .record({ base: mo, path: fc.array(fc.nat(40), { minLength: 1, maxLength: 3 }), value: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }) })
    .map(({ base, path, value }) => JSON.stringify(mutate(JSON.parse(base) as unknown, path, value)));
  const text = (kind: BodyKind, arbitrary: fc.Arbitrary<string>) => arbitrary.map((body) => ({ kind, body: Buffer.from(body, 'utf8') }));
  return fc.oneof(
    { weight: 4, arbitrary: text('sms.mo', mo) },
    { weight: 1, arbitrary: text('sms.mt.status_update', status) },
    { weight: 1, arbitrary: text('other_type', otherType) },
    { weight: 1, arbitrary: text('stale', stale) },
    { weight: 3, arbitrary: text('mutated', mutated) },
    { weight: 1, arbitrary: text('json_value', fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null')) },
    {
      weight: 1,
      arbitrary: fc
        .record({ bom: fc.boolean(), bytes: fc.uint8Array({ maxLength: 300 }) })
        .map(({ bom, bytes }) => ({ kind: 'bytes' as const, body: Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(bytes)]) })),
    },
    { weight: 1, arbitrary: fc.record({ base: mo, cut: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ base, cut }) => ({ kind: 'truncated' as const, body: Buffer.from(base).subarray(0, Math.floor(base.length * cut)) })) },
    { weight: 1, arbitrary: fc.nat(2048).map((extra) => ({ kind: 'oversized' as const, body: Buffer.alloc(MAX_BODY_BYTES + 1 + extra, 0x61) })) },
  );
}

function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const keys = Object.keys(value as object);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...(value as Record<string, unknown>) };
  if (path.length === 1 && replacement === undefined) delete copy[key];
  else copy[key] = mutate(copy[key], path.slice(1), replacement);
  return copy;
}

function caseArbitrary(now: () => Date): fc.Arbitrary<FuzzCase> {
  const headerName = fc.constantFrom('X-CALLR-HmacSignature', 'x-callr-hmacsignature', 'X-Callr-Hmacsignature');
  return fc.record({
    body: bodyArbitrary(now),
    signatureKind: fc.constantFrom<SignatureKind>('valid', 'valid', 'valid', 'valid_sha512', 'valid_previous', 'wrong_secret', 'other_body', 'missing', 'blank', 'garbage', 'truncated'),
    signatureHeaderName: headerName,
    base64Encoded: fc.boolean(),
    extraHeaders: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
    headerEventId: fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: undefined }),
    garbage: fc.string({ maxLength: 120 }),
  }).map(({ body, ...rest }) => ({ ...rest, bodyKind: body.kind, body: body.body }));
}

/** The header for the bytes the handler will see (signed as CALLR signs, or forged as the case says). */
function signatureFor(testCase: FuzzCase, body: Buffer): string | undefined {
  const sign = (secret: string, algorithm: CallrHmacAlgorithm = 'SHA256') => signCallrBody(body, secret, algorithm);
  switch (testCase.signatureKind) {
    case 'valid':
      return sign(CHAOS_HMAC_SECRET);
    case 'valid_sha512':
      return sign(CHAOS_HMAC_SECRET, 'SHA512');
    case 'valid_previous':
      return sign(CHAOS_PREVIOUS_HMAC_SECRET);
    case 'wrong_secret':
      return sign(FORGER_SECRET);
    case 'other_body':
      return signCallrBody(Buffer.concat([body, Buffer.from(' ')]), CHAOS_HMAC_SECRET);
    case 'missing':
      return undefined;
    case 'blank':
      return '   ';
    case 'garbage':
      return testCase.garbage;
    case 'truncated':
      return sign(CHAOS_HMAC_SECRET).slice(0, -4);
  }
}

export function toApiGatewayEvent(testCase: FuzzCase, now: Date): APIGatewayProxyEventV2 {
  const body = testCase.base64Encoded ? testCase.body.toString('base64') : testCase.body.toString('utf8');
  // Sent as text, invalid UTF-8 becomes U+FFFD: CALLR signs what goes on the wire, so sign that.
  const signature = signatureFor(testCase, testCase.base64Encoded ? testCase.body : Buffer.from(body, 'utf8'));
  const headers: Record<string, string> = { ...testCase.extraHeaders, 'content-type': 'application/json' };
  if (signature !== undefined) headers[testCase.signatureHeaderName] = signature;
  if (testCase.headerEventId !== undefined) headers[CALLR_EVENT_ID_HEADER.toLowerCase()] = testCase.headerEventId;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/callr',
    rawPath: '/webhooks/callr',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'fuzz',
      domainName: 'fuzz.local',
      domainPrefix: 'fuzz',
      http: { method: 'POST', path: '/webhooks/callr', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
      requestId: `fuzz-${now.getTime()}-${Math.random().toString(36).slice(2)}`,
      routeKey: 'POST /webhooks/callr',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: testCase.base64Encoded,
  };
}

/** The bytes the handler must verify: what the front passed, decoded (a utf8 round trip may change invalid bytes). */
function rawBytesOf(event: APIGatewayProxyEventV2): Buffer {
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
}

export async function runIngestFuzz(input: Partial<IngestFuzzOptions> = {}): Promise<IngestFuzzReport> {
  const options = { ...DEFAULT_FUZZ_OPTIONS, ...input };
  const startedAt = Date.now();
  const region = 'us-east-1';
  const sqsEmulator = await startSqsEmulator({ region });
  const clients = createLocalClients({ region, sqsEndpoint: sqsEmulator.endpoint, dynamodbEndpoint: 'http://127.0.0.1:9' });
  try {
    const queues = await createQueues(clients, LOCAL_RESOURCE_NAMES);
    const injector = createFaultInjector(options.seed);
    const half = options.queueFailureRate / 2;
    injector.install(clients.sqs, 'ingest-sqs', [{ operations: ['SendMessage'], rates: { error_500: half, lost_answer_500: half / 2, lost_answer_reset: half / 2 } }]);
    // Whether each queue write finally succeeded, the SDK's retries included.
    const calls: Array<{ ok: boolean }> = [];
    clients.sqs.middlewareStack.add(
      (next) => async (args) => {
        try {
          const result = await next(args);
          calls.push({ ok: true });
          return result;
        } catch (error) {
          calls.push({ ok: false });
          throw error;
        }
      },
      { step: 'initialize', name: 'fuzzCallOutcomes' },
    );

    const observability = createObservability(SERVICE_NAMES.ingest);
    const acceptedSecrets = options.acceptedSecrets ?? [CHAOS_HMAC_SECRET, CHAOS_PREVIOUS_HMAC_SECRET];
    const config = loadIngestConfig({
      QUEUE_URL: queues.ingestQueueUrl,
      DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
      CALLR_HMAC_SECRET: acceptedSecrets.join(','),
      HMAC_ALGORITHM: 'SHA256',
    });
    const handler = withLambdaMiddleware(
      createIngestHandler({ config, sqs: clients.sqs, secrets: staticHmacSecrets(acceptedSecrets), now: () => new Date(), ...observability }),
      observability,
    );

    const answers: Record<string, number> = {};
    const property = fc.asyncProperty(caseArbitrary(() => new Date()), async (testCase) => {
      const now = new Date();
      const event = toApiGatewayEvent(testCase, now);
      const firstCall = calls.length;
      const firstWrite = injector.reached.length;
      let answer: APIGatewayProxyStructuredResultV2;
      try {
        answer = (await handler(event, localLambdaContext('callr-inbound-sms-ingest', region, 10_000))) as APIGatewayProxyStructuredResultV2;
      } catch (error) {
        throw new Error(`the handler threw: ${(error as Error).stack}`);
      }
      const failedWrite = calls.slice(firstCall).some((call) => !call.ok);
      const writes = injector.reached.slice(firstWrite).filter((call) => call.statusCode === 200);
      const toIngest = writes.filter((call) => call.input.QueueUrl === queues.ingestQueueUrl);
      const toDeadLetter = writes.filter((call) => call.input.QueueUrl === queues.deadLetterQueueUrl);
      const body = JSON.parse(String(answer.body)) as { status?: string; error?: string };
      const code = `${answer.statusCode} ${body.status ?? body.error}`;
      answers[code] = (answers[code] ?? 0) + 1;

      const raw = rawBytesOf(event);
      const oversized = raw.length > MAX_BODY_BYTES;
      const authentic = !oversized && ['valid', 'valid_sha512', 'valid_previous'].includes(testCase.signatureKind);
      const problems: string[] = [];
      const expect = (condition: boolean, problem: string) => {
        if (!condition) problems.push(problem);
      };
      expect(DOCUMENTED_ANSWERS.has(code), `undocumented answer ${code}`);
      expect(String(answer.headers?.['Content-Type'] ?? answer.headers?.['content-type']).startsWith('application/json'), 'not a JSON answer');
      expect(code !== '500 internal_error' && code !== '500 secret_unavailable', `${code}: a 5xx that no queue write explains`);
      expect((answer.statusCode ?? 0) < 500 || failedWrite, `${code} without a failed queue write`);
      if (failedWrite) expect(code === '503 queue_unavailable', `a queue write failed, answered ${code}`);
      if (oversized) expect(code === '413 payload_too_large', `oversized body answered ${code}`);
      if (!authentic) {
        expect(writes.length === 0, `unauthentic request wrote ${writes.length} message(s)`);
        if (!oversized) {
          const missing = testCase.signatureKind === 'missing' || testCase.signatureKind === 'blank' || (testCase.signatureKind === 'garbage' && testCase.garbage.trim() === '');
          expect(code === (missing ? '401 missing_signature' : '401 invalid_signature'), `unauthentic request (${testCase.signatureKind}) answered ${code}`);
        }
      }
      if (code === '200 accepted') {
        const parsed = parseCallrEventBytes(raw);
        expect(parsed.ok && parsed.handled, 'accepted an event the parser refuses or does not handle');
        expect(toDeadLetter.length === 0, 'accepted and also dead-lettered');
        expect(toIngest.length >= 1, 'accepted without an ingest-queue write');
        for (const write of toIngest) {
          expect(decodeEventBody(String(write.input.MessageBody), 'base64').equals(raw), 'queued bytes differ from the signed bytes');
        }
      }
      if (code === '202 quarantined') expect(toIngest.length === 0 && toDeadLetter.length >= 1, 'quarantined but not (only) on the dead-letter queue');
      if (code === '202 ignored') expect(writes.length === 0, 'ignored but written');
      if (authentic && !failedWrite) {
        if (testCase.bodyKind === 'sms.mo' || testCase.bodyKind === 'sms.mt.status_update') expect(code === '200 accepted', `a valid ${testCase.bodyKind} answered ${code}`);
        if (testCase.bodyKind === 'other_type') expect(code === '202 ignored', `an event of a type we do not process answered ${code}`);
        if (testCase.bodyKind === 'stale') expect(code === '202 quarantined', `an event outside the window answered ${code}`);
      }
      if (problems.length > 0) throw new Error(problems.join('; '));
    });

    let failure: string | null = null;
    try {
      await fc.assert(property, { numRuns: options.runs, seed: options.seed, endOnFailure: true });
    } catch (error) {
      // fast-check reports the property's own error as the cause: what was broken comes first, then the input.
      const cause = (error as { cause?: unknown }).cause;
      const broken = cause instanceof Error ? cause.message : '';
      failure = `${broken}${broken ? ' — ' : ''}${(error as Error).message}`.slice(0, 4000);
    }
    return { seed: options.seed, runs: options.runs, answers, failure, durationMs: Date.now() - startedAt, ok: failure === null };
  } finally {
    clients.destroy();
    await sqsEmulator.close();
  }
}

export function formatIngestFuzzReport(report: IngestFuzzReport): string {
  const answers = Object.entries(report.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return `fuzz seed ${report.seed}: ${report.runs} ingest inputs (${answers}), ${(report.durationMs / 1000).toFixed(1)} s, ${report.ok ? 'OK' : `FAILED: ${report.failure}`}`;
}
