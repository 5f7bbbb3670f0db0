import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for components that need a fixed port, like local mode). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Environment variables for a local pipeline on free ports, with its data in `dataDir`. */
export async function localPipelineEnv(dataDir: string): Promise<Record<string, string>> {
  const [http, dynamodb, sqs, callr] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  return {
    PORT: String(http),
    DYNAMODB_PORT: String(dynamodb),
    SQS_PORT: String(sqs),
    CALLR_EMULATOR_PORT: String(callr),
    LOCAL_DATA_DIR: dataDir,
  };
}
