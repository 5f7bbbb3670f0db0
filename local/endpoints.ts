import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a running local pipeline tells other programs (the CLI, scripts, a second terminal):
 * written to `LOCAL_DATA_DIR/endpoints.json` on start. The keys are a contract.
 */
export interface LocalEndpoints {
  readonly webhookUrl: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** The CALLR JSON-RPC API in use (the emulator's unless a real account is configured). */
  readonly callrApiUrl: string;
  /** The emulator's base URL (JSON-RPC under /json-rpc/v1.1/, control API under /control/); null with a real CALLR. */
  readonly callrEmulatorUrl: string | null;
  /** The emulator's API key (a local throwaway); null with a real CALLR, whose credentials are never written. */
  readonly callrEmulatorApiKey: string | null;
  readonly region: string;
  readonly tableName: string;
  readonly ingestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly inboxQueueUrl: string;
  readonly inboxDeadLetterQueueUrl: string;
  /** The local HMAC secret (local mode only: a deployment keeps it in Secrets Manager). */
  readonly hmacSecret: string;
  readonly hmacAlgorithm: string;
  /** CALLR webhook hashes subscribed for this run. */
  readonly webhookHashes: readonly string[];
  readonly pid: number;
  readonly startedAt: string;
}

export const ENDPOINTS_FILE = 'endpoints.json';

export function writeEndpoints(dataDir: string, endpoints: LocalEndpoints): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, ENDPOINTS_FILE);
  writeFileSync(path, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
  return path;
}

export class LocalPipelineNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`no local pipeline found (${path} is missing): start one with \`npm start\`, or point at a deployed stack with --stack <name>`);
    this.name = 'LocalPipelineNotFoundError';
  }
}

export function readEndpoints(dataDir: string): LocalEndpoints {
  const path = join(dataDir, ENDPOINTS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LocalPipelineNotFoundError(path);
  }
  return JSON.parse(text) as LocalEndpoints;
}
