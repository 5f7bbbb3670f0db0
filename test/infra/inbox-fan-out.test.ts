import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CallrInboundSms, CallrInboundSmsPropsError, type CallrInboundSmsProps } from '../../lib/callr-inbound-sms';
import { CREDENTIALS_SECRET_ARN, attributeOf, logicalId, refTo, testContext } from './synth';

/** The construct with `subscribers` built from queues of the same stack. */
function synthWithSubscribers(subscribersOf: (stack: Stack) => CallrInboundSmsProps['subscribers'], more: (stack: Stack) => CallrInboundSmsProps = () => ({})) {
  const app = new App({ context: testContext() });
  const stack = new Stack(app, 'FanOut');
  const callrCredentialsSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'CallrCredentials', CREDENTIALS_SECRET_ARN);
  const system = new CallrInboundSms(stack, 'Sms', { callrCredentialsSecret, subscribers: subscribersOf(stack), ...more(stack) });
  return { stack, system, template: Template.fromStack(stack) };
}

describe('inbox fan-out', () => {
  let helpBot: sqs.Queue;
  let imported: sqs.IQueue;
  const synthesized = () => {
    const result = synthWithSubscribers((stack) => {
      helpBot = new sqs.Queue(stack, 'HelpBotQueue', { enforceSSL: true });
      imported = sqs.Queue.fromQueueArn(stack, 'AnalyticsQueue', 'arn:aws:sqs:eu-west-3:123456789012:analytics');
      return [{ queue: helpBot, filter: { kind: ['sms.mo'], keyword: ['HELP', 'AIDE'] } }, { queue: imported }];
    });
    return result;
  };
  let built: ReturnType<typeof synthesized>;
  beforeAll(() => {
    built = synthesized();
  });

  it('publishes to an encrypted, TLS-only inbox topic', () => {
    const { stack, system, template } = built;
    // SNS's AWS managed key: publishers need no key grant, subscribers nothing from it.
    expect(JSON.stringify(stack.resolve(system.inboxTopic.masterKey?.keyArn))).toMatch(/:alias\/aws\/sns"\]\]\}$/);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: stack.resolve(system.inboxTopic.masterKey?.keyArn),
      DisplayName: 'CALLR inbound SMS inbox',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refTo(stack, system.inboxTopic)],
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  it('subscribes the inbox queue without a filter, then each subscriber with its own, all with raw delivery', () => {
    const { stack, system, template } = built;
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((resource) => resource.Properties);
    const topic = refTo(stack, system.inboxTopic);
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        { Protocol: 'sqs', TopicArn: topic, Endpoint: attributeOf(stack, system.inboxQueue, 'Arn'), RawMessageDelivery: true },
        {
          Protocol: 'sqs',
          TopicArn: topic,
          Endpoint: attributeOf(stack, helpBot, 'Arn'),
          RawMessageDelivery: true,
          FilterPolicy: { kind: ['sms.mo'], keyword: ['HELP', 'AIDE'] },
        },
        { Protocol: 'sqs', TopicArn: topic, Endpoint: 'arn:aws:sqs:eu-west-3:123456789012:analytics', RawMessageDelivery: true },
      ]),
    );
    expect(subscriptions).toHaveLength(3);
    expect(system.inbox.subscriptions).toHaveLength(3);
  });

  it('alarms on the first delivery SNS failed, to the inbox queue or a subscriber, within 5 minutes', () => {
    const { stack, system, template } = built;
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, system.alarms.inboxDeliveryFailed)];
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [logicalId(stack, system.inboxTopic), 'TopicName'] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('lets the inbox topic, and only it, send to each queue it delivers to', () => {
    const { stack, system, template } = built;
    for (const queue of [system.inboxQueue, helpBot]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [refTo(stack, queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': refTo(stack, system.inboxTopic) } },
            }),
          ]),
        },
      });
    }
    expect(logicalId(stack, system.inboxTopic)).toMatch(/^SmsInboxTopic/);
  });
});

describe('inbox fan-out with a customer-managed data key', () => {
  it("lets SNS use the key of the stack for the inbox topic's deliveries, and only for them", () => {
    let dataKey: kms.Key | undefined;
    const { stack, system, template } = synthWithSubscribers(
      () => undefined,
      (keyStack) => ({ encryptionKey: (dataKey = new kms.Key(keyStack, 'DataKey', { enableKeyRotation: true })) }),
    );
    const keyPolicy = template.findResources('AWS::KMS::Key')[logicalId(stack, dataKey!)]?.Properties.KeyPolicy;
    expect(keyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { ArnEquals: { 'aws:SourceArn': refTo(stack, system.inboxTopic) } },
      }),
    );
  });
});

describe('subscribers validation', () => {
  const problemsOf = (subscribersOf: (stack: Stack) => CallrInboundSmsProps['subscribers']): readonly string[] => {
    try {
      synthWithSubscribers(subscribersOf);
    } catch (error) {
      if (error instanceof CallrInboundSmsPropsError) return error.problems;
      throw error;
    }
    throw new Error('expected a CallrInboundSmsPropsError');
  };

  it('refuses a filter on an attribute the inbox never sets, and an unknown kind, naming the subscriber', () => {
    expect(
      problemsOf((stack) => [
        { queue: new sqs.Queue(stack, 'Fine') },
        { queue: new sqs.Queue(stack, 'Misspelt'), filter: { keywrod: ['HELP'], kind: ['sms.inbound'] } as never },
      ]),
    ).toEqual([
      'subscribers[1].filter.keywrod: the inbox sets no attribute "keywrod" (it sets kind, messageId, schemaVersion, to, keyword), so this would match nothing',
      'subscribers[1].filter.kind: "sms.inbound" is no inbox kind (sms.mo, sms.sent, sms.send_failed, sms.status)',
    ]);
  });

  it('refuses the same queue twice', () => {
    expect(
      problemsOf((stack) => {
        const queue = new sqs.Queue(stack, 'Twice');
        return [
          { queue, filter: { keyword: ['HELP'] } },
          { queue, filter: { keyword: ['STOP'] } },
        ];
      }),
    ).toEqual([expect.stringMatching(/^subscribers lists the queue FanOut\/Twice more than once/)]);
  });
});
