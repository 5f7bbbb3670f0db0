/**
 * `callr-mo`: the operator CLI (docs/cli.md). This file only parses arguments, builds the
 * dependencies, calls the command functions of cli/, prints what they return and owns the exit
 * codes: 0 done, 1 the operation failed, 2 usage or configuration error.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CALLR_HMAC_ALGORITHMS, type CallrHmacAlgorithm } from '../functions/callr/signature';
import { CallrApiError, CallrClientConfigError, CallrTransportError } from '../functions/callr/errors';
import { InvalidQueryError } from '../functions/messages/errors';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../functions/messages/message-store';
import { LocalPipelineNotFoundError } from '../local/endpoints';
import { createCloudWatchClient } from '../functions/aws/cloudwatch';
import { DEFAULT_ALARM_TEST_WAIT_MS, formatAlarmTest, stackAlarmTopic, testAlarmDelivery } from '../cli/alarms';
import {
  copyDeadLettersBack,
  DEFAULT_DEAD_LETTER_LIST_LIMIT,
  formatDeadLetters,
  formatRedrive,
  listDeadLetters,
  MAX_DEAD_LETTER_LIST_LIMIT,
  startDeadLetterMoveTask,
  type RedriveResult,
} from '../cli/dead-letters';
import { EXIT_CODE, TargetError, UsageError } from '../cli/errors';
import { MissingIndexError } from '../functions/messages/table-indexes';
import { checkSelectorForTarget, formatMessages, listMessages, parseMessageSelector } from '../cli/messages';
import { checkOptOut, formatOptOutCheck, parseOptOutQuery } from '../cli/optouts';
import { createMoGenerator, seededRandom } from '../cli/mo-generator';
import { createProgressReporter, shouldShowProgress } from '../cli/progress';
import {
  DEFAULT_DELIVERY_WAIT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SIMULATE_COUNT,
  DEFAULT_SIMULATE_RATE,
  MAX_SIMULATE_COUNT,
  MAX_SIMULATE_RATE,
  simulateDirect,
  simulateThroughEmulator,
  simulateUndelivered,
  type SimulationSummary,
  type UndeliveredSimulationSummary,
} from '../cli/simulate';
import { escapeForTerminal } from '../cli/format';
import { formatErasure, formatErasurePreview, parseNumber, previewErasure } from '../cli/erase';
import { eraseNumber } from '../functions/erasure/erase-number';
import { hashNumber, maskNumber } from '../functions/privacy/number-hash';
import { formatSimulation } from '../cli/simulation-report';
import { buildOutboxRequest, DEFAULT_SEND_WAIT_MS, formatSendResult, sendThroughOutbox, type SendInput } from '../cli/send';
import { formatSubscriptions, listSubscriptions } from '../cli/subscriptions';
import { describeSweepProgress, formatReconcileSummary, parseReconcileRange } from '../cli/reconcile';
import { reconcileInbound } from '../functions/reconcile/sweep';
import {
  defaultStackOutputs,
  NOT_LOCAL_ALTERNATIVE,
  readLocalPipeline,
  resolveCallr,
  resolveMessageTable,
  resolveOutbox,
  resolveNumberHashKey,
  resolveQueues,
  type NumberHashKeyOptions,
  resolveReconcileTarget,
  DEFAULT_STACK_CREDENTIALS_SECRET,
  type TargetDeps,
} from '../cli/targets';

interface SendCommandOptions extends SendInput {
  readonly wait: number;
  readonly json?: boolean;
  readonly dataDir?: string;
  readonly stack?: string;
  readonly region?: string;
}

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Replaces parts of the target resolution (tests: a stub for CloudFormation). */
  readonly targets?: Partial<Pick<TargetDeps, 'stackOutputs' | 'isProcessRunning'>>;
}

const PROGRAM = 'callr-mo';

const integer = (min: number, max: number) => (value: string): number => {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  }
  return parsed;
};

const positiveNumber = (max: number) => (value: string): number => {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0 || parsed > max) {
    throw new InvalidArgumentError(`expected a number above 0 and at most ${max}`);
  }
  return parsed;
};

const httpUrl = (value: string): string => {
  try {
    if (['http:', 'https:'].includes(new URL(value).protocol)) return value;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('expected an http(s) URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/callr');
};

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'local pipeline data directory holding endpoints.json (default: $LOCAL_DATA_DIR, else .local)');
const stackOption = () => new Option('--stack <name>', 'a deployed CloudFormation stack: its outputs name the resources (AWS credential chain)');
const regionOption = () => new Option('--region <region>', 'AWS region of the stack or resources (default: the AWS SDK\'s: AWS_REGION, profile)');
const jsonOption = () => new Option('--json', 'print JSON for scripts instead of a table');

export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const targetDeps: TargetDeps = { env: io.env, cwd: io.cwd, ...io.targets };
  const print = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

  const program = new Command(PROGRAM)
    .description('Operator CLI of the CALLR inbound SMS pipeline: simulate inbound SMS, read stored messages, inspect and redrive dead letters, list CALLR webhooks.')
    .version(readVersion(), '-V, --version')
    .showHelpAfterError(`(run ${PROGRAM} --help for usage)`)
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride()
    .addHelpText(
      'after',
      [
        '',
        'Targets: the local pipeline of `npm start` by default (found through $LOCAL_DATA_DIR/endpoints.json),',
        'or a deployed stack with --stack <name> (and --region), using the normal AWS credential chain.',
        '',
        'Exit codes: 0 done, 1 the operation failed (e.g. a simulated event not accepted), 2 usage or configuration error.',
        '',
        'Examples:',
        `  ${PROGRAM} simulate                          # 10 signed inbound SMS through the local CALLR emulator`,
        `  ${PROGRAM} messages --to +33199001234        # what was stored for one of our numbers`,
        `  ${PROGRAM} dlq list                          # dead letters and why`,
        `  ${PROGRAM} send --to +33612345678 --text Hi  # an SMS through the outbox, and its outcome`,
        `  ${PROGRAM} subscriptions                     # the CALLR webhooks`,
        `  ${PROGRAM} reconcile --since 2026-03-01      # recover what the webhook lost since then`,
        `  ${PROGRAM} alarms test --stack <name>        # prove that alarm notifications are delivered`,
        `  ${PROGRAM} optouts check --number +33612345678  # did this number send STOP`,
      ].join('\n'),
    );
  // Subcommands inherit output and exit handling only when told to.
  const command = (name: string) => program.command(name).exitOverride().configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) }).showHelpAfterError(`(run ${PROGRAM} ${name} --help for usage)`);

  command('simulate')
    .summary('send signed, realistic inbound SMS through the local CALLR emulator, or to a webhook URL')
    .description('Send signed, realistic, varied inbound SMS (sms.mo, or v2.sms.inbound.received with --format v2) at a steady rate: through the CALLR emulator of the local pipeline by default, or straight to a webhook URL (a deployed stack) signed with its secret.')
    .addOption(new Option('-n, --count <n>', 'how many SMS').default(DEFAULT_SIMULATE_COUNT).argParser(integer(1, MAX_SIMULATE_COUNT)))
    .addOption(new Option('-r, --rate <per-second>', 'SMS per second').default(DEFAULT_SIMULATE_RATE).argParser(positiveNumber(MAX_SIMULATE_RATE)))
    .addOption(new Option('--url <webhook-url>', 'post straight to this webhook (e.g. the WebhookUrl output of a stack) instead of through the emulator').argParser(httpUrl))
    .addOption(new Option('--secret <hmac-secret>', 'HMAC secret to sign with, with --url (default: $CALLR_HMAC_SECRET)'))
    .addOption(new Option('--algorithm <algorithm>', 'HMAC algorithm, with --url').choices(CALLR_HMAC_ALGORITHMS).default('SHA256'))
    .addOption(new Option('--direct', 'post straight to the local pipeline\'s webhook, signed with its secret, bypassing the CALLR emulator').conflicts('url'))
    .addOption(
      new Option('--format <format>', 'CALLR webhook format: v1 (JSON-RPC sms.mo) or v2 (REST v2 v2.sms.inbound.received); through the emulator, only the webhooks subscribed to it (default: every webhook, each in its format; with --url/--direct: v1)').choices(['v1', 'v2']),
    )
    .option('--from <number>', 'send every SMS from this number')
    .option('--to <number>', 'send every SMS to this number (default: a mix of our simulated numbers and a shortcode)')
    .addOption(new Option('--timeout <seconds>', `with --url/--direct: per request (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000}); through the emulator: wait for final deliveries (default ${DEFAULT_DELIVERY_WAIT_MS / 1000})`).argParser(positiveNumber(600)))
    .addOption(new Option('--seed <n>', 'repeatable texts and numbers').argParser(integer(0, 2 ** 32 - 1)))
    .addOption(
      new Option('--undelivered <n>', 'the local CALLR emulator receives this many inbound SMS and delivers none (as if the webhook were down); `reconcile` recovers them')
        .argParser(integer(1, MAX_SIMULATE_COUNT))
        .conflicts(['url', 'direct', 'format']),
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .addHelpText('after', [
      '',
      'Through the emulator, each event is followed to its final delivery (CALLR-like retries included) and its',
      'latency is from injection to that delivery. With --url, the answers are counted by HTTP status',
      '(200 accepted, 202 ignored or quarantined, 401 bad signature, 5xx) with request latencies.',
      'Exit code 1 when any event was not accepted.',
      '',
      'Examples:',
      `  ${PROGRAM} simulate --count 100 --rate 20`,
      `  ${PROGRAM} simulate --format v2 --direct`,
      `  ${PROGRAM} simulate --undelivered 5 && ${PROGRAM} reconcile --since <the printed date>`,
      `  ${PROGRAM} simulate --url https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/callr --secret "$SECRET"`,
    ].join('\n'))
    .action(async (options: SimulateOptions) => {
      if (options.undelivered !== undefined) {
        const undelivered = await runSimulateUndelivered(options, targetDeps);
        if (options.json) printJson(undelivered);
        else print(formatUndelivered(undelivered));
        return;
      }
      const summary = await runSimulate(options, io, targetDeps);
      if (options.json) printJson(summary);
      else print(formatSimulation(summary));
      setExitCode(summary.notAccepted > 0 || summary.events.length === 0 ? EXIT_CODE.failed : EXIT_CODE.ok);
    });

  command('messages')
    .summary('list stored messages: the newest, by sender, by recipient and time range, or by SMS hash')
    .description('List stored messages: the newest (local mode), a sender\'s (newest first), those received on one of our numbers in a time range (newest first), or one by its CALLR SMS hash.')
    .option('--from <number>', 'messages from this sender, newest first')
    .option('--to <number>', 'messages to this number of ours, newest first')
    .option('--since <iso-date>', 'with --to: received at or after (ISO 8601, e.g. 2024-03-10T08:00:00Z)')
    .option('--until <iso-date>', 'with --to: received before (ISO 8601)')
    .option('--keyword <word>', 'with --to: only messages whose first word is this keyword (case, accents and punctuation ignored), newest first')
    .option('--hash <sms-hash>', 'the message with this CALLR SMS hash (its id)')
    .addOption(new Option('--limit <n>', 'at most this many').default(DEFAULT_LIST_LIMIT).argParser(integer(1, MAX_LIST_LIMIT)))
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .addOption(stackOption())
    .option('--table <name>', 'a DynamoDB table by name (AWS credential chain)')
    .addOption(regionOption())
    .addHelpText('after', [
      '',
      'At most one of --from, --to, --hash; with none, the newest messages of the local pipeline (a deployed table',
      'is not scanned). --json prints an array of messages (docs/message.schema.json), each with',
      'the SMS hash as `id`.',
      '',
      'Examples:',
      `  ${PROGRAM} messages`,
      `  ${PROGRAM} messages --from +33639980042`,
      `  ${PROGRAM} messages --to +33199001234 --since 2024-03-10T00:00:00Z --until 2024-03-11T00:00:00Z`,
      `  ${PROGRAM} messages --to 36111 --keyword vote`,
      `  ${PROGRAM} messages --hash IAYHJ6F3 --stack CallrInboundSms --region eu-west-1 --json`,
    ].join('\n'))
    .action(async (options: MessagesOptions) => {
      const selector = parseMessageSelector(options);
      const target = await resolveMessageTable(options, targetDeps);
      try {
        checkSelectorForTarget(selector, target.kind);
        const messages = await listMessages(target.table, selector, options.limit, (note) => io.stderr.write(`${PROGRAM}: ${note}\n`));
        if (options.json) printJson(messages);
        else print(formatMessages(messages));
      } finally {
        target.close();
      }
    });

  const dlq = command('dlq')
    .summary('list dead-lettered events and their reasons; redrive them')
    .description('Dead-lettered events: list them with their reasons, or redrive them to the ingest queue.')
    .addHelpText('after', `\nExamples:\n  ${PROGRAM} dlq list\n  ${PROGRAM} dlq redrive --stack CallrInboundSms --region eu-west-1`);
  const queueTargetOptions = (sub: Command) =>
    sub
      .addOption(dataDirOption())
      .addOption(stackOption())
      .option('--dlq-url <url>', 'the dead-letter queue by URL (AWS credential chain)')
      .option('--queue-url <url>', 'with --dlq-url: the ingest queue to redrive to')
      .option('--reason <code>', 'only dead letters with this reason (e.g. invalid_shape); repeat for several', collectReason, [] as string[])
      .addOption(regionOption())
      .addOption(jsonOption());
  queueTargetOptions(
    dlq.command('list')
      .exitOverride()
      .description('List dead letters with reason, detail, source, event id and type and a preview; nothing is removed')
      .addOption(new Option('--limit <n>', 'at most this many').default(DEFAULT_DEAD_LETTER_LIST_LIMIT).argParser(integer(1, MAX_DEAD_LETTER_LIST_LIMIT))),
  ).action(async (options: DlqOptions & { limit: number }) => {
    const target = await resolveQueues(options, targetDeps);
    try {
      const listing = await listDeadLetters({
        sqs: target.sqs,
        deadLetterQueueUrl: target.deadLetterQueueUrl,
        limit: options.limit,
        waitTimeSeconds: target.kind === 'local' ? 0 : 1,
        reasons: options.reason,
      });
      if (options.json) printJson(listing);
      else print(formatDeadLetters(listing));
    } finally {
      target.close();
    }
  });
  queueTargetOptions(
    dlq.command('redrive')
      .exitOverride()
      .description(
        'Move dead letters back to the ingest queue (SQS message move task on AWS; receive, send, delete locally, and on AWS with --reason, which a move task cannot filter)',
      ),
  ).action(async (options: DlqOptions) => {
    const target = await resolveQueues(options, targetDeps);
    let result: RedriveResult;
    try {
      if (target.kind === 'local' || options.reason.length > 0) {
        if (!target.ingestQueueUrl) throw new UsageError('redrive needs the ingest queue: add --queue-url <url> (or use --stack)');
        result = await copyDeadLettersBack({
          sqs: target.sqs,
          deadLetterQueueUrl: target.deadLetterQueueUrl,
          ingestQueueUrl: target.ingestQueueUrl,
          reasons: options.reason,
          // SQS: long polls (a short poll can come back empty while messages are left) and room
          // for a large queue before a held message shows again.
          ...(target.kind === 'aws' ? { waitTimeSeconds: 1, visibilityTimeoutSeconds: 300 } : {}),
        });
      } else {
        result = await startDeadLetterMoveTask({ sqs: target.sqs, ...(await target.queueArns()) });
      }
    } finally {
      target.close();
    }
    if (options.json) printJson(result);
    else print(formatRedrive(result));
    if (result.mode === 'copy' && result.failed > 0) setExitCode(EXIT_CODE.failed);
  });

  command('send')
    .summary('send one SMS through the outbox, and print its outcome')
    .description('Put one request on the outbox (docs/outbox-request.schema.json), as a downstream service would, and print its outcome once it is on the inbox: sent (with the SMS hash) or not sent (with the reason).')
    .requiredOption('--to <number>', 'the recipient, E.164 (e.g. +33612345678)')
    .requiredOption('--text <text>', 'the SMS text')
    .option('--user-data <data>', 'your reference, returned on the outcome, on statuses and on replies (inReplyTo)')
    .option('--request-id <id>', 'the idempotency key: the same id never sends twice (default: a new UUID)')
    .addOption(new Option('--nature <nature>', 'CALLR SMS nature').choices(['ALERTING', 'MARKETING']))
    .addOption(new Option('--wait <seconds>', 'how long to wait for the outcome; 0 returns once the request is queued').default(DEFAULT_SEND_WAIT_MS / 1000).argParser(integer(0, 900)))
    .addOption(jsonOption())
    .addOption(dataDirOption())
    .addOption(stackOption())
    .addOption(regionOption())
    .addHelpText('after', [
      '',
      'Exit codes: 0 sent (or queued, with --wait 0), 1 not sent or no outcome in time, 2 an invalid request (nothing sent).',
      'The outcome is read from the send record, not from the inbox: nothing is taken from the inbox consumers.',
      '',
      'Examples:',
      `  ${PROGRAM} send --to +33612345678 --text 'Your table is booked for 8 pm. Reply YES to confirm.' --user-data booking-42`,
      `  ${PROGRAM} send --to +33612345678 --text 'Hello' --stack CallrInboundSms --region eu-west-1 --json`,
    ].join('\n'))
    .action(async (options: SendCommandOptions) => {
      const request = buildOutboxRequest(options);
      const target = await resolveOutbox(options, targetDeps);
      try {
        const waitMs = options.wait * 1000;
        const result = await sendThroughOutbox(request, { sqs: target.sqs, outboxQueueUrl: target.outboxQueueUrl, table: target.table, waitMs });
        if (options.json) printJson(result);
        else print(formatSendResult(result, waitMs));
        if (result.outcome ? result.outcome.kind !== 'sms.sent' : waitMs > 0) setExitCode(EXIT_CODE.failed);
      } finally {
        target.close();
      }
    });

  // Erasure (GDPR): the number is given by the operator; what is printed holds it masked only.
  const erasureTargetOptions = (sub: Command) =>
    sub
      .requiredOption('--number <number>', 'the phone number, as CALLR writes it (E.164 with +, e.g. +33612345678)')
      .addOption(dataDirOption())
      .addOption(stackOption())
      .option('--table <name>', 'a DynamoDB table by name (AWS credential chain), with --number-hash-key-secret')
      .option('--number-hash-key-secret <secret>', 'with --table: the Secrets Manager secret of the number hash key (ARN or name)')
      .addOption(regionOption())
      .addOption(jsonOption());
  erasureTargetOptions(
    command('erase')
      .summary('erase every message, status and outbound record holding a phone number (GDPR), with an audit')
      .description(
        'Delete every item of the table that holds the number (inbound messages from and to it, statuses, outbox send records and their links, with their index entries), keep the opt-out evidence (a keyed hash only), and write an audit item (when, how many items of which kinds, the keyed hash of the number, never the number). What it cannot reach: docs/operations.md, "A person asks to be forgotten".',
      )
      .option('--dry-run', 'count what would be erased; change nothing'),
  )
    .addHelpText('after', ['', 'Examples:', `  ${PROGRAM} erase --number +33612345678 --dry-run`, `  ${PROGRAM} erase --number +33612345678 --stack CallrInboundSms --region eu-west-1`].join('\n'))
    .action(async (options: MessagesOptions & NumberHashKeyOptions & { number: string; dryRun?: boolean }) => {
      const number = parseNumber(options.number);
      const target = await resolveMessageTable(options, targetDeps);
      try {
        const key = await resolveNumberHashKey(options, targetDeps);
        if (options.dryRun) {
          const preview = await previewErasure(target.table, key, number);
          if (options.json) printJson(preview);
          else print(formatErasurePreview(preview, number));
          return;
        }
        const audit = await eraseNumber(target.table, { number, key, now: new Date() });
        if (options.json) printJson(audit);
        else print(formatErasure(audit, number));
      } finally {
        target.close();
      }
    });
  erasureTargetOptions(
    command('number-hash')
      .summary('print the keyed hash of a phone number: what the logs and the erasure audit name it by')
      .description('Print the keyed hash of a phone number under the target\'s number hash key: search the log groups for it (a number appears in the logs as •••••••1234#<hash>), or the erasure audit (pk erasure#<hash>).'),
  ).action(async (options: MessagesOptions & NumberHashKeyOptions & { number: string }) => {
    const number = parseNumber(options.number);
    const key = await resolveNumberHashKey(options, targetDeps);
    const hash = hashNumber(key, number);
    if (options.json) printJson({ number: maskNumber(number), hash });
    else print(hash);
  });

  command('subscriptions')
    .summary('list the CALLR account\'s webhooks')
    .description('List the CALLR account\'s webhooks (webhooks.get_list): the local emulator\'s by default, or a real account\'s when CALLR_API_KEY (or CALLR_LOGIN and CALLR_PASSWORD) is set, at CALLR_API_URL (default the CALLR API).')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const { callr } = resolveCallr(options, targetDeps);
      const webhooks = await listSubscriptions(callr);
      if (options.json) printJson(webhooks);
      else print(formatSubscriptions(webhooks));
    });

  command('reconcile')
    .summary('ask CALLR for the inbound SMS it received in a range, and recover those not stored')
    .description(
      'The reconciliation sweep on demand (after an incident): list the inbound SMS CALLR received from --since to --until ' +
        '(sms.get_list), and hand each one not in the table to the pipeline, through the same de-duplication as the webhook. ' +
        'Locally by default (the emulator, or the CALLR account in CALLR_API_KEY / CALLR_LOGIN + CALLR_PASSWORD), or on a deployed stack.',
    )
    .option('--since <iso-date>', 'start of the range (ISO 8601, e.g. 2026-03-01T10:00:00Z; a bare date is midnight UTC)')
    .option('--until <iso-date>', 'end of the range, excluded (default: now)')
    .addOption(dataDirOption())
    .addOption(stackOption())
    .addOption(regionOption())
    .option('--credentials-secret <name-or-arn>', `with --stack, when no CALLR_* variable is set: the CALLR credentials secret (default ${DEFAULT_STACK_CREDENTIALS_SECRET})`)
    .addOption(jsonOption())
    .addHelpText('after', [
      '',
      'Progress goes to stderr; the summary (asked, already stored, recovered) to stdout. Exit code 1 when part of the',
      'range could not be listed in full (run again on what it names). Running it twice is harmless: the second run',
      'finds everything stored.',
      '',
      'Examples:',
      `  ${PROGRAM} reconcile --since 2026-03-01T08:00:00Z`,
      `  ${PROGRAM} reconcile --stack CallrInboundSms --region eu-west-1 --since 2026-03-01 --until 2026-03-02`,
    ].join('\n'))
    .action(async (options: ReconcileOptions) => {
      const range = parseReconcileRange(options, new Date());
      const target = await resolveReconcileTarget(options, targetDeps);
      try {
        io.stderr.write(`${PROGRAM}: reconciling ${range.from.toISOString()} to ${range.to.toISOString()} on ${escapeForTerminal(target.description)}\n`);
        const summary = await reconcileInbound(
          {
            callr: target.callr,
            table: target.table,
            sqs: target.sqs,
            ingestQueueUrl: target.ingestQueueUrl,
            numberHashKey: { load: async () => target.numberHashKey, current: () => target.numberHashKey },
            now: () => new Date(),
            onProgress: (progress) => io.stderr.write(`${PROGRAM}: ${describeSweepProgress(progress)}\n`),
            onWarning: ({ message }) => io.stderr.write(`${PROGRAM}: ${escapeForTerminal(message)}\n`),
          },
          range,
        );
        if (options.json) printJson(summary);
        else print(formatReconcileSummary(summary));
        if (!summary.complete) setExitCode(EXIT_CODE.failed);
      } finally {
        target.close();
      }
    });

  const optouts = command('optouts')
    .summary('whether a number opted out of our SMS (STOP), and the evidence kept')
    .description('The opt-out registry: who sent a stop word (STOP, ARRET, ...) to which of our numbers, and a start word (START) since.');
  optouts
    .command('check')
    .exitOverride()
    .description(
      'Whether --number is opted out from --to (one of our numbers), or from any of our numbers without --to: what the ' +
        'sender of outbound SMS asks, since CALLR picks the number an SMS goes from. Prints the evidence kept: the word, its ' +
        'time and the MO id; the registry holds the number only as its keyed hash.',
    )
    .option('--number <number>', 'the sender\'s number (E.164, e.g. +33612345678; spaces and dashes are ignored)')
    .option('--to <number>', 'one of our numbers (default: any of them)')
    .addOption(dataDirOption())
    .addOption(stackOption())
    .option('--table <name>', 'a DynamoDB table by name (AWS credential chain), with --number-hash-key-secret')
    .option('--number-hash-key-secret <secret>', 'with --table: the Secrets Manager secret of the number hash key (ARN or name)')
    .addOption(regionOption())
    .addOption(jsonOption())
    .addHelpText('after', [
      '',
      'Exit code 0 whatever the answer (read it, or --json\'s optedOut); 1 when the registry could not be read.',
      '',
      'Examples:',
      `  ${PROGRAM} optouts check --number +33612345678`,
      `  ${PROGRAM} optouts check --number +33612345678 --to 38123 --stack CallrInboundSms --region eu-west-1 --json`,
    ].join('\n'))
    .action(async (options: OptOutsCheckOptions) => {
      const query = parseOptOutQuery(options);
      const key = await resolveNumberHashKey(options, targetDeps);
      const target = await resolveMessageTable(options, targetDeps);
      try {
        const check = await checkOptOut(target.table, key, query);
        if (options.json) printJson(check);
        else print(formatOptOutCheck(check));
      } finally {
        target.close();
      }
    });

  const alarms = command('alarms')
    .summary('prove that the stack\'s alarms reach someone')
    .description('The alarms of a deployed stack (those that notify its AlarmTopicArn output).');
  alarms
    .command('test')
    .exitOverride()
    .description(
      'Set one of the stack\'s alarms (the first in state OK, or --alarm) to ALARM and back to OK with SetAlarmState, ' +
        'so that its topic\'s subscribers get one ALARM and one OK notification, and report whether CloudWatch could ' +
        'publish them (from the alarm history). Exit code 1 when it could not, or did not say so within --wait.',
    )
    .addOption(stackOption().makeOptionMandatory())
    .addOption(regionOption())
    .option('--alarm <name>', 'test this alarm (its CloudWatch name) instead of the first one in state OK')
    .addOption(
      new Option('--wait <seconds>', 'how long to wait for CloudWatch\'s record of the notification')
        .argParser(integer(0, 300))
        .default(DEFAULT_ALARM_TEST_WAIT_MS / 1000),
    )
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  ${PROGRAM} alarms test --stack CallrInboundSms --region eu-west-1`)
    .action(async (options: AlarmsTestOptions) => {
      const topicArn = await stackAlarmTopic(options.stack, options.region, targetDeps.stackOutputs ?? defaultStackOutputs);
      const cloudWatch = createCloudWatchClient(options.region ? { region: options.region } : {});
      try {
        const result = await testAlarmDelivery({ cloudWatch, topicArn, alarmName: options.alarm, waitMs: options.wait * 1000 });
        if (options.json) printJson(result);
        else print(formatAlarmTest(result));
        if (result.delivery !== 'delivered') setExitCode(EXIT_CODE.failed);
      } finally {
        cloudWatch.destroy();
      }
    });

  return program;
}

interface ReconcileOptions {
  since?: string;
  until?: string;
  dataDir?: string;
  stack?: string;
  region?: string;
  credentialsSecret?: string;
  json?: boolean;
}

interface OptOutsCheckOptions {
  number?: string;
  to?: string;
  dataDir?: string;
  stack?: string;
  table?: string;
  numberHashKeySecret?: string;
  region?: string;
  json?: boolean;
}

interface AlarmsTestOptions {
  stack: string;
  region?: string;
  alarm?: string;
  wait: number;
  json?: boolean;
}

interface SimulateOptions {
  count: number;
  format?: 'v1' | 'v2';
  rate: number;
  url?: string;
  secret?: string;
  algorithm: CallrHmacAlgorithm;
  direct?: boolean;
  from?: string;
  to?: string;
  timeout?: number;
  seed?: number;
  undelivered?: number;
  dataDir?: string;
  json?: boolean;
}

interface MessagesOptions {
  from?: string;
  to?: string;
  keyword?: string;
  since?: string;
  until?: string;
  hash?: string;
  limit: number;
  json?: boolean;
  dataDir?: string;
  stack?: string;
  table?: string;
  region?: string;
}

interface DlqOptions {
  /** `--reason`, repeatable; empty when not given. */
  reason: string[];
  dataDir?: string;
  stack?: string;
  dlqUrl?: string;
  queueUrl?: string;
  region?: string;
  json?: boolean;
}

function collectReason(value: string, previous: string[]): string[] {
  const reason = value.trim();
  if (!/^[a-z0-9_]+$/.test(reason)) {
    throw new InvalidArgumentError(`a reason is a code such as invalid_shape, invalid_json, event_too_old, unhandled_event_type; got "${value}"`);
  }
  return [...previous, reason];
}

async function runSimulateUndelivered(options: SimulateOptions, targetDeps: TargetDeps): Promise<UndeliveredSimulationSummary> {
  const endpoints = readLocalPipeline(options, targetDeps, 'or, for a deployed stack, let a real webhook outage happen: this needs the local emulator');
  if (!endpoints.callrEmulatorUrl) throw new UsageError('--undelivered needs the local CALLR emulator; this local pipeline uses a real CALLR account');
  const generator = createMoGenerator({
    ...(options.seed !== undefined ? { random: seededRandom(options.seed) } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.to !== undefined ? { to: options.to } : {}),
  });
  return simulateUndelivered({ emulatorUrl: endpoints.callrEmulatorUrl, count: options.undelivered!, generator });
}

function formatUndelivered(summary: UndeliveredSimulationSummary): string {
  return [
    `The CALLR emulator received ${summary.sms} inbound SMS and delivered none of them (as if the webhook were down).`,
    `Recover them: ${PROGRAM} reconcile --since ${summary.since}`,
  ].join('\n');
}

async function runSimulate(options: SimulateOptions, io: CliIo, targetDeps: TargetDeps): Promise<SimulationSummary> {
  if (options.secret !== undefined && options.url === undefined) {
    throw new UsageError('--secret goes with --url (through the emulator, CALLR signs with the subscription\'s secret)');
  }
  if (options.url !== undefined && options.dataDir !== undefined) throw new UsageError('--data-dir and --url both choose where to send: give one');
  const generator = createMoGenerator({
    ...(options.seed !== undefined ? { random: seededRandom(options.seed) } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.to !== undefined ? { to: options.to } : {}),
  });
  const expectedMs = (options.count / options.rate) * 1000;
  const progress = shouldShowProgress(io.stderr, expectedMs) ? createProgressReporter(io.stderr) : undefined;
  const common = { count: options.count, ratePerSecond: options.rate, generator, onProgress: progress?.update, ...(options.format ? { format: options.format } : {}) };
  const timeoutMs = options.timeout === undefined ? undefined : Math.round(options.timeout * 1000);
  try {
    if (options.url !== undefined) {
      // The secret from the environment rather than the command line keeps it out of shell history and `ps`.
      const secret = options.secret ?? io.env.CALLR_HMAC_SECRET?.split(',')[0]?.trim();
      if (!secret) throw new UsageError('--url needs the webhook\'s HMAC secret: --secret <secret> or CALLR_HMAC_SECRET (for a stack: the secret named by its HmacSecretArn output)');
      return await simulateDirect({ ...common, url: options.url, secret, algorithm: options.algorithm, timeoutMs });
    }
    const endpoints = readLocalPipeline(options, targetDeps, NOT_LOCAL_ALTERNATIVE.url);
    if (options.direct) {
      return await simulateDirect({
        ...common,
        url: endpoints.webhookUrl,
        secret: endpoints.hmacSecret,
        algorithm: endpoints.hmacAlgorithm as CallrHmacAlgorithm,
        timeoutMs,
      });
    }
    if (!endpoints.callrEmulatorUrl) {
      throw new UsageError('the local pipeline uses a real CALLR account, so there is no emulator to inject through: add --direct to post straight to its webhook');
    }
    return await simulateThroughEmulator({ ...common, emulatorUrl: endpoints.callrEmulatorUrl, waitMs: timeoutMs });
  } finally {
    progress?.done();
  }
}

function readVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}

/** One line on stderr, and the exit code the error means. */
export function describeError(error: unknown): { exitCode: number; message: string } {
  // Error messages can quote remote text (CALLR's answers, SQS's and DynamoDB's): escaped like a table cell.
  const message = escapeForTerminal(error instanceof Error ? error.message : String(error));
  if (
    error instanceof UsageError ||
    error instanceof TargetError ||
    error instanceof LocalPipelineNotFoundError ||
    error instanceof InvalidQueryError ||
    error instanceof MissingIndexError ||
    error instanceof CallrClientConfigError
  ) {
    return { exitCode: EXIT_CODE.usage, message };
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'CredentialsProviderError') {
    return { exitCode: EXIT_CODE.usage, message: `no AWS credentials found (${message}): set AWS_PROFILE, or run aws sso login / aws configure` };
  }
  if (/region is missing/i.test(message)) {
    return { exitCode: EXIT_CODE.usage, message: 'no AWS region: add --region <region> or set AWS_REGION' };
  }
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return { exitCode: EXIT_CODE.usage, message: `${message}: check the name or URL, --region and the AWS account` };
  }
  if (error instanceof CallrApiError || error instanceof CallrTransportError) return { exitCode: EXIT_CODE.failed, message: `CALLR: ${message}` };
  return { exitCode: EXIT_CODE.failed, message };
}

/** Runs the CLI on `argv` (the arguments after the program name) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT_CODE.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end in a CommanderError too; its own message was already written.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_CODE.ok;
      return EXIT_CODE.usage;
    }
    const { exitCode: code, message } = describeError(error);
    io.stderr.write(`${PROGRAM}: ${message}\n`);
    return code;
  }
}

export async function main(): Promise<void> {
  // The SDK warns on every run under Node 20 about SDK releases this project has not taken (it pins
  // its SDK, and DESIGN §5 runs Node 20 locally): nine lines of noise before every answer. Still shown if set to false.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `callr-mo messages --json | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}

if (require.main === module) void main();
