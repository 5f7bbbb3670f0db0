import type { PairSpec } from '../harness/compare';
import type { BenchEnvironment } from '../harness/emulators';
import { createIngestWorkload } from './ingest-workload';

/** The ingest Lambda per request, one request after another, as one Lambda instance takes them. */
export async function ingestPair(env: BenchEnvironment): Promise<PairSpec> {
  const workload = await createIngestWorkload(env, 'ingest');
  return {
    id: 'ingest.request',
    title: `Ingest handler, one signed sms.mo request (${workload.bodyBytes} B)`,
    subject: { name: 'ingest handler (middy-wrapped)', run: () => workload.request(), async: true },
    baseline: { name: 'bare SendMessage, same base64 body', run: () => workload.bareSend(), async: true },
    timeMs: 5000,
    minIterations: 400,
  };
}
