import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { awsClientConfig } from '../functions/aws/client-config';
import { createDynamoDbClients } from '../functions/aws/dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerClient } from '../functions/aws/secrets-manager';
import { createSqsClient } from '../functions/aws/sqs';
import { numberHashKeyBytes } from '../functions/privacy/number-hash-key';
import { parseCallrCredentials } from '../functions/subscription/credentials';
import { createCallrClient, DEFAULT_CALLR_API_URL, type CallrClient, type CallrCredentials } from '../functions/callr/json-rpc-client';
import type { MessageTable } from '../functions/messages/message-store';
import { createLocalClients } from '../local/aws-clients';
import { LOCAL_DEFAULTS } from '../local/config';
import { NUMBER_HASH_KEY_FILE } from '../local/number-hash-key';
import { ENDPOINTS_FILE, isProcessRunning, LocalPipelineNotFoundError, readEndpoints, type LocalEndpoints } from '../local/endpoints';
import { LocalPipelineStoppedError, StackNotFoundError, TargetError, UsageError } from './errors';

/**
 * Where a command works: the local pipeline started by `npm start` (found through
 * `LOCAL_DATA_DIR/endpoints.json`), or a deployed stack (`--stack`, whose CloudFormation outputs
 * name the table and queues, or the resources named directly) reached with the normal AWS
 * credential chain. Each resolver returns ready clients and a `close()` for them.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The stack outputs the CLI reads (lib/callr-inbound-sms-stack.ts declares them). */
export const STACK_OUTPUT = {
  webhookUrl: 'WebhookUrl',
  tableName: 'TableName',
  ingestQueueUrl: 'IngestQueueUrl',
  ingestQueueArn: 'IngestQueueArn',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  outboxQueueUrl: 'OutboxQueueUrl',
  numberHashKeyArn: 'NumberHashKeyArn',
} as const;

/** The CALLR credentials secret a deployed stack reads when the context names none (lib/callr-inbound-sms-stack.ts). */
export const DEFAULT_STACK_CREDENTIALS_SECRET = 'callr/api-credentials';

export interface TargetDeps {
  readonly env: Env;
  readonly cwd: string;
  /** A deployed stack's outputs by key. @default DescribeStacks through the AWS SDK */
  readonly stackOutputs?: (stackName: string, region: string | undefined) => Promise<Record<string, string>>;
  /** @default a signal-0 probe of the process */
  readonly isProcessRunning?: (pid: number) => boolean;
}

export interface LocalTargetOptions {
  /** Where `npm start` keeps its data and endpoints.json. @default LOCAL_DATA_DIR, else .local */
  readonly dataDir?: string;
}

/** What else the command can work on, told when there is no local pipeline. */
export const NOT_LOCAL_ALTERNATIVE = {
  stack: 'or point at a deployed stack with --stack <name>',
  url: 'or post to a deployed webhook with --url <url> --secret <secret>',
  callr: 'or set CALLR_API_KEY (or CALLR_LOGIN and CALLR_PASSWORD) to use a real CALLR account',
} as const;

export interface AwsTargetOptions {
  readonly stack?: string;
  readonly region?: string;
}

export function localDataDir(options: LocalTargetOptions, deps: Pick<TargetDeps, 'env' | 'cwd'>): string {
  return resolve(deps.cwd, options.dataDir ?? (deps.env.LOCAL_DATA_DIR?.trim() || LOCAL_DEFAULTS.dataDir));
}

/** The running local pipeline's endpoints; throws if there is none, or if the one that wrote them has stopped. */
export function readLocalPipeline(
  options: LocalTargetOptions,
  deps: Pick<TargetDeps, 'env' | 'cwd' | 'isProcessRunning'>,
  alternative: string = NOT_LOCAL_ALTERNATIVE.stack,
): LocalEndpoints {
  const dataDir = localDataDir(options, deps);
  let endpoints: LocalEndpoints;
  try {
    endpoints = readEndpoints(dataDir);
  } catch (error) {
    if (error instanceof LocalPipelineNotFoundError) {
      throw new TargetError(`no local pipeline found (${error.path} is missing): start one with \`npm start\`, ${alternative}`, { cause: error });
    }
    throw error;
  }
  const isRunning = deps.isProcessRunning ?? isProcessRunning;
  if (typeof endpoints.pid === 'number' && !isRunning(endpoints.pid)) {
    throw new LocalPipelineStoppedError(resolve(dataDir, ENDPOINTS_FILE), endpoints.pid);
  }
  return endpoints;
}

/** Outputs of a deployed stack, through CloudFormation DescribeStacks. */
export async function describeStackOutputs(cloudFormation: CloudFormationClient, stackName: string, region?: string): Promise<Record<string, string>> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack) throw new StackNotFoundError(stackName, region);
    return Object.fromEntries((stack.Outputs ?? []).flatMap((output) => (output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue]] : [])));
  } catch (error) {
    // CloudFormation answers an unknown stack with a generic ValidationError; its message is the only tell.
    if ((error as Error).name === 'ValidationError' && /does not exist/i.test((error as Error).message)) {
      throw new StackNotFoundError(stackName, region, { cause: error });
    }
    throw error;
  }
}

/** DescribeStacks through a CloudFormation client of its own, in `region` or the SDK's default one. */
export async function defaultStackOutputs(stackName: string, region: string | undefined): Promise<Record<string, string>> {
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(awsClientConfig({ region }, undefined));
  try {
    return await describeStackOutputs(client, stackName, region);
  } finally {
    client.destroy();
  }
}

export async function readStackOutputs(options: AwsTargetOptions & { stack: string }, deps: TargetDeps, needed: readonly string[]): Promise<Record<string, string>> {
  const outputs = await (deps.stackOutputs ?? defaultStackOutputs)(options.stack, options.region);
  const missing = needed.filter((key) => !outputs[key]);
  if (missing.length > 0) {
    throw new TargetError(`stack ${options.stack} has no output ${missing.join(', ')}: is it a callr-inbound-sms stack, deployed with this version?`);
  }
  return outputs;
}

function exclusive(flags: Record<string, unknown>, what: string): void {
  const given = Object.entries(flags).filter(([, value]) => value !== undefined).map(([flag]) => flag);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} both choose ${what}: give one`);
}

// ---------------------------------------------------------------------------------------------
// Message table (`messages`)

export interface MessageTableOptions extends LocalTargetOptions, AwsTargetOptions {
  readonly table?: string;
}

export interface ResolvedMessageTable {
  /** Local mode's table, or a deployed one (whose size is unknown: no full scans there). */
  readonly kind: 'local' | 'aws';
  readonly table: MessageTable;
  /** For humans: which table, where. */
  readonly description: string;
  close(): void;
}

export async function resolveMessageTable(options: MessageTableOptions, deps: TargetDeps): Promise<ResolvedMessageTable> {
  exclusive({ '--stack': options.stack, '--table': options.table, '--data-dir': options.dataDir }, 'the table to read');
  if (options.stack !== undefined || options.table !== undefined) {
    const tableName = options.stack !== undefined
      ? (await readStackOutputs({ ...options, stack: options.stack }, deps, [STACK_OUTPUT.tableName]))[STACK_OUTPUT.tableName]!
      : options.table!;
    const { dynamodb, documents } = createDynamoDbClients({ region: options.region });
    return {
      kind: 'aws',
      table: { documents, tableName },
      description: `DynamoDB table ${tableName}${options.stack ? ` (stack ${options.stack})` : ''}`,
      close: () => dynamodb.destroy(),
    };
  }
  const endpoints = readLocalPipeline(options, deps);
  const clients = createLocalClients(endpoints);
  return {
    kind: 'local',
    table: { documents: clients.documents, tableName: endpoints.tableName },
    description: `local table ${endpoints.tableName} at ${endpoints.dynamodbEndpoint}`,
    close: () => clients.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// The number hash key (`optouts check`): opt-outs are kept under the hash of the sender's number

export interface NumberHashKeyOptions extends MessageTableOptions {
  /** With --table: the Secrets Manager secret (ARN or name) holding the key. */
  readonly numberHashKeySecret?: string;
}

/**
 * The key the table's hashes were made with: the local pipeline's file in its data directory, or
 * the deployed secret (named by the stack's NumberHashKeyArn output, or given with --table).
 * Read only: a key that is not there is an error, never a new key (it would match nothing).
 */
export async function resolveNumberHashKey(options: NumberHashKeyOptions, deps: TargetDeps): Promise<Uint8Array> {
  if (options.numberHashKeySecret !== undefined && options.table === undefined) {
    throw new UsageError('--number-hash-key-secret goes with --table (a stack names its key itself; locally it is in the data directory)');
  }
  if (options.stack !== undefined || options.table !== undefined) {
    const secretId =
      options.stack !== undefined
        ? (await readStackOutputs({ ...options, stack: options.stack }, deps, [STACK_OUTPUT.numberHashKeyArn]))[STACK_OUTPUT.numberHashKeyArn]!
        : options.numberHashKeySecret;
    if (!secretId) throw new UsageError('--table needs the number hash key too: --number-hash-key-secret <secret ARN or name>');
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const secrets = createSecretsManagerClient({ region: options.region });
    try {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!SecretString) throw new TargetError(`secret ${secretId} holds no string: it is not a number hash key`);
      return numberHashKeyBytes(SecretString, `secret ${secretId}`);
    } finally {
      secrets.destroy();
    }
  }
  const path = resolve(localDataDir(options, deps), NUMBER_HASH_KEY_FILE);
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new TargetError(`no number hash key at ${path}: start the local pipeline once with \`npm start\`, ${NOT_LOCAL_ALTERNATIVE.stack}`, { cause: error });
  }
  return numberHashKeyBytes(key, path);
}

// ---------------------------------------------------------------------------------------------
// Dead-letter and ingest queues (`dlq`)

export interface QueueOptions extends LocalTargetOptions, AwsTargetOptions {
  readonly dlqUrl?: string;
  readonly queueUrl?: string;
}

export interface ResolvedQueues {
  readonly sqs: SQSClient;
  /** `local`: fauxqs, which has no message move tasks. `aws`: SQS. */
  readonly kind: 'local' | 'aws';
  readonly deadLetterQueueUrl: string;
  /** Where redriven messages go; undefined when only the DLQ was named (enough for `dlq list`). */
  readonly ingestQueueUrl: string | undefined;
  /** ARNs for StartMessageMoveTask (AWS only), looked up when not in the stack outputs. */
  queueArns(): Promise<{ deadLetterQueueArn: string; ingestQueueArn: string }>;
  readonly description: string;
  close(): void;
}

export async function resolveQueues(options: QueueOptions, deps: TargetDeps): Promise<ResolvedQueues> {
  exclusive({ '--stack': options.stack, '--dlq-url': options.dlqUrl, '--data-dir': options.dataDir }, 'the queues');
  if (options.queueUrl !== undefined && options.dlqUrl === undefined) {
    throw new UsageError('--queue-url goes with --dlq-url (or use --stack to take both from the stack outputs)');
  }
  if (options.stack !== undefined || options.dlqUrl !== undefined) {
    const outputs = options.stack !== undefined
      ? await readStackOutputs({ ...options, stack: options.stack }, deps, [STACK_OUTPUT.deadLetterQueueUrl, STACK_OUTPUT.ingestQueueUrl])
      : {};
    const deadLetterQueueUrl = options.dlqUrl ?? outputs[STACK_OUTPUT.deadLetterQueueUrl]!;
    const ingestQueueUrl = options.queueUrl ?? outputs[STACK_OUTPUT.ingestQueueUrl];
    const sqs = createSqsClient({ region: options.region });
    const queueArn = async (url: string, fromOutputs: string | undefined) => fromOutputs ?? (await getQueueArn(sqs, url));
    return {
      sqs,
      kind: 'aws',
      deadLetterQueueUrl,
      ingestQueueUrl,
      async queueArns() {
        if (!ingestQueueUrl) throw new UsageError('redrive needs the ingest queue: add --queue-url <url> (or use --stack)');
        return {
          deadLetterQueueArn: await queueArn(deadLetterQueueUrl, outputs[STACK_OUTPUT.deadLetterQueueArn]),
          ingestQueueArn: await queueArn(ingestQueueUrl, outputs[STACK_OUTPUT.ingestQueueArn]),
        };
      },
      description: options.stack ? `stack ${options.stack}` : deadLetterQueueUrl,
      close: () => sqs.destroy(),
    };
  }
  const endpoints = readLocalPipeline(options, deps);
  const clients = createLocalClients(endpoints);
  return {
    sqs: clients.sqs,
    kind: 'local',
    deadLetterQueueUrl: endpoints.deadLetterQueueUrl,
    ingestQueueUrl: endpoints.ingestQueueUrl,
    queueArns: () => Promise.reject(new Error('the local SQS emulator has no message move tasks; redrive locally by copying')),
    description: `local queues at ${endpoints.sqsEndpoint}`,
    close: () => clients.destroy(),
  };
}

async function getQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new TargetError(`SQS did not give the ARN of ${queueUrl}`);
  return arn;
}

// ---------------------------------------------------------------------------------------------
// Outbox (`send`)

export interface ResolvedOutbox {
  readonly sqs: SQSClient;
  readonly outboxQueueUrl: string;
  /** Where the send records are, which tell the outcome. */
  readonly table: MessageTable;
  readonly description: string;
  close(): void;
}

export async function resolveOutbox(options: LocalTargetOptions & AwsTargetOptions, deps: TargetDeps): Promise<ResolvedOutbox> {
  exclusive({ '--stack': options.stack, '--data-dir': options.dataDir }, 'the outbox');
  if (options.stack !== undefined) {
    const outputs = await readStackOutputs({ ...options, stack: options.stack }, deps, [STACK_OUTPUT.outboxQueueUrl, STACK_OUTPUT.tableName]);
    const sqs = createSqsClient({ region: options.region });
    const { dynamodb, documents } = createDynamoDbClients({ region: options.region });
    return {
      sqs,
      outboxQueueUrl: outputs[STACK_OUTPUT.outboxQueueUrl]!,
      table: { documents, tableName: outputs[STACK_OUTPUT.tableName]! },
      description: `stack ${options.stack}`,
      close: () => {
        sqs.destroy();
        dynamodb.destroy();
      },
    };
  }
  const endpoints = readLocalPipeline(options, deps);
  if (!endpoints.outboxQueueUrl) throw new TargetError('the local pipeline has no outbox: it was started by an older version; restart it with `npm start`');
  const clients = createLocalClients(endpoints);
  return {
    sqs: clients.sqs,
    outboxQueueUrl: endpoints.outboxQueueUrl,
    table: { documents: clients.documents, tableName: endpoints.tableName },
    description: `local outbox at ${endpoints.sqsEndpoint}`,
    close: () => clients.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// CALLR account (`subscriptions`)

export interface ResolvedCallr {
  readonly callr: CallrClient;
  readonly description: string;
}

/** A real CALLR account when `CALLR_API_KEY` (or `CALLR_LOGIN` and `CALLR_PASSWORD`) is set; `CALLR_API_URL` optional. */
function callrFromEnvironment(env: Env): ResolvedCallr | undefined {
  const read = (name: string) => env[name]?.trim() || undefined;
  const apiKey = read('CALLR_API_KEY');
  const login = read('CALLR_LOGIN');
  const password = read('CALLR_PASSWORD');
  if (!apiKey && !login && !password) return undefined;
  if (apiKey && (login || password)) throw new UsageError('set CALLR_API_KEY or CALLR_LOGIN/CALLR_PASSWORD, not both');
  if (!apiKey && !(login && password)) throw new UsageError('CALLR_LOGIN and CALLR_PASSWORD go together');
  const credentials: CallrCredentials = apiKey ? { apiKey } : { login: login!, password: password! };
  const apiUrl = read('CALLR_API_URL') ?? DEFAULT_CALLR_API_URL;
  return { callr: createCallrClient({ apiUrl, credentials }), description: `CALLR account at ${apiUrl}` };
}

/**
 * A real CALLR account when its credentials are in the environment (`CALLR_API_KEY`, or
 * `CALLR_LOGIN` and `CALLR_PASSWORD`; `CALLR_API_URL` optional), else the local pipeline's emulator.
 */
export function resolveCallr(options: LocalTargetOptions, deps: TargetDeps): ResolvedCallr {
  const fromEnvironment = callrFromEnvironment(deps.env);
  if (fromEnvironment) return fromEnvironment;
  const endpoints = readLocalPipeline(options, deps, NOT_LOCAL_ALTERNATIVE.callr);
  if (!endpoints.callrEmulatorApiKey) {
    throw new UsageError(
      `the local pipeline uses a real CALLR account (${endpoints.callrApiUrl}), whose credentials are never written to disk: set CALLR_API_KEY (or CALLR_LOGIN and CALLR_PASSWORD) and CALLR_API_URL`,
    );
  }
  return {
    callr: createCallrClient({ apiUrl: endpoints.callrApiUrl, credentials: { apiKey: endpoints.callrEmulatorApiKey } }),
    description: `local CALLR emulator at ${endpoints.callrApiUrl}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Everything the reconciliation sweep works with (`reconcile`)

export interface ReconcileTargetOptions extends LocalTargetOptions, AwsTargetOptions {
  /** With --stack: the CALLR credentials secret (name or ARN) when no CALLR_* variable is set. */
  readonly credentialsSecret?: string;
}

export interface ResolvedReconcileTarget {
  readonly callr: CallrClient;
  /** The number hash key: the sweep leaves out SMS of numbers erased since. */
  readonly numberHashKey: Uint8Array;
  readonly table: MessageTable;
  readonly sqs: SQSClient;
  readonly ingestQueueUrl: string;
  readonly description: string;
  close(): void;
}

/**
 * The local pipeline (its emulator, or the real CALLR account in CALLR_* variables), or a deployed
 * stack: its table and ingest queue from the outputs, the CALLR credentials from CALLR_* variables
 * or else from the stack's credentials secret, read with the operator's AWS credentials.
 */
export async function resolveReconcileTarget(options: ReconcileTargetOptions, deps: TargetDeps): Promise<ResolvedReconcileTarget> {
  exclusive({ '--stack': options.stack, '--data-dir': options.dataDir }, 'where to reconcile');
  if (options.stack === undefined) {
    if (options.credentialsSecret !== undefined) throw new UsageError('--credentials-secret goes with --stack (locally, the emulator or CALLR_* variables give the credentials)');
    const endpoints = readLocalPipeline(options, deps);
    const clients = createLocalClients(endpoints);
    const { callr, description } = resolveCallr(options, deps);
    const numberHashKey = await resolveNumberHashKey(options, deps);
    return {
      callr,
      numberHashKey,
      table: { documents: clients.documents, tableName: endpoints.tableName },
      sqs: clients.sqs,
      ingestQueueUrl: endpoints.ingestQueueUrl,
      description: `the local pipeline, ${description}`,
      close: () => clients.destroy(),
    };
  }
  const outputs = await readStackOutputs({ ...options, stack: options.stack }, deps, [STACK_OUTPUT.tableName, STACK_OUTPUT.ingestQueueUrl]);
  const callr = callrFromEnvironment(deps.env) ?? (await callrFromSecret(options.credentialsSecret ?? DEFAULT_STACK_CREDENTIALS_SECRET, options.region));
  const numberHashKey = await resolveNumberHashKey(options, deps);
  const { dynamodb, documents } = createDynamoDbClients({ region: options.region });
  const sqs = createSqsClient({ region: options.region });
  return {
    callr: callr.callr,
    numberHashKey,
    table: { documents, tableName: outputs[STACK_OUTPUT.tableName]! },
    sqs,
    ingestQueueUrl: outputs[STACK_OUTPUT.ingestQueueUrl]!,
    description: `stack ${options.stack}, ${callr.description}`,
    close: () => {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

async function callrFromSecret(secretId: string, region: string | undefined): Promise<ResolvedCallr> {
  const secrets = createSecretsManagerClient({ region });
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new TargetError(`the secret ${secretId} has no string value: it should hold the CALLR credentials as JSON`);
    return { callr: createCallrClient({ credentials: parseCallrCredentials(SecretString) }), description: `CALLR credentials from the secret ${secretId}` };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new TargetError(`no secret ${secretId}: give the stack's CALLR credentials secret with --credentials-secret <name-or-arn>, or set CALLR_API_KEY`, { cause: error });
    }
    throw error;
  } finally {
    secrets.destroy();
  }
}
