import { plural, renderTable } from './format';
import type { SimulatedEventResult, SimulationSummary } from './simulate';

/** Events listed one by one in a report; beyond this only those not accepted are. */
const EVENTS_SHOWN = 20;

const ms = (value: number | null) => (value === null ? '-' : `${value} ms`);

export function formatSimulation(summary: SimulationSummary): string {
  const via = summary.mode === 'emulator' ? `through the CALLR emulator (${summary.target})` : `to ${summary.target}`;
  const lines = [`sent ${plural(summary.sms, 'inbound SMS', 'inbound SMS')} ${via} in ${(summary.durationMs / 1000).toFixed(1)} s`];

  const statuses = Object.entries(summary.statusCounts).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`  ${statuses.map(([status, count]) => `${status}: ${count}`).join('   ') || 'no events'}`);
  const outcomes = Object.entries(summary.outcomeCounts).map(([outcome, count]) => `${outcome} ${count}`);
  lines.push(`  ${outcomes.join(', ') || 'nothing delivered'}`);
  const latency = summary.latencyMs;
  const measured = summary.mode === 'emulator' ? 'injection to final delivery' : 'request to answer';
  lines.push(`  latency (${measured}): p50 ${ms(latency.p50)}  p90 ${ms(latency.p90)}  p99 ${ms(latency.p99)}  max ${ms(latency.max)}`);

  const shown = summary.events.length <= EVENTS_SHOWN ? summary.events : summary.events.filter((event) => event.outcome !== 'accepted').slice(0, EVENTS_SHOWN);
  if (shown.length > 0) {
    lines.push('', renderTable(['sms hash', 'from', 'to', 'kind', 'parts', 'outcome', 'status', 'tries', 'latency', 'detail'], shown.map(eventRow)));
  }
  const firstAccepted = summary.events.find((event) => event.outcome === 'accepted');
  if (firstAccepted && summary.mode === 'emulator') {
    lines.push('', 'find them:', `  npx callr-mo messages --to ${firstAccepted.to}`, `  npx callr-mo messages --hash ${firstAccepted.smsHash}`);
  }
  if (summary.notAccepted > 0) lines.push('', `${plural(summary.notAccepted, 'event')} not accepted`);
  return lines.join('\n');
}

function eventRow(event: SimulatedEventResult): string[] {
  return [
    event.smsHash,
    event.from,
    event.to,
    event.kind,
    String(event.parts),
    event.outcome,
    event.status,
    String(event.tries),
    ms(event.latencyMs === null ? null : Math.round(event.latencyMs)),
    event.detail ?? '',
  ];
}
