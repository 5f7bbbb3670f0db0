import { App, type AppProps, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CLOUDFRONT_WAF_REGION, WebhookRateLimitAcl } from './constructs/flood-protection';
import { CallrInboundSmsStack } from './callr-inbound-sms-stack';

/** Stack name when the context gives no `stackName` (set one per environment: staging, production). */
export const DEFAULT_STACK_NAME = 'CallrInboundSms';

/**
 * The CDK app: the stack (and, with `-c floodProtectionAcl=true`, the web ACL stack in us-east-1
 * that flood protection needs: docs/threat-model.md), checked by cdk-nag's AwsSolutions pack. Every finding fails the synth
 * unless it is acknowledged, with its reason, on the construct it concerns. bin/app.ts runs it;
 * tests build it with their own context.
 */
export function createApp(props: AppProps = {}): App {
  const app = new App(props);
  const contextName: unknown = app.node.tryGetContext('stackName');
  const stackName = typeof contextName === 'string' && contextName !== '' ? contextName : DEFAULT_STACK_NAME;
  new CallrInboundSmsStack(app, stackName, {
    description: 'CALLR inbound SMS: webhook, signature check, SQS, DynamoDB, and the CALLR webhook subscription',
  });
  if (String(app.node.tryGetContext('floodProtectionAcl')) === 'true') {
    // CloudFront takes web ACLs from us-east-1 only; deploy this stack once, then the main one with
    // -c webhookWebAclArn=<its WebAclArn output>.
    const aclStack = new Stack(app, `${stackName}-WebhookAcl`, {
      env: { region: CLOUDFRONT_WAF_REGION },
      description: 'CALLR inbound SMS: rate-limiting web ACL for the webhook distribution (CloudFront, us-east-1)',
    });
    const limit: unknown = app.node.tryGetContext('floodProtectionRequestsPer5Minutes');
    const acl = new WebhookRateLimitAcl(aclStack, 'WebhookRateLimitAcl', {
      ...(limit !== undefined ? { requestsPer5MinutesPerIp: Number(limit) } : {}),
    });
    new CfnOutput(aclStack, 'WebAclArn', { value: acl.webAclArn, description: 'Give it to the main stack: -c webhookWebAclArn=<this>' });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
