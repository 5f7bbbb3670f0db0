import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createMaskingLogger } from '../functions/observability/observability';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

/**
 * A stand-in for an API Gateway HTTP API with Lambda proxy integrations (payload format 2.0), so
 * local mode invokes the real handlers with the events they get on AWS. Where API Gateway's
 * behaviour is documented or observable it is reproduced; the one deliberate difference is 405
 * for a known path with the wrong method, which API Gateway answers with 404.
 */

export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

export interface HttpApiRoute {
  readonly method: string;
  /** Matched exactly against the request's raw path, as API Gateway matches a static route. */
  readonly path: string;
  readonly handler: HttpApiHandler;
}

export type HttpApiLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface HttpApiFrontOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes: readonly HttpApiRoute[];
  readonly logger?: HttpApiLogger;
  /** How long close() waits for in-flight requests before cutting their connections. @default 5000 */
  readonly drainTimeoutMs?: number;
}

export interface RunningHttpApiFront {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, waits (bounded) for in-flight requests, then closes. */
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`port ${port} on ${LOOPBACK} is already in use`, options);
  }
}

/** API Gateway's request payload quota. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

const LOOPBACK = '127.0.0.1';
const ACCOUNT_ID = '000000000000';
const API_ID = 'local';
const STAGE = '$default';
const DEFAULT_DRAIN_TIMEOUT_MS = 5000;

/** API Gateway's own answers carry these bodies. */
const GATEWAY_ANSWERS = {
  notFound: { statusCode: 404, message: 'Not Found' },
  methodNotAllowed: { statusCode: 405, message: 'Method Not Allowed' },
  payloadTooLarge: { statusCode: 413, message: 'Request Entity Too Large' },
  internalError: { statusCode: 500, message: 'Internal Server Error' },
} as const;

export async function startHttpApiFront(options: HttpApiFrontOptions): Promise<RunningHttpApiFront> {
  const logger = options.logger ?? createMaskingLogger('local-http-api');
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const inFlight = new InFlightRequests();
  let closing: Promise<void> | undefined;

  const server = createServer((request, response) => {
    inFlight.begin();
    response.once('close', () => inFlight.end());
    // A keep-alive client would otherwise hold its connection open through the shutdown.
    if (closing) response.setHeader('connection', 'close');
    serve(request, response, options.routes, logger).catch((error: unknown) => {
      logger.error('local API front failed to answer a request', { error });
      if (!response.headersSent) sendGatewayAnswer(response, GATEWAY_ANSWERS.internalError, '');
      else response.destroy();
    });
  });

  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await inFlight.drained(drainTimeoutMs);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  routes: readonly HttpApiRoute[],
  logger: HttpApiLogger,
): Promise<void> {
  const receivedAt = new Date();
  const requestId = newRequestId();
  const target = splitTarget(request.url ?? '/');
  const method = (request.method ?? 'GET').toUpperCase();

  const routesForPath = routes.filter((route) => route.path === target.rawPath);
  const route = routesForPath.find((candidate) => candidate.method.toUpperCase() === method);
  if (!route) {
    request.resume();
    if (routesForPath.length === 0) {
      sendGatewayAnswer(response, GATEWAY_ANSWERS.notFound, requestId);
    } else {
      response.setHeader('allow', routesForPath.map((candidate) => candidate.method.toUpperCase()).join(', '));
      sendGatewayAnswer(response, GATEWAY_ANSWERS.methodNotAllowed, requestId);
    }
    return;
  }

  const body = await readBody(request);
  if (body === 'too_large') {
    // The rest of the upload is not read: the connection cannot be reused.
    response.setHeader('connection', 'close');
    sendGatewayAnswer(response, GATEWAY_ANSWERS.payloadTooLarge, requestId);
    return;
  }

  const event = buildEvent({ request, route, target, body, requestId, receivedAt });
  let result: APIGatewayProxyResultV2;
  try {
    result = await route.handler(event);
  } catch (error) {
    logger.error('handler threw', { error, requestId, routeKey: event.routeKey });
    sendGatewayAnswer(response, GATEWAY_ANSWERS.internalError, requestId);
    return;
  }
  const answer = toHttpAnswer(result);
  if (!answer.ok) {
    logger.error('handler returned an invalid response', { reason: answer.reason, requestId, routeKey: event.routeKey });
    sendGatewayAnswer(response, GATEWAY_ANSWERS.internalError, requestId);
    return;
  }
  response.statusCode = answer.statusCode;
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  if (answer.cookies.length > 0) response.setHeader('set-cookie', answer.cookies);
  response.setHeader('apigw-requestid', requestId);
  response.end(answer.body);
  logger.info('request', { requestId, routeKey: event.routeKey, statusCode: answer.statusCode });
}

interface RequestTarget {
  readonly rawPath: string;
  readonly rawQueryString: string;
}

function splitTarget(url: string): RequestTarget {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return { rawPath: url, rawQueryString: '' };
  return { rawPath: url.slice(0, queryStart), rawQueryString: url.slice(queryStart + 1) };
}

function buildEvent(input: {
  request: IncomingMessage;
  route: HttpApiRoute;
  target: RequestTarget;
  body: Buffer | undefined;
  requestId: string;
  receivedAt: Date;
}): APIGatewayProxyEventV2 {
  const { request, route, target, body, requestId, receivedAt } = input;
  const routeKey = `${route.method.toUpperCase()} ${route.path}`;
  const sourceIp = (request.socket.remoteAddress ?? LOOPBACK).replace(/^::ffff:/, '');
  const { headers, cookies } = gatewayHeaders(request, sourceIp);
  const domainName = headers.host ?? `${LOOPBACK}:${request.socket.localPort ?? ''}`;
  const queryStringParameters = parseQueryString(target.rawQueryString);
  const encodeAsBase64 = body !== undefined && !isTextContentType(headers['content-type']);

  return {
    version: '2.0',
    routeKey,
    rawPath: target.rawPath,
    rawQueryString: target.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName,
      domainPrefix: domainName.split(':')[0]!.split('.')[0]!,
      http: {
        method: (request.method ?? 'GET').toUpperCase(),
        path: target.rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: STAGE,
      time: formatGatewayTime(receivedAt),
      timeEpoch: receivedAt.getTime(),
    },
    ...(body !== undefined ? { body: encodeAsBase64 ? body.toString('base64') : body.toString('utf8') } : {}),
    isBase64Encoded: encodeAsBase64,
  };
}

/**
 * Header names lower-cased and repeats joined with commas, as API Gateway does; cookies move to
 * their own field; the forwarding and tracing headers API Gateway adds are added.
 */
function gatewayHeaders(request: IncomingMessage, sourceIp: string): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase();
    const value = raw[index + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((cookie) => cookie.trim()).filter((cookie) => cookie.length > 0));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] = String(request.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= newTraceId();
  return { headers, cookies };
}

function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

/** The content types API Gateway passes as text; every other body arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    mediaType.startsWith('text/') ||
    mediaType === 'application/json' ||
    mediaType.endsWith('+json') ||
    mediaType === 'application/xml' ||
    mediaType.endsWith('+xml') ||
    mediaType === 'application/javascript'
  );
}

/**
 * The raw body, or 'too_large' past API Gateway's quota. An oversized body announced by
 * content-length is refused unread; a chunked one is read to its end and discarded, so the client
 * still gets the 413 rather than a reset connection.
 */
function readBody(request: IncomingMessage): Promise<Buffer | undefined | 'too_large'> {
  const declaredLength = Number(request.headers['content-length'] ?? 0);
  if (declaredLength > MAX_REQUEST_BODY_BYTES) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
    });
    request.once('error', reject);
    request.once('end', () => {
      if (length > MAX_REQUEST_BODY_BYTES) resolve('too_large');
      else resolve(length === 0 ? undefined : Buffer.concat(chunks));
    });
  });
}

type HttpAnswer =
  | { ok: true; statusCode: number; headers: Record<string, string>; cookies: string[]; body: Buffer }
  | { ok: false; reason: string };

/**
 * Turns a handler's result into the HTTP answer API Gateway would send: a structured result as
 * given; anything else (a string, an object without statusCode) as a 200 JSON body.
 */
function toHttpAnswer(result: APIGatewayProxyResultV2): HttpAnswer {
  if (typeof result === 'string') return jsonAnswer(result);
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    return jsonAnswer(JSON.stringify(result ?? null));
  }
  const { statusCode, headers = {}, cookies = [], body, isBase64Encoded } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { ok: false, reason: `statusCode ${String(statusCode)} is not an HTTP status` };
  }
  if (body !== undefined && typeof body !== 'string') return { ok: false, reason: 'body is not a string' };
  return {
    ok: true,
    statusCode,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)])),
    cookies,
    body: Buffer.from(body ?? '', isBase64Encoded ? 'base64' : 'utf8'),
  };
}

function jsonAnswer(body: string): HttpAnswer {
  return { ok: true, statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
}

function sendGatewayAnswer(response: ServerResponse, answer: { statusCode: number; message: string }, requestId: string): void {
  response.statusCode = answer.statusCode;
  response.setHeader('content-type', 'application/json');
  if (requestId) response.setHeader('apigw-requestid', requestId);
  response.end(JSON.stringify({ message: answer.message }));
}

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
function newRequestId(): string {
  return randomBytes(11).toString('base64');
}

function newTraceId(): string {
  const epochSeconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epochSeconds}-${randomBytes(12).toString('hex')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestContext.time` format: `25/Nov/2026:18:13:03 +0000`. */
export function formatGatewayTime(date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

class InFlightRequests {
  private count = 0;
  private waiters: Array<() => void> = [];

  begin(): void {
    this.count += 1;
  }

  end(): void {
    this.count -= 1;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when no request is in flight, or after timeoutMs, whichever comes first. */
  drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, { cause: error }) : error);
    });
    server.listen(port, LOOPBACK, () => resolve());
  });
}
