import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../../lib/app';
import { testContext } from './synth';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every `Validations.of(...).acknowledge(...)` recorded in the construct tree. */
function acknowledgementsIn(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

const CONTEXTS: [string, Record<string, unknown>][] = [
  ['defaults', {}],
  [
    'every option',
    {
      callrCredentialsSecretName: 'prod/callr',
      eventTypes: 'sms.mo,sms.mt.status_update',
      hmacAlgorithm: 'SHA512',
      alarmEmail: 'oncall@example.test',
      persistMaxConcurrency: 5,
      removalPolicy: 'destroy',
      callrApiUrl: 'https://callr.example.test/json-rpc/v1.1/',
      dataKmsKeyArn: 'arn:aws:kms:eu-west-3:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666',
      replyBot: 'true',
    },
  ],
  ['without subscription', { subscribeWebhook: false }],
  [
    'with flood protection (the web ACL stack in us-east-1, the distribution in front of the API)',
    {
      floodProtectionAcl: 'true',
      webhookWebAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/callr-webhook/0a1b2c3d-1111-2222-3333-444455556666',
    },
  ],
];

describe.each(CONTEXTS)('cdk-nag AwsSolutions on the app (%s)', (_name, context) => {
  let app: App;
  beforeAll(() => {
    app = createApp({ context: testContext(context) });
  });

  it('finds no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}: ${violation.description}`,
    );
    expect(findings).toEqual([]);
  });

  it('synthesizes with the AwsSolutions plugin the app registers', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges each finding on the construct it concerns, with its reason', () => {
    const acknowledgements = acknowledgementsIn(app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const acknowledgement of acknowledgements) {
      expect(acknowledgement.id).toMatch(/^AwsSolutions-/);
      expect(acknowledgement.path).not.toMatch(/^[^/]+$/); // on a construct, not on the whole stack
      expect(acknowledgement.reason.length).toBeGreaterThan(60);
    }
  });
});

it('documents every acknowledged rule in docs/infrastructure.md', () => {
  const docs = readFileSync(path.join(__dirname, '..', '..', 'docs', 'infrastructure.md'), 'utf8');
  const rules = new Set(acknowledgementsIn(createApp({ context: testContext() })).map(({ id }) => id.replace(/\[.*$/, '')));
  expect([...rules].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4']);
  for (const rule of rules) expect(docs).toContain(rule);
});

it('fails the synth on a finding nobody acknowledged', () => {
  const app = createApp({ context: testContext() });
  const [stack] = app.node.children.filter((child) => child instanceof Stack);
  new sqs.Queue(stack, 'UnencryptedStrayQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  } finally {
    consoleError.mockRestore();
  }
});
