import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
  /** The inbox topic: subscribe another queue to it for a second consumer (local/provision.ts subscribeToInbox). */
  readonly inboxTopicArn: string;
  readonly inboxQueueUrl: string;
  readonly inboxDeadLetterQueueUrl: string;
  /** Where send requests go (docs/outbox-request.schema.json); their outcomes come back on the inbox. */
  readonly outboxQueueUrl: string;
  readonly outboxDeadLetterQueueUrl: string;
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
  // Written aside, then renamed: whoever sees the file (the CLI, a test, the bench waiting for
  // `npm start`) reads it whole, never the empty file writeFileSync creates before it writes.
  const written = `${path}.${process.pid}.tmp`;
  writeFileSync(written, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
  renameSync(written, path);
  return path;
}

export class LocalPipelineNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`no local pipeline found (${path} is missing): start one with \`npm start\`, or point at a deployed stack with --stack <name>`);
    this.name = 'LocalPipelineNotFoundError';
  }
}

/** Whether a process is alive (the pid a pipeline wrote into endpoints.json, say). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A second pipeline on the same data directory: dynalite's store allows one. */
export class LocalDataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `another local pipeline (pid ${pid}) is running on ${dataDir}: stop it, or set LOCAL_DATA_DIR to another directory`,
    );
    this.name = 'LocalDataDirInUseError';
  }
}

/** Refuses to start on a data directory a live pipeline uses; a stale endpoints.json is fine. */
export function assertDataDirFree(dataDir: string, ownPid = process.pid): void {
  let endpoints: LocalEndpoints;
  try {
    endpoints = readEndpoints(dataDir);
  } catch {
    return;
  }
  if (typeof endpoints.pid === 'number' && endpoints.pid !== ownPid && isProcessRunning(endpoints.pid)) {
    throw new LocalDataDirInUseError(dataDir, endpoints.pid);
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
