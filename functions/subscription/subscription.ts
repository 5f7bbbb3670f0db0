import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CallrClient, CallrClientFactory, CallrClientOptions } from '../callr/json-rpc-client';
import { CallrApiError, CallrTransportError, isDuplicateSubscription, isNotFound } from '../callr/errors';
import type { CallrHmacAlgorithm } from '../callr/signature';
import { parseCallrCredentials } from './credentials';
import { SUBSCRIPTION_METRICS } from './metrics';
import { SecretUnavailableError, SubscriptionFailedError } from './errors';
import { parseSubscriptionProperties, sameSubscription, subscribedEndpoint, type SubscriptionProperties } from './properties';

/**
 * The lifecycle of a CALLR webhook subscription, free of CloudFormation and AWS types:
 *
 * - `subscribeWebhook` / `unsubscribeWebhook` work on a client and plain values (local mode uses
 *   them to subscribe at the emulator, or at CALLR, on start and to unsubscribe on shutdown);
 * - `createSubscription` / `updateSubscription` / `deleteSubscription` work on the custom
 *   resource's properties, reading the secrets they name through `readSecret`.
 */

export interface WebhookSubscription {
  /** CALLR event type, e.g. `sms.mo`. */
  readonly type: string;
  readonly endpoint: string;
  readonly hmacSecret: string;
  readonly hmacAlgorithm: CallrHmacAlgorithm;
}

export interface SubscribeOutcome {
  /** The CALLR webhook hash: the custom resource's PhysicalResourceId. */
  readonly hash: string;
  /** Hashes of existing subscriptions to the same type+endpoint that were replaced by ours. */
  readonly replaced: readonly string[];
  /** The caller's `currentHash` was already subscribed as asked, and was left alone. */
  readonly kept?: boolean;
}

export type UnsubscribeOutcome =
  | 'unsubscribed'
  /** CALLR no longer knows the hook: someone removed it, or an Update already did. */
  | 'already_gone'
  /** The id is not a CALLR hash (CloudFormation's placeholder after a failed Create). */
  | 'not_a_webhook_hash';

/** The subset of Powertools' Logger this module uses. */
export interface SubscriptionLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** The subset of Powertools' Metrics this module uses. */
export interface SubscriptionMetrics {
  addMetric(name: string, unit: typeof MetricUnit.Count, value: number): unknown;
}

export { SUBSCRIPTION_METRICS };

const silentLogger: SubscriptionLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** CALLR hashes are short alphanumerics (`IAYHJ6F3`); CloudFormation's placeholders are not. */
export function looksLikeWebhookHash(id: string | undefined): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9]{4,32}$/.test(id);
}

/**
 * Subscribes `type` → `endpoint` with our secret. When CALLR already has a subscription for that
 * type+endpoint (`TYPE_ENDPOINT_DUPLICATE`: a previous deployment, a manual setup, a retried call
 * that had in fact succeeded), it is adopted: unsubscribed and subscribed again, so that the
 * secret in force is ours and not one we cannot know.
 *
 * `currentHash` is the hook the caller already holds for these settings (the custom resource's
 * PhysicalResourceId on an Update): if it is the one CALLR has, it is kept as it is, with no gap.
 */
export async function subscribeWebhook(
  client: CallrClient,
  subscription: WebhookSubscription,
  logger: SubscriptionLogger = silentLogger,
  currentHash?: string,
): Promise<SubscribeOutcome> {
  const subscribe = () =>
    client.subscribeWebhook({
      type: subscription.type,
      endpoint: subscription.endpoint,
      hmacSecret: subscription.hmacSecret,
      hmacAlgorithm: subscription.hmacAlgorithm,
    });
  try {
    return { hash: (await subscribe()).hash, replaced: [] };
  } catch (error) {
    if (!isDuplicateSubscription(error)) throw error;
  }

  const existing = (await client.listWebhooks()).filter(
    (webhook) => webhook.type === subscription.type && sameUrl(webhook.endpoint, subscription.endpoint),
  );
  if (existing.length === 0) {
    throw new SubscriptionFailedError(
      `CALLR answered TYPE_ENDPOINT_DUPLICATE for ${subscription.type} ${subscription.endpoint}, but webhooks.get_list shows no such subscription to adopt`,
    );
  }
  if (currentHash !== undefined && existing.some((webhook) => webhook.hash === currentHash)) {
    logger.info('CALLR already has our webhook for this type and endpoint; keeping it', { eventType: subscription.type, endpoint: subscription.endpoint, webhookHash: currentHash });
    return { hash: currentHash, replaced: [], kept: true };
  }
  logger.warn('Adopting existing CALLR webhook subscription(s) for this type and endpoint', {
    eventType: subscription.type,
    endpoint: subscription.endpoint,
    existing: existing.map((webhook) => webhook.hash),
  });
  for (const webhook of existing) await unsubscribeWebhook(client, webhook.hash);
  const hash = (await subscribe()).hash;
  return { hash, replaced: existing.map((webhook) => webhook.hash) };
}

/** Unsubscribes; "not found" and non-hash ids are outcomes, any other CALLR failure throws. */
export async function unsubscribeWebhook(client: CallrClient, hash: string): Promise<UnsubscribeOutcome> {
  if (!looksLikeWebhookHash(hash)) return 'not_a_webhook_hash';
  try {
    await client.unsubscribeWebhook(hash);
    return 'unsubscribed';
  } catch (error) {
    if (isNotFound(error)) return 'already_gone';
    throw error;
  }
}

/**
 * Whether CALLR's copy of an endpoint is the URL we subscribed: compared as URLs, query
 * parameters in any order, since CALLR may normalise what it stores (not confirmed either way).
 */
export function sameUrl(a: string, b: string): boolean {
  const canonical = (text: string) => {
    try {
      const url = new URL(text);
      url.searchParams.sort();
      return url.toString();
    } catch {
      return text;
    }
  };
  return canonical(a) === canonical(b);
}

export type ReadSecret = (secretId: string) => Promise<string>;

export interface SubscriptionDependencies {
  readonly createClient: CallrClientFactory;
  /** Returns the secret's string value (Secrets Manager in Lambda; anything in local mode and tests). */
  readonly readSecret: ReadSecret;
  /** Timeout and retries of the CALLR client. */
  readonly clientOptions?: Pick<CallrClientOptions, 'timeoutMs' | 'retries' | 'retryBaseDelayMs' | 'fetch'>;
  readonly logger?: SubscriptionLogger;
  readonly metrics?: SubscriptionMetrics;
}

export interface SubscriptionResult {
  readonly webhookHash: string;
}

/** Create: subscribe (adopting a duplicate). Throws a clear error when CALLR refuses or is unreachable. */
export async function createSubscription(deps: SubscriptionDependencies, rawProperties: unknown): Promise<SubscriptionResult> {
  const properties = parseSubscriptionProperties(rawProperties);
  const client = await clientFor(deps, properties);
  const hmacSecret = await readSecretValue(deps.readSecret, properties.HmacSecretArn, 'HMAC secret');
  return subscribeFor(deps, client, properties, hmacSecret);
}

/**
 * Update, make-before-break: the new subscription is made next to the old one, and gets a new id;
 * CloudFormation deletes the old id once the stack update has succeeded, or the new id when it
 * rolls back, and either way one hook stays in force. A rotated secret or algorithm is subscribed
 * at a URL of its own (`subscribedEndpoint`), so CALLR does not refuse it as a duplicate of the old
 * one. When nothing that matters to CALLR changed (only the Provider's ServiceToken, say), the
 * subscription is kept; when CALLR already has the resource's own hook at the target URL (a
 * rollback of an update that failed), that hook is kept.
 */
export async function updateSubscription(
  deps: SubscriptionDependencies,
  request: { readonly physicalResourceId: string; readonly properties: unknown; readonly oldProperties: unknown },
): Promise<SubscriptionResult> {
  const properties = parseSubscriptionProperties(request.properties);
  const previous = safeParseProperties(request.oldProperties);
  if (previous && sameSubscription(previous, properties) && looksLikeWebhookHash(request.physicalResourceId)) {
    deps.logger?.info('Subscription properties unchanged for CALLR; keeping the webhook', { webhookHash: request.physicalResourceId });
    return { webhookHash: request.physicalResourceId };
  }
  const client = await clientFor(deps, properties);
  const hmacSecret = await readSecretValue(deps.readSecret, properties.HmacSecretArn, 'HMAC secret');
  return subscribeFor(deps, client, properties, hmacSecret, looksLikeWebhookHash(request.physicalResourceId) ? request.physicalResourceId : undefined);
}

export type DeleteOutcome = UnsubscribeOutcome | 'failed';

/**
 * Delete: unsubscribe. Never throws: a CALLR outage, a deleted credentials secret or broken
 * properties must not wedge a stack deletion or rollback. A failure is logged and counted
 * (`WebhookUnsubscribeFailed`), and the hook may need removing by hand (`callr-mo subscriptions`).
 */
export async function deleteSubscription(
  deps: SubscriptionDependencies,
  request: { readonly physicalResourceId: string; readonly properties: unknown },
): Promise<DeleteOutcome> {
  const webhookHash = request.physicalResourceId;
  if (!looksLikeWebhookHash(webhookHash)) {
    deps.logger?.info('Nothing to unsubscribe: the resource id is not a CALLR webhook hash (a Create that failed)', { physicalResourceId: webhookHash });
    return 'not_a_webhook_hash';
  }
  try {
    const properties = parseSubscriptionProperties(request.properties);
    const outcome = await unsubscribeWebhook(await clientFor(deps, properties), webhookHash);
    deps.metrics?.addMetric(outcome === 'unsubscribed' ? SUBSCRIPTION_METRICS.unsubscribed : SUBSCRIPTION_METRICS.alreadyGone, MetricUnit.Count, 1);
    deps.logger?.info(outcome === 'unsubscribed' ? 'Unsubscribed the CALLR webhook' : 'The CALLR webhook was already gone', {
      webhookHash,
      eventType: properties.EventType,
      endpoint: properties.Endpoint,
    });
    return outcome;
  } catch (error) {
    deps.metrics?.addMetric(SUBSCRIPTION_METRICS.unsubscribeFailed, MetricUnit.Count, 1);
    deps.logger?.error('Could not unsubscribe the CALLR webhook; the deletion goes on, remove the webhook at CALLR by hand', {
      webhookHash,
      error: describeError(error),
    });
    return 'failed';
  }
}

async function subscribeFor(
  deps: SubscriptionDependencies,
  client: CallrClient,
  properties: SubscriptionProperties,
  hmacSecret: string,
  currentHash?: string,
): Promise<SubscriptionResult> {
  let outcome: SubscribeOutcome;
  const endpoint = subscribedEndpoint(properties);
  try {
    outcome = await subscribeWebhook(
      client,
      { type: properties.EventType, endpoint, hmacSecret, hmacAlgorithm: properties.HmacAlgorithm },
      deps.logger,
      currentHash,
    );
  } catch (error) {
    if (error instanceof SubscriptionFailedError) throw error;
    throw new SubscriptionFailedError(`Could not subscribe the ${properties.EventType} webhook ${properties.Endpoint} at CALLR: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (outcome.kept) return { webhookHash: outcome.hash };
  deps.metrics?.addMetric(SUBSCRIPTION_METRICS.subscribed, MetricUnit.Count, 1);
  if (outcome.replaced.length > 0) deps.metrics?.addMetric(SUBSCRIPTION_METRICS.adopted, MetricUnit.Count, 1);
  deps.logger?.info('Subscribed the CALLR webhook', {
    webhookHash: outcome.hash,
    eventType: properties.EventType,
    endpoint,
    hmacAlgorithm: properties.HmacAlgorithm,
    replaced: outcome.replaced,
  });
  return { webhookHash: outcome.hash };
}

async function clientFor(deps: SubscriptionDependencies, properties: SubscriptionProperties): Promise<CallrClient> {
  const credentials = parseCallrCredentials(await readSecretValue(deps.readSecret, properties.CredentialsSecretArn, 'CALLR credentials secret'));
  const logger = deps.logger;
  return deps.createClient({
    ...deps.clientOptions,
    apiUrl: properties.ApiUrl,
    credentials,
    onRetry: (retry) => logger?.warn('Retrying a CALLR call', { ...retry }),
    onWarning: ({ message, ...detail }) => logger?.warn(message, detail),
  });
}

async function readSecretValue(readSecret: ReadSecret, secretId: string, what: string): Promise<string> {
  let value: string;
  try {
    value = await readSecret(secretId);
  } catch (error) {
    if (error instanceof SecretUnavailableError) throw error;
    throw new SecretUnavailableError(secretId, `the ${what} could not be loaded (${error instanceof Error ? error.name : 'error'})`, { cause: error });
  }
  if (typeof value !== 'string' || value === '') throw new SecretUnavailableError(secretId, `the ${what} is empty`);
  return value;
}

function safeParseProperties(input: unknown): SubscriptionProperties | undefined {
  try {
    return parseSubscriptionProperties(input);
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a log line may say about an error: its kind and message (already free of secrets), never the object. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof CallrApiError) return { name: error.name, code: error.code, message: error.message };
  if (error instanceof CallrTransportError) return { name: error.name, failure: error.failure, httpStatus: error.httpStatus, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { message: String(error) };
}
