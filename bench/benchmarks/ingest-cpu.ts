import { createHmac } from 'node:crypto';
import type { PairSpec } from '../harness/compare';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { inProcessSqsClient, IN_PROCESS_QUEUE_URLS, noOpSqsClient } from '../harness/in-process-sqs';
import { callrBody } from '../../test/support/http-api-events';
import { smsMoBody } from '../../test/fixtures/callr-fixtures';
import { ingestWorkloadOn } from './ingest-workload';

/**
 * `ingest.cpu`: the ingest Lambda's own CPU per request: the same signed request as
 * `ingest.request`, with the SQS send a no-op (answered by the client's outermost middleware),
 * against the work no verifying ingest can skip: the HMAC-SHA256 of the raw body and a JSON.parse
 * of it. `ingest.cpu.with-sdk`: the same with the SDK's whole pipeline run and only the HTTP
 * exchange answered in-process, to show what the SDK's share of a request's CPU is.
 */
export function ingestCpuPairs(): PairSpec[] {
  // The body the workload signs and queues; its base64 goes to SQS, whose answer carries its MD5.
  const body = callrBody(smsMoBody(), { eventAt: new Date() });
  return [
    cpuPair('ingest.cpu', 'send a no-op', noOpSqsClient(), body),
    cpuPair('ingest.cpu.with-sdk', "SDK pipeline run, HTTP answered in-process", inProcessSqsClient(body.toString('base64')), body),
  ];
}

function cpuPair(id: string, how: string, sqs: SQSClient, rawBody: Buffer): PairSpec {
  const workload = ingestWorkloadOn({ sqs, region: 'us-east-1', ...IN_PROCESS_QUEUE_URLS, body: rawBody });
  const { body, secret } = workload;
  return {
    id,
    title: `Ingest handler's CPU, one signed sms.mo request (${body.length} B), SQS ${how}`,
    subject: { name: `ingest handler (middy-wrapped), SQS ${how}`, run: () => workload.request(), async: true },
    baseline: {
      name: 'HMAC-SHA256 + JSON.parse of the same body',
      run: () => {
        createHmac('sha256', secret).update(body).digest();
        return JSON.parse(body.toString('utf8')) as unknown;
      },
    },
    timeMs: 3000,
    minIterations: 2000,
  };
}
