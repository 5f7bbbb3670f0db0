import { ReplyBotQueue } from '../../examples/reply-bot/reply-bot';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  CallrInboundSmsStack,
  DEFAULT_CALLR_CREDENTIALS_SECRET_NAME,
  readStackContext,
  StackContextError,
  type StackSettings,
} from '../../lib/callr-inbound-sms-stack';
import { pathsContaining, testContext } from './synth';

const contextOf = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readStackContext', () => {
  it.each<[string, Record<string, unknown>, StackSettings]>([
    [
      'nothing: the construct defaults and the default credentials secret name',
      {},
      {
        callrCredentialsSecretName: DEFAULT_CALLR_CREDENTIALS_SECRET_NAME,
        usesDefaultCredentialsSecretName: true,
        unusedKeys: [],
        props: {},
      },
    ],
    [
      'strings, as `cdk deploy -c key=value` passes them',
      {
        callrCredentialsSecretName: 'prod/callr',
        subscribeWebhook: 'true',
        eventTypes: 'sms.mo, sms.mt.status_update',
        hmacAlgorithm: 'SHA512',
        hmacSecretVersion: '3',
        callrApiUrl: 'https://callr.example.test/json-rpc/v1.1/',
        alarmEmail: 'oncall@example.test',
        throttlingRateLimit: '50',
        throttlingBurstLimit: '100',
        logRetentionDays: '7',
        removalPolicy: 'destroy',
        persistMaxConcurrency: '10',
        oldestMessageAgeAlarmMinutes: '5',
        eventMaxAgeSeconds: '3600',
        eventMaxFutureSeconds: '60',
        previousSecretGraceSeconds: '3600',
        optOutStopWords: 'STOP, ARRET',
      },
      {
        callrCredentialsSecretName: 'prod/callr',
        usesDefaultCredentialsSecretName: false,
        unusedKeys: [],
        props: {
          subscribeWebhook: true,
          eventTypes: ['sms.mo', 'sms.mt.status_update'],
          hmacAlgorithm: 'SHA512',
          hmacSecretVersion: '3',
          callrApiUrl: 'https://callr.example.test/json-rpc/v1.1/',
          alarmEmail: 'oncall@example.test',
          throttlingRateLimit: 50,
          throttlingBurstLimit: 100,
          logRetention: logs.RetentionDays.ONE_WEEK,
          removalPolicy: RemovalPolicy.DESTROY,
          persistMaxConcurrency: 10,
          oldestMessageAgeAlarmThreshold: Duration.minutes(5),
          eventMaxAge: Duration.seconds(3600),
          eventMaxFuture: Duration.seconds(60),
          previousSecretGrace: Duration.seconds(3600),
          optOutWords: { stop: ['STOP', 'ARRET'] },
        },
      },
    ],
    [
      'JSON values, as cdk.json holds them',
      {
        subscribeWebhook: false,
        callrCredentialsSecretName: 'prod/callr',
        eventTypes: ['sms.mt.status_update'],
        hmacSecretVersion: 2,
        throttlingRateLimit: 12.5,
        removalPolicy: 'RETAIN',
        heartbeatHours: 0,
      },
      {
        callrCredentialsSecretName: undefined,
        usesDefaultCredentialsSecretName: false,
        unusedKeys: ['callrCredentialsSecretName', 'eventTypes', 'hmacSecretVersion'],
        props: {
          subscribeWebhook: false,
          eventTypes: ['sms.mt.status_update'],
          hmacSecretVersion: '2',
          throttlingRateLimit: 12.5,
          // Retained on update and delete, not after a failed first deploy.
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
          heartbeatHours: 0,
        },
      },
    ],
    [
      'the credentials secret by full ARN, its KMS key, and the operability settings',
      {
        callrCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/api-AbCdEf',
        callrCredentialsKmsKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        heartbeatHours: '12',
        ingestReservedConcurrency: '200',
        inboxVisibilityTimeoutSeconds: '600',
        webhookWebAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/callr/0a1b',
      },
      {
        callrCredentialsSecretName: undefined,
        callrCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/api-AbCdEf',
        callrCredentialsKmsKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        usesDefaultCredentialsSecretName: false,
        unusedKeys: [],
        props: {
          heartbeatHours: 12,
          ingestReservedConcurrency: 200,
          inboxVisibilityTimeout: Duration.seconds(600),
          webhookWebAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/callr/0a1b',
        },
      },
    ],
  ])('reads %s', (_name, context, expected) => {
    expect(readStackContext(contextOf(context))).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a non-boolean subscribeWebhook', { subscribeWebhook: 'yes' }, ['subscribeWebhook is "yes"; expected true or false']],
    ['a non-number throttling rate', { throttlingRateLimit: 'fast' }, ['throttlingRateLimit is "fast"; expected a number']],
    ['an empty secret name', { callrCredentialsSecretName: '' }, ['callrCredentialsSecretName is ""; expected a non-empty string']],
    ['event types that are not strings', { eventTypes: [1, 2] }, ['eventTypes is [1,2]; expected a comma-separated string or an array of strings']],
    ['an unknown event type', { eventTypes: 'sms.mo,call.start' }, ['eventTypes holds call.start; supported: sms.mo, sms.mt.status_update']],
    [
      'a retention CloudWatch Logs does not offer',
      { logRetentionDays: 10 },
      [
        'logRetentionDays is 10; CloudWatch Logs accepts 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
      ],
    ],
    ['an unknown removal policy', { removalPolicy: 'snapshot' }, ['removalPolicy is "snapshot"; use retain or destroy']],
    ['a reply bot without the outbox', { replyBot: 'true', outbox: 'false' }, ['replyBot answers through the outbox: leave outbox on (it is by default), or replyBot off']],
    ['no stop word left', { optOutStopWords: ',' }, ['optOutStopWords / optOutStartWords: there must be at least one stop word: without one, nobody could opt out']],
    [
      'values the construct refuses, named by their context keys',
      { throttlingBurstLimit: '0', oldestMessageAgeAlarmMinutes: '0', eventMaxFutureSeconds: '-5' },
      [
        'throttlingBurstLimit is 0; it must be a whole number of requests above 0',
        'oldestMessageAgeAlarmMinutes must be at least one minute (SQS reports the age once a minute)',
        'eventMaxFutureSeconds must be longer than zero seconds',
      ],
    ],
    [
      'a signature header that is no HTTP header name',
      { signatureHeader: 'X-CALLR Signature' },
      [
        'signatureHeader is "X-CALLR Signature"; it must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~, no spaces or colon)',
      ],
    ],
    [
      'a negative previous-secret grace (it would cut the previous secret off at once)',
      { previousSecretGraceSeconds: '-60' },
      ['previousSecretGraceSeconds is -60; it must not be negative (0 cuts the previous secret off at once)'],
    ],
    [
      'a secret name that Secrets Manager would take for a partial ARN',
      { callrCredentialsSecretName: 'callr/api-AbCdEf' },
      [
        'callrCredentialsSecretName "callr/api-AbCdEf" ends in a hyphen and six characters, which Secrets Manager takes for ' +
          'the random suffix of a secret ARN: pass the full ARN as callrCredentialsSecretArn instead',
      ],
    ],
    [
      'both a secret name and a secret ARN',
      { callrCredentialsSecretName: 'callr/api', callrCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/api-AbCdEf' },
      ['callrCredentialsSecretName and callrCredentialsSecretArn name the same secret twice: give one of them'],
    ],
    [
      'a secret ARN without its suffix, and a key that is no KMS key ARN',
      { callrCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/api', callrCredentialsKmsKeyArn: 'alias/callr' },
      [
        'callrCredentialsSecretArn is "arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/api"; expected the full ARN ' +
          'of a Secrets Manager secret, ending in its six-character suffix (aws secretsmanager describe-secret --secret-id <name>)',
        'callrCredentialsKmsKeyArn is "alias/callr"; expected the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)',
      ],
    ],
    ['a heartbeat over a day', { heartbeatHours: '48' }, ['heartbeatHours is 48; it must be a whole number of hours from 0 (off) to 24']],
  ])('rejects %s', (_name, context, problems) => {
    let thrown: unknown;
    try {
      readStackContext(contextOf(context));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StackContextError);
    expect((thrown as StackContextError).problems).toEqual(problems);
  });

  it('lists every problem in one message that says where to set the values', () => {
    expect(() => readStackContext(contextOf({ subscribeWebhook: 1, hmacAlgorithm: 'MD5', alarmEmail: 'nobody' }))).toThrow(
      'Invalid context for the CALLR inbound SMS stack (3 problems):\n' +
        '  - subscribeWebhook is 1; expected true or false\n' +
        '  - hmacAlgorithm is MD5; supported: SHA256, SHA512\n' +
        '  - alarmEmail is "nobody"; it must be an email address\n' +
        'Set context values with `cdk deploy -c key=value` or in cdk.json (see docs/infrastructure.md).',
    );
  });
});

describe('CallrInboundSmsStack', () => {
  const synthStack = (context: Record<string, unknown>) => {
    const stack = new CallrInboundSmsStack(new App({ context: testContext(context) }), 'Stack');
    return { stack, template: Template.fromStack(stack) };
  };
  let byDefault: ReturnType<typeof synthStack>;
  let configured: ReturnType<typeof synthStack>;
  let withoutSubscription: ReturnType<typeof synthStack>;

  beforeAll(() => {
    byDefault = synthStack({});
    configured = synthStack({
      callrCredentialsSecretName: 'prod/callr',
      eventTypes: 'sms.mo,sms.mt.status_update',
      throttlingRateLimit: '25',
      throttlingBurstLimit: '40',
      logRetentionDays: '90',
      removalPolicy: 'destroy',
      alarmEmail: 'oncall@example.test',
    });
    withoutSubscription = synthStack({ subscribeWebhook: 'false', callrCredentialsSecretName: 'prod/callr' });
  });

  it('outputs the webhook URL, the queues (the outbox ones too), the inbox topic, the table, the HMAC secret, the number hash key secret, the alarm topic, the dashboard and the reconcile Lambda', () => {
    const { stack, template } = byDefault;
    const { system } = stack;
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.Value]))).toEqual(
      stack.resolve({
        WebhookUrl: system.webhookUrl,
        IngestQueueUrl: system.ingestQueue.queueUrl,
        IngestQueueArn: system.ingestQueue.queueArn,
        DeadLetterQueueUrl: system.deadLetterQueue.queueUrl,
        DeadLetterQueueArn: system.deadLetterQueue.queueArn,
        InboxTopicArn: system.inboxTopic.topicArn,
        InboxQueueUrl: system.inboxQueue.queueUrl,
        InboxQueueArn: system.inboxQueue.queueArn,
        InboxDeadLetterQueueUrl: system.inboxDeadLetterQueue.queueUrl,
        InboxDeadLetterQueueArn: system.inboxDeadLetterQueue.queueArn,
        OutboxQueueUrl: system.outboxQueue!.queueUrl,
        OutboxQueueArn: system.outboxQueue!.queueArn,
        OutboxDeadLetterQueueUrl: system.outbox!.outboxDeadLetterQueue.queueUrl,
        TableName: system.table.tableName,
        HmacSecretArn: system.hmacSecret.secretArn,
        NumberHashKeyArn: system.numberHashKeySecret.secretArn,
        AlarmTopicArn: system.alarmTopic.topicArn,
        DashboardUrl: system.dashboardUrl,
        ReconcileFunctionName: system.reconcileFunction!.functionName,
      }),
    );
  });

  it('is environment-agnostic: region and account stay CloudFormation references', () => {
    expect(byDefault.stack.resolve(byDefault.stack.region)).toEqual({ Ref: 'AWS::Region' });
    expect(byDefault.stack.resolve(byDefault.stack.account)).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('reads the CALLR credentials from the default secret name, and says so, when the context names none', () => {
    const { stack, template } = byDefault;
    const [webhook] = Object.values(template.findResources('Custom::CallrWebhook'));
    expect(webhook.Properties.CredentialsSecretArn).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:${DEFAULT_CALLR_CREDENTIALS_SECRET_NAME}`],
      ],
    });
    Annotations.fromStack(stack).hasInfo('/Stack', Match.stringLikeRegexp(`secret "${DEFAULT_CALLR_CREDENTIALS_SECRET_NAME}"`));
  });

  it('builds the construct from the context', () => {
    const { template } = configured;
    expect(
      Object.values(template.findResources('Custom::CallrWebhook')).map((webhook) => [
        webhook.Properties.EventType,
        JSON.stringify(webhook.Properties.CredentialsSecretArn).endsWith(':secret:prod/callr"]]}'),
      ]),
    ).toEqual([
      ['sms.mo', true],
      ['sms.mt.status_update', true],
    ]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 40 },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.test' });
    Annotations.fromStack(configured.stack).hasNoInfo('*', Match.anyValue());
  });

  it('deploys without any CALLR account when subscribeWebhook is false, saying which values go unused', () => {
    const { stack, template } = withoutSubscription;
    template.resourceCountIs('Custom::CallrWebhook', 0);
    expect(pathsContaining(template.toJSON(), 'prod/callr')).toEqual([]);
    expect(pathsContaining(template.toJSON(), DEFAULT_CALLR_CREDENTIALS_SECRET_NAME)).toEqual([]);
    expect(Annotations.fromStack(stack).findInfo('*', Match.anyValue()).map((info) => info.entry.data)).toEqual([
      'subscribeWebhook is false, so these context values are not used: callrCredentialsSecretName.',
    ]);
  });

  it('deploys the example reply bot with -c replyBot=true: its queue on the inbox topic for HELP only, its function sending to the outbox', () => {
    const { stack, template } = synthStack({ replyBot: 'true' });
    const botQueue = stack.node.findChild('ReplyBotQueue') as ReplyBotQueue;
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: stack.resolve(botQueue.queue.queueArn),
      FilterPolicy: { kind: ['sms.mo'], keyword: ['HELP', 'AIDE'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OUTBOX_QUEUE_URL: stack.resolve(stack.system.outboxQueue!.queueUrl) }) },
    });
    expect(byDefault.stack.node.tryFindChild('ReplyBot')).toBeUndefined();
  });

  it('opens the dashboard of this stack from its output', () => {
    const outputs = byDefault.template.toJSON().Outputs as Record<string, { Value: { 'Fn::Join': [string, unknown[]] } }>;
    expect(outputs.DashboardUrl.Value['Fn::Join'][1]).toEqual([
      'https://',
      { Ref: 'AWS::Region' },
      '.console.aws.amazon.com/cloudwatch/home?region=',
      { Ref: 'AWS::Region' },
      '#dashboards/dashboard/',
      { Ref: byDefault.stack.getLogicalId(byDefault.stack.system.dashboard.node.defaultChild as never) },
    ]);
  });

  it('reads the credentials secret by full ARN and lets the subscription decrypt it with the given key', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/api-AbCdEf';
    const keyArn = 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = synthStack({ callrCredentialsSecretArn: secretArn, callrCredentialsKmsKeyArn: keyArn });
    const [webhook] = Object.values(template.findResources('Custom::CallrWebhook'));
    expect(webhook.Properties.CredentialsSecretArn).toBe(secretArn);
    expect(pathsContaining(template.toJSON(), keyArn).length).toBeGreaterThan(0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Resource: keyArn })]) },
    });
  });

  it('refuses to build from a bad context', () => {
    expect(() => synthStack({ throttlingRateLimit: 'lots', logRetentionDays: '2' })).toThrow(StackContextError);
  });
});
