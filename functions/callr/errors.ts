/**
 * What can go wrong when talking to CALLR's API, as two named errors:
 *
 * - `CallrApiError`: CALLR answered, and the answer is an error (`{"error":{code,message,data}}`).
 *   Retrying the same call would get the same answer, so the client never does.
 * - `CallrTransportError`: no usable answer (timeout, network, HTTP status without an error
 *   envelope, unreadable body). Worth retrying when it is a timeout, a network error or a 5xx,
 *   and the call is safe to repeat.
 *
 * Neither message ever carries credentials or the HMAC secret: the client scrubs the values it
 * sent from whatever CALLR echoes back before building these errors.
 */

/** Stable codes this system acts on. CALLR reports most errors with an upper-case token as message. */
export const CALLR_ERROR_CODES = {
  duplicateSubscription: 'TYPE_ENDPOINT_DUPLICATE',
  authenticationFailed: 'AUTHENTICATION_FAILED',
  methodNotFound: 'METHOD_NOT_FOUND',
  invalidParams: 'INVALID_PARAMS',
} as const;

const JSON_RPC_STANDARD_CODES: Readonly<Record<number, string>> = {
  [-32700]: 'PARSE_ERROR',
  [-32600]: 'INVALID_REQUEST',
  [-32601]: CALLR_ERROR_CODES.methodNotFound,
  [-32602]: CALLR_ERROR_CODES.invalidParams,
  [-32603]: 'INTERNAL_ERROR',
};

const ERROR_TOKEN = /^[A-Z][A-Z0-9_]{2,63}$/;

/**
 * One stable code for a CALLR error answer, whatever shape it came in: CALLR's own token when its
 * message is one (`TYPE_ENDPOINT_DUPLICATE`), else a token found in `data`, else the JSON-RPC
 * standard name, else `AUTHENTICATION_FAILED` for an HTTP 401/403, else `CALLR_ERROR_<code>`.
 */
export function deriveCallrErrorCode(answer: { code: unknown; message: unknown; data?: unknown; httpStatus?: number }): string {
  const message = typeof answer.message === 'string' ? answer.message.trim() : '';
  if (ERROR_TOKEN.test(message)) return message;
  const fromData = tokenIn(answer.data);
  if (fromData) return fromData;
  if (typeof answer.code === 'number' && JSON_RPC_STANDARD_CODES[answer.code]) return JSON_RPC_STANDARD_CODES[answer.code]!;
  if (answer.httpStatus === 401 || answer.httpStatus === 403) return CALLR_ERROR_CODES.authenticationFailed;
  return `CALLR_ERROR_${String(answer.code ?? 'UNKNOWN').replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
}

function tokenIn(data: unknown): string | undefined {
  if (typeof data === 'string' && ERROR_TOKEN.test(data)) return data;
  if (data && typeof data === 'object') {
    for (const key of ['code', 'error', 'type']) {
      const value = (data as Record<string, unknown>)[key];
      if (typeof value === 'string' && ERROR_TOKEN.test(value)) return value;
    }
  }
  return undefined;
}

/** CALLR answered the call with an error. */
export class CallrApiError extends Error {
  /** The stable code to act on, e.g. `TYPE_ENDPOINT_DUPLICATE` (see `deriveCallrErrorCode`). */
  readonly code: string;
  /** CALLR's own `error.code`, as sent. */
  readonly callrCode: unknown;
  /** CALLR's own `error.message`, scrubbed of anything the client sent that is secret. */
  readonly callrMessage: string;
  /** CALLR's `error.data`, scrubbed likewise. */
  readonly data: unknown;

  constructor(
    readonly method: string,
    answer: { code: unknown; message: string; data?: unknown },
    readonly httpStatus: number,
  ) {
    const code = deriveCallrErrorCode({ ...answer, httpStatus });
    const detail = answer.message && answer.message !== code ? ` — ${truncate(answer.message, 200)}` : '';
    super(`CALLR refused ${method}: ${code} (CALLR error code ${String(answer.code)}, HTTP ${httpStatus})${detail}`);
    this.name = 'CallrApiError';
    this.code = code;
    this.callrCode = answer.code;
    this.callrMessage = answer.message;
    this.data = answer.data;
  }
}

export type CallrTransportFailure =
  /** No answer within the client's timeout. */
  | 'timeout'
  /** Connection refused or reset, DNS failure, TLS failure... */
  | 'network'
  /** An HTTP status other than 2xx, without a JSON-RPC error envelope. */
  | 'http_status'
  /** A 2xx whose body is not a JSON-RPC answer, or whose result is not what the method returns. */
  | 'invalid_response';

/** No usable answer from CALLR. */
export class CallrTransportError extends Error {
  readonly httpStatus: number | undefined;
  readonly attempts: number;

  constructor(
    readonly method: string,
    readonly failure: CallrTransportFailure,
    detail: string,
    options: {
      readonly httpStatus?: number;
      readonly attempts: number;
      readonly cause?: unknown;
      /**
       * Whether sending the call again cannot do twice what CALLR may already have done (false for
       * `sms.send`, unless the request provably never left). @default true
       */
      readonly safeToRepeat?: boolean;
    },
  ) {
    const transient = isTransient(failure, options.httpStatus);
    const safeToRepeat = options.safeToRepeat ?? true;
    const notRepeated = transient && !safeToRepeat ? `; not retried: ${method} is not safe to repeat (CALLR may have done it already)` : '';
    super(`CALLR ${method} failed after ${options.attempts} attempt${options.attempts === 1 ? '' : 's'}: ${detail}${notRepeated}`, {
      cause: options.cause,
    });
    this.name = 'CallrTransportError';
    this.httpStatus = options.httpStatus;
    this.attempts = options.attempts;
    this.retryable = transient && safeToRepeat;
  }

  /** Worth another try: CALLR may well answer next time, and a repeat cannot do anything twice. */
  readonly retryable: boolean;
}

/** A timeout, a network error or a 5xx: CALLR may well answer next time. */
function isTransient(failure: CallrTransportFailure, httpStatus: number | undefined): boolean {
  return failure === 'timeout' || failure === 'network' || (httpStatus ?? 0) >= 500;
}

/** CALLR refused a subscription because the same type and endpoint are already subscribed. */
export function isDuplicateSubscription(error: unknown): error is CallrApiError {
  return error instanceof CallrApiError && error.code === CALLR_ERROR_CODES.duplicateSubscription;
}

/**
 * CALLR does not know the object (a webhook already unsubscribed, say). CALLR's tokens for this
 * vary by object (`NOT_FOUND`, `HOOK_NOT_FOUND`, `WEBHOOK_NOT_FOUND`...), so any `*NOT_FOUND` counts.
 */
export function isNotFound(error: unknown): error is CallrApiError {
  return error instanceof CallrApiError && /(^|_)NOT_FOUND$/.test(error.code);
}

/** CALLR refused the credentials. */
export function isAuthenticationFailure(error: unknown): error is CallrApiError {
  return error instanceof CallrApiError && error.code === CALLR_ERROR_CODES.authenticationFailed;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** The client was given options it cannot work with (a malformed API URL, empty credentials). */
export class CallrClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallrClientConfigError';
  }
}
