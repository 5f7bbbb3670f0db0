import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RECONCILE_LOOK_BACK_DEFAULT, RECONCILE_TABLE_ACTIONS, reconcileLookBackOf } from '../../lib/callr-inbound-sms';
import { RECONCILE_TIMEOUT } from '../../lib/constructs/reconcile';
import { RECONCILE_METRICS } from '../../functions/reconcile/metrics';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../functions/observability/observability';
import { attributeOf, CREDENTIALS_SECRET_ARN, logicalId, statementsOfRole, synthConstruct, type SynthesizedConstruct } from './synth';

/** The reconciliation sweep in the template: its schedule, its Lambda, its least privileges, its alarms. */
let defaults: SynthesizedConstruct;
let custom: SynthesizedConstruct;

beforeAll(() => {
  defaults = synthConstruct({});
  custom = synthConstruct({ reconcileEvery: Duration.hours(1), reconcileLookBack: Duration.hours(72) });
});

const roleOf = (synthesized: SynthesizedConstruct, fn: NodejsFunction) => logicalId(synthesized.stack, fn.role!);

describe('reconciliation', () => {
  it('runs by default with the credentials, every 15 minutes, over 48 hours, one sweep at a time', () => {
    const { stack, system, template } = defaults;
    const fn = system.reconcileFunction!;
    expect(RECONCILE_LOOK_BACK_DEFAULT.toHours()).toBe(48);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Target: {
        Arn: attributeOf(stack, fn, 'Arn'),
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('reconciliation'),
      Timeout: RECONCILE_TIMEOUT.toSeconds(),
      ReservedConcurrentExecutions: 1,
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: logicalId(stack, system.table) },
          INGEST_QUEUE_URL: { Ref: logicalId(stack, system.ingestQueue) },
          CALLR_CREDENTIALS_SECRET_ARN: CREDENTIALS_SECRET_ARN,
          RECONCILE_LOOK_BACK_SECONDS: String(48 * 3600),
          NUMBER_HASH_KEY_ARN: { Ref: logicalId(stack, system.numberHashKeySecret) },
          POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.reconcile,
        }),
      },
    });
  });

  it('takes reconcileEvery and reconcileLookBack', () => {
    const { system, template } = custom;
    expect(reconcileLookBackOf({ reconcileLookBack: Duration.hours(72) }).toHours()).toBe(72);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Environment: { Variables: Match.objectLike({ RECONCILE_LOOK_BACK_SECONDS: String(72 * 3600) }) },
    });
    expect(system.reconciliation?.lookBack.toHours()).toBe(72);
  });

  it('gives the Lambda only what the sweep does: read the table (not its indexes), send to the ingest queue, read the credentials and the number hash key', () => {
    const { stack, system, template } = defaults;
    const fn = system.reconcileFunction!;
    expect(statementsOfRole(template, roleOf(defaults, fn))).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: attributeOf(stack, fn.logGroup, 'Arn') },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: [CREDENTIALS_SECRET_ARN, { Ref: logicalId(stack, system.numberHashKeySecret) }],
      },
      { Action: [...RECONCILE_TABLE_ACTIONS], Effect: 'Allow', Resource: attributeOf(stack, system.table, 'Arn') },
      { Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Effect: 'Allow', Resource: attributeOf(stack, system.ingestQueue, 'Arn') },
    ]);
  });

  it('lets only EventBridge Scheduler of this account invoke it, and only it', () => {
    const { stack, system, template } = defaults;
    const role = logicalId(stack, system.reconciliation!.scheduleRole);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
    const fnArn = attributeOf(stack, system.reconcileFunction!, 'Arn');
    expect(statementsOfRole(template, role)).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }] },
    ]);
  });

  it('alarms when a sweep recovers messages, and when a sweep fails or is incomplete', () => {
    const { stack, system, template } = defaults;
    const { messagesReconciled, reconcileFailing } = system.alarms;
    expect(messagesReconciled).toBeDefined();
    expect(reconcileFailing).toBeDefined();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: RECONCILE_METRICS.reconciled,
      Dimensions: Match.arrayWith([{ Name: 'service', Value: SERVICE_NAMES.reconcile }]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmDescription: Match.stringLikeRegexp('Messages are missing'),
    });
    const failing = template.toJSON().Resources[logicalId(stack, reconcileFailing!)];
    expect(JSON.stringify(failing.Properties.Metrics)).toContain(RECONCILE_METRICS.incomplete);
    expect(JSON.stringify(failing.Properties.Metrics)).toContain(logicalId(stack, system.reconcileFunction!));
  });

  it.each<[string, Parameters<typeof synthConstruct>[0], boolean]>([
    ['reconcile: false', { reconcile: false }, true],
    ['no credentials secret', { subscribeWebhook: false }, false],
  ])('is left out with %s: no Lambda, no schedule, no alarm', (_name, props, credentials) => {
    const { system, template } = synthConstruct(props, { credentials });
    expect(system.reconciliation).toBeUndefined();
    expect(system.reconcileFunction).toBeUndefined();
    expect(system.alarms.messagesReconciled).toBeUndefined();
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('runs without subscribing, when the webhook is registered by hand', () => {
    const { system, template } = synthConstruct({ subscribeWebhook: false }, { credentials: true });
    expect(system.subscription).toBeUndefined();
    expect(system.reconcileFunction).toBeDefined();
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
  });
});
