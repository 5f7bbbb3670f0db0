import * as path from 'node:path';
import { type Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, STACK_NAME_VARIABLE } from '../../functions/observability/observability';

/** The handler entry of each Lambda the construct deploys. */
export const LAMBDA_ENTRIES = {
  ingest: path.join(__dirname, '..', '..', 'functions', 'ingest', 'handler.ts'),
  persist: path.join(__dirname, '..', '..', 'functions', 'persist', 'handler.ts'),
  subscription: path.join(__dirname, '..', '..', 'functions', 'subscription', 'handler.ts'),
  sender: path.join(__dirname, '..', '..', 'functions', 'sender', 'handler.ts'),
  reconcile: path.join(__dirname, '..', '..', 'functions', 'reconcile', 'handler.ts'),
} as const;

/** The runtime of every Lambda of the construct (arm64). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Source-mapped stack traces in the logs (the bench loads its bundles with the same options). */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/**
 * How every Lambda is bundled. Exported so that `npm run bench` (bench/harness/bundles.ts) builds
 * with esbuild exactly what `cdk synth` builds, and measures the bundles that are deployed.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  // Maps keep stack traces readable (files, lines, names) with --enable-source-maps, but
  // without the sources themselves: those were three quarters of every zip (the SDK's included).
  esbuildArgs: { '--sources-content': 'false' },
  // The SDK version we pinned and tested, not whichever one the runtime ships this month.
  bundleAwsSDK: true,
} as const satisfies BundlingOptions;

/** How every log group of the construct is kept. */
export interface LogGroupSettings {
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export function createLogGroup(scope: Construct, id: string, settings: LogGroupSettings): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention: settings.retention, removalPolicy: settings.removalPolicy });
}

/** A role that may write to its own log group only (instead of the account-wide managed policy). */
export function createLambdaRole(scope: Construct, id: string, logGroup: logs.LogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return role;
}

export interface CallrFunctionOptions {
  readonly entry: string;
  readonly serviceName: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly logs: LogGroupSettings;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

/** One of the construct's Lambdas: Node.js on arm64, its own log group and role, Powertools' settings. */
export function createCallrFunction(scope: Construct, id: string, options: CallrFunctionOptions): NodejsFunction {
  const logGroup = createLogGroup(scope, `${id}Logs`, options.logs);
  return new NodejsFunction(scope, id, {
    entry: options.entry,
    handler: 'handler',
    description: options.description,
    runtime: LAMBDA_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    timeout: options.timeout,
    memorySize: options.memorySize,
    role: createLambdaRole(scope, `${id}Role`, logGroup),
    logGroup,
    ...(options.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: options.reservedConcurrentExecutions } : {}),
    environment: {
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      POWERTOOLS_SERVICE_NAME: options.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // The Stack dimension of every custom metric, which the alarms select on.
      [STACK_NAME_VARIABLE]: Stack.of(scope).stackName,
      ...options.environment,
    },
    bundling: LAMBDA_BUNDLING,
  });
}

/**
 * Lets `fn` read the CALLR credentials secret, and decrypt with its customer-managed key when it has
 * one, through Secrets Manager only (kms:ViaService): the subscription and the sender read it alike.
 */
export function grantCallrCredentials(fn: NodejsFunction, secret: secretsmanager.ISecret, key: kms.IKey | undefined): void {
  secret.grantRead(fn);
  if (!key) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(fn).region}.amazonaws.com` } },
    }),
  );
}
