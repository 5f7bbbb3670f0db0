/** The reconcile Lambda's metric names (service `callr-inbound-sms-reconcile`), each a count per sweep. */
export const RECONCILE_METRICS = {
  /** SMS the sweep handed to the pipeline: each one means the webhook path lost it. Alarmed. */
  reconciled: 'reconciled',
  /** SMS CALLR listed for the range. */
  asked: 'reconcileAsked',
  /** 1 when part of the range could not be listed in full (a gap): the sweep should be run on it again. Alarmed. */
  incomplete: 'reconcileIncomplete',
} as const;
