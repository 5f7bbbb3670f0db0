import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { CallrInboundSms, type CallrInboundSmsProps } from '../../lib/callr-inbound-sms';

/** App context that skips asset bundling in every stack: all infra tests but the bundling one. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

/** cdk.json's context (the feature flags `cdk synth` uses), so tests see the template a deploy gets. */
export const PROJECT_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** The context of a test app: the project's flags, no bundling, plus the test's own values. */
export function testContext(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...PROJECT_CONTEXT, ...SKIP_BUNDLING, ...extra };
}

/** JSON paths of every string in `value` that contains `needle`. */
export function pathsContaining(value: unknown, needle: string, at = '$'): string[] {
  if (typeof value === 'string') return value.includes(needle) ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => pathsContaining(item, needle, `${at}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(key.includes(needle) ? [`${at}.${key} (key)`] : []),
      ...pathsContaining(item, needle, `${at}.${key}`),
    ]);
  }
  return [];
}

export const CREDENTIALS_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:callr/test-credentials-AbCdEf';

export interface SynthesizedConstruct {
  readonly stack: Stack;
  readonly system: CallrInboundSms;
  readonly template: Template;
}

/**
 * The construct alone in an environment-agnostic stack. `credentials: true` passes an imported
 * CALLR credentials secret (the construct requires one while `subscribeWebhook` is on);
 * `credentialsKeyArn` the customer-managed key that secret is encrypted with.
 */
export function synthConstruct(
  props: Omit<CallrInboundSmsProps, 'callrCredentialsSecret' | 'callrCredentialsKey'>,
  options: { credentials: boolean; credentialsKeyArn?: string } = { credentials: true },
): SynthesizedConstruct {
  const app = new App({ context: testContext() });
  const stack = new Stack(app, 'Test');
  const callrCredentialsSecret = options.credentials
    ? secretsmanager.Secret.fromSecretCompleteArn(stack, 'CallrCredentials', CREDENTIALS_SECRET_ARN)
    : undefined;
  const callrCredentialsKey =
    options.credentialsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(stack, 'CallrCredentialsKey', options.credentialsKeyArn);
  const system = new CallrInboundSms(stack, 'Sms', { ...props, callrCredentialsSecret, callrCredentialsKey });
  return { stack, system, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation knows a construct's main resource by. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

export function refTo(stack: Stack, construct: IConstruct): { Ref: string } {
  return { Ref: logicalId(stack, construct) };
}

export function attributeOf(stack: Stack, construct: IConstruct, attribute: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId(stack, construct), attribute] };
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Principal?: unknown;
}

/** Every statement of the IAM policies attached to one role, in template order. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

export function actionsOf(statements: readonly PolicyStatementJson[]): string[] {
  return statements.flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action])).sort();
}
