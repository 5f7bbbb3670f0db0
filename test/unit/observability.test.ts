import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createObservability, METRICS_NAMESPACE, STACK_DIMENSION, STACK_NAME_VARIABLE } from '../../functions/observability/observability';

/** The EMF documents Powertools writes, as CloudWatch receives them. */
function publishedMetrics(
  run: (metrics: ReturnType<typeof createObservability>['metrics']) => void,
  env: Record<string, string>,
  { flush = true }: { flush?: boolean } = {},
) {
  const lines: string[] = [];
  // Powertools writes metrics to stdout through a Console of its own.
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.startsWith('{')));
    return true;
  });
  try {
    const { metrics } = createObservability('callr-inbound-sms-ingest', env);
    run(metrics);
    if (flush) metrics.publishStoredMetrics();
  } finally {
    write.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }; [key: string]: unknown });
}

describe('createObservability', () => {
  const envBefore = { ...process.env };
  beforeEach(() => {
    // Powertools writes EMF to stdout only outside dev mode and when metrics are on.
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });
  afterEach(() => {
    process.env = { ...envBefore };
  });

  it('names the stack in every metric, as the dimension the alarms select on', () => {
    const [document] = publishedMetrics(
      (metrics) => {
        metrics.addDimension('reason', 'invalid_signature');
        metrics.addMetric('RequestsRejected', MetricUnit.Count, 1);
      },
      { [STACK_NAME_VARIABLE]: 'CallrInboundSms-staging' },
    );
    expect(document._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({ Namespace: METRICS_NAMESPACE, Dimensions: [['service', STACK_DIMENSION, 'reason']] }),
    ]);
    expect(document).toMatchObject({ service: 'callr-inbound-sms-ingest', [STACK_DIMENSION]: 'CallrInboundSms-staging', RequestsRejected: 1 });
  });

  it('keeps the stack dimension on single metrics too (flushed on their own)', () => {
    const [document] = publishedMetrics(
      (metrics) => {
        const single = metrics.singleMetric();
        single.addDimension('reason', 'poison');
        single.addMetric('deadLettered', MetricUnit.Count, 1);
      },
      { [STACK_NAME_VARIABLE]: 'prod' },
      // A single metric is written at once; the shared instance has nothing stored.
      { flush: false },
    );
    expect(document._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', STACK_DIMENSION, 'reason']]);
    expect(document[STACK_DIMENSION]).toBe('prod');
  });

  it('adds no stack dimension where no stack runs it (local mode, tests)', () => {
    const [document] = publishedMetrics((metrics) => metrics.addMetric('EventsAccepted', MetricUnit.Count, 1), {});
    expect(document._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
  });
});
