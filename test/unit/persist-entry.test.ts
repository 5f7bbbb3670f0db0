/** The Lambda entry wires itself at import (cold start): a bad environment must fail it loudly. */
describe('persist Lambda entry', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function importEntry(): { handler: unknown } {
    let entry: { handler: unknown } | undefined;
    jest.isolateModules(() => {
      entry = require('../../functions/persist/handler') as { handler: unknown };
    });
    return entry!;
  }

  it('exports a handler when the environment is complete', () => {
    process.env.TABLE_NAME = 'messages';
    process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letter';
    process.env.INBOX_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:inbox';
    process.env.AWS_REGION = 'eu-west-1';
    process.env.NUMBER_HASH_KEY = 'persist-entry-number-hash-key-3c9d1e7f';

    expect(typeof importEntry().handler).toBe('function');
  });

  it('refuses to start in Lambda without the number hash key: it could not write the hashes erasure finds numbers by', () => {
    process.env.TABLE_NAME = 'messages';
    process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letter';
    process.env.INBOX_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/inbox';
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'persist';
    delete process.env.NUMBER_HASH_KEY;
    delete process.env.NUMBER_HASH_KEY_ARN;

    expect(importEntry).toThrow(/NUMBER_HASH_KEY_ARN is required/);
  });

  it('refuses to start without its configuration, naming what is missing', () => {
    delete process.env.TABLE_NAME;
    delete process.env.DEAD_LETTER_QUEUE_URL;
    delete process.env.INBOX_TOPIC_ARN;

    expect(importEntry).toThrow(/TABLE_NAME is required[\s\S]*DEAD_LETTER_QUEUE_URL is required[\s\S]*INBOX_TOPIC_ARN is required/);
  });
});
