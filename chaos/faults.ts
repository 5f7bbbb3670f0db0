import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { seededRandom } from '../cli/mo-generator';

/**
 * Faults injected into real AWS SDK v3 clients, as SDK middleware: each HTTP attempt (the SDK's own
 * retries included, since the middleware sits below the retry middleware) may be refused before it
 * reaches the emulator (a 500, a throttle), or reach it and lose its answer (the write commits, the
 * caller sees a 500 or a reset connection) — the ways DynamoDB, SQS and SNS fail in production.
 *
 * Seeded: one seed gives each client the same sequence of decisions, call after call (concurrency
 * may still order the calls differently from one run to the next). Every injected fault is logged
 * with what it hit, so that an anomaly at the end can be traced to it.
 */

export type FaultKind =
  /** Refused before it reached the service: HTTP 500 (DynamoDB InternalServerError, SQS and SNS InternalError). */
  | 'error_500'
  /** Refused before it reached the service: DynamoDB throttling (HTTP 400 ProvisionedThroughputExceededException). */
  | 'throttled'
  /** Reached the service and took effect; the answer was replaced by a 500. */
  | 'lost_answer_500'
  /** Reached the service and took effect; the connection was reset before the answer. */
  | 'lost_answer_reset';

export interface InjectedFault {
  /** Which client: `ingest-sqs`, `persist-dynamodb`, `persist-sns`. */
  readonly client: string;
  /** The API operation, e.g. `PutItem`, `SendMessage`, `PublishBatch`. */
  readonly operation: string;
  readonly kind: FaultKind;
  /** The SMS hashes the call was about: a table key's, or those of the inbox messages it publishes (a batch has several). */
  readonly smsHashes: readonly string[];
  /** `forward_mark` for the update that records a forward; the queue's or topic's name (FaultInjectorOptions.queueNames) for SQS and SNS calls. */
  readonly target: string | undefined;
}

/** What the service did with an attempt that reached it (faulted or not). */
export interface ReachedCall {
  readonly client: string;
  readonly operation: string;
  readonly statusCode: number;
  readonly input: Record<string, unknown>;
}

export interface FaultRule {
  /** Operations it applies to (`x-amz-target` suffix, or the query protocol's `Action`), e.g. `['PutItem', 'UpdateItem']`. */
  readonly operations: readonly string[];
  /** Further narrowing on the command input (e.g. only sends to the inbox queue). */
  readonly when?: (input: Record<string, unknown>) => boolean;
  /** Per-attempt probabilities; their sum is at most 1. */
  readonly rates: Partial<Record<FaultKind, number>>;
}

export interface FaultInjector {
  /** Installs the rules on a client; `name` labels its faults. */
  install(client: FaultyClient, name: string, rules: readonly FaultRule[]): void;
  readonly faults: readonly InjectedFault[];
  /** Every attempt that reached a service through an instrumented client (its real status code), unless keepReached is false. */
  readonly reached: readonly ReachedCall[];
}

export interface FaultInjectorOptions {
  /** Told about each attempt that reached a service. */
  readonly onReached?: (call: ReachedCall) => void;
  /** Names for queue URLs and topic ARNs in the fault log (`inbox`, `ingest`…); one not named is logged as it is. */
  readonly queueNames?: Readonly<Record<string, string>>;
  /** Keep every reached call in `reached` (short runs; long ones listen with onReached). @default true */
  readonly keepReached?: boolean;
}

export type FaultyClient = SQSClient | SNSClient | DynamoDBClient;

/** Seeded decisions: one stream per client, derived from the run's seed and the client's name. */
export function createFaultInjector(seed: number, options: FaultInjectorOptions = {}): FaultInjector {
  const { onReached, queueNames = {}, keepReached = true } = options;
  const faults: InjectedFault[] = [];
  const reached: ReachedCall[] = [];
  return {
    faults,
    reached,
    install(client, name, rules) {
      const random = seededRandom(seed ^ hashName(name));
      (client.middlewareStack as unknown as DeserializeStack).add(
        (next) => async (args) => {
          const operation = operationOf(args.request as { headers?: Record<string, string>; body?: unknown });
          const input = (args.input ?? {}) as Record<string, unknown>;
          const rule = rules.find((candidate) => candidate.operations.includes(operation) && (candidate.when?.(input) ?? true));
          const kind = rule ? pick(random(), rule.rates) : undefined;
          const record = (faultKind: FaultKind) =>
            faults.push({ client: name, operation, kind: faultKind, smsHashes: smsHashesOf(input), target: targetOf(operation, input, queueNames) });

          if (kind === 'error_500' || kind === 'throttled') {
            record(kind);
            return { response: errorResponse(client, kind), output: undefined };
          }
          const result = await next(args);
          const statusCode = (result.response as { statusCode?: number }).statusCode ?? 0;
          const call = { client: name, operation, statusCode, input };
          if (keepReached) reached.push(call);
          onReached?.(call);
          if (kind === 'lost_answer_500') {
            record(kind);
            await drain(result.response);
            return { response: errorResponse(client, 'error_500'), output: undefined };
          }
          if (kind === 'lost_answer_reset') {
            record(kind);
            await drain(result.response);
            throw Object.assign(new Error('socket hang up (injected: the request took effect, its answer was lost)'), { code: 'ECONNRESET', $metadata: {} });
          }
          return result;
        },
        // Below the deserializer, so the SDK reads the injected answer as it would read the service's;
        // below the retry middleware, so each of its attempts meets its own fate.
        { step: 'deserialize', priority: 'low', name: `chaosFaults-${name}` },
      );
    },
  };
}

/** The one signature of `middlewareStack.add` used here, shared by every client's stack. */
interface DeserializeStack {
  add(
    middleware: (next: (args: HandlerArguments) => Promise<{ response: unknown; output: unknown }>) => (args: HandlerArguments) => Promise<{ response: unknown; output: unknown }>,
    options: { step: 'deserialize'; priority: 'low'; name: string },
  ): void;
}

interface HandlerArguments {
  readonly input: unknown;
  readonly request: unknown;
}

function pick(draw: number, rates: Partial<Record<FaultKind, number>>): FaultKind | undefined {
  let threshold = 0;
  for (const [kind, rate] of Object.entries(rates) as Array<[FaultKind, number]>) {
    threshold += rate;
    if (draw < threshold) return kind;
  }
  return undefined;
}

/** The operation an attempt calls: AWS JSON names it in a header, the query protocol (SNS) in the form body. */
function operationOf(request: { headers?: Record<string, string>; body?: unknown }): string {
  const target = request.headers?.['x-amz-target'];
  if (target) return target.split('.').pop() ?? '';
  return typeof request.body === 'string' ? (new URLSearchParams(request.body).get('Action') ?? '') : '';
}

/** The answer the service gives for that fault, in its own protocol (AWS JSON; XML for SNS). */
function errorResponse(client: FaultyClient, kind: 'error_500' | 'throttled') {
  if (client.config.serviceId === 'SNS') {
    const xml =
      '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type><Code>InternalError</Code>' +
      '<Message>injected: internal error</Message></Error><RequestId>injected</RequestId></ErrorResponse>';
    return {
      statusCode: 500,
      reason: 'Internal Server Error',
      headers: { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(xml)), 'x-amzn-requestid': 'injected' },
      body: Readable.from([Buffer.from(xml)]),
    };
  }
  const dynamo = 'DynamoDB' === client.config.serviceId;
  const body =
    kind === 'throttled'
      ? { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'injected: rate of requests exceeds the allowed throughput' }
      : dynamo
        ? { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected: internal server error' }
        : { __type: 'com.amazonaws.sqs#InternalError', message: 'injected: internal error' };
  const text = JSON.stringify(body);
  return {
    statusCode: kind === 'throttled' ? 400 : 500,
    reason: kind === 'throttled' ? 'Bad Request' : 'Internal Server Error',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(text)), 'x-amzn-requestid': 'injected' },
    body: Readable.from([Buffer.from(text)]),
  };
}

async function drain(response: unknown): Promise<void> {
  const body = (response as { body?: unknown }).body;
  if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const _chunk of body as AsyncIterable<unknown>) {
      // The real answer is read and thrown away, as a lost packet would be.
    }
  }
}

const SMS_KEY = /"sms#([^"\\]+)"/;

type Attributes = Record<string, { StringValue?: string }> | undefined;

/** The SMS hashes a call is about: a table key's (`sms#<hash>`), or the `messageId` attribute of each message it sends or publishes. */
export function smsHashesOf(input: Record<string, unknown>): string[] {
  const entries = (input.PublishBatchRequestEntries as Array<{ MessageAttributes?: Attributes }> | undefined) ?? [input as { MessageAttributes?: Attributes }];
  const published = entries.flatMap((entry) => entry.MessageAttributes?.messageId?.StringValue ?? []);
  if (published.length > 0) return published;
  const key = SMS_KEY.exec(JSON.stringify(input.Key ?? input.Item ?? null))?.[1];
  return key === undefined ? [] : [key];
}

function targetOf(operation: string, input: Record<string, unknown>, queueNames: Readonly<Record<string, string>>): string | undefined {
  if (operation === 'UpdateItem' && /SET #forwardedAt/.test(String(input.UpdateExpression ?? ''))) return 'forward_mark';
  if (typeof input.QueueUrl === 'string') return queueNames[input.QueueUrl] ?? input.QueueUrl;
  if (typeof input.TopicArn === 'string') return queueNames[input.TopicArn] ?? input.TopicArn;
  return undefined;
}

function hashName(name: string): number {
  let hash = 2166136261;
  for (const character of name) hash = Math.imul(hash ^ character.charCodeAt(0), 16777619);
  return hash >>> 0;
}
