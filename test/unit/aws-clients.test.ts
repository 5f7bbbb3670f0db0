import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AWS_HTTP_TIMEOUTS, AWS_MAX_ATTEMPTS, awsClientConfig } from '../../functions/aws/client-config';
import { createDynamoDbClients } from '../../functions/aws/dynamodb';
import { createSnsClient } from '../../functions/aws/sns';
import { createSqsClient } from '../../functions/aws/sqs';
import { createLocalClients } from '../../local/aws-clients';

/**
 * The Lambdas (functions/<name>/handler.ts call the builders with no options) and local mode
 * (createLocalClients) must talk to their services the same way: same timeouts, same retries,
 * same marshalling. Only endpoints, region and credentials may differ.
 */
describe('AWS SDK clients', () => {
  const lambda = {
    ...createDynamoDbClients({ region: 'eu-west-1' }),
    sqs: createSqsClient({ region: 'eu-west-1' }),
    sns: createSnsClient({ region: 'eu-west-1' }),
  };
  const local = createLocalClients({ dynamodbEndpoint: 'http://127.0.0.1:1', sqsEndpoint: 'http://127.0.0.1:2', region: 'us-east-1' });
  afterAll(() => {
    for (const client of [lambda.dynamodb, lambda.sqs, lambda.sns]) client.destroy();
    local.destroy();
  });

  it('bounds every HTTP attempt, and makes the request timeout an error rather than a warning', () => {
    expect(awsClientConfig({}, undefined)).toEqual({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
    });
    // Well below the Lambda timeouts: every attempt of one call fits in the ingest Lambda's 10 s
    // only if not all of them hang, and in the persist Lambda's 30 s with room for the rest.
    const worstCallMs = AWS_MAX_ATTEMPTS * (AWS_HTTP_TIMEOUTS.connectionTimeoutMs + AWS_HTTP_TIMEOUTS.requestTimeoutMs);
    expect(worstCallMs).toBeLessThan(30_000 / 2);
    expect(AWS_HTTP_TIMEOUTS.requestTimeoutMs).toBeLessThan(10_000 / 3);
  });

  it('gives the Lambdas and local mode the same retries', async () => {
    const clients = [lambda.dynamodb, lambda.sqs, lambda.sns, local.dynamodb, local.sqs, local.sns];
    const attempts = await Promise.all(clients.map((client) => client.config.maxAttempts()));
    expect(attempts).toEqual(clients.map(() => AWS_MAX_ATTEMPTS));
  });

  it('gives the Lambdas and local mode the same document marshalling: undefined attributes are dropped', () => {
    expect(lambda.documents.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
    expect(local.documents.config.translateConfig).toEqual(lambda.documents.config.translateConfig);
  });

  it('differs between them only in endpoint, region and credentials', async () => {
    expect(await local.dynamodb.config.region()).toBe('us-east-1');
    expect(await lambda.dynamodb.config.region()).toBe('eu-west-1');
    expect(local.dynamodb.config.isCustomEndpoint).toBe(true);
    expect(lambda.dynamodb.config.isCustomEndpoint).toBe(false);
    // fauxqs emulates SNS on the SQS endpoint.
    expect(local.sns.config.isCustomEndpoint).toBe(true);
    expect(await local.sns.config.endpoint?.()).toEqual(await local.sqs.config.endpoint?.());
    expect(lambda.sns.config.isCustomEndpoint).toBe(false);
  });

  it('is built nowhere else: no SDK client is constructed outside functions/aws/ but through its configuration', () => {
    const root = join(__dirname, '..', '..');
    const offenders = ['functions', 'local', 'cli', 'bin', 'bench']
      .flatMap((dir) => sourceFiles(join(root, dir)))
      .filter((file) => !relative(root, file).startsWith(join('functions', 'aws')))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ line, where: `${relative(root, file)}:${index + 1}` }))
          .filter(({ line }) => /new \w+Client\((?!awsClientConfig\()|DynamoDBDocumentClient\.from\(/.test(line)),
      )
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.ts$/.test(entry.name) ? [path] : [];
  });
}
