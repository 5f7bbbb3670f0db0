import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB does the write, then its answer never reaches us: the way a 500 after commit or a reset
 * connection looks to the SDK, which then sends the same request again on its own. Installed on a
 * real client as a middleware below the SDK's retry (deserialize step, inner to the deserializer),
 * so it sees each attempt: the request reaches the emulator and is committed there, then the real
 * answer is thrown away and replaced by a 500 or a connection reset.
 */

export type LostAnswer = 'internal_server_error' | 'connection_reset';

export interface LoseAnswersOptions {
  /** The DynamoDB operation, as in the `X-Amz-Target` header: `PutItem`, `UpdateItem`, … */
  readonly operation: string;
  /** Which requests of that operation (the marshalled input, e.g. `input.Key.pk.S`). */
  readonly matches?: (input: Record<string, unknown>) => boolean;
  readonly how: LostAnswer;
  /** How many answers to lose. @default 1 */
  readonly times?: number;
}

export interface LostAnswers {
  /** Answers lost so far (a test asserts the fault did happen). */
  readonly count: () => number;
}

let installed = 0;

export function loseAnswers(client: DynamoDBClient, options: LoseAnswersOptions): LostAnswers {
  let lost = 0;
  const times = options.times ?? 1;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const request = args.request as { headers: Record<string, string> };
      const target = request.headers['x-amz-target'] ?? '';
      const input = args.input as Record<string, unknown>;
      if (lost >= times || target !== `DynamoDB_20120810.${options.operation}` || !(options.matches?.(input) ?? true)) return result;
      lost += 1;
      // The real answer is read and dropped, so that the connection is free for the retry.
      const response = result.response as { statusCode: number; headers: Record<string, string>; body: unknown };
      for await (const _chunk of response.body as Readable) void _chunk;
      if (options.how === 'connection_reset') {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      // The SDK's HttpResponse, rewritten in place into the 500 DynamoDB answers when it fails after committing.
      response.statusCode = 500;
      response.headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `lost-answer-${lost}` };
      response.body = Readable.from([
        Buffer.from(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' })),
      ]);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: `loseAnswers${++installed}` },
  );
  return { count: () => lost };
}

/** The `pk` string of a marshalled PutItem (`Item`) or UpdateItem/GetItem (`Key`) input. */
export function marshalledPk(input: Record<string, unknown>): string | undefined {
  const item = (input.Item ?? input.Key) as { pk?: { S?: string } } | undefined;
  return item?.pk?.S;
}
