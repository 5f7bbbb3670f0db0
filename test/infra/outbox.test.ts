import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CallrInboundSms } from '../../lib/callr-inbound-sms';
import { SENDER_TABLE_ACTIONS } from '../../lib/callr-inbound-sms';
import {
  OUTBOX_MAX_RECEIVE_COUNT,
  OUTBOX_RETENTION_DAYS,
  OUTBOX_VISIBILITY_TIMEOUT_SECONDS,
  SENDER_BATCH_SIZE,
  SENDER_TIMEOUT_SECONDS,
} from '../../functions/queues/queue-design';
import { SERVICE_NAMES } from '../../functions/observability/observability';
import { actionsOf, attributeOf, CREDENTIALS_SECRET_ARN, logicalId, refTo, statementsOfRole, synthConstruct, testContext, type SynthesizedConstruct } from './synth';

describe('outbox (queue, dead-letter queue, sender Lambda)', () => {
  let defaults: SynthesizedConstruct;
  beforeAll(() => {
    defaults = synthConstruct({});
  });

  it('is on by default with the CALLR credentials, off without them or when asked', () => {
    expect(defaults.system.outbox).toBeDefined();
    expect(synthConstruct({ outbox: false }).system.outbox).toBeUndefined();
    expect(synthConstruct({ subscribeWebhook: false }, { credentials: false }).system.outbox).toBeUndefined();
    expect(synthConstruct({ subscribeWebhook: false, outbox: true }).system.outbox).toBeDefined();
  });

  it('keeps requests 14 days, hides one for six sender timeouts, and dead-letters it after 10 receives', () => {
    const { stack, system, template } = defaults;
    const outbox = system.outbox!;
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: OUTBOX_RETENTION_DAYS * 86_400,
      VisibilityTimeout: OUTBOX_VISIBILITY_TIMEOUT_SECONDS,
      RedrivePolicy: { deadLetterTargetArn: attributeOf(stack, outbox.outboxDeadLetterQueue, 'Arn'), maxReceiveCount: OUTBOX_MAX_RECEIVE_COUNT },
      SqsManagedSseEnabled: true,
    });
    expect(OUTBOX_VISIBILITY_TIMEOUT_SECONDS).toBe(6 * SENDER_TIMEOUT_SECONDS);
  });

  it('feeds the sender in batches with partial batch failures, and tells it our webhook, the table, the inbox and the credentials ARN only', () => {
    const { stack, system, template } = defaults;
    const sender = system.senderFunction!;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: SENDER_BATCH_SIZE,
      EventSourceArn: attributeOf(stack, system.outboxQueue!, 'Arn'),
      FunctionName: refTo(stack, sender),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const fn = template.toJSON().Resources[logicalId(stack, sender)];
    expect(fn.Properties.Timeout).toBe(SENDER_TIMEOUT_SECONDS);
    expect(fn.Properties.Environment.Variables).toEqual(
      expect.objectContaining({
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.sender,
        TABLE_NAME: refTo(stack, system.table),
        INBOX_TOPIC_ARN: refTo(stack, system.inboxTopic),
        DEAD_LETTER_QUEUE_URL: refTo(stack, system.outbox!.outboxDeadLetterQueue),
        WEBHOOK_URL: stack.resolve(system.webhookUrl),
        CALLR_CREDENTIALS_SECRET_ARN: CREDENTIALS_SECRET_ARN,
        NUMBER_HASH_KEY_ARN: refTo(stack, system.numberHashKeySecret),
      }),
    );
  });

  it('lets the sender read the credentials, write send records and read opt-outs (no Scan, no index), publish to the inbox topic, send to its DLQ, and consume the outbox', () => {
    const { stack, system, template } = defaults;
    const sender = system.senderFunction!;
    const roleId = stack.getLogicalId(sender.role!.node.defaultChild as CfnElement);
    expect(statementsOfRole(template, roleId)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: attributeOf(stack, sender.logGroup, 'Arn') },
      { Action: [...SENDER_TABLE_ACTIONS].sort(), Effect: 'Allow', Resource: attributeOf(stack, system.table, 'Arn') },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: [CREDENTIALS_SECRET_ARN, refTo(stack, system.numberHashKeySecret)],
      },
      { Action: 'sns:Publish', Effect: 'Allow', Resource: refTo(stack, system.inboxTopic) },
      {
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.outbox!.outboxDeadLetterQueue, 'Arn'),
      },
      {
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.outboxQueue!, 'Arn'),
      },
    ]);
  });

  it('tells the persister the threading window when one is given, and refuses one that is not whole seconds', () => {
    const { stack, system, template } = synthConstruct({ threadingWindow: Duration.days(2) });
    const fn = template.toJSON().Resources[logicalId(stack, system.persistFunction)];
    expect(fn.Properties.Environment.Variables.THREADING_WINDOW_SECONDS).toBe('172800');
    expect(() => synthConstruct({ threadingWindow: Duration.millis(1500) })).toThrow(/threadingWindow must be a whole number of seconds, at least one/);
  });

  it('lets the sender decrypt the credentials with their customer-managed key, through Secrets Manager only', () => {
    const keyArn = 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { stack, system, template } = synthConstruct({}, { credentials: true, credentialsKeyArn: keyArn });
    const roleId = stack.getLogicalId(system.senderFunction!.role!.node.defaultChild as CfnElement);
    expect(statementsOfRole(template, roleId)).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
    });
  });

  it('encrypts the outbox queues with the customer-managed key of the table and queues, and lets the sender use it', () => {
    const app = new App({ context: testContext() });
    const stack = new Stack(app, 'Test');
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    const credentials = secretsmanager.Secret.fromSecretCompleteArn(stack, 'CallrCredentials', CREDENTIALS_SECRET_ARN);
    const system = new CallrInboundSms(stack, 'Sms', { callrCredentialsSecret: credentials, encryptionKey: key });
    const template = Template.fromStack(stack);
    const queues = template.findResources('AWS::SQS::Queue');
    for (const queue of [system.outbox!.outboxQueue, system.outbox!.outboxDeadLetterQueue]) {
      expect(queues[logicalId(stack, queue)].Properties).toMatchObject({ KmsMasterKeyId: stack.resolve(key.keyArn) });
    }
    const roleId = stack.getLogicalId(system.senderFunction!.role!.node.defaultChild as CfnElement);
    const keyStatements = statementsOfRole(template, roleId).filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(stack.resolve(key.keyArn)));
    expect(actionsOf(keyStatements)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  it('alarms on lost answers, on requests in the dead-letter queue and on sender errors', () => {
    const { stack, system, template } = defaults;
    const alarms = system.outbox!.alarms;
    for (const alarm of Object.values(alarms)) {
      const properties = template.toJSON().Resources[logicalId(stack, alarm)].Properties;
      expect(properties.AlarmActions).toEqual([refTo(stack, system.alarmTopic)]);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'sendUnknown', Threshold: 1 });
  });
});
