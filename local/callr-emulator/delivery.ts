import { CALLR_EVENT_ID_HEADER, CALLR_SIGNATURE_HEADER, signCallrBody, type CallrHmacAlgorithm } from '../../functions/callr/signature';

/**
 * The emulator's delivery engine: POSTs webhook events the way CALLR does.
 *
 * - `Content-Type: application/json`, `X-CALLR-EventId`, and `X-CALLR-HmacSignature` (base64 HMAC
 *   of the exact bytes sent) when the target has a secret;
 * - envelope `{event_id, event_at, hook_hash, type, try, data}` for JSON-RPC (v1) event types, and
 *   `{id, at, sid, type, try, payload}` for REST v2 ones (`v2.…`, e.g. `v2.sms.inbound.received`):
 *   the format follows the subscription's event type. CALLR does not document how it signs v2
 *   deliveries; the emulator signs them as v1;
 * - anything but a 2xx within the timeout is retried with exponential backoff, with the same
 *   `event_id` and `event_at` and `try` incremented, up to `maxTries` attempts in all.
 */

export interface DeliveryTarget {
  readonly endpoint: string;
  /** The subscription's hash; `null` for a per-SMS ("dynamic") webhook. */
  readonly hookHash: string | null;
  readonly hmacSecret?: string;
  readonly hmacAlgorithm: CallrHmacAlgorithm;
}

export interface WebhookEvent {
  readonly eventId: string;
  /** ISO 8601 with milliseconds, UTC. */
  readonly eventAt: string;
  /** A `v2.` type is delivered in the REST v2 envelope, any other in the JSON-RPC one. */
  readonly type: string;
  /** `data` (v1) or `payload` (v2). */
  readonly data: unknown;
}

/** REST v2 event types start with `v2.` (CALLR's reference: `v2.sms.inbound.received`). */
export function isV2EventType(type: string): boolean {
  return type.startsWith('v2.');
}

export interface DeliveryAttempt {
  readonly eventId: string;
  readonly type: string;
  readonly hookHash: string | null;
  readonly endpoint: string;
  readonly try: number;
  /** When the attempt ended (ISO 8601). */
  readonly at: string;
  readonly outcome: 'delivered' | 'failed';
  /** The receiver's HTTP status, when it answered. */
  readonly httpStatus?: number;
  /** Why no status: `timeout`, or the network error. */
  readonly error?: string;
  /** Whether another try is scheduled after a failure. */
  readonly willRetry: boolean;
}

export interface DeliveryRetryPolicy {
  /** Delay before try 1; doubled for each following try. */
  readonly baseDelayMs: number;
  /** Attempts in all, the first included. */
  readonly maxTries: number;
}

export interface DeliveryEngineOptions {
  readonly retry: DeliveryRetryPolicy;
  /** How long a receiver may take to answer. */
  readonly timeoutMs: number;
  readonly now: () => Date;
  readonly onAttempt?: (attempt: DeliveryAttempt) => void;
}

export interface DeliveryEngine {
  deliver(event: WebhookEvent, target: DeliveryTarget): void;
  /** Runs `job` later, counted as pending work (whenIdle waits for it). */
  later(delayMs: number, job: () => void): void;
  attempts(): DeliveryAttempt[];
  /** Resolves once nothing is in flight or scheduled. */
  whenIdle(): Promise<void>;
  /** Cancels scheduled work and aborts deliveries in flight. */
  close(): void;
}

/**
 * The request CALLR makes for one delivery try: the envelope of test/fixtures/callr (v1 or v2, by
 * the event's type), signed with
 * the subscription's secret and algorithm. Also used by the operator CLI to post straight to a
 * deployed webhook, so both send exactly what CALLR sends.
 */
export function webhookRequest(
  event: WebhookEvent,
  target: Pick<DeliveryTarget, 'hookHash' | 'hmacSecret' | 'hmacAlgorithm'>,
  tryNumber: number,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(
    isV2EventType(event.type)
      ? { id: event.eventId, at: event.eventAt, sid: target.hookHash?.toLowerCase() ?? null, type: event.type, try: tryNumber, payload: event.data }
      : { event_id: event.eventId, event_at: event.eventAt, hook_hash: target.hookHash, type: event.type, try: tryNumber, data: event.data },
  );
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'callr-emulator',
    [CALLR_EVENT_ID_HEADER]: event.eventId,
  };
  if (target.hmacSecret) headers[CALLR_SIGNATURE_HEADER] = signCallrBody(body, target.hmacSecret, target.hmacAlgorithm);
  return { body, headers };
}

/** The longest an event can take from its first try to its last: every backoff, every try timing out. */
export function retryHorizonMs(retry: DeliveryRetryPolicy, timeoutMs: number): number {
  const backoffs = retry.baseDelayMs * (2 ** Math.max(0, retry.maxTries - 1) - 1);
  return backoffs + retry.maxTries * timeoutMs;
}

export function createDeliveryEngine(options: DeliveryEngineOptions): DeliveryEngine {
  const attempts: DeliveryAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const shutdown = new AbortController();
  let pending = 0;
  let idleWaiters: Array<() => void> = [];

  const settle = () => {
    pending -= 1;
    if (pending === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const later = (delayMs: number, job: () => void | Promise<void>) => {
    if (shutdown.signal.aborted) return;
    pending += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      Promise.resolve()
        .then(job)
        .catch(() => undefined)
        .finally(settle);
    }, delayMs);
    timers.add(timer);
  };

  async function attempt(event: WebhookEvent, target: DeliveryTarget, tryNumber: number): Promise<void> {
    const { body, headers } = webhookRequest(event, target, tryNumber);

    let httpStatus: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(target.endpoint, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), shutdown.signal]),
      });
      httpStatus = response.status;
      await response.arrayBuffer();
    } catch (cause) {
      if (shutdown.signal.aborted) return;
      error = describeFailure(cause);
    }
    const delivered = httpStatus !== undefined && httpStatus >= 200 && httpStatus <= 299;
    const willRetry = !delivered && tryNumber + 1 < options.retry.maxTries;
    const record: DeliveryAttempt = {
      eventId: event.eventId,
      type: event.type,
      hookHash: target.hookHash,
      endpoint: target.endpoint,
      try: tryNumber,
      at: options.now().toISOString(),
      outcome: delivered ? 'delivered' : 'failed',
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(error !== undefined ? { error } : {}),
      willRetry,
    };
    attempts.push(record);
    options.onAttempt?.(record);
    if (willRetry) later(options.retry.baseDelayMs * 2 ** tryNumber, () => attempt(event, target, tryNumber + 1));
  }

  return {
    deliver(event, target) {
      later(0, () => attempt(event, target, 0));
    },
    later,
    attempts: () => [...attempts],
    whenIdle: () => (pending === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    close() {
      shutdown.abort();
      for (const timer of timers) {
        clearTimeout(timer);
        settle();
      }
      timers.clear();
    },
  };
}

/** Duck-typed: fetch's errors may come from another realm, where `instanceof Error` fails. */
function describeFailure(cause: unknown): string {
  const error = (cause ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  if (error.name === 'TimeoutError') return 'timeout';
  if (typeof error.cause?.code === 'string') return error.cause.code;
  return typeof error.message === 'string' ? error.message : String(cause);
}
