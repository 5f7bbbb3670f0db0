/**
 * The subscription Lambda's metric names (namespace and service from functions/observability). A
 * module of its own so the CDK construct can name them in alarms without loading handler code.
 */
export const SUBSCRIPTION_METRICS = {
  subscribed: 'WebhookSubscribed',
  adopted: 'WebhookAdopted',
  unsubscribed: 'WebhookUnsubscribed',
  alreadyGone: 'WebhookAlreadyGone',
  /** A Delete that could not unsubscribe: the stack went on, an operator should look. */
  unsubscribeFailed: 'WebhookUnsubscribeFailed',
} as const;
