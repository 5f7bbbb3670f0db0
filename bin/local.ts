/**
 * `npm start`: the whole pipeline on this machine. See README "Local mode".
 */
// Local defaults for Powertools, set before any logger exists: quiet, readable logs.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Known: the pinned AWS SDK's releases after January 2027 need Node 22 (README, "Node.js versions").
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { relative } from 'node:path';
import { LocalConfigError, loadLocalConfig } from '../local/config';
import { LocalPortInUseError, startLocalPipeline, type LocalPipeline } from '../local/runner';
import { LocalDataDirInUseError } from '../local/endpoints';
import type { LocalEndpoints } from '../local/endpoints';

// Normally a second or two; the bound covers a slow batch (its drain is bounded too) and a slow
// CALLR answering the unsubscribe.
const SHUTDOWN_TIMEOUT_MS = 25_000;

function banner(endpoints: LocalEndpoints, endpointsFile: string): string {
  const simulate = 'npx callr-mo simulate --count 3';
  const lines = [
    '',
    'CALLR inbound SMS — local pipeline ready',
    '',
    `  webhook        POST ${endpoints.webhookUrl}`,
    `  CALLR          ${endpoints.callrEmulatorUrl ? `emulator ${endpoints.callrEmulatorUrl} (control API under /control/)` : endpoints.callrApiUrl}`,
    `  DynamoDB       ${endpoints.dynamodbEndpoint}   table ${endpoints.tableName}`,
    `  SQS and SNS    ${endpoints.sqsEndpoint}`,
    `                 inbox topic  ${endpoints.inboxTopicArn}`,
    `                 ingest       ${endpoints.ingestQueueUrl}`,
    `                 dead-letter  ${endpoints.deadLetterQueueUrl}`,
    `                 inbox        ${endpoints.inboxQueueUrl}`,
    `                 inbox DLQ    ${endpoints.inboxDeadLetterQueueUrl}`,
    `                 outbox       ${endpoints.outboxQueueUrl}`,
    `                 outbox DLQ   ${endpoints.outboxDeadLetterQueueUrl}`,
    `  endpoints      ${relative(process.cwd(), endpointsFile) || endpointsFile}`,
    '',
    'In another terminal:',
    `  ${simulate}          # CALLR delivers 3 signed inbound SMS`,
    '  npx callr-mo messages                     # what was stored',
    "  npx callr-mo send --to +33612345678 --text 'Hello'   # an SMS through the outbox, and its outcome",
    '',
    'Ctrl-C stops.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  // Listen for signals before starting: endpoints.json is written during start-up, and a SIGTERM
  // that a supervisor (or a test) sends as soon as it appears would otherwise hit Node's default
  // action and kill the process without draining or unsubscribing. One that comes early is kept
  // and acted on once the pipeline is up.
  let requestedStop: string | undefined;
  let onSignal = (signal: string) => {
    requestedStop ??= signal;
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  let pipeline: LocalPipeline;
  try {
    const config = loadLocalConfig(process.env);
    pipeline = await startLocalPipeline(config, { log: (line) => console.log(line) });
  } catch (error) {
    if (error instanceof LocalConfigError || error instanceof LocalPortInUseError || error instanceof LocalDataDirInUseError) {
      console.error(`npm start: ${error.message}`);
      return 2;
    }
    console.error('npm start: local mode failed to start:', error);
    return 1;
  }
  console.log(banner(pipeline.endpoints, pipeline.endpointsFile));

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      console.log(`\n${signal}: stopping (draining in-flight work, unsubscribing)…`);
      const timer = setTimeout(() => {
        console.error(`still stopping after ${SHUTDOWN_TIMEOUT_MS / 1000}s; exiting anyway`);
        resolve(1);
      }, SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      pipeline.stop().then(
        () => {
          clearTimeout(timer);
          console.log('stopped.');
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          console.error('error while stopping:', error);
          resolve(1);
        },
      );
    };
    onSignal = shutdown;
    if (requestedStop) shutdown(requestedStop);
  });
}

main().then((code) => process.exit(code));
