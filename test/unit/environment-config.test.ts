import { environmentReader } from '../../functions/config/environment';
import { loadSenderConfig, SenderConfigError, SENDER_CONFIG_DEFAULTS } from '../../functions/sender/config';

describe('environmentReader', () => {
  it('treats blank as unset, and collects every problem instead of stopping at the first', () => {
    const problems: string[] = [];
    const { read, required, integer } = environmentReader({ BLANK: '  ', SET: ' value ', COUNT: '12', BAD: '1.5' }, problems);
    expect(read('BLANK')).toBeUndefined();
    expect(read('SET')).toBe('value');
    expect(required('MISSING', 'the thing')).toBe('');
    expect(integer('COUNT', 3, 1)).toBe(12);
    expect(integer('UNSET', 3, 1)).toBe(3);
    integer('BAD', 3, 1);
    expect(problems).toEqual([
      'MISSING is required: the thing.',
      'BAD must be an integer >= 1 (got "1.5"); unset it for the default 3.',
    ]);
  });
});

describe('loadSenderConfig', () => {
  const VALID_ENV = {
    TABLE_NAME: 'messages',
    INBOX_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:inbox',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/outbox-dlq',
    WEBHOOK_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/callr',
    NUMBER_HASH_KEY: 'test-number-hash-key-5b8d2f0e6a4c1937',
  };

  it('reads a valid environment with its defaults', () => {
    expect(loadSenderConfig(VALID_ENV)).toMatchObject({
      tableName: 'messages',
      claimStaleAfterMs: SENDER_CONFIG_DEFAULTS.claimStaleAfterMs,
      lookupGiveUpAfterMs: SENDER_CONFIG_DEFAULTS.lookupGiveUpAfterMs,
    });
  });

  it('reports every problem at once, each naming its variable', () => {
    let error: unknown;
    try {
      loadSenderConfig({ INBOX_TOPIC_ARN: VALID_ENV.INBOX_TOPIC_ARN, WEBHOOK_URL: 'not a url', CLAIM_STALE_AFTER_MS: '0', AWS_LAMBDA_FUNCTION_NAME: 'sender' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SenderConfigError);
    const problems = (error as SenderConfigError).problems;
    for (const variable of ['TABLE_NAME', 'DEAD_LETTER_QUEUE_URL', 'WEBHOOK_URL', 'CLAIM_STALE_AFTER_MS', 'NUMBER_HASH_KEY_ARN', 'CALLR_CREDENTIALS_SECRET_ARN']) {
      expect(problems.some((problem) => problem.startsWith(variable))).toBe(true);
    }
  });
});
