import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { encodeEventMessage, withDeadLetterReason } from '../../functions/queues/queue-message';
import { copyDeadLettersBack, listDeadLetters, startDeadLetterMoveTask } from '../../cli/dead-letters';
import { StackNotFoundError } from '../../cli/errors';
import { describeStackOutputs, resolveQueues } from '../../cli/targets';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';

/**
 * `dlq list` and the local redrive on the SQS emulator, without a pipeline consuming the ingest
 * queue, so what a redrive put there can be read back exactly. The AWS-only calls (message move
 * tasks, stack outputs) go through the real SDK clients to a stub that answers in each service's
 * wire protocol, as neither has a local emulator.
 */

const DEAD_LETTER = { source: 'ingest', reason: 'invalid_shape', detail: 'data: expected object' } as const;

function deadLetterMessage(index: number, deadLetter: { source: 'ingest' | 'persist'; reason: string; detail: string } = DEAD_LETTER) {
  const body = Buffer.from(JSON.stringify({ event_id: `event-${index}`, type: 'sms.mo', data: { text: `dead letter ${index} ✉️` } }));
  return withDeadLetterReason(
    encodeEventMessage(body, { eventType: 'sms.mo', eventId: `event-${index}`, receivedAt: '2024-03-10T08:15:30.123Z', requestId: `request-${index}` }),
    deadLetter,
  );
}

/** index → reason: every third an invalid_json, every third an event_too_old, the rest invalid_shape. */
const reasonOfIndex = (index: number) => (['invalid_shape', 'invalid_json', 'event_too_old'] as const)[index % 3]!;

describe('dead letters on the SQS emulator', () => {
  let env: TestEnvironment;

  beforeEach(async () => {
    env = await startTestEnvironment();
  });
  afterEach(async () => {
    await env?.stop();
  });

  const fill = async (count: number) => {
    for (let index = 0; index < count; index++) {
      await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.deadLetterQueueUrl, ...deadLetterMessage(index) }));
    }
  };
  const depth = async (queueUrl: string) => {
    const { Attributes } = await env.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(Attributes?.ApproximateNumberOfMessages), inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible) };
  };
  const list = (limit?: number, reasons?: string[]) =>
    listDeadLetters({ sqs: env.clients.sqs, deadLetterQueueUrl: env.deadLetterQueueUrl, limit, waitTimeSeconds: 0, reasons });
  const fillMixed = async (count: number) => {
    for (let index = 0; index < count; index++) {
      const reason = reasonOfIndex(index);
      await env.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: env.deadLetterQueueUrl, ...deadLetterMessage(index, { source: 'ingest', reason, detail: reason }) }),
      );
    }
  };
  const drain = async (queueUrl: string) => {
    const messages = [];
    for (;;) {
      const { Messages = [] } = await env.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 60 }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages);
    }
  };

  it('lists past the first ten, decodes each event, and leaves every message visible on the queue', async () => {
    await fill(13);

    const listing = await list(20);

    expect(listing.approximateTotal).toBe(13);
    expect(listing.deadLetters).toHaveLength(13);
    const first = listing.deadLetters.find((letter) => letter.eventId === 'event-0');
    expect(first).toEqual({
      messageId: expect.any(String),
      reason: 'invalid_shape',
      detail: 'data: expected object',
      source: 'ingest',
      eventId: 'event-0',
      eventType: 'sms.mo',
      receivedAt: '2024-03-10T08:15:30.123Z',
      deadLetteredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      bodyBytes: Buffer.byteLength('{"event_id":"event-0","type":"sms.mo","data":{"text":"dead letter 0 ✉️"}}'),
      preview: '{"event_id":"event-0","type":"sms.mo","data":{"text":"dead letter 0 ✉️"}}',
    });
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 13, inFlight: 0 });
  });

  it('shows attribute text as it was, though SQS stores it escaped', async () => {
    const body = Buffer.from('{"event_id":"évent-é","type":"sms.mo"}');
    const message = withDeadLetterReason(
      encodeEventMessage(body, { eventType: 'sms.mo', eventId: 'évent-é', receivedAt: '2024-03-10T08:15:30.123Z', requestId: 'r' }),
      { source: 'ingest', reason: 'invalid_shape', detail: 'data.date_sent: not a CALLR date: \uFFFE 😀' },
    );
    await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.deadLetterQueueUrl, ...message }));

    const [letter] = (await list()).deadLetters;
    expect(letter).toMatchObject({ eventId: 'évent-é', detail: 'data.date_sent: not a CALLR date: \uFFFE 😀' });
  });

  it('stops at --limit and says how many there are', async () => {
    await fill(13);

    const listing = await list(5);

    expect(listing.deadLetters).toHaveLength(5);
    expect(listing.approximateTotal).toBe(13);
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 13, inFlight: 0 });
  });

  it('lists only the dead letters with the --reason(s) given, reading past the others, and leaves all visible', async () => {
    await fillMixed(25);

    const shape = await list(20, ['invalid_shape']);
    expect(shape.reasons).toEqual(['invalid_shape']);
    expect(shape.deadLetters.map((letter) => letter.eventId).sort()).toEqual(
      Array.from({ length: 25 }, (_, index) => index).filter((index) => reasonOfIndex(index) === 'invalid_shape').map((index) => `event-${index}`).sort(),
    );
    expect(new Set(shape.deadLetters.map((letter) => letter.reason))).toEqual(new Set(['invalid_shape']));

    const two = await list(20, ['invalid_json', 'event_too_old']);
    expect(two.deadLetters).toHaveLength(16);
    expect(new Set(two.deadLetters.map((letter) => letter.reason))).toEqual(new Set(['invalid_json', 'event_too_old']));

    expect((await list(3, ['invalid_json'])).deadLetters).toHaveLength(3);
    expect((await list(20, ['unhandled_event_type'])).deadLetters).toEqual([]);
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 25, inFlight: 0 });
  });

  it.each([
    ['on the local emulator (short polls)', {}],
    ['as on AWS (long polls, a longer hold)', { waitTimeSeconds: 1, visibilityTimeoutSeconds: 300 }],
  ])('redrive --reason moves exactly the dead letters with that reason, %s, and leaves the others visible', async (_name, polling) => {
    await fillMixed(25);

    const result = await copyDeadLettersBack({
      sqs: env.clients.sqs,
      deadLetterQueueUrl: env.deadLetterQueueUrl,
      ingestQueueUrl: env.ingestQueueUrl,
      reasons: ['invalid_shape', 'event_too_old'],
      ...polling,
    });

    const expected = Array.from({ length: 25 }, (_, index) => index).filter((index) => reasonOfIndex(index) !== 'invalid_json');
    expect(result).toEqual({ mode: 'copy', moved: expected.length, failed: 0, failures: [], reasons: ['invalid_shape', 'event_too_old'], skipped: 25 - expected.length });
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 25 - expected.length, inFlight: 0 });
    const redriven = await drain(env.ingestQueueUrl);
    expect(redriven.map((message) => message.MessageAttributes?.eventId?.StringValue).sort()).toEqual(expected.map((index) => `event-${index}`).sort());
    expect(redriven.every((message) => message.MessageAttributes?.deadLetterReason === undefined)).toBe(true);
    const left = await drain(env.deadLetterQueueUrl);
    expect(new Set(left.map((message) => message.MessageAttributes?.deadLetterReason?.StringValue))).toEqual(new Set(['invalid_json']));
  });

  it('redrive copies body and attributes (without the dead-letter reason) to the ingest queue and empties the DLQ', async () => {
    await fill(12);

    const result = await copyDeadLettersBack({ sqs: env.clients.sqs, deadLetterQueueUrl: env.deadLetterQueueUrl, ingestQueueUrl: env.ingestQueueUrl });

    expect(result).toEqual({ mode: 'copy', moved: 12, failed: 0, failures: [] });
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const redriven = [];
    for (;;) {
      const { Messages = [] } = await env.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: env.ingestQueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 60 }),
      );
      if (Messages.length === 0) break;
      redriven.push(...Messages);
    }
    expect(redriven).toHaveLength(12);
    const zero = redriven.find((message) => message.MessageAttributes?.eventId?.StringValue === 'event-0')!;
    const original = encodeEventMessage(Buffer.from('{"event_id":"event-0","type":"sms.mo","data":{"text":"dead letter 0 ✉️"}}'), {
      eventType: 'sms.mo',
      eventId: 'event-0',
      receivedAt: '2024-03-10T08:15:30.123Z',
      requestId: 'request-0',
    });
    expect(zero.Body).toBe(original.MessageBody);
    expect(Object.fromEntries(Object.entries(zero.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]))).toEqual(
      Object.fromEntries(Object.entries(original.MessageAttributes).map(([name, value]) => [name, value.StringValue])),
    );
  });

  it('redrive moves a message dead-lettered in the very millisecond it started (SentTimestamp has ms resolution)', async () => {
    await fill(3);
    const sentTimestamps = (await list()).deadLetters.map((letter) => Date.parse(letter.deadLetteredAt!));
    const lastSent = Math.max(...sentTimestamps);

    // The redrive's clock reads the same millisecond as the newest message's SentTimestamp.
    const result = await copyDeadLettersBack({ sqs: env.clients.sqs, deadLetterQueueUrl: env.deadLetterQueueUrl, ingestQueueUrl: env.ingestQueueUrl, now: () => lastSent });

    expect(result).toEqual({ mode: 'copy', moved: 3, failed: 0, failures: [] });
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await depth(env.ingestQueueUrl)).toEqual({ visible: 3, inFlight: 0 });
  });

  it('redrive does not stop on an empty receive while SQS still counts visible messages (a false empty short poll)', async () => {
    await fill(4);
    let receives = 0;
    const flakySqs = {
      send: ((command: { constructor: { name: string } }) => {
        // The first receive comes back empty, as an SQS short poll may, though all four are there.
        if (command instanceof ReceiveMessageCommand && receives++ === 0) return Promise.resolve({ Messages: [] });
        return env.clients.sqs.send(command as never);
      }) as SQSClient['send'],
    };

    const result = await copyDeadLettersBack({ sqs: flakySqs, deadLetterQueueUrl: env.deadLetterQueueUrl, ingestQueueUrl: env.ingestQueueUrl });

    expect(result).toEqual({ mode: 'copy', moved: 4, failed: 0, failures: [] });
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('redrive leaves what reached the DLQ after it started, visible', async () => {
    await fill(3);

    // As if the redrive had started before these were dead-lettered (an event that bounced straight back).
    const result = await copyDeadLettersBack({ sqs: env.clients.sqs, deadLetterQueueUrl: env.deadLetterQueueUrl, ingestQueueUrl: env.ingestQueueUrl, now: () => 0 });

    expect(result).toEqual({ mode: 'copy', moved: 0, failed: 0, failures: [] });
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 3, inFlight: 0 });
    expect(await depth(env.ingestQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('redrive that cannot reach the ingest queue fails and leaves every message visible on the DLQ', async () => {
    await fill(2);

    await expect(
      copyDeadLettersBack({ sqs: env.clients.sqs, deadLetterQueueUrl: env.deadLetterQueueUrl, ingestQueueUrl: `${env.sqsEndpoint}/000000000000/no-such-queue` }),
    ).rejects.toThrow('The specified queue does not exist');
    expect(await depth(env.deadLetterQueueUrl)).toEqual({ visible: 2, inFlight: 0 });
  });
});

interface StubRequest {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** An HTTP stub for the AWS services local mode does not emulate. */
async function startStub(answer: (request: StubRequest) => { status: number; contentType: string; body: string }) {
  const requests: StubRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const recorded = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(recorded);
    const { status, contentType, body } = answer(recorded);
    response.writeHead(status, { 'Content-Type': contentType }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('on AWS (SDK clients against wire-protocol stubs)', () => {
  const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:CallrInboundSms-DeadLetter';
  const INGEST_ARN = 'arn:aws:sqs:eu-west-1:123456789012:CallrInboundSms-Ingest';

  it('redrive starts an SQS message move task from the DLQ to the ingest queue', async () => {
    const stub = await startStub(({ headers }) => {
      const target = headers['x-amz-target'];
      const body =
        target === 'AmazonSQS.StartMessageMoveTask'
          ? { TaskHandle: 'task-handle-1' }
          : { Results: [{ TaskHandle: 'task-handle-1', Status: 'RUNNING', SourceArn: DLQ_ARN, DestinationArn: INGEST_ARN, ApproximateNumberOfMessagesToMove: 7 }] };
      return { status: 200, contentType: 'application/x-amz-json-1.0', body: JSON.stringify(body) };
    });
    const sqs = new SQSClient({ region: 'eu-west-1', endpoint: stub.endpoint, credentials: TEST_CREDENTIALS });
    try {
      const result = await startDeadLetterMoveTask({ sqs, deadLetterQueueArn: DLQ_ARN, ingestQueueArn: INGEST_ARN });

      expect(result).toEqual({ mode: 'move-task', taskHandle: 'task-handle-1', sourceArn: DLQ_ARN, destinationArn: INGEST_ARN, status: 'RUNNING', approximateNumberOfMessagesToMove: 7 });
      expect(stub.requests.map((request) => [request.headers['x-amz-target'], JSON.parse(request.body)])).toEqual([
        ['AmazonSQS.StartMessageMoveTask', { SourceArn: DLQ_ARN, DestinationArn: INGEST_ARN }],
        ['AmazonSQS.ListMessageMoveTasks', { SourceArn: DLQ_ARN, MaxResults: 1 }],
      ]);
    } finally {
      sqs.destroy();
      await stub.close();
    }
  });

  it('a stack\'s outputs come from DescribeStacks; an unknown stack is a StackNotFoundError', async () => {
    const stub = await startStub(({ body }) =>
      new URLSearchParams(body).get('StackName') === 'CallrInboundSms'
        ? {
            status: 200,
            contentType: 'text/xml',
            body: `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
              <StackName>CallrInboundSms</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/CallrInboundSms/1</StackId>
              <CreationTime>2024-03-10T08:15:30Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>
              <Outputs><member><OutputKey>TableName</OutputKey><OutputValue>CallrInboundSms-Messages</OutputValue></member>
              <member><OutputKey>DeadLetterQueueArn</OutputKey><OutputValue>${DLQ_ARN}</OutputValue></member></Outputs>
              </member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
          }
        : {
            status: 400,
            contentType: 'text/xml',
            body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>
              <Message>Stack with id Nope does not exist</Message></Error><RequestId>2</RequestId></ErrorResponse>`,
          },
    );
    const cloudFormation = new CloudFormationClient({ region: 'eu-west-1', endpoint: stub.endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      await expect(describeStackOutputs(cloudFormation, 'CallrInboundSms')).resolves.toEqual({
        TableName: 'CallrInboundSms-Messages',
        DeadLetterQueueArn: DLQ_ARN,
      });
      const unknown = describeStackOutputs(cloudFormation, 'Nope', 'eu-west-1');
      await expect(unknown).rejects.toBeInstanceOf(StackNotFoundError);
      await expect(unknown).rejects.toThrow('stack Nope not found in eu-west-1');
    } finally {
      cloudFormation.destroy();
      await stub.close();
    }
  });

  it('--stack takes the queues and their ARNs from the outputs, and names a missing output', async () => {
    const outputs = {
      DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/CallrInboundSms-DeadLetter',
      DeadLetterQueueArn: DLQ_ARN,
      IngestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/CallrInboundSms-Ingest',
      IngestQueueArn: INGEST_ARN,
    };
    const deps = { env: {}, cwd: '/', stackOutputs: async () => outputs };
    const queues = await resolveQueues({ stack: 'CallrInboundSms', region: 'eu-west-1' }, deps);
    try {
      expect(queues).toMatchObject({ kind: 'aws', deadLetterQueueUrl: outputs.DeadLetterQueueUrl, ingestQueueUrl: outputs.IngestQueueUrl });
      await expect(queues.queueArns()).resolves.toEqual({ deadLetterQueueArn: DLQ_ARN, ingestQueueArn: INGEST_ARN });
    } finally {
      queues.close();
    }

    await expect(resolveQueues({ stack: 'Other' }, { ...deps, stackOutputs: async () => ({ TableName: 't' }) })).rejects.toThrow(
      'stack Other has no output DeadLetterQueueUrl, IngestQueueUrl',
    );
  });
});
