/**
 * Handlers log and publish metrics as they do in Lambda, so that serialising them is measured;
 * Powertools writes them to process.stdout, where they would bury the report. While muted, those
 * writes are dropped: Lambda's own copy to CloudWatch happens outside the function's time anyway.
 */
const realStdoutWrite = process.stdout.write.bind(process.stdout);
const realStderrWrite = process.stderr.write.bind(process.stderr);

export function printLine(text: string): void {
  realStdoutWrite(`${text}\n`);
}

export function progress(text: string): void {
  realStderrWrite(`${text}\n`);
}

/** Counts what the muted writes would have written (the cost model prices log ingestion by it). */
export interface OutputCounter {
  bytes: number;
}

export async function withOutputMuted<T>(work: () => Promise<T>, counter?: OutputCounter): Promise<T> {
  const drop = ((chunk: unknown, encodingOrCallback?: unknown, callback?: unknown) => {
    if (counter) counter.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = drop;
  process.stderr.write = drop;
  try {
    return await work();
  } finally {
    process.stdout.write = realStdoutWrite;
    process.stderr.write = realStderrWrite;
  }
}
