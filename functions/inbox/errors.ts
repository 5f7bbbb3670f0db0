/**
 * An inbox message that SNS did not take: the whole request failed (throttling, a network error,
 * an outage: `cause` holds the SDK error), or SNS refused this entry of a batch (`code` is SNS's).
 * `permanent` when sending the same message again cannot help: SNS blamed the message itself
 * (`SenderFault`), or it is larger than SNS takes.
 */
export class InboxPublishError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InboxPublishError';
  }
}
