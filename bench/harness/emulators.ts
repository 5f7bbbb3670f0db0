import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLocalClients, type LocalClients } from '../../local/aws-clients';
import { createMessageTable, createQueues, type LocalQueues } from '../../local/provision';

/**
 * The emulators the service benchmarks talk to, run in a child process (emulator-server.ts), with
 * the table and queues the CDK construct declares (local/provision.ts) and real SDK clients.
 */
export interface BenchEnvironment {
  readonly clients: LocalClients;
  readonly region: string;
  readonly tableName: string;
  /** Fresh queues, so one benchmark's messages do not slow the next one's emulator. */
  createQueues(label: string): Promise<LocalQueues>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const STARTUP_TIMEOUT_MS = 30_000;

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'emulator-server.ts')], {
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, BENCH_REGION: REGION },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const endpoints = await firstLine(child.stdout, STARTUP_TIMEOUT_MS);
    const { dynamodbEndpoint, sqsEndpoint } = JSON.parse(endpoints) as { dynamodbEndpoint: string; sqsEndpoint: string };
    const clients = createLocalClients({ dynamodbEndpoint, sqsEndpoint, region: REGION });
    const tableName = `bench-messages-${process.pid}`;
    await createMessageTable(clients.dynamodb, tableName);
    return {
      clients,
      region: REGION,
      tableName,
      createQueues: (label) =>
        createQueues(clients, {
          ingestQueue: `bench-${label}-ingest`,
          deadLetterQueue: `bench-${label}-dead-letter`,
          inboxTopic: `bench-${label}-inbox`,
          inboxQueue: `bench-${label}-inbox`,
          inboxDeadLetterQueue: `bench-${label}-inbox-dead-letter`,
        }),
      async stop() {
        clients.destroy();
        await stopChild();
      },
    };
  } catch (error) {
    await stopChild();
    throw error;
  }
}

function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`emulators did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
      lines.close();
    });
    lines.once('close', () => {
      clearTimeout(timer);
      reject(new Error('emulator process ended before it reported its endpoints'));
    });
  });
}
