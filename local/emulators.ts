import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
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

export async function startDynamoEmulator(options: { port?: number; dataDir?: string } = {}): Promise<RunningEmulator> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // createTableMs: 0 — tables are ACTIVE at once, as the code expects after CreateTable returns.
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.dataDir });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    close: () => closeServer(server),
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
