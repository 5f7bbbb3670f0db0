import type { BenchEnvironment } from '../harness/emulators';
import { createIngestWorkload } from './ingest-workload';

/**
 * Heap retained by the ingest Lambda across many requests (what a warm instance would keep until
 * it dies of it), next to the same number of bare SendMessage calls through the same client.
 *
 * The heap after a full GC still moves by a few hundred KB from one reading to the next (pools,
 * compiled code), so one before/after difference over 2,000 requests is ±150 B/request of noise.
 * The retained bytes per request are therefore the slope of a least-squares line through a
 * reading every 250 requests, and the verdict is on ours minus the baseline's. A real leak keeps
 * at least the request (about 1 KB of body, plus the event and log objects): far above the noise.
 */

export interface RetainedHeap {
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
  /** (after − before) / requests. */
  readonly deltaBytesPerRequest: number;
  /** Slope of heap used against requests served: what the verdict uses. */
  readonly retainedBytesPerRequest: number;
}

export interface MemoryResult {
  readonly id: string;
  readonly title: string;
  readonly requests: number;
  readonly subject: RetainedHeap & { readonly name: string };
  readonly baseline: RetainedHeap & { readonly name: string };
  /** subject − baseline retained bytes per request. */
  readonly excessBytesPerRequest: number;
}

const REQUESTS = 2_000;
const READING_EVERY = 250;
/** Lazily built state (SDK middleware stacks, zod caches, sockets, optimised code) is not a leak. */
const WARMUP_REQUESTS = 1_000;

export async function measureIngestMemory(env: BenchEnvironment): Promise<MemoryResult> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('global.gc is not exposed: run the benchmarks with `npm run bench` (node --expose-gc)');
  const workload = await createIngestWorkload(env, 'memory');

  const settledHeapUsed = async (): Promise<number> => {
    // Several passes: finalisers and weak references free more on the next one.
    for (let pass = 0; pass < 3; pass += 1) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return process.memoryUsage().heapUsed;
  };
  const retained = async (operation: () => Promise<void>): Promise<RetainedHeap> => {
    for (let i = 0; i < WARMUP_REQUESTS; i += 1) await operation();
    const readings: Array<{ requests: number; heapUsed: number }> = [{ requests: 0, heapUsed: await settledHeapUsed() }];
    for (let served = 1; served <= REQUESTS; served += 1) {
      await operation();
      if (served % READING_EVERY === 0) readings.push({ requests: served, heapUsed: await settledHeapUsed() });
    }
    const heapBeforeBytes = readings[0]?.heapUsed ?? 0;
    const heapAfterBytes = readings[readings.length - 1]?.heapUsed ?? 0;
    return {
      heapBeforeBytes,
      heapAfterBytes,
      deltaBytesPerRequest: (heapAfterBytes - heapBeforeBytes) / REQUESTS,
      retainedBytesPerRequest: slope(readings.map((reading) => [reading.requests, reading.heapUsed])),
    };
  };

  const baseline = { name: 'bare SendMessage', ...(await retained(() => workload.bareSend())) };
  const subject = { name: 'ingest handler (middy-wrapped)', ...(await retained(() => workload.request())) };
  return {
    id: 'memory.ingest',
    title: `Ingest heap retained over ${REQUESTS} requests`,
    requests: REQUESTS,
    subject,
    baseline,
    excessBytesPerRequest: subject.retainedBytesPerRequest - baseline.retainedBytesPerRequest,
  };
}

/** Least-squares slope of y against x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let varianceX = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    varianceX += (x - meanX) ** 2;
  }
  return varianceX === 0 ? 0 : covariance / varianceX;
}
