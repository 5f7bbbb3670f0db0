import type { CallrClient, CallrWebhook } from '../functions/callr/json-rpc-client';
import { renderTable } from './format';

/** `callr-mo subscriptions`: the account's CALLR webhooks (`webhooks.get_list`), never with their secrets. */
export function listSubscriptions(callr: CallrClient): Promise<CallrWebhook[]> {
  return callr.listWebhooks();
}

export function formatSubscriptions(webhooks: readonly CallrWebhook[]): string {
  if (webhooks.length === 0) return 'no webhooks subscribed';
  return renderTable(
    ['hash', 'type', 'hmac', 'endpoint'],
    webhooks.map((webhook) => [webhook.hash, webhook.type, webhook.hmacAlgorithm ?? '-', webhook.endpoint]),
  );
}
