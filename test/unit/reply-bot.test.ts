import type { InboundMessage } from '../../functions/messages/inbound-message';
import { DEFAULT_HELP_TEXT, loadReplyBotConfig, ReplyBotConfigError } from '../../examples/reply-bot/config';
import { decideReply } from '../../examples/reply-bot/reply';

const message = (overrides: Partial<InboundMessage>): InboundMessage => ({
  schemaVersion: 1,
  id: 'HELP0001',
  from: '+33612345678',
  to: '38123',
  text: 'help',
  encoding: 'GSM',
  parts: 1,
  network: null,
  receivedAt: '2024-05-01T10:00:00.000Z',
  eventId: 'event-1',
  eventAt: '2024-05-01T10:00:00.000Z',
  hookHash: null,
  storedAt: '2024-05-01T10:00:01.000Z',
  keyword: 'HELP',
  ...overrides,
});

const settings = { keywords: ['HELP', 'AIDE'], helpText: 'Reply STOP to stop.' };

describe('decideReply', () => {
  it('answers HELP to its sender through the outbox, once per message (its requestId is the message id)', () => {
    expect(decideReply(message({}), settings)).toEqual({
      reply: true,
      request: { requestId: 'reply-bot:HELP0001', to: '+33612345678', text: 'Reply STOP to stop.', userData: 'reply-bot:HELP0001' },
    });
    expect(decideReply(message({ eventId: 'the other webhook', storedAt: '2024-05-01T10:05:00.000Z' }), settings)).toEqual(decideReply(message({}), settings));
  });

  it.each<[string, Partial<InboundMessage>, string]>([
    ['another keyword', { text: 'VOTE A', keyword: 'VOTE' }, 'not_a_keyword'],
    ['no keyword', { text: '🙂', keyword: null }, 'not_a_keyword'],
    ['a message stored before keywords', { keyword: undefined }, 'not_a_keyword'],
    ['an alphanumeric sender', { from: 'INFO' }, 'sender_not_reachable'],
    ['a short code sender', { from: '36111' }, 'sender_not_reachable'],
  ])('does not answer %s', (_case, overrides, why) => {
    expect(decideReply(message(overrides), settings)).toEqual({ reply: false, why });
  });
});

describe('loadReplyBotConfig', () => {
  const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/callr-outbox';

  it('reads the outbox URL, with the default keywords and text', () => {
    expect(loadReplyBotConfig({ OUTBOX_QUEUE_URL: url })).toEqual({ outboxQueueUrl: url, keywords: ['HELP', 'AIDE'], helpText: DEFAULT_HELP_TEXT });
  });

  it('normalises given keywords', () => {
    expect(loadReplyBotConfig({ OUTBOX_QUEUE_URL: url, REPLY_BOT_KEYWORDS: 'help, Info!', REPLY_BOT_HELP_TEXT: 'Hi' })).toMatchObject({
      keywords: ['HELP', 'INFO'],
      helpText: 'Hi',
    });
  });

  it('reports every problem at once', () => {
    let thrown: unknown;
    try {
      loadReplyBotConfig({ REPLY_BOT_KEYWORDS: 'two words', REPLY_BOT_HELP_TEXT: 'x'.repeat(1601) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ReplyBotConfigError);
    expect((thrown as ReplyBotConfigError).problems).toEqual([
      expect.stringMatching(/^OUTBOX_QUEUE_URL must be the http\(s\) URL of the outbox queue/),
      'REPLY_BOT_HELP_TEXT is 1601 characters; the outbox takes at most 1600.',
      'REPLY_BOT_KEYWORDS: "two words" is not one word (comma-separated words, e.g. "HELP,AIDE").',
    ]);
  });
});
