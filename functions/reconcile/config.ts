import { DEFAULT_CALLR_API_URL, DEFAULT_CALLR_RETRIES, DEFAULT_CALLR_TIMEOUT_MS } from '../callr/json-rpc-client';
import { NUMBER_HASH_KEY_ARN_VARIABLE, readNumberHashKeyConfig, type NumberHashKeyConfig } from '../privacy/number-hash-key';
import { environmentReader } from '../config/environment';

/**
 * The reconcile Lambda's configuration, read from the environment and checked once at cold start,
 * every problem at once. No secret lives here: the CALLR credentials are read from the secret
 * `CALLR_CREDENTIALS_SECRET_ARN` names, the same one the subscription custom resource reads.
 */
export interface ReconcileConfig {
  readonly tableName: string;
  /** Where recovered SMS go: the ingest queue, to the persister like every delivery. */
  readonly ingestQueueUrl: string;
  readonly callrCredentialsSecretId: string;
  readonly callrApiUrl: string;
  /** Per attempt, and retries: the CALLR client's defaults, as for the custom resource. */
  readonly callrTimeoutMs: number;
  readonly callrRetries: number;
  /** How far back a scheduled sweep asks CALLR. */
  readonly lookBackMs: number;
  /** Where the number hash key comes from: the sweep leaves out SMS of numbers erased since. */
  readonly numberHashKey: NumberHashKeyConfig;
}

/** The environment variable of the look-back (seconds), which the construct sets from `reconcileLookBack`. */
export const RECONCILE_LOOK_BACK_VARIABLE = 'RECONCILE_LOOK_BACK_SECONDS';
export const DEFAULT_RECONCILE_LOOK_BACK_SECONDS = 48 * 3600;

export class ReconcileConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid reconcile configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ReconcileConfigError';
  }
}

export function loadReconcileConfig(env: Readonly<Record<string, string | undefined>>): ReconcileConfig {
  const problems: string[] = [];
  const { read, required, integer } = environmentReader(env, problems);
  const callrApiUrl = read('CALLR_API_URL') ?? DEFAULT_CALLR_API_URL;
  if (!URL.canParse(callrApiUrl) || new URL(callrApiUrl).protocol !== 'https:') {
    problems.push(`CALLR_API_URL must be an https URL (the requests carry the CALLR credentials); got "${callrApiUrl}".`);
  }
  const config: ReconcileConfig = {
    tableName: required('TABLE_NAME', 'the messages table, to tell which listed SMS are already stored'),
    ingestQueueUrl: required('INGEST_QUEUE_URL', 'the ingest queue, where recovered SMS go to the persister'),
    callrCredentialsSecretId: required('CALLR_CREDENTIALS_SECRET_ARN', 'the secret holding the CALLR API credentials'),
    callrApiUrl,
    callrTimeoutMs: integer('CALLR_TIMEOUT_MS', DEFAULT_CALLR_TIMEOUT_MS, 1),
    callrRetries: integer('CALLR_RETRIES', DEFAULT_CALLR_RETRIES, 0),
    lookBackMs: integer(RECONCILE_LOOK_BACK_VARIABLE, DEFAULT_RECONCILE_LOOK_BACK_SECONDS, 60) * 1000,
    numberHashKey: readNumberHashKeyConfig(env, problems) ?? { kind: 'static', key: '' },
  };
  if (env[NUMBER_HASH_KEY_ARN_VARIABLE] === undefined && env.NUMBER_HASH_KEY === undefined) {
    // Without it the sweep would store again what an erasure removed: fail closed.
    problems.push(`${NUMBER_HASH_KEY_ARN_VARIABLE} is required: the number hash key, to leave out SMS of numbers erased since CALLR received them.`);
  }
  if (problems.length > 0) throw new ReconcileConfigError(problems);
  return config;
}
