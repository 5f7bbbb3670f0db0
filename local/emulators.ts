import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import dynalite from 'dynalite';

/**
 * The embedded AWS stand-ins, always bound to 127.0.0.1: dynalite for DynamoDB and fauxqs for SQS.
 * Port 0 picks a free port (tests); local mode passes fixed ones.
 */

export interface RunningEmulator {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

export interface DynamoEmulatorOptions {
  readonly port?: number;
  readonly dataDir?: string;
  /**
   * Runs dynalite on a thread of its own. Local mode does: in one thread, dynalite's LevelDB work
   * and request parsing (a fifth of the process's CPU under load) took turns with the HTTP front,
   * the ingest and the persister, and the store fell behind its intake on a machine with a core to
   * spare. Tests keep it in their own thread (simpler to debug, and they are not throughput-bound).
   * @default false
   */
  readonly ownThread?: boolean;
}

/** Options dynalite gets wherever it runs. */
const DYNALITE_OPTIONS = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 } as const;

export async function startDynamoEmulator(options: DynamoEmulatorOptions = {}): Promise<RunningEmulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  if (options.ownThread) return startDynamoEmulatorThread(options);
  // createTableMs: 0 — tables are ACTIVE at once, as the code expects after CreateTable returns.
  const server: Server = dynalite({ ...DYNALITE_OPTIONS, path: options.dataDir });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

/**
 * dynalite in a worker thread: the same server on 127.0.0.1, started and stopped by messages.
 * The worker is plain JavaScript evaluated from this string (with dynalite's resolved path), so it
 * needs no TypeScript loader in the thread, under tsx and jest alike.
 */
const DYNALITE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalitePath);
const server = dynalite({ ...workerData.options, path: workerData.dataDir });
server.once('error', (error) => parentPort.postMessage({ error: { message: error.message, code: error.code } }));
server.listen(workerData.port, workerData.host, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort.close());
});
`;

async function startDynamoEmulatorThread(options: DynamoEmulatorOptions): Promise<RunningEmulator> {
  const worker = new Worker(DYNALITE_THREAD, {
    eval: true,
    workerData: {
      dynalitePath: require.resolve('dynalite'),
      options: DYNALITE_OPTIONS,
      dataDir: options.dataDir,
      port: options.port ?? 0,
      host: LOOPBACK,
    },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = await new Promise<{ port?: number; error?: { message: string; code?: string } }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (started.error || started.port === undefined) {
    await worker.terminate();
    throw Object.assign(new Error(started.error?.message ?? 'dynalite did not start'), { code: started.error?.code });
  }
  const { port } = started;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    close: async () => {
      worker.postMessage('close');
      await exited;
    },
  };
}

export async function startSqsEmulator(options: { port?: number; region?: string } = {}): Promise<RunningEmulator> {
  // fauxqs is ESM-only with no `require` export, hence the dynamic import.
  // buildApp().listen, not startFauxqs: the latter binds 0.0.0.0.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false, defaultRegion: options.region ?? 'us-east-1' });
  await app.listen({ host: LOOPBACK, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    close: () => app.close(),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
