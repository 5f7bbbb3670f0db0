import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CallrInboundSmsStack } from './callr-inbound-sms-stack';

/** Stack name when the context gives no `stackName` (set one per environment: staging, production). */
export const DEFAULT_STACK_NAME = 'CallrInboundSms';

/**
 * The CDK app: the stack, checked by cdk-nag's AwsSolutions pack. Every finding fails the synth
 * unless it is acknowledged, with its reason, on the construct it concerns. bin/app.ts runs it;
 * tests build it with their own context.
 */
export function createApp(props: AppProps = {}): App {
  const app = new App(props);
  const stackName: unknown = app.node.tryGetContext('stackName');
  new CallrInboundSmsStack(app, typeof stackName === 'string' && stackName !== '' ? stackName : DEFAULT_STACK_NAME, {
    description: 'CALLR inbound SMS: webhook, signature check, SQS, DynamoDB, and the CALLR webhook subscription',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
