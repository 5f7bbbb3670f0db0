import { startDynamoEmulator, startSqsEmulator, type RunningEmulator } from '../../local/emulators';

/**
 * Child-process entry: dynalite and fauxqs on free 127.0.0.1 ports, in a process of their own so
 * that their CPU and heap are not counted as ours. Prints the endpoints as one JSON line, then
 * runs until its parent closes stdin (or dies), so it can never outlive the benchmark.
 */
async function main(): Promise<void> {
  const emulators: RunningEmulator[] = [];
  const stop = async () => {
    await Promise.allSettled(emulators.map((emulator) => emulator.close()));
    process.exit(0);
  };
  process.stdin.on('end', stop).on('error', stop).resume();
  process.on('SIGTERM', stop);

  const dynamo = await startDynamoEmulator();
  emulators.push(dynamo);
  const sqs = await startSqsEmulator({ region: process.env.BENCH_REGION });
  emulators.push(sqs);
  process.stdout.write(`${JSON.stringify({ dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulators failed to start: ${String(error)}\n`);
  process.exit(1);
});
