import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ATTRIBUTE, decodeEventBody } from '../functions/queues/queue-message';
import { fromSqsSafeText } from '../functions/queues/sqs-safe-json';
import { escapeForTerminal, oneLine, renderTable } from './format';

/**
 * `callr-mo dlq`: what is on the dead-letter queue and why, and putting it back on the ingest
 * queue once the cause is fixed. Listing never removes anything.
 */

type Sqs = Pick<SQSClient, 'send'>;

export const DEFAULT_DEAD_LETTER_LIST_LIMIT = 20;
export const MAX_DEAD_LETTER_LIST_LIMIT = 1_000;
/** Characters of the decoded event shown in a listing. */
const PREVIEW_CHARACTERS = 160;
/** How long listed messages stay hidden before being made visible again (only if restoring them fails). */
const LISTING_VISIBILITY_SECONDS = 30;
/** Local redrive: how long a message being copied stays hidden from another reader. */
const COPY_VISIBILITY_SECONDS = 60;

/** Attributes that say why a message was dead-lettered: dropped on redrive, so a second trip is judged afresh. */
const DEAD_LETTER_ATTRIBUTES: ReadonlySet<string> = new Set([ATTRIBUTE.deadLetterReason, ATTRIBUTE.deadLetterDetail, ATTRIBUTE.deadLetterSource]);

export interface DeadLetterView {
  readonly messageId: string;
  /** Stable code, e.g. `invalid_shape`, `event_too_old`, `unhandled_event_type`. */
  readonly reason: string | null;
  readonly detail: string | null;
  /** `ingest` (quarantined on arrival) or `persist` (a record that could never be stored). */
  readonly source: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  /** When the webhook received the event. */
  readonly receivedAt: string | null;
  /**
   * SQS's SentTimestamp: when a quarantined event or a poison record was dead-lettered; for a
   * record SQS moved after MAX_RECEIVE_COUNT failed receives, when it was first queued (SQS keeps
   * the original time).
   */
  readonly deadLetteredAt: string | null;
  readonly bodyBytes: number;
  /** The start of the raw event, decoded, on one line. */
  readonly preview: string;
}

export interface DeadLetterListing {
  readonly deadLetters: DeadLetterView[];
  /** SQS's approximate count of messages on the queue (visible and in flight) before the listing, whatever their reason. */
  readonly approximateTotal: number | null;
  /** The `--reason` filter, when one was given. */
  readonly reasons?: readonly string[];
}

export interface ListDeadLettersInput {
  readonly sqs: Sqs;
  readonly deadLetterQueueUrl: string;
  /** @default DEFAULT_DEAD_LETTER_LIST_LIMIT */
  readonly limit?: number;
  /**
   * Long polling for each receive: SQS short polls sample only some servers and may miss messages.
   * The local emulator needs none. @default 1
   */
  readonly waitTimeSeconds?: number;
  /** Only dead letters with one of these `deadLetterReason`s (`--reason`, repeatable); all when absent or empty. */
  readonly reasons?: readonly string[];
}

/** The `--reason` filter: none (or an empty list) takes every dead letter. */
function reasonFilter(reasons: readonly string[] | undefined): (message: Message) => boolean {
  if (!reasons || reasons.length === 0) return () => true;
  const wanted = new Set(reasons);
  return (message) => wanted.has(reasonOf(message) ?? '');
}

function reasonOf(message: Message): string | null {
  const value = message.MessageAttributes?.[ATTRIBUTE.deadLetterReason]?.StringValue;
  return value === undefined ? null : fromSqsSafeText(value);
}

/**
 * Reads up to `limit` dead letters (with one of `reasons`, if given) without removing them:
 * received with a short visibility timeout so paging goes past the first ten, then made visible
 * again at once, whatever happens. With a filter it reads past the ones that do not match.
 */
export async function listDeadLetters(input: ListDeadLettersInput): Promise<DeadLetterListing> {
  const limit = input.limit ?? DEFAULT_DEAD_LETTER_LIST_LIMIT;
  const matches = reasonFilter(input.reasons);
  const filtered = (input.reasons?.length ?? 0) > 0;
  const approximateTotal = await approximateCount(input.sqs, input.deadLetterQueueUrl);
  const received = new Map<string, Message>();
  const listed: Message[] = [];
  try {
    while (listed.length < limit) {
      const { Messages = [] } = await input.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: input.deadLetterQueueUrl,
          MaxNumberOfMessages: filtered ? 10 : Math.min(10, limit - listed.length),
          VisibilityTimeout: LISTING_VISIBILITY_SECONDS,
          WaitTimeSeconds: input.waitTimeSeconds ?? 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const fresh = Messages.filter((message) => message.MessageId && !received.has(message.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        received.set(message.MessageId!, message);
        if (matches(message) && listed.length < limit) listed.push(message);
      }
    }
  } finally {
    await makeVisible(input.sqs, input.deadLetterQueueUrl, [...received.values()]);
  }
  return { deadLetters: listed.map(toView), approximateTotal, ...(filtered ? { reasons: [...input.reasons!] } : {}) };
}

function toView(message: Message): DeadLetterView {
  // Attribute text is stored SQS-safe (non-ASCII escaped); show it as it was.
  const attribute = (name: string) => {
    const value = message.MessageAttributes?.[name]?.StringValue;
    return value === undefined ? null : fromSqsSafeText(value);
  };
  const sent = Number(message.Attributes?.SentTimestamp);
  let bytes: Buffer;
  try {
    bytes = decodeEventBody(message.Body ?? '', attribute(ATTRIBUTE.bodyEncoding) ?? undefined);
  } catch {
    // Not from this system's writers: show it as it is.
    bytes = Buffer.from(message.Body ?? '', 'utf8');
  }
  return {
    messageId: message.MessageId!,
    reason: reasonOf(message),
    detail: attribute(ATTRIBUTE.deadLetterDetail),
    source: attribute(ATTRIBUTE.deadLetterSource),
    eventId: attribute(ATTRIBUTE.eventId),
    eventType: attribute(ATTRIBUTE.eventType),
    receivedAt: attribute(ATTRIBUTE.receivedAt),
    deadLetteredAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
    bodyBytes: bytes.length,
    preview: oneLine(bytes.toString('utf8'), PREVIEW_CHARACTERS),
  };
}

async function approximateCount(sqs: Sqs, queueUrl: string): Promise<number | null> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  const visible = Number(Attributes?.ApproximateNumberOfMessages);
  const inFlight = Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  return Number.isFinite(visible) ? visible + (Number.isFinite(inFlight) ? inFlight : 0) : null;
}

async function makeVisible(sqs: Sqs, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (const batch of chunks(messages, 10)) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
}

export function formatDeadLetters(listing: DeadLetterListing): string {
  const { deadLetters, approximateTotal, reasons } = listing;
  const filter = reasons ? ` with reason ${reasons.join(' or ')}` : '';
  if (deadLetters.length === 0) return reasons ? `no dead letter${filter}` : 'the dead-letter queue is empty';
  const table = renderTable(
    ['dead-lettered', 'source', 'reason', 'type', 'event id', 'detail', 'event'],
    deadLetters.map((letter) => [
      letter.deadLetteredAt?.replace(/\.\d{3}Z$/, 'Z') ?? '-',
      letter.source ?? '-',
      letter.reason ?? '-',
      letter.eventType ?? '-',
      letter.eventId ?? '-',
      oneLine(letter.detail ?? '', 50),
      oneLine(letter.preview, 60),
    ]),
  );
  const more =
    approximateTotal !== null && approximateTotal > deadLetters.length
      ? reasons
        ? `\n(showing ${deadLetters.length}${filter}; about ${approximateTotal} on the queue in all, whatever their reason)`
        : `\n(showing ${deadLetters.length} of about ${approximateTotal}; --limit shows more)`
      : '';
  return `${table}${more}`;
}

// ---------------------------------------------------------------------------------------------
// Redrive

export interface CopyRedriveResult {
  readonly mode: 'copy';
  readonly moved: number;
  readonly failed: number;
  /** Why each failed message stayed on the dead-letter queue. */
  readonly failures: ReadonlyArray<{ readonly messageId: string; readonly error: string }>;
  /** With `--reason`: the reasons redriven, and how many dead letters with another reason were left on the queue. */
  readonly reasons?: readonly string[];
  readonly skipped?: number;
}

export interface MoveTaskRedriveResult {
  readonly mode: 'move-task';
  readonly taskHandle: string;
  readonly sourceArn: string;
  readonly destinationArn: string;
  /** As SQS reports the task right after it started. */
  readonly status: string | null;
  readonly approximateNumberOfMessagesToMove: number | null;
}

export type RedriveResult = CopyRedriveResult | MoveTaskRedriveResult;

export interface CopyRedriveInput {
  readonly sqs: Sqs;
  readonly deadLetterQueueUrl: string;
  readonly ingestQueueUrl: string;
  /** Only dead letters with one of these `deadLetterReason`s (`--reason`); all when absent or empty. */
  readonly reasons?: readonly string[];
  /**
   * Long polling for each receive. On SQS a short poll (0) samples only some servers and can come
   * back empty while messages are left, which would end the redrive early. @default 0 (the local emulator)
   */
  readonly waitTimeSeconds?: number;
  /** How long a received message stays hidden from other readers while the redrive runs. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Epoch milliseconds, compared with SQS's SentTimestamp. @default Date.now */
  readonly now?: () => number;
}

/** Empty receives in a row, while SQS still counts visible messages, before the redrive believes the queue drained. */
const MAX_EMPTY_RECEIVES_WITH_VISIBLE_MESSAGES = 3;

/**
 * Redrive by copying: receive, send to the ingest queue with the same body and attributes (minus
 * the dead-letter reason), then delete. Used where SQS message move tasks are not available (the
 * local emulator), and on AWS for `--reason`: a move task moves every message, it cannot filter.
 * A message is deleted only once its copy is sent, so a failure can duplicate but never lose:
 * the persister stores a message once, whatever number of times it arrives.
 *
 * Only what was on the queue when the redrive started moves, as with an SQS move task: an event
 * that still cannot be processed comes straight back, and would otherwise go round for ever. The
 * others (another reason, arrived since) are hidden while the redrive runs, so the loop meets each
 * message once, and made visible again at the end, whatever happens. The loop ends only on an
 * empty receive that SQS's own count confirms, never on a short batch.
 */
export async function copyDeadLettersBack(input: CopyRedriveInput): Promise<CopyRedriveResult> {
  const startedAt = (input.now ?? Date.now)();
  const matches = reasonFilter(input.reasons);
  const filtered = (input.reasons?.length ?? 0) > 0;
  let moved = 0;
  let emptyReceives = 0;
  const failures: Array<{ messageId: string; error: string }> = [];
  // Received and not deleted, by message id with its latest receipt handle (a message seen again
  // after its visibility timeout has a new one).
  const held = new Map<string, Message>();
  const skipped = new Set<string>();
  try {
    for (;;) {
      const { Messages = [] } = await input.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: input.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: input.visibilityTimeoutSeconds ?? COPY_VISIBILITY_SECONDS,
          WaitTimeSeconds: input.waitTimeSeconds ?? 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      if (Messages.length === 0) {
        // Visible messages SQS still counts (a false empty short poll, messages becoming visible):
        // look again, a bounded number of times.
        const visible = await visibleCount(input.sqs, input.deadLetterQueueUrl);
        if (visible > 0 && ++emptyReceives < MAX_EMPTY_RECEIVES_WITH_VISIBLE_MESSAGES) continue;
        break;
      }
      emptyReceives = 0;
      for (const message of Messages) held.set(message.MessageId!, message);
      // At or before: SentTimestamp has millisecond resolution, and a message dead-lettered in the
      // millisecond the redrive started was there before it (nothing can bounce back that fast).
      const before = Messages.filter((message) => Number(message.Attributes?.SentTimestamp) <= startedAt);
      for (const message of before) if (!matches(message)) skipped.add(message.MessageId!);
      const batch = before.filter(matches);
      if (batch.length === 0) continue;

      const { Successful = [], Failed = [] } = await input.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: input.ingestQueueUrl,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            MessageBody: message.Body ?? '',
            MessageAttributes: redrivenAttributes(message.MessageAttributes),
          })),
        }),
      );
      for (const failure of Failed) {
        failures.push({ messageId: batch[Number(failure.Id)]!.MessageId!, error: failure.Message ?? failure.Code ?? 'send failed' });
      }
      const sent = Successful.map((entry) => batch[Number(entry.Id)]!);
      if (sent.length === 0) continue;
      const deleted = await input.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: input.deadLetterQueueUrl,
          Entries: sent.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      moved += sent.length;
      const notDeleted = new Set((deleted.Failed ?? []).map((failure) => Number(failure.Id)));
      sent.forEach((message, index) => {
        if (!notDeleted.has(index)) held.delete(message.MessageId!);
      });
      // Its copy is on its way, so it counts as moved; the leftover will show up on the DLQ again.
      for (const failure of deleted.Failed ?? []) {
        failures.push({ messageId: sent[Number(failure.Id)]!.MessageId!, error: `copied, but not removed from the dead-letter queue: ${failure.Message ?? failure.Code}` });
      }
    }
  } finally {
    await makeVisible(input.sqs, input.deadLetterQueueUrl, [...held.values()]);
  }
  return {
    mode: 'copy',
    moved,
    failed: failures.length,
    failures,
    ...(filtered ? { reasons: [...input.reasons!], skipped: skipped.size } : {}),
  };
}

async function visibleCount(sqs: Sqs, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  const visible = Number(Attributes?.ApproximateNumberOfMessages);
  return Number.isFinite(visible) ? visible : 0;
}

/** SQS refuses the empty list fields some readers return; a copy carries only the value. */
function redrivenAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> {
  const copy: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (DEAD_LETTER_ATTRIBUTES.has(name)) continue;
    copy[name] = value.BinaryValue !== undefined
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return copy;
}

export interface MoveTaskRedriveInput {
  readonly sqs: Sqs;
  readonly deadLetterQueueArn: string;
  readonly ingestQueueArn: string;
}

/** On AWS: an SQS message move task from the dead-letter queue to the ingest queue (SQS moves them, at its pace). */
export async function startDeadLetterMoveTask(input: MoveTaskRedriveInput): Promise<MoveTaskRedriveResult> {
  const { TaskHandle } = await input.sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: input.deadLetterQueueArn, DestinationArn: input.ingestQueueArn }),
  );
  const { Results = [] } = await input.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: input.deadLetterQueueArn, MaxResults: 1 }));
  const task = Results.find((result) => result.TaskHandle === TaskHandle) ?? Results[0];
  return {
    mode: 'move-task',
    taskHandle: TaskHandle ?? '',
    sourceArn: input.deadLetterQueueArn,
    destinationArn: input.ingestQueueArn,
    status: task?.Status ?? null,
    approximateNumberOfMessagesToMove: task?.ApproximateNumberOfMessagesToMove ?? null,
  };
}

export function formatRedrive(result: RedriveResult): string {
  // SQS's failure messages and task fields are remote text: escaped like a table cell.
  if (result.mode === 'copy') {
    const filter = result.reasons ? ` with reason ${result.reasons.join(' or ')}` : '';
    const skipped = result.reasons ? `; ${result.skipped ?? 0} with another reason left on the dead-letter queue` : '';
    const lines = [
      `moved ${result.moved} dead letter${result.moved === 1 ? '' : 's'}${filter} back to the ingest queue${skipped}${result.failed > 0 ? `; ${result.failed} failed:` : ''}`,
    ];
    for (const failure of result.failures) lines.push(`  ${escapeForTerminal(failure.messageId)}: ${escapeForTerminal(failure.error)}`);
    return lines.join('\n');
  }
  const count = result.approximateNumberOfMessagesToMove;
  return [
    `started SQS message move task${count !== null ? ` for about ${count} message${count === 1 ? '' : 's'}` : ''} (status ${escapeForTerminal(result.status ?? 'unknown')})`,
    `  from ${escapeForTerminal(result.sourceArn)}`,
    `  to   ${escapeForTerminal(result.destinationArn)}`,
    `  follow it with: aws sqs list-message-move-tasks --source-arn ${escapeForTerminal(result.sourceArn)}`,
  ].join('\n');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}
