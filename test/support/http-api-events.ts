import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { CALLR_EVENT_ID_HEADER, CALLR_SIGNATURE_HEADER, signCallrBody, type CallrHmacAlgorithm } from '../../functions/callr/signature';

/**
 * Factories of API Gateway HTTP API (payload format 2.0) events carrying CALLR webhook requests,
 * shaped as API Gateway builds them: route `POST /webhooks/callr`, lower-cased header names,
 * the body as text or, with `isBase64Encoded`, as base64 of its bytes.
 */

export const WEBHOOK_ROUTE = { method: 'POST', path: '/webhooks/callr' } as const;

export interface HttpApiEventOptions {
  readonly body?: Buffer | string;
  /** Header names as given (API Gateway lower-cases them; tests of header case pass others). */
  readonly headers?: Record<string, string>;
  /** Default: base64 only for bytes that are not UTF-8 text, which API Gateway cannot pass as text. */
  readonly isBase64Encoded?: boolean;
  readonly requestId?: string;
  readonly time?: Date;
}

let requestCounter = 0;

export function httpApiEvent(options: HttpApiEventOptions = {}): APIGatewayProxyEventV2 {
  const bytes = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const time = options.time ?? new Date();
  const requestId = options.requestId ?? `test-request-${process.pid}-${++requestCounter}`;
  const isBase64Encoded = options.isBase64Encoded ?? (bytes !== undefined && !isUtf8(bytes));
  return {
    version: '2.0',
    routeKey: `${WEBHOOK_ROUTE.method} ${WEBHOOK_ROUTE.path}`,
    rawPath: WEBHOOK_ROUTE.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'CALLR-Webhook', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'test-api',
      domainName: 'test-api.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'test-api',
      http: { method: WEBHOOK_ROUTE.method, path: WEBHOOK_ROUTE.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'CALLR-Webhook' },
      requestId,
      routeKey: `${WEBHOOK_ROUTE.method} ${WEBHOOK_ROUTE.path}`,
      stage: '$default',
      time: time.toISOString(),
      timeEpoch: time.getTime(),
    },
    body: bytes === undefined ? undefined : isBase64Encoded ? bytes.toString('base64') : bytes.toString('utf8'),
    isBase64Encoded,
  };
}

export interface CallrRequestOptions {
  readonly body: Buffer | string;
  /** Signs with this secret; no signature header when absent. */
  readonly secret?: string;
  readonly algorithm?: CallrHmacAlgorithm;
  /** Exact header value to send instead of the computed signature. */
  readonly signature?: string;
  /** Name the signature header is sent under (default: as API Gateway passes it, lower-cased). */
  readonly signatureHeaderName?: string;
  /** `X-CALLR-EventId`; taken from the body when it holds one, unless given. */
  readonly eventIdHeader?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestId?: string;
}

/** A webhook request as CALLR sends it: signed over the exact body bytes. */
export function callrWebhookEvent(options: CallrRequestOptions): APIGatewayProxyEventV2 {
  const bytes = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const headers: Record<string, string> = {};
  const eventId = options.eventIdHeader ?? eventIdOf(bytes);
  if (eventId) headers[CALLR_EVENT_ID_HEADER.toLowerCase()] = eventId;
  const signature = options.signature ?? (options.secret === undefined ? undefined : signCallrBody(bytes, options.secret, options.algorithm));
  if (signature !== undefined) headers[options.signatureHeaderName ?? CALLR_SIGNATURE_HEADER.toLowerCase()] = signature;
  return httpApiEvent({ body: bytes, headers, isBase64Encoded: options.isBase64Encoded, requestId: options.requestId });
}

export type CallrEventJson = Record<string, unknown> & { data?: Record<string, unknown> };

export interface CallrBodyChanges {
  readonly eventAt?: Date | string;
  readonly eventId?: string;
  readonly type?: string;
  /** Merged into `data`. */
  readonly data?: Record<string, unknown>;
  /** Any other change, applied last (delete a field, change a type, ...). */
  readonly edit?: (event: CallrEventJson) => void;
}

/**
 * A CALLR body derived from a fixture: `event_at` made fresh (or stale), fields changed. The
 * result is re-serialised, so it is signed anew by `callrWebhookEvent`.
 */
export function callrBody(fixture: Buffer, changes: CallrBodyChanges = {}): Buffer {
  const event = JSON.parse(fixture.toString('utf8')) as CallrEventJson;
  if (changes.eventAt !== undefined) {
    event.event_at = typeof changes.eventAt === 'string' ? changes.eventAt : changes.eventAt.toISOString();
  }
  if (changes.eventId !== undefined) event.event_id = changes.eventId;
  if (changes.type !== undefined) event.type = changes.type;
  if (changes.data) event.data = { ...event.data, ...changes.data };
  changes.edit?.(event);
  return Buffer.from(JSON.stringify(event), 'utf8');
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    STRICT_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function eventIdOf(bytes: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    const eventId = (parsed as { event_id?: unknown } | null)?.event_id;
    return typeof eventId === 'string' ? eventId : undefined;
  } catch {
    return undefined;
  }
}
