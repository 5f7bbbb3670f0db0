import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook endpoint on 127.0.0.1 that records every request it gets, byte for byte, and answers
 * the statuses it is told to: a stand-in receiver for testing the emulator's deliveries and
 * subscriptions without the pipeline behind them.
 */

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RecordingReceiver {
  /** `http://127.0.0.1:<port>/webhooks/callr`; any path is recorded. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Statuses for the next requests, in order; 200 once they run out. */
  answer(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startRecordingReceiver(): Promise<RecordingReceiver> {
  const requests: RecordedRequest[] = [];
  let statuses: number[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(statuses.shift() ?? 200, { 'Content-Type': 'application/json' }).end('{"status":"recorded"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/callr`,
    requests,
    answer: (...next) => {
      statuses = next;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
