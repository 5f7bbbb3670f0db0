import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import {
  CallrInboundSmsPropsError,
  PERSIST_TABLE_ACTIONS,
  WEBHOOK_PATH,
  type CallrInboundSmsProps,
} from '../../lib/callr-inbound-sms';
import { TABLE_INDEXES, TABLE_KEYS } from '../../functions/messages/table-design';
import {
  DEAD_LETTER_RETENTION_DAYS,
  INBOX_RETENTION_DAYS,
  INGEST_RETENTION_DAYS,
  INGEST_VISIBILITY_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  PERSIST_BATCH_SIZE,
  PERSIST_TIMEOUT_SECONDS,
} from '../../functions/queues/queue-design';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../functions/observability/observability';
import { INGEST_METRICS } from '../../functions/ingest/metrics';
import { RECONCILE_METRICS } from '../../functions/reconcile/metrics';
import {
  actionsOf,
  attributeOf,
  CREDENTIALS_SECRET_ARN,
  logicalId,
  pathsContaining,
  refTo,
  statementsOfRole,
  synthConstruct,
  type SynthesizedConstruct,
} from './synth';

/** Values a careless construct might copy from the environment into the template. */
const CANARY_ENV = {
  CALLR_HMAC_SECRET: 'canary-hmac-secret-3f9a1c',
  CALLR_API_KEY: 'canary-api-key-7d21be',
  CALLR_PASSWORD: 'canary-password-52e0aa',
};

let defaults: SynthesizedConstruct;
let custom: SynthesizedConstruct;
let unsubscribed: SynthesizedConstruct;

beforeAll(() => {
  const savedEnv = { ...process.env };
  Object.assign(process.env, CANARY_ENV);
  try {
    defaults = synthConstruct({});
    custom = synthConstruct({
      eventTypes: ['sms.mo', 'sms.mt.status_update'],
      hmacAlgorithm: 'SHA512',
      hmacSecretVersion: '7',
      callrApiUrl: 'https://callr.example.test/json-rpc/v1.1/',
      throttlingRateLimit: 50,
      throttlingBurstLimit: 80,
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
      persistMaxConcurrency: 5,
      alarmEmail: 'oncall@example.test',
      oldestMessageAgeAlarmThreshold: Duration.minutes(3),
      eventMaxAge: Duration.days(2),
      eventMaxFuture: Duration.seconds(90),
      previousSecretGrace: Duration.seconds(0),
      signatureHeader: 'X-Callr-Signature-V2',
    });
    unsubscribed = synthConstruct({ subscribeWebhook: false }, { credentials: false });
  } finally {
    process.env = savedEnv;
  }
});

describe('HTTP API', () => {
  it('routes POST /webhooks/callr to the ingest Lambda with payload format 2.0', () => {
    const { stack, system, template } = defaults;
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: refTo(stack, system.httpApi),
      RouteKey: `POST ${WEBHOOK_PATH}`,
      AuthorizationType: 'NONE',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: Match.anyValue() }]] },
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: attributeOf(stack, system.ingestFunction, 'Arn'),
    });
  });

  it('names the API after its stack', () => {
    defaults.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'Test-callr-webhooks', ProtocolType: 'HTTP' });
  });

  it('exposes the webhook URL as the API endpoint plus the route', () => {
    const { stack, system } = defaults;
    expect(stack.resolve(system.webhookUrl)).toEqual({
      'Fn::Join': ['', [attributeOf(stack, system.httpApi, 'ApiEndpoint'), WEBHOOK_PATH]],
    });
  });

  it.each([
    ['defaults', () => defaults, { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 }, 30],
    ['props', () => custom, { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 }, 7],
  ])('throttles the only ($default) stage and writes JSON access logs (%s)', (_name, synthesized, throttling, retentionDays) => {
    const { stack, system, template } = synthesized();
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const { AccessLogSettings, ...settings } = stage.Properties;
    expect(settings).toEqual({
      ApiId: refTo(stack, system.httpApi),
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: throttling,
    });
    expect(AccessLogSettings.DestinationArn).toEqual(attributeOf(stack, system.accessLogGroup, 'Arn'));
    const format = JSON.parse(AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      sourceIp: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationErrorMessage: '$context.integrationErrorMessage',
    });
    // Headers carry the CALLR signature: none may reach the access log.
    expect(AccessLogSettings.Format).not.toMatch(/header/i);
    expect(template.findResources('AWS::Logs::LogGroup')[logicalId(stack, system.accessLogGroup)].Properties).toEqual({
      RetentionInDays: retentionDays,
    });
  });
});

describe('queues', () => {
  it('keeps ingest messages 14 days and redrives them to the dead-letter queue after MAX_RECEIVE_COUNT receives', () => {
    const { stack, system, template } = defaults;
    expect(template.findResources('AWS::SQS::Queue')[logicalId(stack, system.ingestQueue)].Properties).toEqual({
      MessageRetentionPeriod: Duration.days(INGEST_RETENTION_DAYS).toSeconds(),
      RedrivePolicy: { deadLetterTargetArn: attributeOf(stack, system.deadLetterQueue, 'Arn'), maxReceiveCount: MAX_RECEIVE_COUNT },
      SqsManagedSseEnabled: true,
      VisibilityTimeout: INGEST_VISIBILITY_TIMEOUT_SECONDS,
    });
  });

  it('keeps the ingest visibility timeout at least six times the persister timeout', () => {
    const { stack, system, template } = defaults;
    const queue = template.findResources('AWS::SQS::Queue')[logicalId(stack, system.ingestQueue)];
    const persist = template.findResources('AWS::Lambda::Function')[logicalId(stack, system.persistFunction)];
    expect(persist.Properties.Timeout).toBe(PERSIST_TIMEOUT_SECONDS);
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * persist.Properties.Timeout);
  });

  it('gives the inbox queue its own dead-letter queue, and the inbox and both dead-letter queues the 14-day retention', () => {
    const { stack, system, template } = defaults;
    const queues = template.findResources('AWS::SQS::Queue');
    expect(queues[logicalId(stack, system.inboxQueue)].Properties).toEqual({
      MessageRetentionPeriod: Duration.days(INBOX_RETENTION_DAYS).toSeconds(),
      RedrivePolicy: { deadLetterTargetArn: attributeOf(stack, system.inboxDeadLetterQueue, 'Arn'), maxReceiveCount: MAX_RECEIVE_COUNT },
      SqsManagedSseEnabled: true,
    });
    for (const deadLetterQueue of [system.deadLetterQueue, system.inboxDeadLetterQueue]) {
      expect(queues[logicalId(stack, deadLetterQueue)].Properties).toEqual({
        MessageRetentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS).toSeconds(),
        SqsManagedSseEnabled: true,
      });
    }
  });

  it.each([
    ['are retained on update and delete (not on a failed create) by default', () => defaults, 'RetainExceptOnCreate', 'Retain'],
    ['follow removalPolicy', () => custom, 'Delete', 'Delete'],
  ])('hold authentic events, so they %s', (_name, synthesized, deletionPolicy, updateReplacePolicy) => {
    const { template } = synthesized();
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue).toMatchObject({ DeletionPolicy: deletionPolicy, UpdateReplacePolicy: updateReplacePolicy });
    }
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    const { stack, system, template } = defaults;
    const queues = [
      system.ingestQueue,
      system.deadLetterQueue,
      system.inboxQueue,
      system.inboxDeadLetterQueue,
      system.outbox!.outboxQueue,
      system.outbox!.outboxDeadLetterQueue,
    ];
    template.resourceCountIs('AWS::SQS::Queue', queues.length);
    for (const queue of queues) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [refTo(stack, queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: attributeOf(stack, queue, 'Arn'),
            },
          ]),
        },
      });
    }
    expect(Object.values(template.findResources('AWS::SQS::Queue')).map((queue) => queue.Properties.SqsManagedSseEnabled)).toEqual(
      queues.map(() => true),
    );
  });

  it('feeds the persister from the ingest queue in batches, reporting partial batch failures, at most 50 at once', () => {
    const { stack, system, template } = defaults;
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    const persistMappings = mappings.filter((mapping) => JSON.stringify(mapping.Properties.FunctionName) === JSON.stringify(refTo(stack, system.persistFunction)));
    expect(persistMappings).toHaveLength(1);
    expect(persistMappings[0]!.Properties).toEqual({
      BatchSize: PERSIST_BATCH_SIZE,
      EventSourceArn: attributeOf(stack, system.ingestQueue, 'Arn'),
      FunctionName: refTo(stack, system.persistFunction),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  it('caps the persister concurrency when asked', () => {
    custom.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: PERSIST_BATCH_SIZE,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });
});

describe('table', () => {
  const expectedTable = {
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      TABLE_KEYS.partitionKey,
      TABLE_KEYS.sortKey,
      ...TABLE_INDEXES.flatMap((index) => [index.partitionKey, index.sortKey]),
    ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    BillingMode: 'PAY_PER_REQUEST',
    // Retention (issue 10): on always; only items with the attribute expire.
    TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        index.projectedAttributes.length > 0
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] }
          : { ProjectionType: 'KEYS_ONLY' },
    })),
    Replicas: [
      {
        Region: { Ref: 'AWS::Region' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({ IndexName: index.indexName })),
      },
    ],
  };

  it.each([
    ['is retained on update and delete, and protected from deletion, by default', () => defaults, 'RetainExceptOnCreate', 'Retain', true],
    ['follows removalPolicy', () => custom, 'Delete', 'Delete', false],
  ])('is on demand with point-in-time recovery, keys and indexes from the table design, and %s', (_name, synthesized, deletionPolicy, updateReplacePolicy, protectedFromDeletion) => {
    const { template } = synthesized();
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    expect(table).toEqual({
      Type: 'AWS::DynamoDB::GlobalTable',
      Properties: {
        ...expectedTable,
        Replicas: [{ ...expectedTable.Replicas[0], DeletionProtectionEnabled: protectedFromDeletion }],
      },
      DeletionPolicy: deletionPolicy,
      UpdateReplacePolicy: updateReplacePolicy,
    });
  });
});

describe('Lambdas', () => {
  const functionsOf = ({ system }: SynthesizedConstruct) =>
    [system.ingestFunction, system.persistFunction, system.subscriptionFunction].filter((fn) => fn !== undefined);

  it.each([
    ['defaults', () => defaults, 30],
    ['props', () => custom, 7],
  ])('run on arm64 and Node.js 24 with source maps, Powertools settings and their own log group (%s)', (_name, synthesized, retentionDays) => {
    const synthesizedConstruct = synthesized();
    const { stack, template } = synthesizedConstruct;
    const functions = template.findResources('AWS::Lambda::Function');
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const fn of functionsOf(synthesizedConstruct)) {
      const { Properties: properties } = functions[logicalId(stack, fn)];
      expect(properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Environment: {
          Variables: expect.objectContaining({
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^callr-inbound-sms-/),
            POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          }),
        },
      });
      const logGroupId = properties.LoggingConfig.LogGroup.Ref as string;
      expect(logGroups[logGroupId].Properties).toEqual({ RetentionInDays: retentionDays });
    }
  });

  it('gives the ingest Lambda the queue URLs, the HMAC secret ARN and the algorithm, and nothing secret', () => {
    const { stack, system, template } = defaults;
    const ingest = template.findResources('AWS::Lambda::Function')[logicalId(stack, system.ingestFunction)];
    expect(ingest.Properties.Environment.Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'callr-inbound-sms-ingest',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      STACK_NAME: 'Test',
      QUEUE_URL: refTo(stack, system.ingestQueue),
      DEAD_LETTER_QUEUE_URL: refTo(stack, system.deadLetterQueue),
      HMAC_SECRET_ARN: refTo(stack, system.hmacSecret),
      HMAC_ALGORITHM: 'SHA256',
    });
  });

  it('passes the configured algorithm, signature header, event window and previous-secret grace to the ingest Lambda', () => {
    const { stack, system, template } = custom;
    const ingest = template.findResources('AWS::Lambda::Function')[logicalId(stack, system.ingestFunction)];
    expect(ingest.Properties.Environment.Variables).toMatchObject({
      HMAC_ALGORITHM: 'SHA512',
      HMAC_SIGNATURE_HEADER: 'X-Callr-Signature-V2',
      EVENT_MAX_AGE_SECONDS: String(2 * 24 * 3600),
      EVENT_MAX_FUTURE_SECONDS: '90',
      // Zero is a value, not an absence: it is how a leaked secret is cut off at once.
      HMAC_PREVIOUS_SECRET_GRACE_SECONDS: '0',
    });
  });

  it('gives the persist Lambda the table name, the dead-letter queue URL, the inbox topic ARN and the number hash key ARN', () => {
    const { stack, system, template } = defaults;
    const persist = template.findResources('AWS::Lambda::Function')[logicalId(stack, system.persistFunction)];
    expect(persist.Properties.Environment.Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'callr-inbound-sms-persist',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      STACK_NAME: 'Test',
      TABLE_NAME: refTo(stack, system.table),
      TABLE_INDEXES: TABLE_INDEXES.map((index) => index.indexName).join(','),
      DEAD_LETTER_QUEUE_URL: refTo(stack, system.deadLetterQueue),
      INBOX_TOPIC_ARN: refTo(stack, system.inboxTopic),
      NUMBER_HASH_KEY_ARN: refTo(stack, system.numberHashKeySecret),
    });
  });

  it('gives the persist Lambda the opt-out words it is given, and only those lists', () => {
    const { stack, system, template } = synthConstruct({ optOutWords: { stop: ['STOP', 'Arrêt'] } });
    const persist = template.findResources('AWS::Lambda::Function')[logicalId(stack, system.persistFunction)];
    expect(persist.Properties.Environment.Variables).toMatchObject({ OPT_OUT_STOP_WORDS: 'STOP,Arrêt' });
    expect(persist.Properties.Environment.Variables).not.toHaveProperty('OPT_OUT_START_WORDS');
  });
});

describe('IAM', () => {
  const roleId = ({ stack }: SynthesizedConstruct, fn: { role?: { node: { defaultChild?: unknown } } } | undefined) =>
    stack.getLogicalId(fn?.role?.node.defaultChild as CfnRole);

  it('lets the ingest Lambda send to its two queues and read the HMAC secret, nothing more', () => {
    const { stack, system, template } = defaults;
    expect(statementsOfRole(template, roleId(defaults, system.ingestFunction))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.ingestFunction.logGroup, 'Arn'),
      },
      {
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Effect: 'Allow',
        Resource: [attributeOf(stack, system.deadLetterQueue, 'Arn'), attributeOf(stack, system.ingestQueue, 'Arn')],
      },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: refTo(stack, system.hmacSecret),
      },
    ]);
  });

  it('keeps the ingest Lambda away from the table', () => {
    const { stack, system, template } = defaults;
    const statements = statementsOfRole(template, roleId(defaults, system.ingestFunction));
    expect(actionsOf(statements).filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain(logicalId(stack, system.table));
  });

  it('lets the persist Lambda write the table without Scan or deletes, send to the DLQ, publish to the inbox topic, and consume the ingest queue', () => {
    const { stack, system, template } = defaults;
    expect(statementsOfRole(template, roleId(defaults, system.persistFunction))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.persistFunction.logGroup, 'Arn'),
      },
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.table, 'Arn'),
      },
      {
        Action: 'dynamodb:Query',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [attributeOf(stack, system.table, 'Arn'), '/index/byOutboundRecipient']] },
      },
      {
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.deadLetterQueue, 'Arn'),
      },
      { Action: 'sns:Publish', Effect: 'Allow', Resource: refTo(stack, system.inboxTopic) },
      {
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.ingestQueue, 'Arn'),
      },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: refTo(stack, system.numberHashKeySecret),
      },
    ]);
    expect([...PERSIST_TABLE_ACTIONS].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('keeps the persist Lambda away from every secret but the number hash key', () => {
    const { stack, system, template } = defaults;
    const statements = statementsOfRole(template, roleId(defaults, system.persistFunction)) as Array<{ Action: unknown; Resource: unknown }>;
    const secretStatements = statements.filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));
    expect(secretStatements.map((statement) => statement.Resource)).toEqual([refTo(stack, system.numberHashKeySecret)]);
  });

  it('generates the number hash key as a plain-string secret, kept like the data', () => {
    const { stack, system, template } = defaults;
    const secret = template.findResources('AWS::SecretsManager::Secret')[logicalId(stack, system.numberHashKeySecret)];
    expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.UpdateReplacePolicy).toBe('Retain');
    expect(secret.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  it('lets the subscription Lambda read the HMAC and CALLR credentials secrets, nothing more', () => {
    const { stack, system, template } = defaults;
    expect(statementsOfRole(template, roleId(defaults, system.subscriptionFunction))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: attributeOf(stack, system.subscriptionFunction!.logGroup, 'Arn'),
      },
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: [CREDENTIALS_SECRET_ARN, refTo(stack, system.hmacSecret)],
      },
    ]);
  });

  it('uses no managed policies and no wildcard resource in any IAM policy', () => {
    for (const { template } of [defaults, custom, unsubscribed]) {
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
      const resources = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
        (policy.Properties.PolicyDocument.Statement as { Resource: unknown }[]).flatMap((statement) =>
          Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource],
        ),
      );
      expect(resources.length).toBeGreaterThan(0);
      expect(resources.filter((resource) => resource === '*')).toEqual([]);
    }
  });
});

describe('webhook subscription', () => {
  it('registers one sms.mo webhook by default, with ARNs and never secret values', () => {
    const { stack, system, template } = defaults;
    template.resourceCountIs('Custom::CallrWebhook', 1);
    const [webhook] = Object.values(template.findResources('Custom::CallrWebhook'));
    expect(webhook.Properties).toEqual({
      ServiceToken: attributeOf(stack, system.subscriptionProvider!.node.findChild('framework-onEvent'), 'Arn'),
      ServiceTimeout: '300',
      Endpoint: stack.resolve(system.webhookUrl),
      EventType: 'sms.mo',
      HmacAlgorithm: 'SHA256',
      HmacSecretArn: refTo(stack, system.hmacSecret),
      CredentialsSecretArn: CREDENTIALS_SECRET_ARN,
      SecretVersion: '1',
    });
  });

  it('registers one webhook per event type, with the configured algorithm, version and API URL', () => {
    const { stack, system, template } = custom;
    template.resourceCountIs('Custom::CallrWebhook', 2);
    const webhooks = Object.values(template.findResources('Custom::CallrWebhook')).map((resource) => resource.Properties);
    expect(webhooks.map((properties) => properties.EventType)).toEqual(['sms.mo', 'sms.mt.status_update']);
    for (const properties of webhooks) {
      expect(properties).toMatchObject({
        ServiceTimeout: '300',
        Endpoint: stack.resolve(system.webhookUrl),
        HmacAlgorithm: 'SHA512',
        SecretVersion: '7',
        ApiUrl: 'https://callr.example.test/json-rpc/v1.1/',
      });
    }
    expect(system.webhookSubscriptions).toHaveLength(2);
  });

  it('subscribes only once the API, its stage and the ingest Lambda exist (and unsubscribes before they go)', () => {
    const { stack, system, template } = defaults;
    const [webhook] = Object.values(template.findResources('Custom::CallrWebhook'));
    expect(webhook.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(stack, system.httpApi),
        logicalId(stack, system.stage),
        logicalId(stack, system.ingestFunction),
      ]),
    );
  });

  it('can deploy without registering anything at CALLR', () => {
    const { system, template } = unsubscribed;
    template.resourceCountIs('Custom::CallrWebhook', 0);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    expect(system.subscriptionFunction).toBeUndefined();
    expect(system.subscriptionProvider).toBeUndefined();
    expect(system.webhookSubscriptions).toEqual([]);
  });
});

describe('secrets', () => {
  it('generates two secrets: the HMAC secret, a 48-character plain string without punctuation, and the number hash key', () => {
    const { stack, system, template } = defaults;
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const secret = template.findResources('AWS::SecretsManager::Secret')[logicalId(stack, system.hmacSecret)];
    expect(secret.Properties).toEqual({
      Description: expect.any(String),
      GenerateSecretString: { ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 48 },
    });
  });

  it('finds a value planted anywhere in a template (so the scan below can fail)', () => {
    const planted = { ...defaults.template.toJSON(), Outputs: { Leak: { Value: `x${CANARY_ENV.CALLR_API_KEY}x` } } };
    expect(pathsContaining(planted, CANARY_ENV.CALLR_API_KEY)).toEqual(['$.Outputs.Leak.Value']);
  });

  it.each([
    ['defaults', () => defaults],
    ['props', () => custom],
    ['without subscription', () => unsubscribed],
  ])('puts no secret value anywhere in the template (%s)', (_name, synthesized) => {
    const template = synthesized().template.toJSON();
    for (const canary of Object.values(CANARY_ENV)) expect(pathsContaining(template, canary)).toEqual([]);
    // A dynamic reference would make CloudFormation resolve a secret value into a resource.
    expect(pathsContaining(template, '{{resolve:')).toEqual([]);
    // A secret created with a value (rather than generated) would carry it in the template.
    expect(pathsContaining(template, 'SecretString').filter((at) => !at.includes('GenerateSecretString'))).toEqual([]);
  });
});

describe('alarms', () => {
  it('creates one alarm per entry of `alarms`, each notifying the encrypted, TLS-only alarm topic on alarm and recovery', () => {
    const { stack, system, template } = defaults;
    const topic = refTo(stack, system.alarmTopic);
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const everyAlarm = [...Object.values(system.alarms), ...Object.values(system.outbox?.alarms ?? {})];
    expect(Object.keys(alarms).sort()).toEqual(everyAlarm.map((alarm) => logicalId(stack, alarm)).sort());
    // Metric alarms name their metric; math alarms (rates, sums) read several.
    expect(
      Object.values(alarms)
        .filter((alarm) => alarm.Properties.MetricName)
        .map((alarm) => [alarm.Properties.Namespace, alarm.Properties.MetricName])
        .sort(),
    ).toEqual([
      ['AWS/ApiGateway', '5xx'],
      ['AWS/Lambda', 'Duration'],
      ['AWS/Lambda', 'Errors'],
      ['AWS/Lambda', 'Errors'],
      ['AWS/Lambda', 'Errors'],
      ['AWS/SNS', 'NumberOfNotificationsFailed'],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage'],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/SQS', 'NumberOfMessagesSent'],
      [METRICS_NAMESPACE, INGEST_METRICS.rejected],
      [METRICS_NAMESPACE, 'WebhookUnsubscribeFailed'],
      [METRICS_NAMESPACE, RECONCILE_METRICS.reconciled],
      [METRICS_NAMESPACE, 'sendUnknown'],
    ]);
    for (const [id, alarm] of Object.entries(alarms)) {
      // Only the heartbeat takes silence for a failure.
      const treatMissingData = id === logicalId(stack, system.alarms.heartbeat!) ? 'breaching' : 'notBreaching';
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic], TreatMissingData: treatMissingData });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: attributeOf(stack, system.alarmTopic.masterKey!, 'Arn') });
    // TLS only, and CloudWatch may publish (the exact statement is asserted in operability.test.ts).
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ],
      },
    });
    // Nobody is subscribed to the alarms without alarmEmail (the only subscription is the inbox queue's, to the inbox topic).
    expect(Object.values(template.findResources('AWS::SNS::Subscription')).map((subscription) => subscription.Properties.TopicArn)).toEqual([
      refTo(stack, system.inboxTopic),
    ]);
  });

  it.each([
    ['dead-letter queue', (s: SynthesizedConstruct) => s.system.alarms.deadLetterQueueNotEmpty, (s: SynthesizedConstruct) => s.system.deadLetterQueue, 'GreaterThanOrEqualToThreshold', 1],
    ['inbox dead-letter queue', (s: SynthesizedConstruct) => s.system.alarms.inboxDeadLetterQueueNotEmpty, (s: SynthesizedConstruct) => s.system.inboxDeadLetterQueue, 'GreaterThanOrEqualToThreshold', 1],
    ['oldest ingest message', (s: SynthesizedConstruct) => s.system.alarms.oldestIngestMessageAge, (s: SynthesizedConstruct) => s.system.ingestQueue, 'GreaterThanThreshold', 900],
  ])('watches the %s', (_name, alarmOf, queueOf, comparison, threshold) => {
    const { stack, template } = defaults;
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, alarmOf(defaults))];
    expect(alarm.Properties).toMatchObject({
      ComparisonOperator: comparison,
      Threshold: threshold,
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'QueueName', Value: attributeOf(stack, queueOf(defaults), 'QueueName') }],
    });
  });

  it('watches signature rejections through the ingest Lambda\'s own metric', () => {
    const { stack, system, template } = defaults;
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, system.alarms.signatureRejections)];
    expect(alarm.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: INGEST_METRICS.rejected,
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: SERVICE_NAMES.ingest },
        { Name: 'reason', Value: 'invalid_signature' },
      ]),
      Period: 300,
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 10,
    });
  });

  it('uses the configured oldest-message threshold and subscribes the alarm email', () => {
    const { stack, system, template } = custom;
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, system.alarms.oldestIngestMessageAge)];
    expect(alarm.Properties.Threshold).toBe(180);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.test',
      TopicArn: refTo(stack, system.alarmTopic),
    });
  });

  it('lets CloudWatch use the alarm topic key', () => {
    const { stack, system, template } = defaults;
    const key = template.findResources('AWS::KMS::Key')[logicalId(stack, system.alarmTopic.masterKey!)];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      // This account's alarms only (the conditions are asserted in operability.test.ts).
      Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
      // Key policies always name the key itself as "*".
      Resource: '*',
    });
  });
});

describe('props validation', () => {
  const credentialsNeeded =
    'callrCredentialsSecret is required when subscribeWebhook is true: pass the CALLR credentials secret, ' +
    'or set subscribeWebhook to false to deploy without registering the webhook';

  it.each<[string, Omit<CallrInboundSmsProps, 'callrCredentialsSecret'>, boolean, string[]]>([
    ['no credentials while subscribing', {}, false, [credentialsNeeded]],
    [
      'credentials while neither subscribing, reconciling nor sending',
      { subscribeWebhook: false, reconcile: false, outbox: false },
      true,
      ['callrCredentialsSecret is given but subscribeWebhook, reconcile and outbox are false: nothing would use it'],
    ],
    ['an outbox without credentials', { subscribeWebhook: false, outbox: true }, false, ['callrCredentialsSecret is required when outbox is true: the sender sends through CALLR with it']],
    [
      'reconciliation without credentials',
      { subscribeWebhook: false, reconcile: true },
      false,
      ['reconcile is true but no callrCredentialsSecret is given: the sweep asks CALLR for the SMS it received, with those credentials'],
    ],
    [
      'a look-back shorter than two sweeps',
      { reconcileEvery: Duration.hours(1), reconcileLookBack: Duration.minutes(90) },
      true,
      ['reconcileLookBack is 5400 seconds; it must be at least twice reconcileEvery (7200 seconds), so that every second is asked by two sweeps and one failed sweep loses nothing'],
    ],
    ['no event type', { eventTypes: [] }, true, ['eventTypes must name at least one CALLR event type']],
    [
      'unsupported and repeated event types',
      { eventTypes: ['sms.mo', 'call.start' as 'sms.mo', 'sms.mo'] },
      true,
      ['eventTypes holds call.start; supported: sms.mo, sms.mt.status_update', 'eventTypes lists sms.mo more than once'],
    ],
    ['unknown algorithm', { hmacAlgorithm: 'MD5' as 'SHA256' }, true, ['hmacAlgorithm is MD5; supported: SHA256, SHA512']],
    ['blank secret version', { hmacSecretVersion: ' ' }, true, ['hmacSecretVersion must not be empty']],
    [
      'plain-http CALLR API',
      { callrApiUrl: 'http://api.callr.com/json-rpc/v1.1/' },
      true,
      ['callrApiUrl is http://api.callr.com/json-rpc/v1.1/; it must be an https:// URL (the request carries CALLR credentials)'],
    ],
    [
      'throttling out of range',
      { throttlingRateLimit: 0, throttlingBurstLimit: 2.5 },
      true,
      [
        'throttlingRateLimit is 0; it must be a number of requests per second above 0',
        'throttlingBurstLimit is 2.5; it must be a whole number of requests above 0',
      ],
    ],
    [
      'persister concurrency below the SQS minimum',
      { persistMaxConcurrency: 1 },
      true,
      ['persistMaxConcurrency is 1; SQS event sources accept a whole number from 2 to 1000'],
    ],
    ['malformed alarm email', { alarmEmail: 'oncall' }, true, ['alarmEmail is "oncall"; it must be an email address']],
    [
      'oldest-message threshold under a minute',
      { oldestMessageAgeAlarmThreshold: Duration.seconds(30) },
      true,
      ['oldestMessageAgeAlarmThreshold must be at least one minute (SQS reports the age once a minute)'],
    ],
    [
      'signature-rejection threshold of zero',
      { signatureRejectionsAlarmThreshold: 0 },
      true,
      ['signatureRejectionsAlarmThreshold is 0; it must be a whole number of requests, at least 1'],
    ],
    ['empty event window', { eventMaxAge: Duration.seconds(0) }, true, ['eventMaxAge must be longer than zero seconds']],
    [
      'an opt-out word that is also a start word',
      { optOutWords: { stop: ['STOP', 'yes'] } },
      true,
      ['optOutWords: "YES" is both a stop and a start word'],
    ],
    [
      'an opt-out word with a comma',
      { optOutWords: { start: ['START,GO'] } },
      true,
      ['optOutWords must not contain commas (the persister reads them as a comma-separated list): ["START,GO"]'],
    ],
  ])('rejects %s', (_name, props, withCredentials, problems) => {
    let thrown: unknown;
    try {
      synthConstruct(props, { credentials: withCredentials });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CallrInboundSmsPropsError);
    expect((thrown as CallrInboundSmsPropsError).problems).toEqual(problems);
  });

  it('reports every problem at once, in one message', () => {
    expect(() =>
      synthConstruct({ eventTypes: [], hmacAlgorithm: 'SHA1' as 'SHA256', alarmEmail: 'x' }, { credentials: false }),
    ).toThrow(
      new CallrInboundSmsPropsError([
        credentialsNeeded,
        'eventTypes must name at least one CALLR event type',
        'hmacAlgorithm is SHA1; supported: SHA256, SHA512',
        'alarmEmail is "x"; it must be an email address',
      ]),
    );
  });
});
