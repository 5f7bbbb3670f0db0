/**
 * The ingest Lambda's metric names (namespace and service from functions/observability), one per
 * outcome. A module of its own so the CDK construct can name them in alarms without loading the
 * handler's runtime code.
 */
export const INGEST_METRICS = {
  accepted: 'EventsAccepted',
  ignored: 'EventsIgnored',
  quarantined: 'EventsQuarantined',
  rejected: 'RequestsRejected',
  failed: 'RequestsFailed',
  /** A field of an accepted event read leniently (dimension `field`): see functions/callr/events.ts. */
  lenientField: 'lenientField',
} as const;
