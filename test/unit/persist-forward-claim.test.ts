import { FORWARD_CLAIM_STALE_AFTER_MS } from '../../functions/persist/create-persist-handler';
import { INGEST_VISIBILITY_TIMEOUT_SECONDS, PERSIST_TIMEOUT_SECONDS } from '../../functions/queues/queue-design';

/**
 * The forward claim must hold off the other copies of an event for as long as its holder may still
 * be forwarding, and be stale by the time a dead holder's record is delivered again.
 */
describe('FORWARD_CLAIM_STALE_AFTER_MS', () => {
  it('outlasts a live holder, which finishes within the persist Lambda timeout', () => {
    expect(FORWARD_CLAIM_STALE_AFTER_MS).toBeGreaterThan(PERSIST_TIMEOUT_SECONDS * 1000);
  });

  it("is over before a dead holder's record comes back, after the ingest visibility timeout", () => {
    expect(FORWARD_CLAIM_STALE_AFTER_MS).toBeLessThan(INGEST_VISIBILITY_TIMEOUT_SECONDS * 1000);
  });
});
