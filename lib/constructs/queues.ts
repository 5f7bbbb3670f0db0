import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DEAD_LETTER_RETENTION_DAYS,
  INBOX_RETENTION_DAYS,
  INGEST_RETENTION_DAYS,
  INGEST_VISIBILITY_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
} from '../../functions/queues/queue-design';

/**
 * Every queue of the construct: encrypted (under the customer-managed key when one is given, else
 * SSE-SQS), TLS only, and kept or deleted like the data.
 */
export function createSecureQueue(
  scope: Construct,
  id: string,
  security: { readonly encryptionKey?: kms.IKey; readonly removalPolicy: RemovalPolicy },
  queueProps: sqs.QueueProps,
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    ...queueProps,
    ...(security.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: security.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    removalPolicy: security.removalPolicy,
  });
}

/** Props of {@link CallrQueues}. */
export interface CallrQueuesProps {
  /**
   * What happens to the queues (which can hold authentic events not yet stored or handled) when they
   * leave the stack or the stack is deleted.
   */
  readonly removalPolicy: RemovalPolicy;
  /**
   * How long a message received from the inbox stays hidden from other consumers: at least the
   * timeout of the consumer (six times it for a Lambda event source, as AWS advises).
   * @default Duration.seconds(30)
   */
  readonly inboxVisibilityTimeout?: Duration;
  /**
   * A customer-managed KMS key every queue is encrypted with.
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;
}

/** SQS's default, which a consumer Lambda with a timeout above 5 s outgrows. */
export const DEFAULT_INBOX_VISIBILITY_TIMEOUT = Duration.seconds(30);

/**
 * The four queues: ingest (verified events waiting to be stored) with its dead-letter queue, and the
 * inbox (stored messages for downstream) with its own. Encrypted, TLS only.
 *
 * Like every part of {@link CallrInboundSms}, it creates its resources in the scope it is given
 * rather than in a construct of its own: a construct adds a level to each resource's path, which
 * changes its CloudFormation logical id, and CloudFormation would replace (empty) the deployed queues.
 */
export class CallrQueues {
  /** Where authentic but unusable events, poison records and exhausted retries end up. */
  readonly deadLetterQueue: sqs.Queue;
  readonly ingestQueue: sqs.Queue;
  /** Receives inbox messages that downstream consumers failed `MAX_RECEIVE_COUNT` times. */
  readonly inboxDeadLetterQueue: sqs.Queue;
  /** Canonical, de-duplicated messages for downstream services, sent once they are stored. */
  readonly inboxQueue: sqs.Queue;

  constructor(scope: Construct, props: CallrQueuesProps) {
    const createQueue = (id: string, queueProps: sqs.QueueProps): sqs.Queue => createSecureQueue(scope, id, props, queueProps);

    this.deadLetterQueue = createQueue('DeadLetterQueue', {
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    });
    this.ingestQueue = createQueue('IngestQueue', {
      retentionPeriod: Duration.days(INGEST_RETENTION_DAYS),
      visibilityTimeout: Duration.seconds(INGEST_VISIBILITY_TIMEOUT_SECONDS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.inboxDeadLetterQueue = createQueue('InboxDeadLetterQueue', {
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
    });
    this.inboxQueue = createQueue('InboxQueue', {
      retentionPeriod: Duration.days(INBOX_RETENTION_DAYS),
      ...(props.inboxVisibilityTimeout !== undefined ? { visibilityTimeout: props.inboxVisibilityTimeout } : {}),
      deadLetterQueue: { queue: this.inboxDeadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}
