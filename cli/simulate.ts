import {
  CALLR_EMULATOR_CONTROL_PATH,
  DEFAULT_EMULATOR_DELIVERY_TIMEOUT_MS,
  DEFAULT_EMULATOR_RETRY,
  type DeliveryAttempt,
  type InboundSmsFormat,
  type InjectedSms,
} from '../local/callr-emulator';
import { retryHorizonMs, webhookRequest } from '../local/callr-emulator/delivery';
import { newEventId, newObjectHash } from '../local/callr-emulator/ids';
import { inboundSmsObject, inboundSmsPayloadV2, smsEncoding } from '../local/callr-emulator/sms-objects';
import { V2_INBOUND_SMS_EVENT_TYPE } from '../local/callr-emulator/account';
import type { CallrHmacAlgorithm } from '../functions/callr/signature';
import { TargetError } from './errors';
import type { MoGenerator, SimulatedSms, TextKind } from './mo-generator';
import { summarizeLatencies, type LatencySummary } from './stats';

/**
 * `callr-mo simulate`: signed, realistic inbound SMS, sent at a steady rate either
 *
 * - through the CALLR emulator of a local pipeline (its control API injects the SMS; the emulator
 *   delivers it to every subscribed webhook, retrying as CALLR does), reporting each event's final
 *   delivery and the time from injection to it; or
 * - straight to a webhook URL (a deployed stack), signed with the given secret exactly as CALLR
 *   signs, reporting the HTTP answers and their latency.
 *
 * `format` chooses CALLR's webhook format: `v1` (JSON-RPC `sms.mo`) or `v2` (REST v2
 * `v2.sms.inbound.received`). Through the emulator it restricts delivery to the webhooks
 * subscribed to that format's event type (none given: every webhook, each in its own format).
 */

export const DEFAULT_SIMULATE_COUNT = 10;
export const DEFAULT_SIMULATE_RATE = 5;
export const MAX_SIMULATE_COUNT = 10_000;
export const MAX_SIMULATE_RATE = 1_000;
/** Direct mode: how long one request may take. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * Emulator mode: how long to wait for final deliveries after the last injection — as long as the
 * emulator may keep retrying one, so an event that succeeds on its last try is not called pending.
 */
export const DEFAULT_DELIVERY_WAIT_MS = retryHorizonMs(DEFAULT_EMULATOR_RETRY, DEFAULT_EMULATOR_DELIVERY_TIMEOUT_MS) + 2_000;
/** Direct mode: requests in flight at once, whatever the rate, so a slow endpoint cannot pile up sockets. */
export const DEFAULT_MAX_IN_FLIGHT = 32;

/**
 * What became of one event:
 * `accepted` (HTTP 200, queued), `ignored` / `quarantined` (HTTP 202, told apart in direct mode only),
 * `rejected` (other 4xx, e.g. 401 for a wrong secret), `failed` (5xx, or any other status),
 * `unreachable` (network error or timeout), `pending` (the emulator is still retrying at the deadline),
 * `no_webhook` (the emulator had no `sms.mo` webhook to deliver to).
 */
export type EventOutcome =
  | 'accepted'
  | 'ignored'
  | 'quarantined'
  | 'ignored_or_quarantined'
  | 'rejected'
  | 'failed'
  | 'unreachable'
  | 'pending'
  | 'no_webhook';

export interface SimulatedEventResult {
  readonly smsHash: string;
  /** CALLR event_id; null when no event was emitted (no webhook). */
  readonly eventId: string | null;
  readonly from: string;
  readonly to: string;
  readonly kind: TextKind;
  readonly parts: number;
  readonly outcome: EventOutcome;
  /** The key this event is counted under in `statusCounts`: the HTTP status, `network_error`, `timeout`, `pending` or `no_webhook`. */
  readonly status: string;
  readonly httpStatus: number | null;
  /** Delivery attempts (emulator mode; 1 in direct mode). */
  readonly tries: number;
  /** Direct: request to answer. Emulator: injection to final delivery. Null when nothing final happened. */
  readonly latencyMs: number | null;
  /** The answer's `status`/`error` code and reason, or the network error. */
  readonly detail: string | null;
}

export interface SimulationSummary {
  readonly mode: 'emulator' | 'direct';
  /** The emulator's control API, or the webhook URL. */
  readonly target: string;
  readonly sms: number;
  readonly accepted: number;
  readonly notAccepted: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly outcomeCounts: Readonly<Partial<Record<EventOutcome, number>>>;
  readonly latencyMs: LatencySummary;
  readonly durationMs: number;
  readonly events: readonly SimulatedEventResult[];
}

export interface SimulateProgress {
  readonly phase: 'sending' | 'waiting';
  readonly done: number;
  readonly total: number;
}

export interface SimulationClock {
  /** Wall clock, for event dates and the emulator's attempt times. */
  readonly now: () => Date;
  /** Monotonic milliseconds, for pacing and latencies. */
  readonly monotonicMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const systemClock: SimulationClock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface SimulateCommon {
  readonly count: number;
  readonly ratePerSecond: number;
  readonly generator: MoGenerator;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default systemClock */
  readonly clock?: SimulationClock;
  readonly onProgress?: (progress: SimulateProgress) => void;
  /** CALLR's webhook format. Direct: @default 'v1'. Emulator: every subscribed format when absent. */
  readonly format?: InboundSmsFormat;
}

/** The event type each format delivers an inbound SMS as. */
export const INBOUND_EVENT_TYPE: Readonly<Record<InboundSmsFormat, string>> = { v1: 'sms.mo', v2: V2_INBOUND_SMS_EVENT_TYPE };

export interface EmulatorSimulationInput extends SimulateCommon {
  /** The emulator's base URL (`callrEmulatorUrl` of endpoints.json). */
  readonly emulatorUrl: string;
  /** @default DEFAULT_DELIVERY_WAIT_MS */
  readonly waitMs?: number;
  /** @default 100 */
  readonly pollIntervalMs?: number;
}

export interface DirectSimulationInput extends SimulateCommon {
  readonly url: string;
  readonly secret: string;
  /** @default 'SHA256' */
  readonly algorithm?: CallrHmacAlgorithm;
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default DEFAULT_MAX_IN_FLIGHT */
  readonly maxInFlight?: number;
}

export async function simulateThroughEmulator(input: EmulatorSimulationInput): Promise<SimulationSummary> {
  const fetchImpl = input.fetch ?? globalThis.fetch;
  const clock = input.clock ?? systemClock;
  const controlUrl = new URL(CALLR_EMULATOR_CONTROL_PATH, input.emulatorUrl).toString();
  const started = clock.monotonicMs();

  let injectedCount = 0;
  const injected = await runPaced(input.count, input.ratePerSecond, 8, clock, async () => {
    const sms = input.generator.next();
    const injectedAt = clock.now().getTime();
    const result = await injectInboundSms(fetchImpl, controlUrl, sms, input.format);
    input.onProgress?.({ phase: 'sending', done: ++injectedCount, total: input.count });
    return { sms, injectedAt, result };
  });

  const expected = injected.flatMap((entry) => entry.result.eventIds);
  const deadline = clock.monotonicMs() + (input.waitMs ?? DEFAULT_DELIVERY_WAIT_MS);
  let finals = new Map<string, DeliveryAttempt>();
  let attemptsByEvent = new Map<string, DeliveryAttempt[]>();
  for (;;) {
    const deliveries = await listDeliveries(fetchImpl, controlUrl);
    attemptsByEvent = groupByEvent(deliveries, new Set(expected));
    finals = new Map([...attemptsByEvent].flatMap(([eventId, attempts]) => {
      const final = attempts.find((attempt) => attempt.outcome === 'delivered' || !attempt.willRetry);
      return final ? [[eventId, final] as const] : [];
    }));
    input.onProgress?.({ phase: 'waiting', done: finals.size, total: expected.length });
    if (finals.size === expected.length || clock.monotonicMs() >= deadline) break;
    await clock.sleep(input.pollIntervalMs ?? 100);
  }

  const events = injected.flatMap(({ sms, injectedAt, result }): SimulatedEventResult[] => {
    const base = { smsHash: result.hash, from: sms.from, to: sms.to, kind: sms.kind, parts: smsEncoding(sms.text).parts };
    if (result.eventIds.length === 0) {
      const subscribed = input.format ? INBOUND_EVENT_TYPE[input.format] : `${INBOUND_EVENT_TYPE.v1} or ${INBOUND_EVENT_TYPE.v2}`;
      return [{ ...base, eventId: null, outcome: 'no_webhook', status: 'no_webhook', httpStatus: null, tries: 0, latencyMs: null, detail: `the CALLR emulator has no ${subscribed} webhook subscribed` }];
    }
    return result.eventIds.map((eventId) => {
      const attempts = attemptsByEvent.get(eventId) ?? [];
      const final = finals.get(eventId);
      const last = final ?? attempts.at(-1);
      if (!final) {
        return { ...base, eventId, outcome: 'pending', status: 'pending', httpStatus: last?.httpStatus ?? null, tries: attempts.length, latencyMs: null, detail: last ? describeAttempt(last) : 'not attempted yet' };
      }
      const classified = final.httpStatus !== undefined ? classifyStatus(final.httpStatus, undefined) : { outcome: 'unreachable' as const, status: final.error === 'timeout' ? 'timeout' : 'network_error' };
      return {
        ...base,
        eventId,
        ...classified,
        outcome: classified.outcome === 'ignored' ? 'ignored_or_quarantined' : classified.outcome,
        httpStatus: final.httpStatus ?? null,
        tries: attempts.length,
        latencyMs: Math.max(0, Date.parse(final.at) - injectedAt),
        detail: final.httpStatus === undefined ? (final.error ?? null) : null,
      };
    });
  });
  return summarize('emulator', controlUrl, input.count, events, clock.monotonicMs() - started);
}

export interface UndeliveredSimulationInput {
  /** The emulator's base URL (`callrEmulatorUrl` of endpoints.json). */
  readonly emulatorUrl: string;
  readonly count: number;
  readonly generator: SimulateCommon['generator'];
  readonly fetch?: typeof fetch;
  readonly clock?: SimulationClock;
}

export interface UndeliveredSimulationSummary {
  readonly mode: 'undelivered';
  readonly target: string;
  readonly sms: number;
  /** When the first was received: what `callr-mo reconcile --since` takes to recover them. */
  readonly since: string;
  readonly hashes: readonly string[];
}

/**
 * `simulate --undelivered N`: the emulator receives N inbound SMS and delivers none of them, as
 * CALLR does when the webhook is down for longer than its retries. Only `sms.get_list` knows of them.
 */
export async function simulateUndelivered(input: UndeliveredSimulationInput): Promise<UndeliveredSimulationSummary> {
  const fetchImpl = input.fetch ?? globalThis.fetch;
  const clock = input.clock ?? systemClock;
  const controlUrl = new URL(CALLR_EMULATOR_CONTROL_PATH, input.emulatorUrl).toString();
  // CALLR dates are whole seconds: the second it started in is where a sweep must start.
  const since = new Date(Math.floor(clock.now().getTime() / 1000) * 1000).toISOString();
  const hashes: string[] = [];
  for (let index = 0; index < input.count; index++) {
    const sms = input.generator.next();
    hashes.push((await injectInboundSms(fetchImpl, controlUrl, sms, undefined, { undelivered: true })).hash);
  }
  return { mode: 'undelivered', target: controlUrl, sms: input.count, since, hashes };
}

export async function simulateDirect(input: DirectSimulationInput): Promise<SimulationSummary> {
  const fetchImpl = input.fetch ?? globalThis.fetch;
  const clock = input.clock ?? systemClock;
  const timeoutMs = input.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const target = { hookHash: newObjectHash(), hmacSecret: input.secret, hmacAlgorithm: input.algorithm ?? 'SHA256' } as const;
  const started = clock.monotonicMs();

  let done = 0;
  const events = await runPaced(input.count, input.ratePerSecond, input.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, clock, async (): Promise<SimulatedEventResult> => {
    const sms = input.generator.next();
    const now = clock.now();
    const smsHash = newObjectHash();
    const inbound = { hash: smsHash, from: sms.from, to: sms.to, text: sms.text, receivedAt: now };
    const format = input.format ?? 'v1';
    const event = {
      eventId: newEventId(),
      eventAt: now.toISOString(),
      type: INBOUND_EVENT_TYPE[format],
      data: format === 'v2' ? inboundSmsPayloadV2(inbound) : inboundSmsObject(inbound),
    };
    const { body, headers } = webhookRequest(event, target, 0);
    const base = { smsHash, eventId: event.eventId, from: sms.from, to: sms.to, kind: sms.kind, parts: smsEncoding(sms.text).parts, tries: 1 };
    const requestStarted = clock.monotonicMs();
    try {
      const response = await fetchImpl(input.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      const answer = parseAnswer(await response.text());
      const latencyMs = clock.monotonicMs() - requestStarted;
      return { ...base, ...classifyStatus(response.status, answer), httpStatus: response.status, latencyMs, detail: describeAnswer(answer) };
    } catch (error) {
      const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
      return {
        ...base,
        outcome: 'unreachable',
        status: timedOut ? 'timeout' : 'network_error',
        httpStatus: null,
        latencyMs: null,
        detail: timedOut ? `no answer within ${timeoutMs} ms` : describeNetworkError(error),
      };
    } finally {
      input.onProgress?.({ phase: 'sending', done: ++done, total: input.count });
    }
  });
  return summarize('direct', input.url, input.count, events, clock.monotonicMs() - started);
}

interface IngestAnswer {
  readonly status?: string;
  readonly error?: string;
  readonly reason?: string;
}

function classifyStatus(httpStatus: number, answer: IngestAnswer | undefined): { outcome: EventOutcome; status: string } {
  const status = String(httpStatus);
  if (httpStatus === 200) return { outcome: 'accepted', status };
  if (httpStatus === 202) return { outcome: answer?.status === 'quarantined' ? 'quarantined' : 'ignored', status };
  if (httpStatus >= 400 && httpStatus < 500) return { outcome: 'rejected', status };
  return { outcome: 'failed', status };
}

function summarize(
  mode: SimulationSummary['mode'],
  target: string,
  sms: number,
  events: readonly SimulatedEventResult[],
  durationMs: number,
): SimulationSummary {
  const statusCounts: Record<string, number> = {};
  const outcomeCounts: Partial<Record<EventOutcome, number>> = {};
  for (const event of events) {
    statusCounts[event.status] = (statusCounts[event.status] ?? 0) + 1;
    outcomeCounts[event.outcome] = (outcomeCounts[event.outcome] ?? 0) + 1;
  }
  const accepted = outcomeCounts.accepted ?? 0;
  return {
    mode,
    target,
    sms,
    accepted,
    notAccepted: events.length - accepted,
    statusCounts,
    outcomeCounts,
    latencyMs: summarizeLatencies(events.flatMap((event) => (event.latencyMs === null ? [] : [event.latencyMs]))),
    durationMs: Math.round(durationMs),
    events,
  };
}

/**
 * Starts `task` `count` times, the i-th no earlier than i/rate seconds after the first (an open
 * loop: a slow answer does not slow the sending down, which is what a latency measurement needs),
 * with at most `maxInFlight` tasks running. The first task that throws stops the run.
 */
export async function runPaced<T>(
  count: number,
  ratePerSecond: number,
  maxInFlight: number,
  clock: Pick<SimulationClock, 'monotonicMs' | 'sleep'>,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const intervalMs = 1000 / ratePerSecond;
  const start = clock.monotonicMs();
  const results: Array<Promise<T>> = [];
  const inFlight = new Set<Promise<void>>();
  let failed = false;
  for (let index = 0; index < count && !failed; index++) {
    const wait = start + index * intervalMs - clock.monotonicMs();
    if (wait > 0) await clock.sleep(wait);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (failed) break;
    const running = task(index);
    results.push(running);
    const tracked: Promise<void> = running.then(
      () => undefined,
      () => {
        failed = true;
      },
    ).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  return Promise.all(results);
}

async function injectInboundSms(
  fetchImpl: typeof fetch,
  controlUrl: string,
  sms: SimulatedSms,
  format: InboundSmsFormat | undefined,
  options: { readonly undelivered?: boolean } = {},
): Promise<InjectedSms> {
  const response = await callEmulator(fetchImpl, new URL('inbound-sms', controlUrl).toString(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ from: sms.from, to: sms.to, text: sms.text, ...(format ? { format } : {}), ...(options.undelivered ? { undelivered: true } : {}) }),
  });
  return response as InjectedSms;
}

async function listDeliveries(fetchImpl: typeof fetch, controlUrl: string): Promise<DeliveryAttempt[]> {
  const response = (await callEmulator(fetchImpl, new URL('deliveries', controlUrl).toString(), { method: 'GET' })) as { deliveries: DeliveryAttempt[] };
  return response.deliveries;
}

async function callEmulator(fetchImpl: typeof fetch, url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new TargetError(`the CALLR emulator at ${new URL(url).origin} does not answer (${describeNetworkError(error)}): is \`npm start\` running?`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`the CALLR emulator answered ${url} with HTTP ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

function groupByEvent(deliveries: readonly DeliveryAttempt[], wanted: ReadonlySet<string>): Map<string, DeliveryAttempt[]> {
  const byEvent = new Map<string, DeliveryAttempt[]>();
  for (const attempt of deliveries) {
    if (!wanted.has(attempt.eventId)) continue;
    const attempts = byEvent.get(attempt.eventId) ?? [];
    attempts.push(attempt);
    byEvent.set(attempt.eventId, attempts);
  }
  return byEvent;
}

function describeAttempt(attempt: DeliveryAttempt): string {
  const result = attempt.httpStatus !== undefined ? `HTTP ${attempt.httpStatus}` : (attempt.error ?? 'no answer');
  return `try ${attempt.try}: ${result}${attempt.willRetry ? ', retrying' : ''}`;
}

function parseAnswer(text: string): IngestAnswer | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as IngestAnswer) : undefined;
  } catch {
    return undefined;
  }
}

function describeAnswer(answer: IngestAnswer | undefined): string | null {
  if (!answer) return null;
  const code = answer.status ?? answer.error;
  if (!code) return null;
  return answer.reason ? `${code}: ${answer.reason}` : code;
}

/** fetch says "fetch failed" and keeps the useful part (ECONNREFUSED...) in `cause`. Duck-typed: other realms. */
export function describeNetworkError(error: unknown): string {
  const value = (error ?? {}) as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const detail = value.cause?.code ?? value.cause?.message;
  const message = typeof value.message === 'string' ? value.message : String(error);
  return typeof detail === 'string' ? `${message} (${detail})` : message;
}
