import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CallrInboundSmsPropsError, CLOUDFRONT_WAF_REGION, WebhookRateLimitAcl } from '../../lib/callr-inbound-sms';
import { INGEST_METRICS } from '../../functions/ingest/metrics';
import { METRICS_NAMESPACE, SERVICE_NAMES, STACK_DIMENSION, STACK_NAME_VARIABLE } from '../../functions/observability/observability';
import { SUBSCRIPTION_METRICS } from '../../functions/subscription/metrics';
import { attributeOf, logicalId, refTo, statementsOfRole, synthConstruct, testContext, type SynthesizedConstruct } from './synth';

// Issue 8: what an operator on a real account needs. Each block failed on the construct before it.

const KEY_ARN = 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let defaults: SynthesizedConstruct;
let tuned: SynthesizedConstruct;
let unsubscribed: SynthesizedConstruct;

beforeAll(() => {
  defaults = synthConstruct({});
  tuned = synthConstruct({
    heartbeatHours: 6,
    inboxVisibilityTimeout: Duration.minutes(6),
    persistMaxConcurrency: 20,
    ingestReservedConcurrency: 100,
  });
  unsubscribed = synthConstruct({ subscribeWebhook: false, heartbeatHours: 0 }, { credentials: false });
});

type AlarmJson = { Properties: Record<string, unknown> };
const alarmOf = ({ stack, template }: SynthesizedConstruct, alarm: cloudwatch.Alarm): AlarmJson =>
  template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, alarm)] as AlarmJson;
/** The metrics an alarm's math expression reads, by id. */
const metricsOf = (alarm: AlarmJson): Record<string, { Namespace: string; MetricName: string; Dimensions: unknown[] }> =>
  Object.fromEntries(
    (alarm.Properties.Metrics as { Id: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } } }[])
      .filter((query) => query.MetricStat)
      .map((query) => [query.Id, query.MetricStat!.Metric]),
  );

describe('alarms that reach someone', () => {
  it('lets CloudWatch alarms of this account, and only those, publish to the alarm topic', () => {
    const { stack, system, template } = defaults;
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']],
        },
      },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refTo(stack, system.alarmTopic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: refTo(stack, system.alarmTopic),
            Condition: alarmsOfThisAccount,
          },
        ]),
      },
    });
    const key = template.findResources('AWS::KMS::Key')[logicalId(stack, system.alarmTopic.masterKey!)];
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Resource: '*',
      Condition: alarmsOfThisAccount,
    });
  });

  it('selects its custom metrics by the stack name, which the Lambdas put on every metric', () => {
    const { stack, system, template } = defaults;
    const stackDimension = { Name: STACK_DIMENSION, Value: stack.stackName };
    expect(alarmOf(defaults, system.alarms.signatureRejections).Properties.Dimensions).toEqual(
      expect.arrayContaining([stackDimension, { Name: 'service', Value: SERVICE_NAMES.ingest }]),
    );
    for (const fn of [system.ingestFunction, system.persistFunction, system.subscriptionFunction!]) {
      const environment = template.findResources('AWS::Lambda::Function')[logicalId(stack, fn)].Properties.Environment.Variables;
      expect(environment[STACK_NAME_VARIABLE]).toBe(stack.stackName);
    }
    const customMetricDimensions = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .flatMap((alarm) => [
        alarm.Properties,
        ...((alarm.Properties.Metrics ?? []) as { MetricStat?: { Metric: unknown } }[]).map((query) => query.MetricStat?.Metric),
      ])
      .filter((metric): metric is { Namespace: string; Dimensions: unknown[] } => (metric as { Namespace?: string })?.Namespace === METRICS_NAMESPACE)
      // Counted from the API's access logs, where the API id tells the stacks apart (see the 429 test).
      .filter((metric) => !JSON.stringify(metric.Dimensions).includes('"ApiId"'))
      .map((metric) => metric.Dimensions);
    expect(customMetricDimensions.length).toBeGreaterThanOrEqual(3);
    for (const dimensions of customMetricDimensions) expect(dimensions).toContainEqual(stackDimension);
  });

  it('raises a heartbeat alarm when no event was accepted for 24 hours, missing data breaching', () => {
    const alarm = alarmOf(defaults, defaults.system.alarms.heartbeat!);
    expect(alarm.Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      TreatMissingData: 'breaching',
    });
    const metrics = Object.values(metricsOf(alarm));
    expect(metrics.map((metric) => [metric.Namespace, metric.MetricName])).toEqual([
      [METRICS_NAMESPACE, INGEST_METRICS.accepted],
      [METRICS_NAMESPACE, INGEST_METRICS.accepted],
    ]);
    expect(metrics.map((metric) => metric.Dimensions)).toEqual([
      expect.arrayContaining([{ Name: 'eventType', Value: 'sms.mo' }]),
      expect.arrayContaining([{ Name: 'eventType', Value: 'sms.mt.status_update' }]),
    ]);
    // An event type that sent nothing must not hide the other one's events.
    const [expression] = (alarm.Properties.Metrics as { Expression?: string }[]).filter((query) => query.Expression);
    expect(expression.Expression).toMatch(/^FILL\(\w+, 0\)( \+ FILL\(\w+, 0\))+$/);
    expect((alarm.Properties.Metrics as { Id: string; MetricStat?: { Period: number } }[]).flatMap((query) => query.MetricStat?.Period ?? [])).toEqual([3600, 3600]);
  });

  it('takes heartbeatHours, and 0 turns the heartbeat off', () => {
    expect(alarmOf(tuned, tuned.system.alarms.heartbeat!).Properties).toMatchObject({ EvaluationPeriods: 6, DatapointsToAlarm: 6 });
    expect(unsubscribed.system.alarms.heartbeat).toBeUndefined();
    expect(
      Object.values(unsubscribed.template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.TreatMissingData === 'breaching'),
    ).toEqual([]);
  });

  it('watches the age of the oldest inbox message', () => {
    const { stack, system } = defaults;
    expect(alarmOf(defaults, system.alarms.oldestInboxMessageAge).Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: attributeOf(stack, system.inboxQueue, 'QueueName') }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 3600,
    });
  });

  it('alarms on a webhook that could not be unsubscribed, when the stack subscribes', () => {
    const { stack, system } = defaults;
    expect(alarmOf(defaults, system.alarms.webhookUnsubscribeFailed!).Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: SUBSCRIPTION_METRICS.unsubscribeFailed,
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: SERVICE_NAMES.subscription },
        { Name: STACK_DIMENSION, Value: stack.stackName },
      ]),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
    expect(unsubscribed.system.alarms.webhookUnsubscribeFailed).toBeUndefined();
  });

  it('watches the 4xx rate of the API once there is traffic to speak of', () => {
    const alarm = alarmOf(defaults, defaults.system.alarms.apiClientErrorRate);
    expect(Object.values(metricsOf(alarm)).map((metric) => metric.MetricName).sort()).toEqual(['4xx', 'Count']);
    const [expression] = (alarm.Properties.Metrics as { Expression?: string }[]).filter((query) => query.Expression);
    expect(expression.Expression).toBe('IF(requests >= 20, 100 * FILL(clientErrors, 0) / requests, 0)');
    expect(alarm.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 10 });
  });

  it('counts 429 answers from the access logs (HTTP APIs publish no throttle metric) and alarms on their rate', () => {
    const { stack, system, template } = defaults;
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: refTo(stack, system.accessLogGroup),
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [
        Match.objectLike({
          MetricNamespace: METRICS_NAMESPACE,
          MetricName: 'RequestsThrottled',
          MetricValue: '1',
          Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }],
        }),
      ],
    });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ apiId: '$context.apiId' });
    const alarm = alarmOf(defaults, system.alarms.apiThrottledRate);
    expect(Object.values(metricsOf(alarm)).map((metric) => metric.MetricName).sort()).toEqual(['Count', 'RequestsThrottled']);
    expect(Object.values(metricsOf(alarm)).find((metric) => metric.MetricName === 'RequestsThrottled')!.Dimensions).toEqual([
      { Name: 'ApiId', Value: refTo(stack, system.httpApi) },
    ]);
  });

  it('warns when the ingest p99 duration nears its timeout', () => {
    const { stack, system } = defaults;
    expect(alarmOf(defaults, system.alarms.ingestDurationNearTimeout).Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Dimensions: [{ Name: 'FunctionName', Value: refTo(stack, system.ingestFunction) }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 8000,
    });
  });

  it('alarms on DynamoDB throttling of the persister\'s operations', () => {
    const alarm = alarmOf(defaults, defaults.system.alarms.tableThrottles);
    const metrics = Object.values(metricsOf(alarm));
    expect(metrics.map((metric) => [metric.Namespace, metric.MetricName])).toEqual(
      ['GetItem', 'PutItem', 'UpdateItem'].map(() => ['AWS/DynamoDB', 'ThrottledRequests']),
    );
    expect(metrics.map((metric) => metric.Dimensions)).toEqual(
      ['GetItem', 'PutItem', 'UpdateItem'].map((operation) => expect.arrayContaining([{ Name: 'Operation', Value: operation }])),
    );
  });

  it('raises error alarms on 3 of 5 minutes, not on one error in one minute', () => {
    const { system } = defaults;
    for (const alarm of [system.alarms.apiServerErrors, system.alarms.ingestErrors, system.alarms.persistErrors]) {
      expect(alarmOf(defaults, alarm).Properties).toMatchObject({ EvaluationPeriods: 5, DatapointsToAlarm: 3, Period: 60 });
    }
  });

  it('fires again for new dead letters while the queue is still not empty (messages sent per period)', () => {
    const { stack, system } = defaults;
    expect(alarmOf(defaults, system.alarms.newDeadLetters).Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [{ Name: 'QueueName', Value: attributeOf(stack, system.deadLetterQueue, 'QueueName') }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('a dashboard', () => {
  it('shows requests by outcome, latency, queues, persist outcomes, dead letters, throttles, Lambda errors and concurrency', () => {
    const { stack, template } = defaults;
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const title of [
      'Requests by outcome',
      'Rejected requests by reason',
      'Ingest latency',
      'Queue depth',
      'Age of oldest message',
      'Persist outcomes',
      'Dead letters',
      'DynamoDB throttles',
      'Lambda errors',
      'Lambda concurrency',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of ['EventsAccepted', 'EventsIgnored', 'EventsQuarantined', 'RequestsRejected', 'p50', 'p99', 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'NumberOfMessagesSent', 'ThrottledRequests', 'Errors', 'ConcurrentExecutions']) {
      expect(body).toContain(metric);
    }
    // Searches of our own metrics stay within this stack.
    expect(body).toMatch(new RegExp(`${STACK_DIMENSION}=(\\\\)+"${stack.stackName}(\\\\)+"`));
  });
});

describe('defaults that lose nothing and orphan nothing', () => {
  it('keeps inbox messages 14 days, with the visibility timeout a prop', () => {
    const { stack, system, template } = defaults;
    expect(template.findResources('AWS::SQS::Queue')[logicalId(stack, system.inboxQueue)].Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(tuned.template.findResources('AWS::SQS::Queue')[logicalId(tuned.stack, tuned.system.inboxQueue)].Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      VisibilityTimeout: 360,
    });
  });

  it('caps the persister at 50 concurrent instances by default, and reserves ingest concurrency when asked', () => {
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 50 } });
    tuned.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 20 } });
    const ingestOf = ({ stack, system, template }: SynthesizedConstruct) =>
      template.findResources('AWS::Lambda::Function')[logicalId(stack, system.ingestFunction)].Properties;
    expect(ingestOf(defaults).ReservedConcurrentExecutions).toBeUndefined();
    expect(ingestOf(tuned).ReservedConcurrentExecutions).toBe(100);
  });

  it('retains the table, the queues and the log groups on update and delete, not on a failed create', () => {
    const { template } = defaults;
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect(resource).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('protects the retained table from deletion', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] });
  });

  it('lets the subscription Lambda decrypt a credentials secret encrypted with a customer-managed key, through Secrets Manager only', () => {
    const { stack, system, template } = synthConstruct({}, { credentials: true, credentialsKeyArn: KEY_ARN });
    const role = logicalId(stack, system.subscriptionFunction!.role!);
    expect(statementsOfRole(template, role)).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY_ARN,
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    });
  });

  it.each<[string, Parameters<typeof synthConstruct>[0], string, Partial<Parameters<typeof synthConstruct>[1]>?]>([
    ['a heartbeat longer than a day', { heartbeatHours: 25 }, 'heartbeatHours is 25; it must be a whole number of hours from 0 (off) to 24'],
    ['a fractional heartbeat', { heartbeatHours: 1.5 }, 'heartbeatHours is 1.5; it must be a whole number of hours from 0 (off) to 24'],
    ['an inbox visibility timeout over 12 hours', { inboxVisibilityTimeout: Duration.hours(13) }, 'inboxVisibilityTimeout is 46800 seconds; SQS accepts 0 to 43200 seconds (12 hours)'],
    ['a reserved ingest concurrency of 0', { ingestReservedConcurrency: 0 }, 'ingestReservedConcurrency is 0; it must be a whole number of instances, at least 1 (0 would stop the webhook)'],
    ['a credentials key without the credentials secret', { subscribeWebhook: false }, 'callrCredentialsKey is given without callrCredentialsSecret: nothing would use it', { credentialsKeyArn: KEY_ARN }],
  ])('refuses %s with a clear message', (_name, props, problem, options = {}) => {
    let thrown: unknown;
    try {
      synthConstruct(props, { credentials: props.subscribeWebhook !== false, ...options });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CallrInboundSmsPropsError);
    expect((thrown as CallrInboundSmsPropsError).problems).toEqual([problem]);
  });
});

describe('flood protection (opt in)', () => {
  const WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/callr-webhook/0a1b2c3d-1111-2222-3333-444455556666';

  it('puts a CloudFront distribution behind the web ACL in front of the API, caching nothing and passing every header on', () => {
    const { stack, system, template } = synthConstruct({ webhookWebAclArn: WEB_ACL_ARN });
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'));
    expect(distribution).toHaveLength(1);
    const config = distribution[0].Properties.DistributionConfig;
    expect(config.WebACLId).toBe(WEB_ACL_ARN);
    expect(config.DefaultCacheBehavior).toMatchObject({
      AllowedMethods: expect.arrayContaining(['POST']),
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
    });
    expect(JSON.stringify(config.Origins[0].DomainName)).toContain(logicalId(stack, system.httpApi));
    expect(config.Origins[0].CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    // CALLR is subscribed to the distribution's URL.
    const [webhook] = Object.values(template.findResources('Custom::CallrWebhook'));
    expect(webhook.Properties.Endpoint).toEqual(stack.resolve(system.webhookUrl));
    expect(JSON.stringify(webhook.Properties.Endpoint)).toContain('DomainName');
    expect(webhook.DependsOn).toContain(logicalId(stack, system.frontDoor!.distribution));
  });

  it('creates no distribution by default', () => {
    defaults.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  it('refuses a web ACL that CloudFront cannot take', () => {
    expect(() => synthConstruct({ webhookWebAclArn: 'arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/x/1' })).toThrow(
      /webhookWebAclArn .* must be a WAFv2 web ACL for CloudFront, created in us-east-1/,
    );
  });

  it('offers the web ACL: a rate-based rule per source address, for CloudFront, in us-east-1 only', () => {
    const app = new App({ context: testContext() });
    const stack = new Stack(app, 'Acl', { env: { region: CLOUDFRONT_WAF_REGION } });
    new WebhookRateLimitAcl(stack, 'Acl', { requestsPer5MinutesPerIp: 5000, trustedSourceCidrs: ['198.51.100.0/24'] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Action: { Block: {} },
          Statement: {
            RateBasedStatement: Match.objectLike({
              AggregateKeyType: 'IP',
              Limit: 5000,
              ScopeDownStatement: { NotStatement: { Statement: { IPSetReferenceStatement: Match.anyValue() } } },
            }),
          },
        }),
      ],
    });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'CLOUDFRONT', Addresses: ['198.51.100.0/24'] });
    expect(() => new WebhookRateLimitAcl(new Stack(app, 'Paris', { env: { region: 'eu-west-3' } }), 'Acl')).toThrow(/must be in us-east-1, not eu-west-3/);
  });
});
