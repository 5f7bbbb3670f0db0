import { loadReconcileConfig, ReconcileConfigError } from '../../functions/reconcile/config';
import { ReconcileRequestError, requestedRange } from '../../functions/reconcile/create-reconcile-handler';
import { RECONCILE_SETTLE_MS } from '../../functions/reconcile/sweep';

const NOW = new Date('2026-03-03T12:00:00.000Z');
const HOUR = 3600_000;

describe('requestedRange', () => {
  it('sweeps the look-back up to a few minutes ago when the schedule invokes it with {}', () => {
    expect(requestedRange({}, NOW, 48 * HOUR)).toEqual({
      from: new Date(NOW.getTime() - RECONCILE_SETTLE_MS - 48 * HOUR),
      to: new Date(NOW.getTime() - RECONCILE_SETTLE_MS),
    });
  });

  it('sweeps the range an operator asks for, up to now when until is left out', () => {
    expect(requestedRange({ since: '2026-03-01T00:00:00Z', until: '2026-03-02T00:00:00Z' }, NOW, HOUR)).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
    });
    expect(requestedRange({ since: '2026-03-01T00:00:00Z' }, NOW, HOUR)).toEqual({ from: new Date('2026-03-01T00:00:00Z'), to: NOW });
  });

  it.each<[string, unknown, RegExp]>([
    ['a date that is none', { since: 'yesterday' }, /since must be an ISO 8601 date/],
    ['until without since', { until: '2026-03-02T00:00:00Z' }, /until needs since/],
    ['a range that ends before it starts', { since: '2026-03-02T00:00:00Z', until: '2026-03-01T00:00:00Z' }, /must be after since/],
  ])('refuses %s', (_name, event, message) => {
    expect(() => requestedRange(event, NOW, HOUR)).toThrow(ReconcileRequestError);
    expect(() => requestedRange(event, NOW, HOUR)).toThrow(message);
  });
});

describe('loadReconcileConfig', () => {
  const env = {
    TABLE_NAME: 'messages',
    INGEST_QUEUE_URL: 'https://sqs.eu-west-3.amazonaws.com/1/ingest',
    CALLR_CREDENTIALS_SECRET_ARN: 'arn:secret',
    NUMBER_HASH_KEY_ARN: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:number-hash-key-AbCdEf',
  };

  it('reads the environment the construct sets, with the CALLR client\'s defaults', () => {
    expect(loadReconcileConfig({ ...env, RECONCILE_LOOK_BACK_SECONDS: '7200' })).toEqual({
      tableName: 'messages',
      ingestQueueUrl: env.INGEST_QUEUE_URL,
      callrCredentialsSecretId: 'arn:secret',
      callrApiUrl: 'https://api.callr.com/json-rpc/v1.1/',
      callrTimeoutMs: 8000,
      callrRetries: 2,
      lookBackMs: 7200_000,
      numberHashKey: { kind: 'secrets-manager', secretId: env.NUMBER_HASH_KEY_ARN },
    });
  });

  it('reports every problem at once', () => {
    let thrown: unknown;
    try {
      loadReconcileConfig({ CALLR_API_URL: 'http://api.callr.com/', RECONCILE_LOOK_BACK_SECONDS: '10' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ReconcileConfigError);
    expect((thrown as ReconcileConfigError).problems).toEqual([
      'CALLR_API_URL must be an https URL (the requests carry the CALLR credentials); got "http://api.callr.com/".',
      'TABLE_NAME is required: the messages table, to tell which listed SMS are already stored.',
      'INGEST_QUEUE_URL is required: the ingest queue, where recovered SMS go to the persister.',
      'CALLR_CREDENTIALS_SECRET_ARN is required: the secret holding the CALLR API credentials.',
      'RECONCILE_LOOK_BACK_SECONDS must be an integer >= 60 (got "10"); unset it for the default 172800.',
      'NUMBER_HASH_KEY_ARN is required: the number hash key, to leave out SMS of numbers erased since CALLR received them.',
    ]);
  });
});
