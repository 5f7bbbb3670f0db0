import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../functions/aws/sqs';

/**
 * An SQS client, built by the one factory, whose `send` is a no-op that resolves with a message
 * id: not even the SDK's per-call work (resolving the middleware stack, serialising, signing) runs,
 * so what remains of a request is the ingest's own code, middy and Powertools (ingest.cpu).
 */
export function noOpSqsClient(): SQSClient {
  const sqs = createSqsClient(IN_PROCESS_CLIENT_OPTIONS);
  const output = { $metadata: {}, MessageId: randomUUID() };
  Object.assign(sqs, { send: () => Promise.resolve(output) });
  return sqs;
}

const IN_PROCESS_CLIENT_OPTIONS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  // Never reached: nothing is sent. A closed loopback port, should that ever change.
  endpoints: { sqs: 'http://127.0.0.1:9' },
} as const;

/**
 * An SQS client, built by the one factory, whose SendMessage is answered in this process: the
 * innermost middleware (step `deserialize`, lowest priority, where the HTTP handler would be
 * called) returns SQS's JSON answer without any I/O. Everything else the SDK does per call runs:
 * serialisation, SigV4 signing, retries bookkeeping, deserialising the answer and the MD5 check
 * of the body. What remains of a request is the ingest's CPU, the SDK's included (ingest.cpu.with-sdk).
 *
 * The answer is built once: the MD5 of the one body the benchmark sends.
 */
export function inProcessSqsClient(messageBody: string): SQSClient {
  const sqs = createSqsClient(IN_PROCESS_CLIENT_OPTIONS);
  const answer = Buffer.from(
    JSON.stringify({
      MessageId: randomUUID(),
      MD5OfMessageBody: createHash('md5').update(messageBody).digest('hex'),
    }),
  );
  sqs.middlewareStack.add(
    () => async () => ({
      response: {
        statusCode: 200,
        reason: 'OK',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'in-process' },
        body: Readable.from([answer]),
      },
      output: undefined,
    }),
    { step: 'deserialize', priority: 'low', name: 'answerSendMessageInProcess' },
  );
  return sqs;
}

export const IN_PROCESS_QUEUE_URLS = {
  ingestQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-cpu-ingest',
  deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-cpu-dead-letter',
} as const;
