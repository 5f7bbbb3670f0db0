import { PersistConfigError, loadPersistConfig } from '../../functions/persist/config';

const VALID_ENV = {
  TABLE_NAME: 'callr-inbound-sms-messages',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/callr-dead-letter',
  INBOX_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:callr-inbox',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadPersistConfig(env);
  } catch (error) {
    if (error instanceof PersistConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a PersistConfigError');
}

describe('loadPersistConfig', () => {
  it('reads a complete environment', () => {
    expect(loadPersistConfig(VALID_ENV)).toEqual({
      tableName: 'callr-inbound-sms-messages',
      deadLetterQueueUrl: VALID_ENV.DEAD_LETTER_QUEUE_URL,
      inboxTopicArn: VALID_ENV.INBOX_TOPIC_ARN,
      threadingWindowMs: 7 * 24 * 3600 * 1000,
    });
  });

  it.each([
    ['a window in seconds', '3600', 3_600_000],
  ])('reads THREADING_WINDOW_SECONDS: %s', (_name, value, expected) => {
    expect(loadPersistConfig({ ...VALID_ENV, THREADING_WINDOW_SECONDS: value }).threadingWindowMs).toBe(expected);
  });

  it.each(['0', '1.5', 'a week'])('refuses THREADING_WINDOW_SECONDS=%s, saying what it holds', (value) => {
    expect(problemsOf({ ...VALID_ENV, THREADING_WINDOW_SECONDS: value })).toEqual([expect.stringMatching(/^THREADING_WINDOW_SECONDS must be a whole number of seconds/)]);
  });

  it('reads the indexes the table has (TABLE_INDEXES), the two it always had included, and refuses unknown names', () => {
    expect(loadPersistConfig({ ...VALID_ENV, TABLE_INDEXES: 'byKeyword' }).tableIndexes).toEqual(new Set(['bySender', 'byRecipient', 'byKeyword']));
    expect(loadPersistConfig(VALID_ENV).tableIndexes).toBeUndefined();
    expect(problemsOf({ ...VALID_ENV, TABLE_INDEXES: 'bySender,byKeywords' })).toEqual([
      'TABLE_INDEXES names no index of the table: "byKeywords"; valid: byOutboundRecipient, byKeyword, byNumberHash (bySender and byRecipient are always there).',
    ]);
  });

  it('reads where the number hash key comes from', () => {
    const secretId = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:number-hash-key-AbCdEf';
    expect(loadPersistConfig({ ...VALID_ENV, NUMBER_HASH_KEY_ARN: secretId }).numberHashKey).toEqual({ kind: 'secrets-manager', secretId });
    expect(problemsOf({ ...VALID_ENV, NUMBER_HASH_KEY: 'short' })).toEqual([expect.stringMatching(/^NUMBER_HASH_KEY must be at least 32 bytes/)]);
    expect(problemsOf({ ...VALID_ENV, AWS_LAMBDA_FUNCTION_NAME: 'persist' })).toEqual([expect.stringMatching(/^NUMBER_HASH_KEY_ARN is required/)]);
  });

  it('reads the opt-out words, each list replacing its defaults, and reports bad ones', () => {
    expect(loadPersistConfig(VALID_ENV).optOutWords).toBeUndefined();
    expect(loadPersistConfig({ ...VALID_ENV, OPT_OUT_STOP_WORDS: 'stop,halt', OPT_OUT_START_WORDS: 'go' }).optOutWords).toEqual({
      stop: ['STOP', 'HALT'],
      start: ['GO'],
    });
    expect(problemsOf({ ...VALID_ENV, OPT_OUT_START_WORDS: 'STOP' })).toEqual([
      expect.stringMatching(/^OPT_OUT_STOP_WORDS \/ OPT_OUT_START_WORDS .*"STOP" is both a stop and a start word/),
    ]);
  });

  it("accepts the local emulators' URL and ARN", () => {
    const env = {
      ...VALID_ENV,
      DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/callr-inbound-sms-dead-letter',
      INBOX_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:callr-inbound-sms-inbox',
    };
    expect(loadPersistConfig(env)).toMatchObject({ deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL, inboxTopicArn: env.INBOX_TOPIC_ARN });
  });

  it('reports every missing variable at once, naming each', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^TABLE_NAME is required/);
    expect(problems[1]).toMatch(/^DEAD_LETTER_QUEUE_URL is required/);
    expect(problems[2]).toMatch(/^INBOX_TOPIC_ARN is required/);
  });

  it.each([
    ['TABLE_NAME', 'no spaces allowed', /^TABLE_NAME must be a DynamoDB table name/],
    ['TABLE_NAME', '   ', /^TABLE_NAME is required/],
    ['DEAD_LETTER_QUEUE_URL', 'callr-dead-letter', /^DEAD_LETTER_QUEUE_URL must be an http\(s\) queue URL/],
    ['INBOX_TOPIC_ARN', 'https://sqs.eu-west-1.amazonaws.com/123456789012/callr-inbox', /^INBOX_TOPIC_ARN must be an SNS topic ARN/],
    ['INBOX_TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:callr-inbox.fifo', /^INBOX_TOPIC_ARN must be an SNS topic ARN \(a standard topic\)/],
  ])('refuses %s=%j', (name, value, expected) => {
    expect(problemsOf({ ...VALID_ENV, [name]: value })).toEqual([expect.stringMatching(expected)]);
  });

  it('says what is wrong in the error message itself (it is what the Lambda init log shows)', () => {
    expect(() => loadPersistConfig({ ...VALID_ENV, TABLE_NAME: undefined })).toThrow(/invalid persist configuration:\n- TABLE_NAME is required/);
  });
});
