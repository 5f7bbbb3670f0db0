import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { IConstruct } from 'constructs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { logicalId, synthConstruct, type SynthesizedConstruct } from '../infra/synth';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';
import { queueArn } from '../../local/provision';

/**
 * Local mode must behave like a deployment: the queues and the table it creates on the emulators
 * (local/provision.ts) are compared here with what the CDK construct declares (lib/), setting by
 * setting, so that neither can drift from the other unnoticed.
 */
jest.setTimeout(60_000);

type QueueName = 'ingestQueue' | 'deadLetterQueue' | 'inboxQueue' | 'inboxDeadLetterQueue' | 'outboxQueue' | 'outboxDeadLetterQueue';
const LOCAL_URL: Record<QueueName, keyof TestEnvironment> = {
  ingestQueue: 'ingestQueueUrl',
  deadLetterQueue: 'deadLetterQueueUrl',
  inboxQueue: 'inboxQueueUrl',
  inboxDeadLetterQueue: 'inboxDeadLetterQueueUrl',
  outboxQueue: 'outboxQueueUrl',
  outboxDeadLetterQueue: 'outboxDeadLetterQueueUrl',
};
const QUEUES = Object.keys(LOCAL_URL) as QueueName[];

// SQS's defaults, which the template leaves out when the construct does not set them.
const SQS_DEFAULTS = { MessageRetentionPeriod: 4 * 24 * 3600, VisibilityTimeout: 30 };

describe('local mode provisions what the construct declares', () => {
  let deployed: SynthesizedConstruct;
  let env: TestEnvironment;

  beforeAll(async () => {
    deployed = synthConstruct({});
    env = await startTestEnvironment();
  });
  afterAll(() => env?.stop());

  const declared = (construct: IConstruct) =>
    deployed.template.findResources('AWS::SQS::Queue')[logicalId(deployed.stack, construct)]!.Properties;

  /** A queue of the construct by its name (the outbox's are in its outbox part). */
  const deployedQueue = (name: QueueName): Queue =>
    name === 'outboxQueue' || name === 'outboxDeadLetterQueue' ? deployed.system.outbox![name] : deployed.system[name];

  /** The queue a redrive policy targets, by its name in the construct. */
  const deployedTarget = (policy: { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } } | undefined) =>
    policy && QUEUES.find((name) => logicalId(deployed.stack, deployedQueue(name)) === policy.deadLetterTargetArn['Fn::GetAtt'][0]);

  it.each(QUEUES)('%s: retention, visibility timeout and redrive', async (name) => {
    const properties = declared(deployedQueue(name));
    const { Attributes = {} } = await env.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: env[LOCAL_URL[name]] as string, AttributeNames: ['All'] }),
    );
    const localPolicy = Attributes.RedrivePolicy ? JSON.parse(Attributes.RedrivePolicy) : undefined;
    const localTarget =
      localPolicy &&
      (await Promise.all(QUEUES.map(async (other) => [other, await queueArn(env.clients.sqs, env[LOCAL_URL[other]] as string)] as const)))
        .find(([, arn]) => arn === localPolicy.deadLetterTargetArn)?.[0];

    expect({
      retention: Number(Attributes.MessageRetentionPeriod),
      visibility: Number(Attributes.VisibilityTimeout),
      redrivesTo: localTarget,
      maxReceiveCount: localPolicy?.maxReceiveCount,
    }).toEqual({
      retention: properties.MessageRetentionPeriod ?? SQS_DEFAULTS.MessageRetentionPeriod,
      visibility: properties.VisibilityTimeout ?? SQS_DEFAULTS.VisibilityTimeout,
      redrivesTo: deployedTarget(properties.RedrivePolicy),
      maxReceiveCount: properties.RedrivePolicy?.maxReceiveCount,
    });
  });

  it('the table: keys, attribute types, indexes and their projections', async () => {
    const [table] = Object.values(deployed.template.findResources('AWS::DynamoDB::GlobalTable'));
    const { Table } = await env.clients.dynamodb.send(new DescribeTableCommand({ TableName: env.tableName }));
    const byName = <T extends { AttributeName?: string; IndexName?: string }>(items: readonly T[] = []) =>
      [...items].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));

    expect(byName(Table?.AttributeDefinitions)).toEqual(byName(table!.Properties.AttributeDefinitions));
    expect(Table?.KeySchema).toEqual(table!.Properties.KeySchema);
    expect(
      byName(Table?.GlobalSecondaryIndexes).map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: { ...index.Projection, NonKeyAttributes: [...(index.Projection?.NonKeyAttributes ?? [])].sort() },
      })),
    ).toEqual(
      byName(table!.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: unknown; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }>).map(
        (index) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: { ProjectionType: index.Projection.ProjectionType, NonKeyAttributes: [...(index.Projection.NonKeyAttributes ?? [])].sort() },
        }),
      ),
    );
  });
});
