import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { InboxFilterPolicy } from '../../functions/inbox/filter-policy';
import type { CallrQueues } from './queues';

/** A downstream service's own queue on the inbox, and which messages it wants. */
export interface InboxSubscriber {
  /**
   * The queue, in this stack or imported (`sqs.Queue.fromQueueArn`). The construct adds the queue
   * policy that lets the inbox topic send to it (and, for a queue with a customer managed key, the
   * key policy statement SNS needs).
   */
  readonly queue: sqs.IQueue;
  /**
   * An SNS filter policy on the inbox attributes (`kind`, `keyword`, `to`, `schemaVersion`,
   * `messageId`), e.g. `{ kind: ['sms.mo'], keyword: ['HELP'] }`; checked at synth.
   * @default - every inbox message
   */
  readonly filter?: InboxFilterPolicy;
}

/** Props of {@link InboxFanOut}. */
export interface InboxFanOutProps {
  /** The inbox queue, subscribed first, without a filter. */
  readonly queues: CallrQueues;
  /** @default - none: the inbox queue only */
  readonly subscribers?: readonly InboxSubscriber[];
}

/**
 * The inbox topic the persister publishes each stored message to once, with message attributes,
 * and its subscriptions, all with raw delivery (the queue receives the body as published and the
 * attributes as SQS message attributes): the construct's inbox queue, then each of `subscribers`
 * through its filter policy. A part of {@link CallrInboundSms}; see {@link CallrQueues} for why its
 * resources live in the scope it is given.
 */
export class InboxFanOut {
  readonly inboxTopic: sns.Topic;
  /** The inbox queue's subscription, then one per subscriber, in `subscribers` order. */
  readonly subscriptions: readonly sns.Subscription[];

  constructor(scope: Construct, props: InboxFanOutProps) {
    // SNS's AWS managed key: publishers of this account may use it through SNS without a grant, and
    // SNS decrypts before it delivers, so subscribers need nothing from it either.
    const awsManagedKey = kms.Alias.fromAliasName(scope, 'InboxTopicAwsManagedKey', 'alias/aws/sns');
    this.inboxTopic = new sns.Topic(scope, 'InboxTopic', {
      displayName: 'CALLR inbound SMS inbox',
      masterKey: awsManagedKey,
      enforceSSL: true,
    });
    const subscribe = (queue: sqs.IQueue, filter: InboxFilterPolicy | undefined): sns.Subscription =>
      this.inboxTopic.addSubscription(
        new SqsSubscription(queue, {
          rawMessageDelivery: true,
          ...(filter === undefined ? {} : { filterPolicy: toSubscriptionFilters(filter) }),
        }),
      );
    this.subscriptions = [
      subscribe(props.queues.inboxQueue, undefined),
      ...(props.subscribers ?? []).map((subscriber) => subscribe(subscriber.queue, subscriber.filter)),
    ];
  }

  /**
   * What a publisher of inbox messages needs: sns:Publish (PublishBatch included) on the topic, and
   * nothing on the key (the AWS managed key lets this account's principals use it through SNS;
   * Topic.grantPublish would grant kms actions on every key of the account).
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.inboxTopic.topicArn] });
  }
}

/** The policy as CDK takes it: each attribute's conditions, written as they are. */
function toSubscriptionFilters(filter: InboxFilterPolicy): Record<string, sns.SubscriptionFilter> {
  return Object.fromEntries(Object.entries(filter).map(([name, conditions]) => [name, new sns.SubscriptionFilter([...(conditions ?? [])])]));
}
