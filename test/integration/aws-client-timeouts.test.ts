import { createServer, type Server, type Socket } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { AWS_HTTP_TIMEOUTS, AWS_MAX_ATTEMPTS } from '../../functions/aws/client-config';
import { createDynamoDbClients } from '../../functions/aws/dynamodb';
import { createSqsClient } from '../../functions/aws/sqs';
import { createLocalClients, EMULATOR_CREDENTIALS } from '../../local/aws-clients';

/**
 * A stuck socket: a server on 127.0.0.1 that accepts every connection and never answers. Each SDK
 * attempt must give up after the request timeout and the call must fail after its attempts, well
 * within the Lambda's timeout, instead of waiting for as long as the socket lives.
 */
describe('AWS SDK clients against a server that never answers', () => {
  let server: Server;
  let endpoint: string;
  const connections: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      connections.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function timed(call: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
    const started = performance.now();
    // A bound of our own, so that a client without timeouts fails the test instead of hanging it.
    const hang = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref());
    const error = await Promise.race([call().then(() => 'answered', (caught: unknown) => caught), hang]);
    return { error, elapsedMs: performance.now() - started };
  }

  it('fails each call with a TimeoutError after its attempts, in the Lambdas and in local mode alike', async () => {
    const lambdaOptions = { region: 'eu-west-1', credentials: EMULATOR_CREDENTIALS, endpoints: { dynamodb: endpoint, sqs: endpoint } };
    const lambda = { ...createDynamoDbClients(lambdaOptions), sqs: createSqsClient(lambdaOptions) };
    const local = createLocalClients({ dynamodbEndpoint: endpoint, sqsEndpoint: endpoint, region: 'us-east-1' });
    try {
      const getItem = (documents: typeof lambda.documents) => () =>
        documents.send(new GetCommand({ TableName: 'messages', Key: { pk: 'sms#STUCK', sk: 'message' } }));
      const send = (sqs: typeof lambda.sqs) => () =>
        sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/ingest`, MessageBody: 'stuck' }));

      const results = await Promise.all([
        timed(getItem(lambda.documents)),
        timed(send(lambda.sqs)),
        timed(getItem(local.documents)),
        timed(send(local.sqs)),
      ]);

      // Every attempt waited its request timeout, then the SDK tried again on a new connection.
      const floorMs = AWS_MAX_ATTEMPTS * AWS_HTTP_TIMEOUTS.requestTimeoutMs;
      const ceilingMs = floorMs + 4_000; // backoff between attempts, and a shared, busy machine
      for (const { error, elapsedMs } of results) {
        expect(error).toMatchObject({ name: 'TimeoutError' });
        expect(elapsedMs).toBeGreaterThanOrEqual(floorMs - 100);
        expect(elapsedMs).toBeLessThan(ceilingMs);
      }
      expect(connections).toHaveLength(4 * AWS_MAX_ATTEMPTS);
    } finally {
      lambda.dynamodb.destroy();
      lambda.sqs.destroy();
      local.destroy();
    }
  }, 30_000);
});
