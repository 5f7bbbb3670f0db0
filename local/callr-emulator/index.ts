import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallrCredentials } from '../../functions/callr/json-rpc-client';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createEmulatedAccount, webhookView, type EmulatedSmsHistory, type InboundSmsInjection, type InjectedSms, type WebhookView } from './account';
import { createDeliveryEngine, type DeliveryAttempt, type DeliveryRetryPolicy } from './delivery';
import {
  ANSWER_SHAPE_CHOICES,
  authScheme,
  DEFAULT_ANSWER_SHAPES,
  dispatch,
  isAuthorized,
  parseRpcRequest,
  redactParams,
  rpcError,
  shapeAnswer,
  type AuthScheme,
  type EmulatorAnswerShapes,
  type EmulatorLimits,
  type RpcAnswer,
} from './json-rpc';

/**
 * A CALLR emulator on node:http, bound to 127.0.0.1:
 *
 * - `/json-rpc/v1.1/`: CALLR's JSON-RPC API (webhooks.subscribe / unsubscribe / get_list, sms.send, sms.get_list)
 *   with both of CALLR's `Authorization` forms;
 * - a delivery engine that POSTs signed events to the subscribed endpoints, with retries;
 * - `/control/…`: a small JSON API for tests and the CLI (inject an inbound SMS, list deliveries,
 *   subscriptions and calls, make the next call fail). The same operations are methods of the
 *   returned object for in-process use.
 */

export const CALLR_EMULATOR_API_PATH = '/json-rpc/v1.1/';
export const CALLR_EMULATOR_CONTROL_PATH = '/control/';

export const DEFAULT_EMULATOR_RETRY: DeliveryRetryPolicy = { baseDelayMs: 1_000, maxTries: 6 };
export const DEFAULT_EMULATOR_DELIVERY_TIMEOUT_MS = 5_000;
export const DEFAULT_EMULATOR_STATUS_UPDATE_DELAY_MS = 1_000;
/** A stand-in: CALLR does not publish which shortcode it picks for an SMS sent without a sender. */
export const DEFAULT_EMULATOR_SHORTCODES: readonly string[] = ['38100'];

export interface CallrEmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The credentials the API accepts; any other is refused. */
  readonly credentials: CallrCredentials | readonly CallrCredentials[];
  /** @default DEFAULT_EMULATOR_RETRY */
  readonly retry?: Partial<DeliveryRetryPolicy>;
  /** @default DEFAULT_EMULATOR_DELIVERY_TIMEOUT_MS */
  readonly deliveryTimeoutMs?: number;
  /** Spacing of the status updates of a sent SMS. @default DEFAULT_EMULATOR_STATUS_UPDATE_DELAY_MS */
  readonly statusUpdateDelayMs?: number;
  /** Clock for `event_at`, SMS dates and attempt times. @default () => new Date() */
  readonly now?: () => Date;
  /** Told about every delivery attempt (local mode prints them). */
  readonly onDeliveryAttempt?: (attempt: DeliveryAttempt) => void;
  /** The account's shortcodes: `sms.send` with an empty sender sends from the first. @default DEFAULT_EMULATOR_SHORTCODES */
  readonly shortcodes?: readonly string[];
  /** Which of the documented answer variants to give. @default DEFAULT_ANSWER_SHAPES */
  readonly answerShapes?: Partial<EmulatorAnswerShapes>;
  /** Limits CALLR does not publish, to test a client against them. @default none */
  readonly limits?: Partial<EmulatorLimits>;
  /**
   * A JSON file keeping the account's SMS between runs, as CALLR keeps them: what `sms.get_list`
   * answers survives a restart (local mode's recovery after a crash depends on it).
   * @default - in memory only
   */
  readonly smsFile?: string;
}

/** A failure the next matching JSON-RPC call(s) meet, after authentication. */
export type InjectedFailure =
  /** Answer with a CALLR error envelope, e.g. `{ kind: 'error', message: 'INTERNAL_ERROR' }`. */
  | { readonly kind: 'error'; readonly message: string; readonly code?: number; readonly data?: unknown; readonly httpStatus?: number; readonly method?: string; readonly times?: number }
  /** Answer with a bare HTTP status (e.g. 503) and no JSON-RPC envelope. */
  | { readonly kind: 'http'; readonly status: number; readonly method?: string; readonly times?: number }
  /** Never answer: the client times out. */
  | { readonly kind: 'hang'; readonly method?: string; readonly times?: number };

export interface RecordedCall {
  readonly method: string | null;
  /** As sent, with any `hmac_secret` replaced by `[redacted]`. */
  readonly params: unknown[];
  readonly auth: AuthScheme;
  readonly contentType: string | null;
  readonly at: string;
  /** `ok`, the error token answered (`TYPE_ENDPOINT_DUPLICATE`, `AUTHENTICATION_FAILED`...), `http_<status>` or `hang`. */
  readonly outcome: string;
}

export interface CallrEmulator {
  /** The JSON-RPC API URL, e.g. `http://127.0.0.1:4010/json-rpc/v1.1/` (what `apiUrl` takes). */
  readonly url: string;
  /** The control API base, e.g. `http://127.0.0.1:4010/control/`. */
  readonly controlUrl: string;
  readonly port: number;
  /**
   * An SMS from a handset to one of our numbers: delivered to every webhook it concerns, each in
   * its format (`sms.mo` v1, `v2.sms.inbound.received` v2); `format` restricts it to one;
   * `undelivered` keeps it from every webhook (only `sms.get_list` shows it).
   */
  injectInboundSms(sms: InboundSmsInjection): InjectedSms;
  deliveries(): DeliveryAttempt[];
  subscriptions(): WebhookView[];
  /** Every JSON-RPC call received, oldest first. */
  calls(): RecordedCall[];
  /** The SMS sent through `sms.send`, as CALLR's SMS objects. */
  sentSms(): Array<Record<string, unknown>>;
  failNext(failure: InjectedFailure): void;
  /** Switches answer variants from now on (errors without `data`, a minimal `{hash}` Webhook...); returns those in force. */
  setAnswerShapes(shapes: Partial<EmulatorAnswerShapes>): EmulatorAnswerShapes;
  /** Sets unpublished limits from now on (`{ smsListLimit: 2 }`); returns those in force. */
  setLimits(limits: Partial<EmulatorLimits>): EmulatorLimits;
  /** Resolves when no delivery or status update is in flight or scheduled. */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;

export async function startCallrEmulator(options: CallrEmulatorOptions): Promise<CallrEmulator> {
  const accepted: readonly CallrCredentials[] = Array.isArray(options.credentials) ? options.credentials : [options.credentials as CallrCredentials];
  const now = options.now ?? (() => new Date());
  const delivery = createDeliveryEngine({
    retry: { ...DEFAULT_EMULATOR_RETRY, ...options.retry },
    timeoutMs: options.deliveryTimeoutMs ?? DEFAULT_EMULATOR_DELIVERY_TIMEOUT_MS,
    now,
    onAttempt: options.onDeliveryAttempt,
  });
  const shortcodes = options.shortcodes ?? DEFAULT_EMULATOR_SHORTCODES;
  if (shortcodes.length === 0 || shortcodes.some((shortcode) => !/^[0-9]{3,8}$/.test(shortcode))) {
    throw new RangeError('startCallrEmulator: shortcodes must be a non-empty list of 3 to 8 digit numbers');
  }
  const account = createEmulatedAccount({
    delivery,
    now,
    statusUpdateDelayMs: options.statusUpdateDelayMs ?? DEFAULT_EMULATOR_STATUS_UPDATE_DELAY_MS,
    shortcodes,
    ...(options.smsFile ? { initialSms: readSmsFile(options.smsFile), onSmsChange: (history: EmulatedSmsHistory) => writeSmsFile(options.smsFile!, history) } : {}),
  });
  let answerShapes: EmulatorAnswerShapes = checkAnswerShapes({ ...DEFAULT_ANSWER_SHAPES, ...options.answerShapes });
  let limits: EmulatorLimits = checkLimits({ smsListLimit: null, ...options.limits });
  const calls: RecordedCall[] = [];
  const failures: Array<{ failure: InjectedFailure; remaining: number }> = [];

  const takeFailure = (method: string): InjectedFailure | undefined => {
    const index = failures.findIndex(({ failure }) => !failure.method || failure.method === method);
    if (index < 0) return undefined;
    const entry = failures[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) failures.splice(index, 1);
    return entry.failure;
  };

  const emulator = {
    injectInboundSms: (sms: InboundSmsInjection) => account.injectInboundSms(sms),
    deliveries: () => delivery.attempts(),
    subscriptions: () => account.webhooks().map(webhookView),
    calls: () => [...calls],
    sentSms: () => account.sentSms(),
    failNext(failure: InjectedFailure) {
      const times = failure.times ?? 1;
      if (!Number.isInteger(times) || times < 1) throw new RangeError('failNext: times must be a positive integer');
      failures.push({ failure, remaining: times });
    },
    setAnswerShapes(shapes: Partial<EmulatorAnswerShapes>) {
      answerShapes = checkAnswerShapes({ ...answerShapes, ...shapes });
      return answerShapes;
    },
    setLimits(changes: Partial<EmulatorLimits>) {
      limits = checkLimits({ ...limits, ...changes });
      return limits;
    },
    whenIdle: () => delivery.whenIdle(),
  };

  async function handleRpc(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const header = request.headers.authorization;
    const sendAnswer = (answer: RpcAnswer) => {
      const shaped = shapeAnswer(answer, answerShapes);
      sendJson(response, shaped.httpStatus, shaped.body);
    };
    const record = (method: string | null, params: unknown[], outcome: string) =>
      calls.push({
        method,
        params: redactParams(params),
        auth: authScheme(header),
        contentType: request.headers['content-type'] ?? null,
        at: now().toISOString(),
        outcome,
      });

    const parsed = parseRpcRequest(body);
    if ('outcome' in parsed) {
      record(null, [], parsed.outcome);
      return sendAnswer(parsed);
    }
    if (!isAuthorized(header, accepted)) {
      const answer = rpcError(parsed.id, 'AUTHENTICATION_FAILED');
      record(parsed.method, parsed.params, answer.outcome);
      return sendAnswer(answer);
    }
    const failure = takeFailure(parsed.method);
    if (failure?.kind === 'hang') {
      record(parsed.method, parsed.params, 'hang');
      return; // The socket stays open until the client gives up or the emulator closes.
    }
    if (failure?.kind === 'http') {
      record(parsed.method, parsed.params, `http_${failure.status}`);
      response.writeHead(failure.status, { 'Content-Type': 'text/plain' }).end(`emulated HTTP ${failure.status}`);
      return;
    }
    const answer: RpcAnswer =
      failure?.kind === 'error'
        ? rpcError(parsed.id, failure.message, failure.data ?? null, { code: failure.code, httpStatus: failure.httpStatus })
        : dispatch(parsed, account, answerShapes, limits);
    record(parsed.method, parsed.params, answer.outcome);
    sendAnswer(answer);
  }

  async function handleControl(request: IncomingMessage, response: ServerResponse, route: string, body: string): Promise<void> {
    const method = request.method ?? 'GET';
    const key = `${method} ${route}`;
    switch (key) {
      case 'GET ':
        return sendJson(response, 200, {
          routes: ['POST inbound-sms', 'GET deliveries', 'GET subscriptions', 'GET calls', 'GET sms', 'POST fail-next', 'GET answer-shapes', 'POST answer-shapes', 'GET limits', 'POST limits', 'GET idle'],
        });
      case 'POST inbound-sms': {
        const input = parseJsonObject(body);
        const problems = ['from', 'to', 'text'].filter((field) => typeof input?.[field] !== 'string' || input[field] === '');
        if (!input || problems.length > 0) {
          return sendJson(response, 400, { error: 'invalid_request', message: `expected JSON {from, to, text} with non-empty strings; check: ${problems.join(', ') || 'body'}` });
        }
        if (input.format !== undefined && input.format !== 'v1' && input.format !== 'v2') {
          return sendJson(response, 400, { error: 'invalid_request', message: 'format, when given, is "v1" (sms.mo webhooks) or "v2" (v2.sms.inbound.received webhooks)' });
        }
        if (input.undelivered !== undefined && typeof input.undelivered !== 'boolean') {
          return sendJson(response, 400, { error: 'invalid_request', message: 'undelivered, when given, is true (received, delivered to no webhook) or false' });
        }
        return sendJson(
          response,
          200,
          emulator.injectInboundSms({
            from: input.from as string,
            to: input.to as string,
            text: input.text as string,
            ...(input.format ? { format: input.format } : {}),
            ...(input.undelivered === true ? { undelivered: true } : {}),
          }),
        );
      }
      case 'GET deliveries':
        return sendJson(response, 200, { deliveries: emulator.deliveries() });
      case 'GET subscriptions':
        return sendJson(response, 200, { subscriptions: emulator.subscriptions() });
      case 'GET calls':
        return sendJson(response, 200, { calls: emulator.calls() });
      case 'GET sms':
        return sendJson(response, 200, { sms: emulator.sentSms() });
      case 'POST fail-next': {
        const failure = parseInjectedFailure(parseJsonObject(body));
        if (!failure) {
          return sendJson(response, 400, {
            error: 'invalid_request',
            message: 'expected {kind: "error", message, code?, data?, httpStatus?} | {kind: "http", status} | {kind: "hang"}, each with optional method and times',
          });
        }
        emulator.failNext(failure);
        return sendJson(response, 200, { queued: failure });
      }
      case 'GET answer-shapes':
        return sendJson(response, 200, { answerShapes });
      case 'POST answer-shapes': {
        const input = parseJsonObject(body);
        try {
          if (!input) throw new RangeError('expected a JSON object');
          return sendJson(response, 200, { answerShapes: emulator.setAnswerShapes(input as Partial<EmulatorAnswerShapes>) });
        } catch (error) {
          return sendJson(response, 400, { error: 'invalid_request', message: `${(error as Error).message}; choices: ${JSON.stringify(ANSWER_SHAPE_CHOICES)}` });
        }
      }
      case 'GET limits':
        return sendJson(response, 200, { limits });
      case 'POST limits': {
        const input = parseJsonObject(body);
        try {
          if (!input) throw new RangeError('expected a JSON object');
          return sendJson(response, 200, { limits: emulator.setLimits(input as Partial<EmulatorLimits>) });
        } catch (error) {
          return sendJson(response, 400, { error: 'invalid_request', message: (error as Error).message });
        }
      }
      case 'GET idle':
        await emulator.whenIdle();
        return sendJson(response, 200, { idle: true });
      default:
        return sendJson(response, 404, { error: 'not_found', message: `no control route ${key}` });
    }
  }

  const server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        const path = new URL(request.url ?? '/', `http://${LOOPBACK}`).pathname;
        if (path === CALLR_EMULATOR_API_PATH || `${path}/` === CALLR_EMULATOR_API_PATH) {
          if (request.method !== 'POST') return sendJson(response, 405, { error: 'method_not_allowed', message: 'POST JSON-RPC 2.0 requests here' });
          return handleRpc(request, response, body);
        }
        if (path.startsWith(CALLR_EMULATOR_CONTROL_PATH) || `${path}/` === CALLR_EMULATOR_CONTROL_PATH) {
          return handleControl(request, response, path.slice(CALLR_EMULATOR_CONTROL_PATH.length).replace(/\/$/, ''), body);
        }
        return sendJson(response, 404, { error: 'not_found', message: `the CALLR emulator serves ${CALLR_EMULATOR_API_PATH} and ${CALLR_EMULATOR_CONTROL_PATH}` });
      })
      .catch((error: unknown) => {
        if (error instanceof BodyTooLargeError) return sendJson(response, 413, { error: 'payload_too_large', message: error.message });
        if (!response.headersSent) sendJson(response, 500, { error: 'internal_error', message: 'the CALLR emulator failed on this request' });
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${LOOPBACK}:${port}`;

  return {
    ...emulator,
    url: `${base}${CALLR_EMULATOR_API_PATH}`,
    controlUrl: `${base}${CALLR_EMULATOR_CONTROL_PATH}`,
    port,
    async close() {
      delivery.close();
      // Hanging calls and keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

class BodyTooLargeError extends Error {
  constructor() {
    super(`request body over ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function checkAnswerShapes(shapes: Record<string, unknown>): EmulatorAnswerShapes {
  const problems = Object.entries(shapes)
    .filter(([key, value]) => !(key in ANSWER_SHAPE_CHOICES) || !(ANSWER_SHAPE_CHOICES[key as keyof EmulatorAnswerShapes] as readonly unknown[]).includes(value))
    .map(([key]) => key);
  if (problems.length > 0) throw new RangeError(`unknown answer shape setting or value: ${problems.join(', ')}`);
  return shapes as unknown as EmulatorAnswerShapes;
}

/** The SMS file: dates as ISO strings; a missing file is an account without SMS. */
function readSmsFile(path: string): EmulatedSmsHistory {
  if (!existsSync(path)) return { inbound: [], outbound: [] };
  const json = JSON.parse(readFileSync(path, 'utf8')) as { inbound?: Array<Record<string, unknown>>; outbound?: Array<Record<string, unknown>> };
  const dated = <T>(item: Record<string, unknown>, fields: string[]): T =>
    ({ ...item, ...Object.fromEntries(fields.map((field) => [field, new Date(item[field] as string)])) }) as T;
  return {
    inbound: (json.inbound ?? []).map((sms) => dated(sms, ['receivedAt'])),
    outbound: (json.outbound ?? []).map((sms) => ({
      ...dated<Record<string, unknown>>(sms, ['createdAt']),
      history: ((sms.history as Array<Record<string, unknown>> | undefined) ?? []).map((change) => dated(change, ['at'])),
    })) as unknown as EmulatedSmsHistory['outbound'],
  };
}

/** Written whole, through a temporary file, so that a crash mid-write leaves the previous file. */
function writeSmsFile(path: string, history: EmulatedSmsHistory): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify(history));
  renameSync(temporary, path);
}

function checkLimits(limits: Record<string, unknown>): EmulatorLimits {
  const problems = Object.entries(limits)
    .filter(([key, value]) => key !== 'smsListLimit' || !(value === null || (Number.isInteger(value) && (value as number) > 0)))
    .map(([key]) => key);
  if (problems.length > 0) throw new RangeError(`unknown limit or value (smsListLimit: a positive integer or null): ${problems.join(', ')}`);
  return limits as unknown as EmulatorLimits;
}

function parseInjectedFailure(input: Record<string, unknown> | undefined): InjectedFailure | undefined {
  if (!input) return undefined;
  const method = typeof input.method === 'string' ? { method: input.method } : {};
  const times = Number.isInteger(input.times) && (input.times as number) > 0 ? { times: input.times as number } : {};
  switch (input.kind) {
    case 'error':
      if (typeof input.message !== 'string' || input.message === '') return undefined;
      return {
        kind: 'error',
        message: input.message,
        ...(typeof input.code === 'number' ? { code: input.code } : {}),
        ...(input.data !== undefined ? { data: input.data } : {}),
        ...(typeof input.httpStatus === 'number' ? { httpStatus: input.httpStatus } : {}),
        ...method,
        ...times,
      };
    case 'http':
      if (!Number.isInteger(input.status) || (input.status as number) < 100 || (input.status as number) > 599) return undefined;
      return { kind: 'http', status: input.status as number, ...method, ...times };
    case 'hang':
      return { kind: 'hang', ...method, ...times };
    default:
      return undefined;
  }
}

export type { DeliveryAttempt, DeliveryRetryPolicy } from './delivery';
export type { InboundSmsFormat, InboundSmsInjection, InjectedSms, WebhookView } from './account';
export type { EmulatorAnswerShapes, EmulatorLimits } from './json-rpc';
