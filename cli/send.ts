import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MessageTable } from '../functions/messages/message-store';
import { getOutboundRecord } from '../functions/messages/outbound-store';
import { outcomeOfRecord, type SmsSendFailed, type SmsSent } from '../functions/outbox/outcome';
import { parseOutboxRequest, type OutboxRequest } from '../functions/outbox/request';
import { sendToQueue } from '../functions/queues/send';
import { toSqsSafeJson } from '../functions/queues/sqs-safe-json';
import { UsageError } from './errors';
import { escapeForTerminal } from './format';

/**
 * `callr-mo send`: puts one request on the outbox, as any downstream service would, and waits for
 * its outcome.
 *
 * The outcome is read from the request's send record, once the record says its outcome was put on
 * the inbox (`outcomePublishedAt`): what is printed is exactly what the inbox got, and nothing is
 * taken off the inbox, where it belongs to the consumers (a CLI that received from the inbox
 * queue would steal their messages). See docs/cli.md.
 */

export const DEFAULT_SEND_WAIT_MS = 30_000;
const POLL_MS = 250;

export interface SendInput {
  readonly to: string;
  readonly text: string;
  readonly userData?: string;
  readonly nature?: string;
  /** @default a random UUID */
  readonly requestId?: string;
}

/** The request as the outbox contract has it, or a UsageError naming what is wrong (nothing is sent). */
export function buildOutboxRequest(input: SendInput, newId: () => string = randomUUID): OutboxRequest {
  const candidate = {
    requestId: input.requestId ?? newId(),
    to: input.to,
    text: input.text,
    ...(input.userData !== undefined ? { userData: input.userData } : {}),
    ...(input.nature !== undefined ? { nature: input.nature } : {}),
  };
  const parsed = parseOutboxRequest(JSON.stringify(candidate));
  if (!parsed.ok) throw new UsageError(`not a valid outbox request (nothing was sent): ${parsed.detail}`);
  return parsed.request;
}

export interface SendResult {
  readonly request: OutboxRequest;
  /** Undefined when no outcome arrived within the wait (or when not waiting). */
  readonly outcome?: SmsSent | SmsSendFailed;
}

export interface SendDeps {
  readonly sqs: SQSClient;
  readonly outboxQueueUrl: string;
  readonly table: MessageTable;
  /** 0: put the request on the outbox and return. */
  readonly waitMs: number;
  readonly pollMs?: number;
}

export async function sendThroughOutbox(request: OutboxRequest, deps: SendDeps): Promise<SendResult> {
  await sendToQueue(deps.sqs, deps.outboxQueueUrl, { MessageBody: toSqsSafeJson(request), MessageAttributes: {} });
  const deadline = Date.now() + deps.waitMs;
  while (deps.waitMs > 0 && Date.now() < deadline) {
    const record = await getOutboundRecord(deps.table, request.requestId);
    const outcome = record?.outcomePublishedAt ? outcomeOfRecord(record) : undefined;
    if (outcome) return { request, outcome };
    await sleep(deps.pollMs ?? POLL_MS);
  }
  return { request };
}

export function formatSendResult(result: SendResult, waitMs: number): string {
  const { request, outcome } = result;
  if (!outcome) {
    return waitMs > 0
      ? `request ${request.requestId} is on the outbox; no outcome within ${waitMs / 1000} s (it comes on the inbox when the sender is done)`
      : `request ${request.requestId} is on the outbox; its outcome comes on the inbox`;
  }
  if (outcome.kind === 'sms.sent') {
    return `sent: request ${outcome.requestId} to ${outcome.to}, SMS ${outcome.hash}, at ${outcome.sentAt}${outcome.confirmedBy === 'lookup' ? " (confirmed by CALLR's listing)" : ''}`;
  }
  return `not sent: request ${outcome.requestId} to ${outcome.to ?? request.to}: ${outcome.reason} (${escapeForTerminal(outcome.detail)})`;
}
