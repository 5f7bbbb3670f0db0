import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CallrInboundSms, CallrInboundSmsPropsError, findPropsProblems, minimumRetention } from '../../lib/callr-inbound-sms';
import { CallrInboundSmsStack, readStackContext } from '../../lib/callr-inbound-sms-stack';
import { logicalId, statementsOfRole, synthConstruct, testContext } from './synth';

/** Issue 10: retention per kind through DynamoDB TTL, with a floor that keeps de-duplication whole. */
describe('retention', () => {
  const DAY = 86_400;

  it('turns TTL on the table, on expiresAt, whatever the retention (items without it never expire)', () => {
    const { stack, system, template } = synthConstruct({});
    const table = template.findResources('AWS::DynamoDB::GlobalTable')[logicalId(stack, system.table)];
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('gives the persister each kind\'s retention in seconds, and none by default', () => {
    const persistEnv = (synthesized: ReturnType<typeof synthConstruct>) =>
      synthesized.template.findResources('AWS::Lambda::Function')[logicalId(synthesized.stack, synthesized.system.persistFunction)].Properties.Environment
        .Variables as Record<string, unknown>;
    const kept = persistEnv(synthConstruct({ retention: { inboundMessages: Duration.days(30), statuses: Duration.days(10) } }));
    expect(kept).toMatchObject({ RETENTION_INBOUND_MESSAGES_SECONDS: String(30 * DAY), RETENTION_STATUSES_SECONDS: String(10 * DAY) });
    expect(Object.keys(persistEnv(synthConstruct({}))).filter((name) => name.startsWith('RETENTION_'))).toEqual([]);
  });

  it('gives the sender the outbound records\' retention, and none by default', () => {
    const senderEnv = (synthesized: ReturnType<typeof synthConstruct>) =>
      synthesized.template.findResources('AWS::Lambda::Function')[logicalId(synthesized.stack, synthesized.system.senderFunction!)].Properties.Environment
        .Variables as Record<string, unknown>;
    expect(senderEnv(synthConstruct({ retention: { outboundRecords: Duration.days(90) } }))).toMatchObject({ RETENTION_OUTBOUND_RECORDS_SECONDS: String(90 * DAY) });
    expect(Object.keys(senderEnv(synthConstruct({}))).filter((name) => name.startsWith('RETENTION_'))).toEqual([]);
  });

  it('sets the floor at the longer of the reconcile look-back and eventMaxAge, plus a day', () => {
    expect(minimumRetention({ reconcileLookBack: Duration.hours(48) }).toDays()).toBe(8);
    expect(minimumRetention({ reconcileLookBack: Duration.hours(48), eventMaxAge: Duration.days(1) }).toDays()).toBe(3);
    expect(minimumRetention({ reconcileLookBack: Duration.days(10), eventMaxAge: Duration.days(1) }).toDays()).toBe(11);
  });

  it('refuses a retention shorter than the floor, saying why, for every kind at once', () => {
    const problems = findPropsProblems({
      subscribeWebhook: false,
      retention: { inboundMessages: Duration.days(2), optOutEvidence: Duration.hours(1), statuses: Duration.days(8) },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^retention\.inboundMessages is 172800 seconds; it must be whole seconds, at least 691200 \(8 days\).*stored and forwarded again/),
      expect.stringMatching(/^retention\.optOutEvidence is 3600 seconds/),
    ]);
    expect(() => synthConstruct({ retention: { inboundMessages: Duration.days(2) } })).toThrow(CallrInboundSmsPropsError);
  });

  it('lowers the floor with a shorter eventMaxAge', () => {
    expect(findPropsProblems({ subscribeWebhook: false, eventMaxAge: Duration.days(1), retention: { inboundMessages: Duration.days(3) } })).toEqual([]);
  });
});

/** Issue 10: an optional customer-managed KMS key for the table and the queues. */
describe('customer-managed KMS key', () => {
  function synthWithKey(withKey: boolean) {
    const app = new App({ context: testContext() });
    const stack = new Stack(app, 'Test');
    const key = withKey ? new kms.Key(stack, 'DataKey', { enableKeyRotation: true }) : undefined;
    const system = new CallrInboundSms(stack, 'Sms', { subscribeWebhook: false, encryptionKey: key });
    return { stack, system, key, template: Template.fromStack(stack) };
  }
  const queuesOf = (system: CallrInboundSms) => [system.ingestQueue, system.deadLetterQueue, system.inboxQueue, system.inboxDeadLetterQueue];

  it('encrypts the table and every queue with it', () => {
    const { stack, system, key, template } = synthWithKey(true);
    const table = template.findResources('AWS::DynamoDB::GlobalTable')[logicalId(stack, system.table)];
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(table.Properties.Replicas[0].SSESpecification).toEqual({ KMSMasterKeyId: stack.resolve(key!.keyArn) });
    const queues = template.findResources('AWS::SQS::Queue');
    for (const queue of queuesOf(system)) {
      expect(queues[logicalId(stack, queue)].Properties).toMatchObject({ KmsMasterKeyId: stack.resolve(key!.keyArn) });
      expect(queues[logicalId(stack, queue)].Properties.SqsManagedSseEnabled).toBeUndefined();
    }
  });

  it('lets SNS deliver to the encrypted inbox queue: the key policy allows the topic', () => {
    const { stack, key, template } = synthWithKey(true);
    const policy = template.findResources('AWS::KMS::Key')[logicalId(stack, key!)].Properties.KeyPolicy.Statement as Array<Record<string, unknown>>;
    expect(policy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']),
          Principal: { Service: 'sns.amazonaws.com' },
          Effect: 'Allow',
        }),
      ]),
    );
  });

  it('lets the persister and the ingest use it, through their roles', () => {
    const { stack, system, key, template } = synthWithKey(true);
    const keyStatements = (fn: typeof system.persistFunction) =>
      statementsOfRole(template, stack.getLogicalId(fn.role!.node.defaultChild as CfnRole)).filter(
        (statement) => JSON.stringify(statement.Resource) === JSON.stringify(stack.resolve(key!.keyArn)),
      );
    const persistActions = keyStatements(system.persistFunction).flatMap((statement) => [statement.Action].flat());
    expect(persistActions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
    const ingestActions = keyStatements(system.ingestFunction).flatMap((statement) => [statement.Action].flat());
    expect(ingestActions).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  it('keeps AWS owned and SQS-managed encryption without it', () => {
    const { stack, system, template } = synthWithKey(false);
    const table = template.findResources('AWS::DynamoDB::GlobalTable')[logicalId(stack, system.table)];
    expect(table.Properties.SSESpecification).toBeUndefined();
    const queues = template.findResources('AWS::SQS::Queue');
    for (const queue of queuesOf(system)) expect(queues[logicalId(stack, queue)].Properties).toMatchObject({ SqsManagedSseEnabled: true });
    template.resourceCountIs('AWS::KMS::Key', 1); // the alarm topic's, only
  });

  it('is read from the stack context as dataKmsKeyArn', () => {
    const arn = 'arn:aws:kms:eu-west-3:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
    const app = new App({ context: testContext({ subscribeWebhook: false, dataKmsKeyArn: arn }) });
    const stack = new CallrInboundSmsStack(app, 'WithKey');
    const queue = Template.fromStack(stack).findResources('AWS::SQS::Queue')[stack.getLogicalId(stack.system.ingestQueue.node.defaultChild as CfnElement)];
    expect(queue.Properties.KmsMasterKeyId).toBe(arn);
    // Its policy is not ours to change: the synth says what it must allow.
    expect(stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data))).toEqual([
      expect.stringMatching(/^dataKmsKeyArn: the policy of key .* must allow the service principal sns\.amazonaws\.com/),
    ]);
    expect(() => readStackContext((key) => ({ dataKmsKeyArn: 'alias/mine', subscribeWebhook: false })[key as string])).toThrow(/dataKmsKeyArn is "alias\/mine"; expected the ARN of a KMS key/);
  });
});
