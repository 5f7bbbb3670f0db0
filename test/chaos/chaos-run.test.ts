import type { SQSBatchResponse } from 'aws-lambda';
import { FORGER_SECRET, runIngestFuzz, type IngestFuzzReport } from '../../chaos/fuzz-ingest';
import { formatMoChaosReport, runMoChaos, type MoChaosReport } from '../../chaos/mo-run';
import { captureOutput, findSecrets, KNOWN_TEST_SECRETS } from '../../chaos/secret-scan';
import { CHAOS_HMAC_SECRET } from '../../chaos/test-secrets';

/**
 * The reduced `npm run chaos` (docs/threat-model.md): a few hundred signed MOs through the real
 * handlers under every injected fault, a thousand fuzzed ingest requests, and a scan of every log
 * line they wrote for the known secrets. Each check is also shown to fail on a broken pipeline.
 * Loopback only, bounded in count and time.
 */

const env = { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'true' };
const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
beforeAll(() => Object.assign(process.env, env));
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('npm run chaos, reduced', () => {
  let chaos: MoChaosReport;
  let fuzz: IngestFuzzReport;
  let logs: string;

  beforeAll(async () => {
    const fuzzRun = await captureOutput(() => runIngestFuzz({ seed: 7, runs: 1_000 }));
    const chaosRun = await captureOutput(() => runMoChaos({ seed: 7, count: 300, ratePerSecond: 50, timeScale: 20, settleTimeoutMs: 90_000 }));
    fuzz = fuzzRun.result;
    chaos = chaosRun.result;
    logs = fuzzRun.output + chaosRun.output;
  }, 150_000);

  it('stores every MO once and forwards it, whatever was injected; every extra forward has a fault on its inbox publication or forward mark', () => {
    expect({ line: formatMoChaosReport(chaos), examples: chaos.examples, faults: chaos.faultsBySms }).toMatchObject({ line: expect.stringMatching(/, OK$/) });
    expect(chaos).toMatchObject({
      sent: 300,
      unique: 300,
      stored: 300,
      storedTwice: 0,
      uniqueNotStored: 0,
      storedWrong: 0,
      forwarded: 300,
      storedNotForwarded: 0,
      extraForwardsUnexplained: 0,
      ok: true,
    });
  });

  it('went through what it claims: both webhooks, CALLR retries, and every kind of fault', () => {
    expect(chaos.throughTwoWebhooks).toBeGreaterThan(20);
    expect(chaos.events).toBe(300 + chaos.throughTwoWebhooks);
    expect(chaos.callrRetries).toBeGreaterThan(0);
    const injected = Object.entries(chaos.injected).filter(([, count]) => count > 0).map(([kind]) => kind);
    for (const kind of [
      /^ingest-sqs\.SendMessage\.error_500$/,
      /^ingest-sqs\.SendMessage\.lost_answer/,
      /^persist-dynamodb\.PutItem\.lost_answer/,
      /^persist-dynamodb\.\w+\.throttled$/,
      /^persist-dynamodb\.\w+\.error_500$/,
      /^persist-sns\.PublishBatch\.error_500$/,
      /^persist-sns\.PublishBatch\.lost_answer/,
      /^persist\.crash$/,
      /^callr\.delivery_timeout$/,
    ]) {
      expect(injected).toContainEqual(expect.stringMatching(kind));
    }
  });

  it('fuzzes the ingest handler: never a throw, an undocumented answer, a 5xx without a failed write, or a write that is not authentic and valid', () => {
    expect(fuzz.failure).toBeNull();
    expect(Object.values(fuzz.answers).reduce((sum, count) => sum + count, 0)).toBe(1_000);
    for (const code of ['200 accepted', '202 ignored', '202 quarantined', '401 missing_signature', '401 invalid_signature', '413 payload_too_large', '503 queue_unavailable']) {
      expect(fuzz.answers[code]).toBeGreaterThan(0);
    }
  });

  it('no log line of either run holds the HMAC secrets or the CALLR API key, in any spelling', () => {
    expect(logs.split('\n').length).toBeGreaterThan(1_000);
    expect(findSecrets(logs, KNOWN_TEST_SECRETS)).toEqual([]);
  });
});

describe('the chaos checks can fail', () => {
  it('the books catch a persister that acknowledges records it never stored', async () => {
    const { result } = await captureOutput(() =>
      runMoChaos({
        seed: 3,
        count: 40,
        perSmsWebhookShare: 0,
        rates: { ingestQueueFailure: 0, dynamoLostAnswer: 0, dynamoThrottle: 0, dynamoError: 0, persistCrash: 0, inboxFailure: 0, inboxLostAnswer: 0, deliveryTimeout: 0 },
        // Drops the first record of every batch and reports the batch a success.
        persistWrapper: (persist) => async (event) => {
          const [, ...kept] = event.Records;
          return kept.length === 0 ? ({ batchItemFailures: [] } satisfies SQSBatchResponse) : persist({ Records: kept });
        },
      }),
    );
    expect(result.uniqueNotStored).toBeGreaterThan(0);
    expect(result.ok).toBe(false);
    expect(formatMoChaosReport(result)).toMatch(/, FAILED$/);
  }, 60_000);

  it('the fuzzing catches a handler that accepts a forger\'s secret', async () => {
    const { result } = await captureOutput(() => runIngestFuzz({ seed: 7, runs: 1_000, acceptedSecrets: [CHAOS_HMAC_SECRET, FORGER_SECRET] }));
    expect(result.ok).toBe(false);
    expect(result.failure).toMatch(/unauthentic request/);
  }, 60_000);

  it('the log scan finds a secret in any of its spellings', () => {
    const value = KNOWN_TEST_SECRETS[0]!.value;
    for (const leaked of [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)]) {
      expect(findSecrets(`{"level":"INFO","message":"x","header":"${leaked}"}`, KNOWN_TEST_SECRETS)).toEqual([
        expect.objectContaining({ name: KNOWN_TEST_SECRETS[0]!.name }),
      ]);
    }
  });
});
