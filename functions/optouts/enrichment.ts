import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { InboundMessage } from '../messages/inbound-message';
import type { MessageTable } from '../messages/message-store';
import { hashNumber } from '../privacy/number-hash';
import { expiresAtFor, type Retention } from '../privacy/retention';
import { applyOptOutChange } from './registry';
import { judgeOptOut, type OptOutWords } from './words';

/**
 * The persister's step between reading an inbound SMS and storing it: judges the text against the
 * opt-out words, applies a STOP or a START to the registry, and says so on the message (`optOut`,
 * or `suspectedOptOut` for a near miss, which changes nothing). Run on every delivery, before the
 * message is stored: applying is idempotent (applyOptOutChange), so a delivery that fails after it
 * and comes back, or the same SMS through the other webhook, changes the registry once.
 */
export type InboundEnrichment = (message: InboundMessage) => Promise<InboundMessage>;

export interface InboundEnrichmentDependencies {
  readonly words: OptOutWords;
  readonly table: MessageTable;
  /** The number hash key (functions/privacy/number-hash-key.ts): loaded only when a stop or start word arrives. */
  readonly numberHashKey: () => Promise<Uint8Array>;
  readonly metrics: Metrics;
  /** How long opt-out evidence is kept (`optOutEvidence`), from `now`. @default kept until erased */
  readonly retention?: Retention;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Metric names (beside the persister's outcome metrics). */
export const OPT_OUT_METRIC = {
  /** A STOP or a START that changed the registry. */
  applied: 'optOutApplied',
  /** One that found the registry holding a later MO's word, or its own (a redelivery). */
  unchanged: 'optOutUnchanged',
  suspected: 'suspectedOptOut',
} as const;

export function createInboundEnrichment(deps: InboundEnrichmentDependencies): InboundEnrichment {
  return async (message) => {
    const verdict = judgeOptOut(message.text, deps.words);
    if (verdict.kind === 'none') return message;
    if (verdict.kind === 'suspected') {
      deps.metrics.addMetric(OPT_OUT_METRIC.suspected, MetricUnit.Count, 1);
      return { ...message, suspectedOptOut: true };
    }
    const { changed } = await applyOptOutChange(deps.table, {
      senderHash: hashNumber(await deps.numberHashKey(), message.from),
      ourNumber: message.to,
      action: verdict.action,
      word: verdict.word,
      messageId: message.id,
      at: message.receivedAt,
      eventAt: message.eventAt,
      expiresAt: expiresAtFor('optOutEvidence', (deps.now ?? (() => new Date()))(), deps.retention ?? {}),
    });
    deps.metrics.addMetric(changed ? OPT_OUT_METRIC.applied : OPT_OUT_METRIC.unchanged, MetricUnit.Count, 1);
    return { ...message, optOut: verdict.action };
  };
}
