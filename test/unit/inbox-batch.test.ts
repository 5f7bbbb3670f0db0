import { createInboxBatch } from '../../functions/inbox/batch';
import { InboxPublishError } from '../../functions/inbox/errors';
import type { InboxMessage } from '../../functions/inbox/message';
import type { InboxPublishResult } from '../../functions/inbox/publish';

const message = (messageId: string): InboxMessage => ({ kind: 'sms.mo', messageId, schemaVersion: 1, body: { id: messageId } });

/** A publishAll that records its calls and publishes everything but `refused`. */
function fakePublisher(refused: readonly string[] = []) {
  const calls: string[][] = [];
  const publishAll = async (messages: readonly InboxMessage[]): Promise<InboxPublishResult[]> => {
    calls.push(messages.map((each) => each.messageId));
    return messages.map((each) =>
      refused.includes(each.messageId)
        ? { published: false, message: each, error: new InboxPublishError(`refused ${each.messageId}`, 'InternalError', false) }
        : { published: true, message: each, snsMessageId: `sns-${each.messageId}` },
    );
  };
  return { calls, publishAll };
}

const outcome = (promise: Promise<void>) => promise.then(() => 'published', (error: Error) => error.message);

describe('createInboxBatch', () => {
  it('publishes in one call once every record is waiting or settled, and tells each record its own outcome', async () => {
    const { calls, publishAll } = fakePublisher(['B']);
    const batch = createInboxBatch(4, publishAll);

    const a = outcome(batch.publish(message('A')));
    const b = outcome(batch.publish(message('B')));
    await Promise.resolve();
    expect(calls).toEqual([]);
    batch.settle(); // a record with nothing to forward (a duplicate, a status)
    const c = outcome(batch.publish(message('C')));

    expect(await Promise.all([a, b, c])).toEqual(['published', 'refused B', 'published']);
    expect(calls).toEqual([['A', 'B', 'C']]);
  });

  it('waits for a record that is still working, however long it takes', async () => {
    const { calls, publishAll } = fakePublisher();
    const batch = createInboxBatch(2, publishAll);

    const a = outcome(batch.publish(message('A')));
    for (let tick = 0; tick < 10; tick += 1) await Promise.resolve();
    expect(calls).toEqual([]);
    batch.settle();

    expect(await a).toBe('published');
    expect(calls).toEqual([['A']]);
  });

  it('publishes nothing when no record has a message', () => {
    const { calls, publishAll } = fakePublisher();
    const batch = createInboxBatch(2, publishAll);
    batch.settle();
    batch.settle();
    expect(calls).toEqual([]);
  });

  it('fails every waiting record when the call itself fails', async () => {
    const batch = createInboxBatch(2, () => Promise.reject(new Error('throttled')));

    expect(await Promise.all([outcome(batch.publish(message('A'))), outcome(batch.publish(message('B')))])).toEqual(['throttled', 'throttled']);
  });

  it('lets records that published settle afterwards without a second call', async () => {
    const { calls, publishAll } = fakePublisher();
    const batch = createInboxBatch(2, publishAll);
    const published = Promise.all([batch.publish(message('A')), batch.publish(message('B'))]);
    await published;
    batch.settle();
    batch.settle();
    expect(calls).toEqual([['A', 'B']]);
  });
});
