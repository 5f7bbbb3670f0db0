import { answerForError, answerForOutcome } from '../../functions/ingest/http-answers';
import { HmacSecretUnavailableError, QueueUnavailableError } from '../../functions/ingest/errors';
import type { IngestOutcome } from '../../functions/ingest/outcomes';

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const json = (statusCode: number, body: unknown) => ({ statusCode, headers: HEADERS, body: JSON.stringify(body) });

describe('HTTP answers', () => {
  it.each<[string, IngestOutcome, ReturnType<typeof json>]>([
    ['accepted', { kind: 'accepted', eventId: 'e1', eventType: 'sms.mo' }, json(200, { status: 'accepted', message: 'Event queued for processing.', eventId: 'e1' })],
    [
      'ignored',
      { kind: 'ignored', eventId: 'e2', eventType: 'call.hangup' },
      json(202, { status: 'ignored', message: 'Event type call.hangup is not processed by this endpoint; nothing was stored.', eventId: 'e2' }),
    ],
    [
      'quarantined with an event id',
      { kind: 'quarantined', eventId: 'e3', reason: 'invalid_shape' },
      json(202, {
        status: 'quarantined',
        reason: 'invalid_shape',
        message: 'Event is authentic but unusable (invalid_shape); it was kept on the dead-letter queue for an operator.',
        eventId: 'e3',
      }),
    ],
    [
      'quarantined without an event id',
      { kind: 'quarantined', eventId: undefined, reason: 'invalid_json' },
      json(202, {
        status: 'quarantined',
        reason: 'invalid_json',
        message: 'Event is authentic but unusable (invalid_json); it was kept on the dead-letter queue for an operator.',
      }),
    ],
    ['payload too large', { kind: 'rejected', reason: 'payload_too_large' }, json(413, { error: 'payload_too_large', message: 'Request body exceeds 262144 bytes; nothing was stored.' })],
    ['missing signature', { kind: 'rejected', reason: 'missing_signature' }, json(401, { error: 'missing_signature', message: 'Header X-CALLR-HmacSignature is required; nothing was stored.' })],
    [
      'invalid signature',
      { kind: 'rejected', reason: 'invalid_signature' },
      json(401, { error: 'invalid_signature', message: 'Header X-CALLR-HmacSignature does not match the request body; nothing was stored.' }),
    ],
  ])('%s', (_name, outcome, expected) => {
    expect(answerForOutcome(outcome)).toEqual(expected);
  });

  it.each([
    ['the secret cannot be loaded', new HmacSecretUnavailableError('AccessDeniedException on arn:aws:secretsmanager:x'), json(500, { error: 'secret_unavailable', message: 'The signing secret could not be loaded; retry later.' })],
    ['a queue cannot be written', new QueueUnavailableError('ingest', { cause: new Error('QueueDoesNotExist https://sqs/123/q') }), json(503, { error: 'queue_unavailable', message: 'The event could not be queued; retry later.' })],
    ['anything else fails', new TypeError("Cannot read properties of undefined (reading 'x')"), json(500, { error: 'internal_error', message: 'The event could not be processed; retry later.' })],
    ['something that is not an Error is thrown', 'boom', json(500, { error: 'internal_error', message: 'The event could not be processed; retry later.' })],
  ])('answers when %s, without internal detail', (_name, error, expected) => {
    expect(answerForError(error)).toEqual(expected);
  });

  it('names the queue and the SDK error in the QueueUnavailableError message, for the logs', () => {
    const cause = Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' });
    const error = new QueueUnavailableError('dead-letter', { cause });
    expect({ name: error.name, message: error.message, cause: error.cause }).toEqual({
      name: 'QueueUnavailableError',
      message: 'could not write to the dead-letter queue: QueueDoesNotExist: The specified queue does not exist.',
      cause,
    });
  });
});
