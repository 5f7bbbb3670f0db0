import type { OptOuts } from './send-request';

/**
 * Until the opt-out registry (functions/optouts/) is wired in: no number is opted out. Kept as
 * the one place the sender's entry and local mode take their registry from, so that wiring the
 * real one is a change here only.
 */
export const noOptOutRegistry: OptOuts = { isOptedOut: async () => false };
