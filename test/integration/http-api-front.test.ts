import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import {
  MAX_REQUEST_BODY_BYTES,
  PortInUseError,
  formatGatewayTime,
  startHttpApiFront,
  type HttpApiHandler,
  type HttpApiLogger,
  type RunningHttpApiFront,
} from '../../local/http-api-front';

const WEBHOOK_PATH = '/webhooks/callr';

/** Records what the front logs, so a test can assert that an error was reported. */
function recordingLogger() {
  const errors: Array<{ message: string; attributes: unknown }> = [];
  const logger: HttpApiLogger = {
    info: () => undefined,
    warn: () => undefined,
    error: (...args: unknown[]) => {
      errors.push({ message: String(args[0]), attributes: args[1] });
    },
  };
  return { logger, errors };
}

/** A handler that remembers the events it was invoked with and answers what the test set. */
function capturingHandler() {
  const events: APIGatewayProxyEventV2[] = [];
  let answer: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2> = async () => ({
    statusCode: 202,
    body: '',
  });
  const handler: HttpApiHandler = async (event) => {
    events.push(event);
    return answer(event);
  };
  return {
    handler,
    events,
    answerWith(next: typeof answer) {
      answer = next;
    },
  };
}

/** Raw HTTP, for what fetch normalises away: repeated headers, exact bytes, declared lengths. */
function rawRequest(
  url: string,
  options: { method: string; path: string; headers?: Array<[string, string]>; body?: Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(url);
    const request = httpRequest(
      { host: '127.0.0.1', port: Number(port), method: options.method, path: options.path, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    for (const [name, value] of options.headers ?? []) request.appendHeader(name, value);
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('local HTTP API front (API Gateway HTTP API, payload format 2.0)', () => {
  const webhook = capturingHandler();
  const logs = recordingLogger();
  let front: RunningHttpApiFront;

  beforeAll(async () => {
    front = await startHttpApiFront({
      port: 0,
      routes: [{ method: 'POST', path: WEBHOOK_PATH, handler: webhook.handler }],
      logger: logs.logger,
    });
  });
  afterAll(() => front.close());
  beforeEach(() => {
    webhook.events.length = 0;
    logs.errors.length = 0;
    webhook.answerWith(async () => ({ statusCode: 202, body: '' }));
  });

  it('listens on loopback only', () => {
    expect(front.url).toBe(`http://127.0.0.1:${front.port}`);
  });

  it('builds the payload v2 event the way API Gateway does', async () => {
    const body = JSON.stringify({ data: { text: 'Salut 👋' } });
    const response = await rawRequest(front.url, {
      method: 'POST',
      path: `${WEBHOOK_PATH}?a=1&b=x%20y`,
      headers: [
        ['Content-Type', 'application/json'],
        ['User-Agent', 'CALLR-Webhooks/1.0'],
        ['X-CALLR-EventId', 'evt-1'],
        ['Cookie', 'c1=v1; c2=v2'],
      ],
      body: Buffer.from(body),
    });

    expect(response.status).toBe(202);
    expect(webhook.events).toEqual([
      {
        version: '2.0',
        routeKey: 'POST /webhooks/callr',
        rawPath: WEBHOOK_PATH,
        rawQueryString: 'a=1&b=x%20y',
        cookies: ['c1=v1', 'c2=v2'],
        headers: {
          connection: 'close',
          'content-length': String(Buffer.byteLength(body)),
          'content-type': 'application/json',
          host: `127.0.0.1:${front.port}`,
          'user-agent': 'CALLR-Webhooks/1.0',
          'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
          'x-callr-eventid': 'evt-1',
          'x-forwarded-for': '127.0.0.1',
          'x-forwarded-port': String(front.port),
          'x-forwarded-proto': 'http',
        },
        queryStringParameters: { a: '1', b: 'x y' },
        requestContext: {
          accountId: expect.any(String),
          apiId: expect.any(String),
          domainName: `127.0.0.1:${front.port}`,
          domainPrefix: '127',
          http: {
            method: 'POST',
            path: WEBHOOK_PATH,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'CALLR-Webhooks/1.0',
          },
          requestId: expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
          routeKey: 'POST /webhooks/callr',
          stage: '$default',
          time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
          timeEpoch: expect.any(Number),
        },
        body,
        isBase64Encoded: false,
      },
    ]);
    const [event] = webhook.events;
    expect(event!.requestContext.time).toBe(formatGatewayTime(new Date(event!.requestContext.timeEpoch)));
    expect(response.headers['apigw-requestid']).toBe(event!.requestContext.requestId);
  });

  it('formats requestContext.time as API Gateway does', () => {
    expect(formatGatewayTime(new Date('2026-11-25T18:13:03.456Z'))).toBe('25/Nov/2026:18:13:03 +0000');
    expect(formatGatewayTime(new Date('2027-01-05T04:05:06Z'))).toBe('05/Jan/2027:04:05:06 +0000');
  });

  it('lower-cases header names and joins repeated headers with commas', async () => {
    await rawRequest(front.url, {
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: [
        ['X-Repeated', 'one'],
        ['x-REPEATED', 'two'],
        ['X-Single', 'Value Kept As Is'],
      ],
    });

    expect(webhook.events[0]!.headers).toMatchObject({ 'x-repeated': 'one,two', 'x-single': 'Value Kept As Is' });
  });

  it('joins repeated query parameters with commas and keeps the raw query string', async () => {
    await rawRequest(front.url, { method: 'POST', path: `${WEBHOOK_PATH}?tag=a&tag=b&empty=&q=%C3%A9` });

    expect(webhook.events[0]).toMatchObject({
      rawPath: WEBHOOK_PATH,
      rawQueryString: 'tag=a&tag=b&empty=&q=%C3%A9',
      queryStringParameters: { tag: 'a,b', empty: '', q: 'é' },
    });
  });

  it('leaves out queryStringParameters, cookies and body when the request has none', async () => {
    await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });

    const [event] = webhook.events;
    expect(event).toMatchObject({ rawQueryString: '', isBase64Encoded: false });
    expect(Object.keys(event!)).toEqual(expect.not.arrayContaining(['queryStringParameters', 'cookies', 'body']));
  });

  const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
  it.each([
    { contentType: 'application/json', body: Buffer.from('{"text":"été 🎉"}'), expected: { body: '{"text":"été 🎉"}', isBase64Encoded: false } },
    { contentType: 'application/json; charset=utf-8', body: Buffer.from('{"a":1}'), expected: { body: '{"a":1}', isBase64Encoded: false } },
    { contentType: 'text/plain', body: Buffer.from('hello 🌍'), expected: { body: 'hello 🌍', isBase64Encoded: false } },
    { contentType: 'application/xml', body: Buffer.from('<a/>'), expected: { body: '<a/>', isBase64Encoded: false } },
    { contentType: 'application/problem+json', body: Buffer.from('{}'), expected: { body: '{}', isBase64Encoded: false } },
    { contentType: 'application/octet-stream', body: bytes, expected: { body: bytes.toString('base64'), isBase64Encoded: true } },
    { contentType: 'image/png', body: bytes, expected: { body: bytes.toString('base64'), isBase64Encoded: true } },
    {
      contentType: 'application/x-www-form-urlencoded',
      body: Buffer.from('a=1&b=2'),
      expected: { body: Buffer.from('a=1&b=2').toString('base64'), isBase64Encoded: true },
    },
  ])('passes a $contentType body as API Gateway does', async ({ contentType, body, expected }) => {
    await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH, headers: [['Content-Type', contentType]], body });

    expect(webhook.events[0]).toMatchObject(expected);
  });

  it('base64-encodes a body sent without a content type', async () => {
    await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH, body: Buffer.from('no type') });

    expect(webhook.events[0]).toMatchObject({ body: Buffer.from('no type').toString('base64'), isBase64Encoded: true });
  });

  it.each([
    { name: 'an unknown path', method: 'POST', path: '/nowhere', expected: { status: 404, body: { message: 'Not Found' } } },
    { name: 'a near miss (trailing slash)', method: 'POST', path: `${WEBHOOK_PATH}/`, expected: { status: 404, body: { message: 'Not Found' } } },
    { name: 'the webhook path with GET', method: 'GET', path: WEBHOOK_PATH, expected: { status: 405, body: { message: 'Method Not Allowed' } } },
    { name: 'the webhook path with PUT', method: 'PUT', path: WEBHOOK_PATH, expected: { status: 405, body: { message: 'Method Not Allowed' } } },
  ])('answers $name without invoking the handler', async ({ method, path, expected }) => {
    const response = await rawRequest(front.url, { method, path });

    expect({ status: response.status, body: JSON.parse(response.body) }).toEqual(expected);
    expect(webhook.events).toEqual([]);
  });

  it('names the allowed method on a 405', async () => {
    const response = await rawRequest(front.url, { method: 'GET', path: WEBHOOK_PATH });

    expect(response.headers.allow).toBe('POST');
  });

  it('answers 500 with API Gateway’s body when the handler throws, and logs the error', async () => {
    webhook.answerWith(async () => {
      throw new Error('secret internal detail');
    });

    const response = await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });

    expect({ status: response.status, body: response.body }).toEqual({
      status: 500,
      body: '{"message":"Internal Server Error"}',
    });
    expect(logs.errors).toEqual([
      { message: 'handler threw', attributes: expect.objectContaining({ error: new Error('secret internal detail') }) },
    ]);
  });

  it('answers 500 when the handler returns something that is not an HTTP answer', async () => {
    webhook.answerWith(async () => ({ statusCode: 42 }));

    const response = await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });

    expect({ status: response.status, body: response.body }).toEqual({ status: 500, body: '{"message":"Internal Server Error"}' });
    expect(logs.errors.map((entry) => entry.message)).toEqual(['handler returned an invalid response']);
  });

  it('sends back the status, headers, cookies and body the handler returns', async () => {
    webhook.answerWith(async () => ({
      statusCode: 400,
      headers: { 'Content-Type': 'application/json', 'X-Request-Outcome': 'rejected', 'X-Count': 3 },
      cookies: ['a=1; Path=/', 'b=2'],
      body: '{"error":"invalid_payload"}',
    }));

    const response = await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });

    expect(response).toMatchObject({
      status: 400,
      headers: expect.objectContaining({
        'content-type': 'application/json',
        'x-request-outcome': 'rejected',
        'x-count': '3',
        'set-cookie': ['a=1; Path=/', 'b=2'],
      }),
      body: '{"error":"invalid_payload"}',
    });
  });

  it('decodes a base64 response body', async () => {
    webhook.answerWith(async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: Buffer.from('décodé ✓').toString('base64'),
      isBase64Encoded: true,
    }));

    const response = await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: 'décodé ✓' });
  });

  it.each([
    { name: 'a string', result: '{"ok":true}', expectedBody: '{"ok":true}' },
    { name: 'an object without statusCode', result: { ok: true }, expectedBody: '{"ok":true}' },
  ])('answers 200 application/json for $name, as API Gateway does', async ({ result, expectedBody }) => {
    webhook.answerWith(async () => result as APIGatewayProxyResultV2);

    const response = await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });

    expect({ status: response.status, type: response.headers['content-type'], body: response.body }).toEqual({
      status: 200,
      type: 'application/json',
      body: expectedBody,
    });
  });

  it('refuses a body larger than API Gateway’s 10 MB quota with 413', async () => {
    const response = await rawRequest(front.url, {
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: [['Content-Type', 'application/json']],
      body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20),
    });

    expect({ status: response.status, body: response.body }).toEqual({ status: 413, body: '{"message":"Request Entity Too Large"}' });
    expect(webhook.events).toEqual([]);
  });

  it('refuses an oversized chunked body with 413', async () => {
    const response = await rawRequest(front.url, {
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: [['Transfer-Encoding', 'chunked']],
      body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20),
    });

    expect(response.status).toBe(413);
    expect(webhook.events).toEqual([]);
  });
});

describe('local HTTP API front lifecycle', () => {
  it('close() stops accepting requests but lets an in-flight request finish', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const front = await startHttpApiFront({
      port: 0,
      logger: recordingLogger().logger,
      routes: [
        {
          method: 'POST',
          path: WEBHOOK_PATH,
          handler: async () => {
            entered();
            await released;
            return { statusCode: 200, body: 'finished' };
          },
        },
      ],
    });

    const inFlight = rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH });
    await handlerEntered;
    let closed = false;
    const closing = front.close().then(() => (closed = true));
    // Let the event loop run: close() must still be waiting on the request.
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH }).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );

    expect({ closed, refused }).toEqual({ closed: false, refused: 'ECONNREFUSED' });
    release();
    const response = await inFlight;
    await closing;
    expect({ status: response.status, body: response.body, closed }).toEqual({ status: 200, body: 'finished', closed: true });
  });

  it('close() gives up on a request that outlasts the drain timeout', async () => {
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const front = await startHttpApiFront({
      port: 0,
      drainTimeoutMs: 50,
      logger: recordingLogger().logger,
      routes: [
        {
          method: 'POST',
          path: WEBHOOK_PATH,
          handler: () => {
            entered();
            return new Promise(() => undefined);
          },
        },
      ],
    });
    const stuck = rawRequest(front.url, { method: 'POST', path: WEBHOOK_PATH }).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await handlerEntered;

    await front.close();

    expect(await stuck).toBe('ECONNRESET');
  });

  it('rejects with an error naming the port when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const attempt = startHttpApiFront({ port, routes: [] });

      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
