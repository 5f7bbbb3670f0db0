/**
 * How a Lambda that publishes to the inbox is told where: one variable, read the same way by every
 * publisher (the persister, and the outbox's sender).
 */
export const INBOX_TOPIC_ARN_VARIABLE = 'INBOX_TOPIC_ARN';

/** An SNS topic ARN, in any partition; local mode's (fauxqs) have the same form. */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/**
 * The inbox topic ARN from `value`, or undefined with the problem, naming the variable and what it
 * should hold, added to `problems` (configuration errors are reported all at once).
 */
export function readInboxTopicArn(value: string | undefined, problems: string[]): string | undefined {
  const example = 'e.g. arn:aws:sns:eu-west-1:123456789012:callr-inbox';
  const text = value?.trim();
  if (!text) {
    problems.push(`${INBOX_TOPIC_ARN_VARIABLE} is required: the ARN of the inbox SNS topic that downstream services subscribe to, ${example}.`);
    return undefined;
  }
  if (!TOPIC_ARN.test(text)) {
    problems.push(`${INBOX_TOPIC_ARN_VARIABLE} must be an SNS topic ARN (a standard topic), ${example}; got "${text}".`);
    return undefined;
  }
  return text;
}
