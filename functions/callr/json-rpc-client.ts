import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod/mini';
import { formatCallrDate } from './dates';
import type { CallrHmacAlgorithm } from './signature';
import { CallrApiError, CallrClientConfigError, CallrTransportError, type CallrTransportFailure } from './errors';

/**
 * The one module that talks to CALLR's API.
 *
 * CALLR has announced that its JSON-RPC API will be replaced by a REST API (v2; JSON-RPC shutdown
 * announced for 2027-06-30). Everything else in this project sees only `CallrClient` and its
 * domain methods, so moving to REST means writing another `createCallrClient` behind the same
 * interface, and nothing else.
 */

export const DEFAULT_CALLR_API_URL = 'https://api.callr.com/json-rpc/v1.1/';
/** Per attempt. CALLR answers in well under a second when healthy. */
export const DEFAULT_CALLR_TIMEOUT_MS = 8_000;
/**
 * Retries after the first attempt, on timeouts, network errors and 5xx only, and only for calls
 * that are safe to repeat (`sms.send` is not: see `SAFE_TO_REPEAT`).
 */
export const DEFAULT_CALLR_RETRIES = 2;
export const DEFAULT_CALLR_RETRY_BASE_DELAY_MS = 250;

export type CallrCredentials =
  /** Sent as `Authorization: Api-Key <key>` (CALLR's recommended form). */
  | { readonly apiKey: string }
  /** Sent as `Authorization: Basic base64(login:password)`. */
  | { readonly login: string; readonly password: string };

export interface CallrClientOptions {
  /** @default DEFAULT_CALLR_API_URL */
  readonly apiUrl?: string;
  readonly credentials: CallrCredentials;
  /** Time allowed to each attempt, answer body included. @default DEFAULT_CALLR_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default DEFAULT_CALLR_RETRIES */
  readonly retries?: number;
  /** First backoff delay; doubled on each retry, with jitter. @default DEFAULT_CALLR_RETRY_BASE_DELAY_MS */
  readonly retryBaseDelayMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Told about each retry (for logs); never receives credentials. */
  readonly onRetry?: (retry: CallrRetry) => void;
  /** Told about parts of an answer the client had to leave out (for logs); never receives credentials. */
  readonly onWarning?: (warning: CallrWarning) => void;
}

export interface CallrWarning {
  readonly method: string;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export interface CallrRetry {
  readonly method: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly failure: CallrTransportFailure;
  readonly httpStatus?: number;
  readonly delayMs: number;
}

/** A webhook subscription as CALLR describes it (never with its secret). */
export interface CallrWebhook {
  readonly hash: string;
  readonly type: string;
  readonly endpoint: string;
  readonly hmacAlgorithm?: string;
}

export interface SubscribeWebhookInput {
  /** CALLR event type, e.g. `sms.mo`. */
  readonly type: string;
  readonly endpoint: string;
  /** CALLR signs every delivery with it (`X-CALLR-HmacSignature`). */
  readonly hmacSecret?: string;
  readonly hmacAlgorithm?: CallrHmacAlgorithm;
}

export interface SendSmsInput {
  /**
   * The sender. Leave it out (or empty) to receive replies: CALLR then sends from one of its
   * shortcodes, and a reply to that shortcode comes back to the per-SMS webhook.
   */
  readonly from?: string;
  readonly to: string;
  readonly text: string;
  /** A per-SMS ("dynamic") webhook: status updates of this SMS, and replies to it, go there too. */
  readonly webhookEndpoint?: string;
  readonly userData?: string;
  readonly nature?: 'ALERTING' | 'MARKETING';
}

/** The CALLR operations this system uses, named for what they do rather than how CALLR spells them. */
export interface CallrClient {
  /** `webhooks.subscribe`. Rejects with `CallrApiError` `TYPE_ENDPOINT_DUPLICATE` if type+endpoint exist. */
  subscribeWebhook(input: SubscribeWebhookInput): Promise<CallrWebhook>;
  /** `webhooks.unsubscribe`. Rejects with a `CallrApiError` for which `isNotFound` holds if unknown. */
  unsubscribeWebhook(hash: string): Promise<void>;
  /** `webhooks.get_list`. */
  listWebhooks(): Promise<CallrWebhook[]>;
  /** `sms.send`. Resolves to the SMS hash. */
  sendSms(input: SendSmsInput): Promise<{ readonly hash: string }>;
  /**
   * `sms.get_list(type, from, to)`: one answer of CALLR's SMS listing, the items as CALLR sent them.
   * Use `listSms` (sms-listing.ts), which pages, bounds and reads them.
   */
  getSmsList(input: GetSmsListInput): Promise<unknown[]>;
}

export interface GetSmsListInput {
  readonly type: 'IN' | 'OUT';
  /** CALLR's `YYYY-MM-DD HH:MM:SS` UTC, whole seconds: the first second asked for. */
  readonly from: Date;
  /** Likewise, the last second asked for (CALLR's examples ask `from` = `to` for one second). */
  readonly to: Date;
}

export type CallrClientFactory = (options: CallrClientOptions) => CallrClient;

/**
 * Whether a method may be sent again after an attempt whose fate is unknown (a timeout, a 5xx, a
 * connection reset: CALLR may have done it). A repeated subscribe meets TYPE_ENDPOINT_DUPLICATE,
 * which adoption handles; a repeated unsubscribe meets NOT_FOUND, which is "already gone"; a
 * listing changes nothing. A repeated sms.send would send the SMS twice.
 */
const SAFE_TO_REPEAT: Readonly<Record<string, boolean>> = {
  'webhooks.subscribe': true,
  'webhooks.unsubscribe': true,
  'webhooks.get_list': true,
  'sms.get_list': true,
  'sms.send': false,
};

/**
 * Connection errors that prove the request never left this machine, so that even a call that is
 * not safe to repeat may be sent again: the connection was refused, or the name did not resolve.
 */
const NOT_SENT_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** The one field of a Webhook object that public code confirms; everything else is read leniently. */
const WebhookHash = z.looseObject({ hash: z.string().check(z.minLength(1)) });

/** JSON-RPC 2.0 lets an error omit `data`; CALLR's SDKs read only `message` and `code`. */
const ErrorEnvelope = z.looseObject({
  error: z.looseObject({ code: z.optional(z.unknown()), message: z.optional(z.string()), data: z.optional(z.unknown()) }),
});

type AttemptOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: CallrApiError }
  | {
      readonly ok: false;
      readonly failure: CallrTransportFailure;
      readonly detail: string;
      readonly httpStatus?: number;
      readonly cause?: unknown;
      /** The request provably never reached CALLR (connection refused, name not resolved). */
      readonly notSent?: boolean;
    };

export function createCallrClient(options: CallrClientOptions): CallrClient {
  const apiUrl = checkApiUrl(options.apiUrl ?? DEFAULT_CALLR_API_URL);
  const authorization = authorizationHeader(options.credentials);
  const credentialValues = Object.values(options.credentials).filter((value): value is string => typeof value === 'string');
  const timeoutMs = positiveInteger(options.timeoutMs ?? DEFAULT_CALLR_TIMEOUT_MS, 'timeoutMs');
  const maxAttempts = 1 + nonNegativeInteger(options.retries ?? DEFAULT_CALLR_RETRIES, 'retries');
  const baseDelayMs = nonNegativeInteger(options.retryBaseDelayMs ?? DEFAULT_CALLR_RETRY_BASE_DELAY_MS, 'retryBaseDelayMs');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let nextId = 0;

  /** Values CALLR must never see echoed into our errors and logs: credentials and this call's secrets. */
  const scrubber = (callSecrets: readonly string[]) => {
    const secrets = [...credentialValues, authorization, ...callSecrets].filter((value) => value.length >= 4);
    const scrubText = (text: string) => secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
    const scrub = (value: unknown): unknown => {
      if (typeof value === 'string') return scrubText(value);
      if (Array.isArray(value)) return value.map(scrub);
      if (value && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, scrub(inner)]));
      }
      return value;
    };
    return { scrubText, scrub };
  };

  async function attempt(method: string, body: string, scrub: ReturnType<typeof scrubber>): Promise<AttemptOutcome> {
    let status: number;
    let text: string;
    try {
      const response = await fetchImpl(apiUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json-rpc; charset=utf-8', Accept: 'application/json', Authorization: authorization },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const name = errorField(error, 'name');
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      return timedOut
        ? { ok: false, failure: 'timeout', detail: `no answer within ${timeoutMs} ms`, cause: error }
        : { ok: false, failure: 'network', detail: describeNetworkError(error), cause: error, notSent: neverSent(error) };
    }

    const json = parseJson(text);
    const envelope = ErrorEnvelope.safeParse(json);
    if (envelope.success) {
      const { code, message, data } = envelope.data.error;
      return { ok: false, error: new CallrApiError(method, { code, message: scrub.scrubText(message ?? ''), data: scrub.scrub(data) }, status) };
    }
    if (status < 200 || status > 299) {
      const excerpt = scrub.scrubText(text.replace(/\s+/g, ' ').trim().slice(0, 120));
      return { ok: false, failure: 'http_status', httpStatus: status, detail: `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}` };
    }
    if (!json || typeof json !== 'object' || !('result' in json)) {
      return { ok: false, failure: 'invalid_response', httpStatus: status, detail: 'the answer is not a JSON-RPC result' };
    }
    return { ok: true, result: (json as { result: unknown }).result };
  }

  async function call<T>(method: string, params: unknown[], read: (result: unknown) => T | undefined, callSecrets: readonly string[] = []): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++nextId, method, params });
    const scrub = scrubber(callSecrets);
    for (let attemptNumber = 1; ; attemptNumber++) {
      const outcome = await attempt(method, body, scrub);
      if (outcome.ok) {
        const value = read(outcome.result);
        if (value === undefined) {
          throw new CallrTransportError(method, 'invalid_response', `unexpected result shape for ${method}`, { attempts: attemptNumber });
        }
        return value;
      }
      if ('error' in outcome) throw outcome.error;
      const error = new CallrTransportError(method, outcome.failure, outcome.detail, {
        httpStatus: outcome.httpStatus,
        attempts: attemptNumber,
        cause: outcome.cause,
        safeToRepeat: (SAFE_TO_REPEAT[method] ?? false) || outcome.notSent === true,
      });
      if (!error.retryable || attemptNumber >= maxAttempts) throw error;
      // Exponential backoff with full jitter, so that many deployments retrying at once spread out.
      const delayMs = Math.round(baseDelayMs * 2 ** (attemptNumber - 1) * (0.5 + Math.random() / 2));
      options.onRetry?.({ method, attempt: attemptNumber, failure: outcome.failure, httpStatus: outcome.httpStatus, delayMs });
      await sleep(delayMs);
    }
  }

  return {
    subscribeWebhook(input) {
      const hmacAlgorithm = input.hmacAlgorithm ?? 'SHA256';
      const subscribeOptions = input.hmacSecret === undefined ? null : { hmac_secret: input.hmacSecret, hmac_algo: hmacAlgorithm };
      // Only the hash is required of the answer: we know what we asked for.
      const read = (result: unknown): CallrWebhook | undefined => {
        const parsed = WebhookHash.safeParse(result);
        if (!parsed.success) return undefined;
        const answered = readWebhook(result);
        const algorithm = answered.hmacAlgorithm ?? (input.hmacSecret === undefined ? undefined : hmacAlgorithm);
        const webhook = { hash: parsed.data.hash, type: input.type, endpoint: input.endpoint };
        return algorithm === undefined ? webhook : { ...webhook, hmacAlgorithm: algorithm };
      };
      return call('webhooks.subscribe', [input.type, input.endpoint, subscribeOptions], read, input.hmacSecret ? [input.hmacSecret] : []);
    },
    async unsubscribeWebhook(hash) {
      await call('webhooks.unsubscribe', [hash], () => true);
    },
    listWebhooks() {
      return call('webhooks.get_list', [], (result) => {
        if (!Array.isArray(result)) return undefined;
        // One item we cannot use must not hide the others (nor fail a deploy): it is skipped, and said so.
        return result.flatMap((item, index): CallrWebhook[] => {
          const webhook = readWebhook(item);
          const missing = (['hash', 'type', 'endpoint'] as const).filter((field) => webhook[field] === undefined);
          if (missing.length === 0) return [webhook as CallrWebhook];
          options.onWarning?.({
            method: 'webhooks.get_list',
            message: 'Skipped a listed CALLR webhook without what adoption needs',
            index,
            ...(webhook.hash !== undefined ? { hash: webhook.hash } : {}),
            missing,
          });
          return [];
        });
      });
    },
    sendSms(input) {
      const smsOptions: Record<string, unknown> = {};
      if (input.webhookEndpoint !== undefined) smsOptions.webhook = { endpoint: input.webhookEndpoint };
      if (input.userData !== undefined) smsOptions.user_data = input.userData;
      if (input.nature !== undefined) smsOptions.nature = input.nature;
      const params = [input.from ?? '', input.to, input.text, Object.keys(smsOptions).length > 0 ? smsOptions : null];
      return call('sms.send', params, (result) => (typeof result === 'string' && result.length > 0 ? { hash: result } : undefined));
    },
    getSmsList(input) {
      const params = [input.type, formatCallrDate(input.from), formatCallrDate(input.to)];
      return call('sms.get_list', params, (result) => (Array.isArray(result) ? result : undefined));
    },
  };
}

/**
 * A Webhook object read leniently, each field on its own: the event type from `type`, else
 * `event_type`; the algorithm from `options.hmac_algo`. A field of an unexpected type is absent.
 */
function readWebhook(value: unknown): Partial<CallrWebhook> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const item = value as Record<string, unknown>;
  const text = (candidate: unknown) => (typeof candidate === 'string' && candidate !== '' ? candidate : undefined);
  const options = item.options && typeof item.options === 'object' ? (item.options as Record<string, unknown>) : {};
  const fields = { hash: text(item.hash), type: text(item.type) ?? text(item.event_type), endpoint: text(item.endpoint), hmacAlgorithm: text(options.hmac_algo) };
  return Object.fromEntries(Object.entries(fields).filter(([, field]) => field !== undefined));
}

function neverSent(error: unknown): boolean {
  const code = errorField((error as { cause?: unknown } | null)?.cause, 'code');
  return code !== undefined && NOT_SENT_ERROR_CODES.has(code);
}

function authorizationHeader(credentials: CallrCredentials): string {
  if ('apiKey' in credentials) {
    if (typeof credentials.apiKey !== 'string' || credentials.apiKey.trim() === '') {
      throw new CallrClientConfigError('CALLR credentials: apiKey must be a non-empty string');
    }
    return `Api-Key ${credentials.apiKey}`;
  }
  const { login, password } = credentials as { login?: unknown; password?: unknown };
  if (typeof login !== 'string' || login === '' || typeof password !== 'string' || password === '') {
    throw new CallrClientConfigError('CALLR credentials: give an apiKey, or a non-empty login and password');
  }
  if (login.includes(':')) throw new CallrClientConfigError('CALLR credentials: a login cannot contain ":" (Basic authentication)');
  return `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
}

function checkApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CallrClientConfigError(`CALLR API URL is not a valid URL (expected e.g. ${DEFAULT_CALLR_API_URL})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CallrClientConfigError(`CALLR API URL must be http(s), got ${url.protocol}`);
  }
  if (url.username || url.password) {
    // Never let credentials travel (or get logged) as part of a URL.
    throw new CallrClientConfigError('CALLR API URL must not carry credentials; put them in the credentials secret');
  }
  return url.toString();
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new CallrClientConfigError(`CALLR client ${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new CallrClientConfigError(`CALLR client ${name} must be a non-negative integer, got ${value}`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function describeNetworkError(error: unknown): string {
  const message = errorField(error, 'message') ?? String(error);
  const cause = (error as { cause?: unknown } | null)?.cause;
  const detail = errorField(cause, 'code') ?? errorField(cause, 'message');
  return detail ? `${message} (${detail})` : message;
}

/**
 * Reads a string field of a thrown value. Duck-typed on purpose: fetch's errors (DOMException,
 * undici's TypeError) come from another realm under some runners, where `instanceof Error` fails.
 */
function errorField(error: unknown, field: 'name' | 'message' | 'code'): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}
