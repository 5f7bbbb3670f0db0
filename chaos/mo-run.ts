import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { createMoGenerator, seededRandom } from '../cli/mo-generator';
import { CallrTransportError } from '../functions/callr/errors';
import { ATTRIBUTE } from '../functions/queues/queue-message';
import { reconcileInbound } from '../functions/reconcile/sweep';
import { INBOX_ATTRIBUTE } from '../functions/inbox/message';
import { fromSqsSafeText } from '../functions/queues/sqs-safe-json';
import type { InjectedFault } from './faults';
import { DEFAULT_CHAOS_RATES, type ChaosRates } from './options';
import { startChaosPipeline, type ChaosPipelineOptions } from './pipeline';

/**
 * The fault-injection run: signed inbound SMS through the CALLR emulator (its retries, and a share
 * of replies to an SMS sent with a per-SMS webhook, so the same SMS arrives under two event ids)
 * into the real handlers, under every injected fault; then the books are balanced: every SMS
 * stored once and forwarded, every extra forward explained by a fault that could cause it.
 */

export interface MoChaosOptions {
  readonly seed: number;
  /** Inbound SMS injected. */
  readonly count: number;
  /** Injections per second. */
  readonly ratePerSecond: number;
  /** Share of the SMS that reply to an SMS we sent with a per-SMS webhook (delivered through both webhooks). */
  readonly perSmsWebhookShare: number;
  readonly rates: ChaosRates;
  readonly timeScale: number;
  /** How long the pipeline may take to settle after the last injection. */
  readonly settleTimeoutMs: number;
  readonly onProgress?: (line: string) => void;
  /** See ChaosPipelineOptions.persistWrapper. */
  readonly persistWrapper?: ChaosPipelineOptions['persistWrapper'];
}

export const DEFAULT_MO_CHAOS_OPTIONS: MoChaosOptions = {
  seed: 1,
  count: 5_000,
  ratePerSecond: 50,
  perSmsWebhookShare: 0.2,
  rates: DEFAULT_CHAOS_RATES,
  timeScale: 10,
  settleTimeoutMs: 180_000,
};

/** The emulator's delivery timeout, and its retries: enough tries that CALLR outlasts the injected failures. */
const DELIVERY_TIMEOUT_MS = 2_000;
const DELIVERY_RETRY = { baseDelayMs: 25, maxTries: 10 };

export interface MoChaosReport {
  readonly seed: number;
  /** Inbound SMS injected at the emulator. */
  readonly sent: number;
  /** Events they made (one per webhook each goes to). */
  readonly events: number;
  /** SMS delivered through both the global and a per-SMS webhook. */
  readonly throughTwoWebhooks: number;
  /** Delivery attempts after the first, by CALLR (same event_id). */
  readonly callrRetries: number;
  /** Events CALLR gave up on (every try failed). */
  readonly callrGaveUp: number;
  /** SMS the reconciliation sweep at the end found at CALLR and not stored, and handed to the pipeline. */
  readonly recoveredBySweep: number;
  readonly unique: number;
  readonly stored: number;
  /** SMS whose message item was created more than once (two different items committed, not one write resent): must be 0. */
  readonly storedTwice: number;
  /** Sent SMS with no message item: must be 0. */
  readonly uniqueNotStored: number;
  /** Message items for no SMS that was sent, or whose content differs from it: must be 0. */
  readonly storedWrong: number;
  /** Stored messages on the inbox queue at least once. */
  readonly forwarded: number;
  /** Stored messages never put on the inbox queue: must be 0. */
  readonly storedNotForwarded: number;
  /** Inbox messages beyond the first per SMS. */
  readonly extraForwards: number;
  /** Extra forwards of an SMS whose inbox send lost its answer, or whose forward mark failed: the documented window. */
  readonly extraForwardsExplained: number;
  /** Extra forwards with no such fault on that SMS: must be 0. */
  readonly extraForwardsUnexplained: number;
  /** Dead letters by reason (`max_receives`: moved by the queue's redrive policy). */
  readonly deadLettered: Readonly<Record<string, number>>;
  /** Injected faults by client, operation and kind, plus crashes and delivery timeouts. */
  readonly injected: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** Whether the ingest queue drained within settleTimeoutMs. */
  readonly settled: boolean;
  /** Hashes behind each non-zero must-be-zero, for the investigation (a few of each). */
  readonly examples: Readonly<Record<string, readonly string[]>>;
  /** For each example hash, the faults injected on calls about it (`client.operation.kind`), in order. */
  readonly faultsBySms: Readonly<Record<string, readonly string[]>>;
  readonly ok: boolean;
}

interface SentSms {
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly eventIds: readonly string[];
}

export async function runMoChaos(input: Partial<MoChaosOptions> = {}): Promise<MoChaosReport> {
  const options = { ...DEFAULT_MO_CHAOS_OPTIONS, ...input, rates: { ...DEFAULT_MO_CHAOS_OPTIONS.rates, ...input.rates } };
  const progress = options.onProgress ?? (() => undefined);
  const startedAt = Date.now();
  // The distinct message items whose creating write reached DynamoDB and committed, per SMS hash.
  // An SDK retry sends the very same item again (a lost answer): one creation, however many commits.
  const createdItems = new Map<string, Set<string>>();
  const pipeline = await startChaosPipeline({
    seed: options.seed,
    rates: options.rates,
    timeScale: options.timeScale,
    deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
    deliveryRetry: DELIVERY_RETRY,
    persistWrapper: options.persistWrapper,
    onReached: (call) => {
      if (call.operation !== 'PutItem' || call.statusCode !== 200) return;
      const item = call.input.Item as Record<string, { S?: string }> | undefined;
      const key = item?.pk?.S;
      if (item?.sk?.S === 'message' && key?.startsWith('sms#')) {
        const hash = key.slice('sms#'.length);
        const creations = createdItems.get(hash) ?? new Set<string>();
        creations.add(JSON.stringify(item));
        createdItems.set(hash, creations);
      }
    },
  });
  try {
    const random = seededRandom(options.seed);
    const generator = createMoGenerator({ random });
    const sent = new Map<string, SentSms>();
    const intervalMs = 1000 / options.ratePerSecond;
    const injectionStart = Date.now();
    for (let index = 0; index < options.count; index += 1) {
      const sms = generator.next();
      // A sender of its own per SMS, from the range reserved for fiction, so that only the SMS
      // chosen as replies meet an SMS we sent them.
      const from = senderNumber(index);
      if (random() < options.perSmsWebhookShare) {
        await sendSetUpSms(() => pipeline.callr.sendSms({ from: sms.to, to: from, text: 'Reply YES to confirm your appointment', webhookEndpoint: pipeline.webhookUrl }));
      }
      const injected = pipeline.emulator.injectInboundSms({ from, to: sms.to, text: sms.text });
      sent.set(injected.hash, { from, to: sms.to, text: sms.text, eventIds: injected.eventIds });
      if ((index + 1) % 500 === 0) progress(`injected ${index + 1}/${options.count}`);
      const due = injectionStart + (index + 1) * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    progress('waiting for CALLR\'s deliveries and retries to end');
    await pipeline.emulator.whenIdle();
    progress('waiting for the ingest queue to drain');
    // Not settled in time is a finding too: what is still queued counts as not stored.
    const drained = () =>
      pipeline.eventSource.idle(options.settleTimeoutMs).then(
        () => true,
        () => false,
      );
    let settled = await drained();
    // What CALLR gave up delivering is still in its listing: the sweep a deployment runs every
    // reconcileEvery hands it to the same pipeline, under the same faults, through the same de-duplication.
    progress('reconciling with CALLR (the scheduled sweep)');
    const sweep = await reconcileInbound(
      {
        callr: pipeline.callr,
        table: { documents: pipeline.clean.documents, tableName: pipeline.tableName },
        sqs: pipeline.clean.sqs,
        ingestQueueUrl: pipeline.queues.ingestQueueUrl,
        now: () => new Date(),
      },
      { from: new Date(startedAt - 60_000), to: new Date(Date.now() + 1_000) },
    );
    settled = (await drained()) && settled;

    const items = await scanMessages(pipeline.clean.dynamodb, pipeline.tableName);
    const inbox = countBy(await drainQueue(pipeline.clean.sqs, pipeline.queues.inboxQueueUrl), (message) => message.MessageAttributes?.[INBOX_ATTRIBUTE.messageId]?.StringValue ?? '?');
    const deadLetters = countBy(await drainQueue(pipeline.clean.sqs, pipeline.queues.deadLetterQueueUrl), (message) => {
      const reason = message.MessageAttributes?.[ATTRIBUTE.deadLetterReason]?.StringValue;
      return reason ? fromSqsSafeText(reason) : 'max_receives';
    });

    const deliveries = pipeline.emulator.deliveries();
    const finalByEvent = new Map<string, boolean>();
    for (const attempt of deliveries) if (!attempt.willRetry) finalByEvent.set(attempt.eventId, attempt.outcome === 'delivered');
    const faults = pipeline.injector.faults;

    const examples: Record<string, string[]> = {};
    const note = (name: string, hash: string) => {
      const list = (examples[name] ??= []);
      if (list.length < 5) list.push(hash);
    };
    let uniqueNotStored = 0;
    let storedNotForwarded = 0;
    let extraForwards = 0;
    let extraForwardsExplained = 0;
    let storedWrong = 0;
    for (const [hash, sms] of sent) {
      const item = items.get(hash);
      if (!item) {
        uniqueNotStored += 1;
        note('uniqueNotStored', hash);
        continue;
      }
      if (item.from !== sms.from || item.to !== sms.to || item.text !== sms.text) {
        storedWrong += 1;
        note('storedWrong', hash);
      }
      const forwards = inbox.get(hash) ?? 0;
      if (forwards === 0) {
        storedNotForwarded += 1;
        note('storedNotForwarded', hash);
      }
      const extra = Math.max(0, forwards - 1);
      extraForwards += extra;
      // An invocation the harness let outlive its timeout (Lambda would have stopped it) may forward after a redelivery took its claim over.
      const explained = Math.min(extra, explainingFaults(faults, hash) + (pipeline.outlivedTimeout.has(hash) ? 1 : 0));
      extraForwardsExplained += explained;
      if (explained < extra) note('extraForwardsUnexplained', hash);
    }
    for (const hash of items.keys()) {
      if (!sent.has(hash)) {
        storedWrong += 1;
        note('storedWrong', hash);
      }
    }
    let storedTwice = 0;
    for (const [hash, creations] of createdItems) {
      if (creations.size > 1) {
        storedTwice += 1;
        note('storedTwice', hash);
      }
    }
    const extraForwardsUnexplained = extraForwards - extraForwardsExplained;

    const injectedCounts = countBy(faults, (fault) => `${fault.client}.${fault.operation}.${fault.kind}`);
    const report: MoChaosReport = {
      seed: options.seed,
      sent: options.count,
      events: [...sent.values()].reduce((sum, sms) => sum + sms.eventIds.length, 0),
      throughTwoWebhooks: [...sent.values()].filter((sms) => sms.eventIds.length > 1).length,
      callrRetries: deliveries.filter((attempt) => attempt.type === 'sms.mo' && attempt.try > 0).length,
      callrGaveUp: [...sent.values()].flatMap((sms) => sms.eventIds).filter((eventId) => finalByEvent.get(eventId) === false).length,
      recoveredBySweep: sweep.recovered,
      unique: sent.size,
      stored: [...sent.keys()].filter((hash) => items.has(hash)).length,
      storedTwice,
      uniqueNotStored,
      storedWrong,
      forwarded: [...sent.keys()].filter((hash) => items.has(hash) && (inbox.get(hash) ?? 0) > 0).length,
      storedNotForwarded,
      extraForwards,
      extraForwardsExplained,
      extraForwardsUnexplained,
      deadLettered: Object.fromEntries(deadLetters),
      injected: {
        ...Object.fromEntries(injectedCounts),
        'persist.crash': pipeline.injected.crashes,
        'persist.outlived_timeout': pipeline.outlivedTimeout.size,
        'callr.delivery_timeout': pipeline.injected.deliveryTimeouts,
      },
      durationMs: Date.now() - startedAt,
      settled,
      examples,
      faultsBySms: Object.fromEntries(
        Object.values(examples)
          .flat()
          .map((hash) => [hash, faults.filter((fault) => fault.smsHashes.includes(hash)).map((fault) => `${fault.client}.${fault.operation}${fault.target ? `(${fault.target})` : ''}.${fault.kind}`)]),
      ),
      ok: settled && storedTwice === 0 && uniqueNotStored === 0 && storedWrong === 0 && storedNotForwarded === 0 && extraForwardsUnexplained === 0,
    };
    return report;
  } finally {
    await pipeline.stop();
  }
}

/**
 * The SMS a reply answers is the harness's set-up, not under test: the client never repeats an
 * `sms.send` whose fate is unknown (rightly, for the outbox), so a connection the emulator reset
 * under load (a keep-alive socket it had just closed) would end the whole run. Here a second SMS
 * at the emulator is harmless: the reply still goes to both webhooks.
 */
async function sendSetUpSms(send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await send();
      return;
    } catch (error) {
      if (!(error instanceof CallrTransportError) || error.failure !== 'network' || attempt >= 3) throw error;
    }
  }
}

/**
 * Faults after which the inbox may hold a message twice, as docs/architecture.md and
 * functions/inbox/publish.ts allow: a publication whose answer was lost (it is sent again), and a failed forward mark (the claim is
 * given back and the redelivery forwards again).
 */
function explainingFaults(faults: readonly InjectedFault[], hash: string): number {
  return faults.filter(
    (fault) =>
      fault.smsHashes.includes(hash) &&
      ((fault.target === 'inbox' && fault.kind.startsWith('lost_answer')) || fault.target === 'forward_mark'),
  ).length;
}

/** One line: what was sent, what was stored and forwarded, what must be zero. */
export function formatMoChaosReport(report: MoChaosReport): string {
  const deadLettered = Object.entries(report.deadLettered).map(([reason, count]) => `${reason} ${count}`).join(', ');
  const injected = Object.values(report.injected).reduce((sum, count) => sum + count, 0);
  return [
    `chaos seed ${report.seed}: sent ${report.sent} (${report.events} events, ${report.throughTwoWebhooks} through two webhooks, ${report.callrRetries} CALLR retries, ${report.callrGaveUp} given up, ${report.recoveredBySweep} recovered by the reconciliation sweep)`,
    `unique ${report.unique}`,
    `stored ${report.stored}`,
    `stored twice ${report.storedTwice}`,
    `unique not stored ${report.uniqueNotStored}`,
    `stored wrong ${report.storedWrong}`,
    `forwarded ${report.forwarded} (never ${report.storedNotForwarded}; extra ${report.extraForwards}: ${report.extraForwardsExplained} after inbox lost answers or failed forward marks, ${report.extraForwardsUnexplained} unexplained)`,
    `dead-lettered ${Object.values(report.deadLettered).reduce((sum, count) => sum + count, 0)}${deadLettered ? ` (${deadLettered})` : ''}`,
    `${injected} faults injected`,
    `${(report.durationMs / 1000).toFixed(1)} s${report.settled ? '' : ' (the ingest queue had not drained)'}`,
    report.ok ? 'OK' : 'FAILED',
  ].join(', ');
}

function senderNumber(index: number): string {
  // +33 6 39 98 xx xx (ARCEP, fiction) first, then +44 7700 900xxx (Ofcom, drama).
  if (index < 10_000) return `+3363998${String(index).padStart(4, '0')}`;
  return `+447700900${String(index % 1000).padStart(3, '0')}`;
}

interface StoredView {
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly text: string | undefined;
}

/** Every message item, by SMS hash, read straight from the table (not through the code under test). */
async function scanMessages(dynamodb: DynamoDBClient, tableName: string): Promise<Map<string, StoredView>> {
  const items = new Map<string, StoredView>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      if (item.sk?.S !== 'message' || !item.pk?.S) continue;
      const message = item.message?.M ?? {};
      items.set(item.pk.S.slice('sms#'.length), { from: message.from?.S, to: message.to?.S, text: message.text?.S });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Receives and deletes everything on a queue (only at the end, when nothing else reads it). */
async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
