import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { HandledEventType } from '../../functions/callr/events';
import type { CallrHmacAlgorithm } from '../../functions/callr/signature';
import { SERVICE_NAMES } from '../../functions/observability/observability';
import { createCallrFunction, createLambdaRole, createLogGroup, grantCallrCredentials, LAMBDA_ENTRIES, type LogGroupSettings } from './functions';
import type { WebhookFrontDoor } from './flood-protection';
import type { WebhookIntake } from './intake';

/** CloudFormation resource type of one CALLR webhook subscription. */
export const WEBHOOK_RESOURCE_TYPE = 'Custom::CallrWebhook';

/**
 * How long CloudFormation waits for one subscription call: a CALLR that does not answer fails the
 * deploy after this instead of hanging it for CloudFormation's default hour.
 */
export const WEBHOOK_SERVICE_TIMEOUT = Duration.minutes(5);

/** Props of {@link WebhookSubscription}. */
export interface WebhookSubscriptionProps {
  /** The HMAC secret CALLR is given, and the API that must exist while subscribed. */
  readonly intake: WebhookIntake;
  /** The URL subscribed: the API's, or the distribution's in front of it. */
  readonly endpoint: string;
  /**
   * The distribution in front of the API, which must exist while subscribed too.
   * @default - none: CALLR posts to the API
   */
  readonly frontDoor?: WebhookFrontDoor;
  /** The CALLR API credentials (JSON `apiKey`, or `login` + `password`), read by ARN. */
  readonly callrCredentialsSecret: secretsmanager.ISecret;
  /**
   * The customer-managed KMS key the credentials secret is encrypted with: the subscription Lambda
   * may then decrypt with it, through Secrets Manager only.
   * @default - the secret is encrypted with the AWS managed key `aws/secretsmanager` (nothing to grant)
   */
  readonly callrCredentialsKey?: kms.IKey;
  /** One webhook per type. */
  readonly eventTypes: readonly HandledEventType[];
  readonly hmacAlgorithm: CallrHmacAlgorithm;
  /** A non-secret label of the HMAC secret's value; changing it re-subscribes. */
  readonly hmacSecretVersion: string;
  readonly logs: LogGroupSettings;
  /**
   * The CALLR JSON-RPC endpoint (https only).
   * @default - the subscription handler's default, https://api.callr.com/json-rpc/v1.1/
   */
  readonly callrApiUrl?: string;
}

/**
 * The CALLR webhook subscriptions, one custom resource per event type, with their handler and
 * provider. Subscribed once the API exists, unsubscribed before it goes. A part of
 * {@link CallrInboundSms}; see {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class WebhookSubscription {
  readonly subscriptionFunction: NodejsFunction;
  readonly subscriptionProvider: Provider;
  /** One per event type, in `eventTypes` order. */
  readonly webhookSubscriptions: readonly CustomResource[];

  constructor(scope: Construct, props: WebhookSubscriptionProps) {
    const { intake, callrCredentialsSecret: credentials } = props;
    this.subscriptionFunction = createCallrFunction(scope, 'SubscriptionFunction', {
      entry: LAMBDA_ENTRIES.subscription,
      serviceName: SERVICE_NAMES.subscription,
      description: 'Subscribes and unsubscribes the CALLR webhooks (custom resource)',
      // Below the service timeout, so that a slow CALLR fails this call, not the deploy's clock.
      timeout: Duration.minutes(2),
      memorySize: 256,
      environment: {},
      logs: props.logs,
    });
    intake.hmacSecret.grantRead(this.subscriptionFunction);
    grantCallrCredentials(this.subscriptionFunction, credentials, props.callrCredentialsKey);

    const providerLogs = createLogGroup(scope, 'SubscriptionProviderLogs', props.logs);
    const providerRole = createLambdaRole(scope, 'SubscriptionProviderRole', providerLogs);
    this.subscriptionProvider = new Provider(scope, 'SubscriptionProvider', {
      onEventHandler: this.subscriptionFunction,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });
    const subscriptionFunctionId = Stack.of(scope).getLogicalId(this.subscriptionFunction.node.defaultChild as lambda.CfnFunction);
    Validations.of(providerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${subscriptionFunctionId}.Arn>:*]`,
      reason:
        'The Provider framework grants itself lambda:InvokeFunction on the subscription function and its versions ' +
        '(ARN:*); the wildcard covers versions of that one function only.',
    });

    this.webhookSubscriptions = props.eventTypes.map((eventType) => {
      const subscription = new CustomResource(scope, `Webhook${pascalCase(eventType)}`, {
        serviceToken: this.subscriptionProvider.serviceToken,
        resourceType: WEBHOOK_RESOURCE_TYPE,
        serviceTimeout: WEBHOOK_SERVICE_TIMEOUT,
        properties: {
          Endpoint: props.endpoint,
          EventType: eventType,
          HmacAlgorithm: props.hmacAlgorithm,
          HmacSecretArn: intake.hmacSecret.secretArn,
          CredentialsSecretArn: credentials.secretArn,
          SecretVersion: props.hmacSecretVersion,
          ...(props.callrApiUrl !== undefined ? { ApiUrl: props.callrApiUrl } : {}),
        },
      });
      // CALLR may deliver as soon as it is subscribed, and must be unsubscribed before the API goes.
      subscription.node.addDependency(intake.httpApi, intake.stage, intake.ingestFunction);
      if (props.frontDoor) subscription.node.addDependency(props.frontDoor.distribution);
      return subscription;
    });
  }
}

/** `sms.mt.status_update` → `SmsMtStatusUpdate`, for construct ids. */
function pascalCase(value: string): string {
  return value
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}
