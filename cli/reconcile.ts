import type { SweepProgress, SweepRange, SweepSummary } from '../functions/reconcile/sweep';
import { UsageError } from './errors';
import { escapeForTerminal } from './format';

/**
 * `callr-mo reconcile`: the reconciliation sweep on demand, after an incident, over a range the
 * operator gives (functions/reconcile/sweep.ts does the work; this file reads the range and words
 * progress and summary).
 */

/** `--since` (required) and `--until` (default: now), ISO 8601. */
export function parseReconcileRange(options: { since?: string; until?: string }, now: Date): SweepRange {
  const date = (value: string, flag: string) => {
    // An ISO 8601 date with a time, or a bare date (midnight UTC): nothing Date.parse would guess at.
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) || Number.isNaN(Date.parse(value))) {
      throw new UsageError(`${flag} must be an ISO 8601 date, e.g. 2026-03-01T10:00:00Z; got "${value}"`);
    }
    return new Date(value);
  };
  if (options.since === undefined) throw new UsageError('reconcile needs --since <ISO 8601 date>: the start of the range to ask CALLR about');
  const from = date(options.since, '--since');
  const to = options.until === undefined ? now : date(options.until, '--until');
  if (to.getTime() <= from.getTime()) throw new UsageError(`--until (${to.toISOString()}) must be after --since (${from.toISOString()})`);
  if (to.getTime() > now.getTime() + 60_000) throw new UsageError(`--until (${to.toISOString()}) is in the future: CALLR cannot list SMS not yet received`);
  return { from, to };
}

/** One line of progress, for stderr. */
export function describeSweepProgress(progress: SweepProgress): string {
  switch (progress.stage) {
    case 'listed':
      return `asked CALLR for ${progress.page.from} to ${progress.page.to}: ${progress.page.items} SMS${progress.page.narrowed ? ' (a full answer: asking again in halves)' : ''}`;
    case 'checked':
      return `${progress.listed} listed, ${progress.alreadyStored} already stored${progress.erased > 0 ? `, ${progress.erased} from erased numbers (left out)` : ''}`;
    case 'recovering':
      return `handed to the pipeline: ${progress.sent}/${progress.total}`;
  }
}

export function formatReconcileSummary(summary: SweepSummary): string {
  const lines = [
    `Reconciled ${summary.from} to ${summary.to} (${summary.calls} CALLR call${summary.calls === 1 ? '' : 's'})`,
    `  asked:          ${summary.asked}  inbound SMS CALLR received in the range`,
    `  already stored: ${summary.alreadyStored}`,
    ...(summary.erased > 0 ? [`  erased:         ${summary.erased}  left out: their sender asked to be forgotten after CALLR received them`] : []),
    `  recovered:      ${summary.recovered}${summary.recovered > 0 ? '  handed to the pipeline: the webhook path had lost them' : ''}`,
  ];
  if (summary.recoveredIds.length > 0) lines.push(`  recovered ids:  ${summary.recoveredIds.map(escapeForTerminal).join(', ')}`);
  if (summary.skipped > 0) lines.push(`  left out:       ${summary.skipped} listed items without a usable hash or not inbound`);
  for (const gap of summary.gaps) {
    lines.push(
      `  NOT LISTED IN FULL: ${gap.from} to ${gap.to} (${gap.reason === 'call_budget' ? 'call budget reached: run again on this range' : 'still a full answer in one second'})`,
    );
  }
  return lines.join('\n');
}
