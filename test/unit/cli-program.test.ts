import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, runCli, type CliIo } from '../../bin/cli';
import { StackNotFoundError } from '../../cli/errors';
import { writeEndpoints, type LocalEndpoints } from '../../local/endpoints';

/** The entry in-process: argument parsing, validation and exit codes, before anything is reached. */

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'callr-mo-unit-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function run(args: readonly string[], overrides: Partial<CliIo> = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd,
    ...overrides,
  });
  return { code, stdout, stderr };
}

const ENDPOINTS: LocalEndpoints = {
  webhookUrl: 'http://127.0.0.1:3000/webhooks/callr',
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  sqsEndpoint: 'http://127.0.0.1:9324',
  callrApiUrl: 'http://127.0.0.1:4010/json-rpc/v1.1/',
  callrEmulatorUrl: 'http://127.0.0.1:4010',
  callrEmulatorApiKey: 'local-api-key',
  region: 'us-east-1',
  tableName: 'callr-inbound-sms-messages',
  ingestQueueUrl: 'http://sqs.us-east-1.localhost:9324/000000000000/callr-inbound-sms-ingest',
  deadLetterQueueUrl: 'http://sqs.us-east-1.localhost:9324/000000000000/callr-inbound-sms-dead-letter',
  inboxTopicArn: 'arn:aws:sns:us-east-1:000000000000:callr-inbound-sms-inbox',
  inboxQueueUrl: 'http://sqs.us-east-1.localhost:9324/000000000000/callr-inbound-sms-inbox',
  inboxDeadLetterQueueUrl: 'http://sqs.us-east-1.localhost:9324/000000000000/callr-inbound-sms-inbox-dead-letter',
  outboxQueueUrl: 'http://sqs.us-east-1.localhost:9324/000000000000/callr-inbound-sms-outbox',
  outboxDeadLetterQueueUrl: 'http://sqs.us-east-1.localhost:9324/000000000000/callr-inbound-sms-outbox-dead-letter',
  hmacSecret: 'local-secret',
  hmacAlgorithm: 'SHA256',
  webhookHashes: ['AAAAAAAA'],
  pid: 424242,
  startedAt: '2024-03-10T08:15:30.123Z',
};

describe('callr-mo usage errors exit 2 with one clear line, before anything is reached', () => {
  it.each<[string, string[], RegExp]>([
    ['messages without a selector on a deployed table', ['messages', '--table', 'callr-messages', '--region', 'eu-west-1'], /^callr-mo: a deployed table is not scanned: say which messages with --from <sender number>, --to <our number> \(simulations go to \+33199001234, \+447700900123, 38123\), or --hash <sms hash>\n$/],
    ['two selectors', ['messages', '--from', '+1', '--to', '+2'], /^callr-mo: give one of --from, --to, --hash \(got --from and --to\)\n$/],
    ['--since without --to', ['messages', '--from', '+1', '--since', '2024-03-10'], /--since and --until go with --to/],
    ['--keyword without --to', ['messages', '--from', '+1', '--keyword', 'vote'], /^callr-mo: --keyword goes with --to: keywords are indexed per number of ours/],
    ['--keyword of two words', ['messages', '--to', '+1', '--keyword', 'vote a'], /^callr-mo: --keyword vote a is not one word: give the first word of the texts/],
    ['a date without a zone', ['messages', '--to', '+1', '--since', '2024-03-10T08:00'], /--since 2024-03-10T08:00 is not an ISO 8601 date/],
    ['an inverted range', ['messages', '--to', '+1', '--since', '2024-03-11', '--until', '2024-03-10'], /--since \(2024-03-11T00:00:00.000Z\) must be before --until/],
    ['a zero limit', ['messages', '--to', '+1', '--limit', '0'], /option '--limit <n>' argument '0' is invalid. expected a whole number from 1 to 1000/],
    ['two targets', ['messages', '--to', '+1', '--stack', 'S', '--table', 'T'], /--stack and --table both choose the table to read: give one/],
    ['a zero rate', ['simulate', '--rate', '0'], /option '-r, --rate <per-second>' argument '0' is invalid/],
    ['a secret without a URL', ['simulate', '--secret', 's'], /--secret goes with --url/],
    ['a URL that is not http', ['simulate', '--url', 'ftp://example.com/x', '--secret', 's'], /expected an http\(s\) URL/],
    ['--direct with --url', ['simulate', '--direct', '--url', 'http://127.0.0.1:9/x'], /option '--direct' cannot be used with option '--url/],
    ['an unknown algorithm', ['simulate', '--url', 'http://127.0.0.1:9/x', '--secret', 's', '--algorithm', 'MD5'], /Allowed choices are SHA256, SHA512/],
    ['a URL without a secret', ['simulate', '--url', 'http://127.0.0.1:9/x'], /--url needs the webhook's HMAC secret: --secret <secret> or CALLR_HMAC_SECRET/],
    ['--queue-url alone', ['dlq', 'redrive', '--queue-url', 'https://sqs.eu-west-1.amazonaws.com/1/q'], /--queue-url goes with --dlq-url/],
    ['dlq without a subcommand', ['dlq'], /Usage: callr-mo dlq/],
    ['a --reason that is not a reason code', ['dlq', 'list', '--reason', 'Bad Reason'], /a reason is a code such as invalid_shape, .*; got "Bad Reason"/],
    ['redrive --reason on a bare DLQ URL, without the ingest queue', ['dlq', 'redrive', '--dlq-url', 'https://sqs.eu-west-1.amazonaws.com/1/dlq', '--reason', 'invalid_shape', '--region', 'eu-west-1'], /redrive needs the ingest queue: add --queue-url <url>/],
    ['an unknown command', ['deliver'], /unknown command 'deliver'/],
    ['send without a recipient', ['send', '--text', 'Hi'], /required option '--to <number>' not specified/],
    ['send to a national number', ['send', '--to', '0612345678', '--text', 'Hi'], /not a valid outbox request \(nothing was sent\): to: /],
    ['an unknown flag', ['messages', '--bogus'], /unknown option '--bogus'/],
    ['no local pipeline', ['messages', '--to', '+1'], /^callr-mo: no local pipeline found \(.*endpoints\.json is missing\): start one with `npm start`, or point at a deployed stack with --stack <name>\n$/],
    ['no local pipeline to simulate through', ['simulate'], /start one with `npm start`, or post to a deployed webhook with --url <url> --secret <secret>/],
    ['half the CALLR login', ['subscriptions'], /CALLR_LOGIN and CALLR_PASSWORD go together/],
  ])('%s', async (_case, args, message) => {
    const outcome = await run(args, { env: { CALLR_LOGIN: 'me' } });

    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(message);
    // Scripts read stdout: an error never writes there.
    expect(outcome.stdout).toBe('');
  });

  it('an endpoints.json left by a stopped pipeline', async () => {
    writeEndpoints(join(cwd, '.local'), ENDPOINTS);

    const outcome = await run(['dlq', 'list'], { targets: { isProcessRunning: (pid) => pid !== 424242 } });

    expect(outcome).toEqual({
      code: 2,
      stdout: '',
      stderr: `callr-mo: the local pipeline that wrote ${join(cwd, '.local', 'endpoints.json')} (pid 424242) is not running: start it with \`npm start\`\n`,
    });
  });

  it('a stack that does not exist', async () => {
    const outcome = await run(['messages', '--to', '+1', '--stack', 'Nope', '--region', 'eu-west-1'], {
      targets: {
        stackOutputs: async (stackName, region) => {
          throw new StackNotFoundError(stackName, region);
        },
      },
    });

    expect(outcome).toEqual({
      code: 2,
      stdout: '',
      stderr: 'callr-mo: stack Nope not found in eu-west-1: check the name (cdk deploy prints it), --region and your AWS profile\n',
    });
  });
});

describe('callr-mo help and version', () => {
  it.each([
    [['--help'], /^Usage: callr-mo \[options\] \[command\]/],
    [['simulate', '--help'], /^Usage: callr-mo simulate \[options\][\s\S]*--count <n>[\s\S]*--rate <per-second>[\s\S]*--url <webhook-url>[\s\S]*--secret/],
    [['messages', '--help'], /^Usage: callr-mo messages \[options\][\s\S]*--from[\s\S]*--to[\s\S]*--since[\s\S]*--until[\s\S]*--hash[\s\S]*--stack[\s\S]*--table/],
    [['dlq', 'list', '--help'], /^Usage: callr-mo dlq list \[options\][\s\S]*--limit/],
    [['subscriptions', '--help'], /^Usage: callr-mo subscriptions \[options\][\s\S]*CALLR_API_KEY/],
    [['--version'], /^0\.1\.0\n$/],
  ])('%j exits 0 on stdout', async (args, text) => {
    const outcome = await run(args);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toMatch(text);
  });
});

describe('describeError', () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });

  it.each([
    ['missing AWS credentials', named('CredentialsProviderError', 'Could not load credentials from any providers'), 2, /^no AWS credentials found .*AWS_PROFILE/],
    ['no region', new Error('Region is missing'), 2, /^no AWS region: add --region <region> or set AWS_REGION$/],
    ['an unknown queue', named('QueueDoesNotExist', 'The specified queue does not exist.'), 2, /check the name or URL, --region and the AWS account$/],
    ['anything else', new Error('socket hang up'), 1, /^socket hang up$/],
  ])('%s', (_case, error, exitCode, message) => {
    const described = describeError(error);
    expect(described.exitCode).toBe(exitCode);
    expect(described.message).toMatch(message);
  });
});
