/**
 * The one configuration of every AWS SDK client, for the Lambdas, local mode and the operator CLI
 * alike, so that all of them talk to AWS (or its emulators) with the same timeouts and retries.
 * Only the endpoints, region and credentials differ, and they are arguments. Each service has its
 * builder in its own module (dynamodb.ts, sqs.ts, sns.ts, secrets-manager.ts), so that a Lambda bundles
 * only the SDK clients it uses.
 */

/**
 * Bounds on one HTTP attempt. Without them the SDK waits on a stuck socket for as long as the
 * Lambda lives (the SDK's own request timeout only logs a warning unless told to throw), and the
 * persist Lambda's whole batch comes back after its 30 s. DynamoDB, SQS, SNS and Secrets Manager answer
 * single-item calls in milliseconds in-region, so:
 * - `connectionTimeoutMs`: the TCP (and TLS) connection must be up within 1 s;
 * - `requestTimeoutMs`: the answer must start within 3 s of the request, or the attempt fails with
 *   a `TimeoutError`, which the SDK retries on a new connection.
 * With `AWS_MAX_ATTEMPTS` (3) a call gives up after at most about 3 × (1 + 3) s plus backoff, ~13 s:
 * below the persist Lambda's 30 s, and a stuck socket costs one attempt (3 s), not the invocation.
 * The ingest Lambda (10 s) would time out first only if every attempt hangs; it then answers 5xx
 * and CALLR retries, which is the contract.
 */
export const AWS_HTTP_TIMEOUTS = { connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000 } as const;

/** The SDK's standard retry mode: the first attempt and two retries, with jittered backoff. */
export const AWS_MAX_ATTEMPTS = 3;

export interface AwsClientOptions {
  /** @default the environment's (`AWS_REGION` in Lambda) */
  readonly region?: string;
  /** @default the normal credential chain (the Lambda's role, the operator's profile) */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Per service; unset means the service's own AWS endpoint. Local mode points them at the emulators. */
  readonly endpoints?: {
    readonly dynamodb?: string;
    readonly sqs?: string;
    readonly sns?: string;
    readonly secretsManager?: string;
  };
}

/** The configuration every client gets, for the service at `endpoint`. */
export function awsClientConfig(options: AwsClientOptions, endpoint: string | undefined) {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(endpoint === undefined ? {} : { endpoint }),
    maxAttempts: AWS_MAX_ATTEMPTS,
    // Options, not an instance: each client builds its own NodeHttpHandler (and connection pool).
    requestHandler: {
      connectionTimeout: AWS_HTTP_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: AWS_HTTP_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
