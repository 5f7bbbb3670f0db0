import { CALLR_HMAC_ALGORITHMS, type CallrHmacAlgorithm } from '../../functions/callr/signature';
import type { CallrCredentials } from '../../functions/callr/json-rpc-client';
import { webhookObject, type EmulatedAccount, type SendSmsRequest } from './account';

/**
 * CALLR's JSON-RPC 2.0 API, as far as this system uses it. Errors come in CALLR's envelope
 * `{"jsonrpc":"2.0","id":…,"error":{"code","message","data"}}` with an upper-case token as message.
 * CALLR does not publish its numeric codes; the ones here are stand-ins, and clients act on the token.
 */

export const EMULATOR_ERRORS = {
  AUTHENTICATION_FAILED: { code: 401, httpStatus: 401 },
  TYPE_ENDPOINT_DUPLICATE: { code: 117, httpStatus: 200 },
  NOT_FOUND: { code: 404, httpStatus: 200 },
  INVALID_PARAMS: { code: -32602, httpStatus: 200 },
  METHOD_NOT_FOUND: { code: -32601, httpStatus: 200 },
  INVALID_REQUEST: { code: -32600, httpStatus: 200 },
  PARSE_ERROR: { code: -32700, httpStatus: 200 },
} as const;
export type EmulatorErrorToken = keyof typeof EMULATOR_ERRORS;

export interface RpcAnswer {
  readonly httpStatus: number;
  readonly body: Record<string, unknown>;
  /** `ok`, or the error token, for the call log. */
  readonly outcome: string;
}

export type AuthScheme = 'Api-Key' | 'Basic' | 'none' | 'unknown';

export interface ParsedRpcRequest {
  readonly id: unknown;
  readonly method: string;
  readonly params: unknown[];
}

export function rpcError(id: unknown, token: string, data: unknown = null, override?: { code?: number; httpStatus?: number }): RpcAnswer {
  const known = (EMULATOR_ERRORS as Record<string, { code: number; httpStatus: number }>)[token];
  return {
    httpStatus: override?.httpStatus ?? known?.httpStatus ?? 200,
    body: { jsonrpc: '2.0', id: id ?? null, error: { code: override?.code ?? known?.code ?? 1, message: token, data } },
    outcome: token,
  };
}

const rpcResult = (id: unknown, result: unknown): RpcAnswer => ({ httpStatus: 200, body: { jsonrpc: '2.0', id, result }, outcome: 'ok' });

/**
 * Where CALLR's documentation and SDKs allow more than one shape of answer, the emulator can give
 * each (a switch on its control API), so that the client is tested against all of them rather
 * than against the one it happens to expect.
 */
export interface EmulatorAnswerShapes {
  /** `included`: every error carries `data` (`null` when there is nothing to say); `omitted`: no `data` key, as JSON-RPC 2.0 allows. */
  readonly errorData: 'included' | 'omitted';
  /** `full`: `webhooks.subscribe` answers the whole Webhook object; `minimal`: `{hash}` only (the one field public code confirms). */
  readonly subscribeResult: 'full' | 'minimal';
  /** The name of a Webhook object's event type field: `type`, or `event_type`. */
  readonly webhookTypeField: 'type' | 'event_type';
  /** The order of `sms.get_list`'s answer, which CALLR does not document. */
  readonly smsListOrder: 'oldest_first' | 'newest_first';
}

export const DEFAULT_ANSWER_SHAPES: EmulatorAnswerShapes = { errorData: 'included', subscribeResult: 'full', webhookTypeField: 'type', smsListOrder: 'oldest_first' };

export const ANSWER_SHAPE_CHOICES: { readonly [K in keyof EmulatorAnswerShapes]: ReadonlyArray<EmulatorAnswerShapes[K]> } = {
  errorData: ['included', 'omitted'],
  subscribeResult: ['full', 'minimal'],
  webhookTypeField: ['type', 'event_type'],
  smsListOrder: ['oldest_first', 'newest_first'],
};

/** Limits of an emulated account that CALLR does not publish, set for a test (`null`: none). */
export interface EmulatorLimits {
  /** The most items one `sms.get_list` answer holds; the rest of the range is silently left out. */
  readonly smsListLimit: number | null;
}

/** CALLR's `YYYY-MM-DD HH:MM:SS` (UTC), the one date format `sms.get_list` documents. */
const CALLR_LIST_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function listDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !CALLR_LIST_DATE.test(value)) return undefined;
  const date = new Date(`${value.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19).replace('T', ' ') !== value ? undefined : date;
}

/** An answer in the shape asked for: the error's `data` key dropped when errors go without it. */
export function shapeAnswer(answer: RpcAnswer, shapes: EmulatorAnswerShapes): RpcAnswer {
  const error = answer.body.error;
  if (shapes.errorData === 'included' || !isRecord(error)) return answer;
  const { data: _omitted, ...withoutData } = error;
  return { ...answer, body: { ...answer.body, error: withoutData } };
}

/** Parses the request envelope; an answer when it is not a JSON-RPC 2.0 request. */
export function parseRpcRequest(text: string): ParsedRpcRequest | RpcAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return rpcError(null, 'PARSE_ERROR');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return rpcError(null, 'INVALID_REQUEST');
  const { jsonrpc, id, method, params } = json as Record<string, unknown>;
  if (jsonrpc !== '2.0' || typeof method !== 'string' || (params !== undefined && !Array.isArray(params))) {
    return rpcError(id, 'INVALID_REQUEST');
  }
  return { id, method, params: (params as unknown[] | undefined) ?? [] };
}

export function authScheme(header: string | undefined): AuthScheme {
  if (!header) return 'none';
  if (/^Api-Key /i.test(header)) return 'Api-Key';
  if (/^Basic /i.test(header)) return 'Basic';
  return 'unknown';
}

export function isAuthorized(header: string | undefined, accepted: readonly CallrCredentials[]): boolean {
  if (!header) return false;
  const [scheme, ...rest] = header.trim().split(' ');
  const value = rest.join(' ').trim();
  if (scheme?.toLowerCase() === 'api-key') {
    return accepted.some((credentials) => 'apiKey' in credentials && credentials.apiKey === value);
  }
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator < 0) return false;
    const login = decoded.slice(0, separator);
    const password = decoded.slice(separator + 1);
    return accepted.some((credentials) => 'login' in credentials && credentials.login === login && credentials.password === password);
  }
  return false;
}

const EVENT_TYPE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isAlgorithm(value: unknown): value is CallrHmacAlgorithm {
  return typeof value === 'string' && (CALLR_HMAC_ALGORITHMS as readonly string[]).includes(value);
}

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** Runs one authorised call against the account. */
export function dispatch(
  request: ParsedRpcRequest,
  account: EmulatedAccount,
  shapes: EmulatorAnswerShapes = DEFAULT_ANSWER_SHAPES,
  limits: EmulatorLimits = { smsListLimit: null },
): RpcAnswer {
  const { id, params } = request;
  switch (request.method) {
    case 'webhooks.subscribe': {
      const [type, endpoint, options] = params;
      if (typeof type !== 'string' || !EVENT_TYPE.test(type)) return rpcError(id, 'INVALID_PARAMS', { param: 'type' });
      if (!isHttpUrl(endpoint)) return rpcError(id, 'INVALID_PARAMS', { param: 'endpoint' });
      if (options !== undefined && options !== null && !isRecord(options)) return rpcError(id, 'INVALID_PARAMS', { param: 'options' });
      const hmacSecret = options?.hmac_secret;
      const hmacAlgorithm = options?.hmac_algo ?? 'SHA256';
      if (hmacSecret !== undefined && hmacSecret !== null && typeof hmacSecret !== 'string') {
        return rpcError(id, 'INVALID_PARAMS', { param: 'options.hmac_secret' });
      }
      if (!isAlgorithm(hmacAlgorithm)) return rpcError(id, 'INVALID_PARAMS', { param: 'options.hmac_algo' });
      const result = account.subscribe({ type, endpoint, hmacAlgorithm, ...(hmacSecret ? { hmacSecret } : {}) });
      if (!result.ok) return rpcError(id, result.error, result.detail ?? null);
      return rpcResult(id, shapes.subscribeResult === 'minimal' ? { hash: result.value.hash } : webhookObject(result.value, shapes.webhookTypeField));
    }
    case 'webhooks.unsubscribe': {
      const [hash] = params;
      if (typeof hash !== 'string' || hash === '') return rpcError(id, 'INVALID_PARAMS', { param: 'hash' });
      const result = account.unsubscribe(hash);
      return result.ok ? rpcResult(id, true) : rpcError(id, result.error, result.detail ?? null);
    }
    case 'webhooks.get_list':
      return rpcResult(id, account.webhooks().map((webhook) => webhookObject(webhook, shapes.webhookTypeField)));
    case 'sms.send': {
      const [from, to, text, options] = params;
      // An empty sender is how CALLR's SDKs send an SMS that can be answered: CALLR picks a shortcode.
      if (typeof from !== 'string') return rpcError(id, 'INVALID_PARAMS', { param: 'from' });
      if (typeof to !== 'string' || to === '') return rpcError(id, 'INVALID_PARAMS', { param: 'to' });
      if (typeof text !== 'string' || text === '') return rpcError(id, 'INVALID_PARAMS', { param: 'text' });
      if (options !== undefined && options !== null && !isRecord(options)) return rpcError(id, 'INVALID_PARAMS', { param: 'options' });
      const request: { -readonly [K in keyof SendSmsRequest]: SendSmsRequest[K] } = { from, to, text };
      if (typeof options?.nature === 'string') request.nature = options.nature;
      if (typeof options?.user_data === 'string') request.userData = options.user_data;
      const webhook = options?.webhook;
      if (webhook !== undefined && webhook !== null) {
        if (!isRecord(webhook) || !isHttpUrl(webhook.endpoint)) return rpcError(id, 'INVALID_PARAMS', { param: 'options.webhook.endpoint' });
        const algorithm = webhook.hmac_algo ?? 'SHA256';
        if (!isAlgorithm(algorithm)) return rpcError(id, 'INVALID_PARAMS', { param: 'options.webhook.hmac_algo' });
        request.webhook = {
          endpoint: webhook.endpoint,
          hmacAlgorithm: algorithm,
          ...(typeof webhook.hmac_secret === 'string' && webhook.hmac_secret ? { hmacSecret: webhook.hmac_secret } : {}),
        };
      }
      return rpcResult(id, account.sendSms(request));
    }
    case 'sms.get_list': {
      const [type, fromText, toText] = params;
      if (type !== 'IN' && type !== 'OUT') return rpcError(id, 'INVALID_PARAMS', { param: 'type' });
      const from = listDate(fromText);
      if (!from) return rpcError(id, 'INVALID_PARAMS', { param: 'from' });
      const to = listDate(toText);
      if (!to) return rpcError(id, 'INVALID_PARAMS', { param: 'to' });
      const listed = account.listSms(type, from, to);
      const ordered = shapes.smsListOrder === 'newest_first' ? listed.reverse() : listed;
      return rpcResult(id, limits.smsListLimit === null ? ordered : ordered.slice(0, limits.smsListLimit));
    }
    default:
      return rpcError(id, 'METHOD_NOT_FOUND', { method: request.method });
  }
}

/** The params of a call as the call log keeps them: secrets replaced. */
export function redactParams(params: unknown[]): unknown[] {
  const redact = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(redact);
    if (isRecord(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === 'hmac_secret' ? '[redacted]' : redact(inner)]));
    }
    return value;
  };
  return params.map(redact);
}
