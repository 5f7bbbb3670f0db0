import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { CallrHmacAlgorithm } from '../../functions/callr/signature';
import { SERVICE_NAMES } from '../../functions/observability/observability';
import { createCallrFunction, createLogGroup, LAMBDA_ENTRIES, type LogGroupSettings } from './functions';
import type { CallrQueues } from './queues';

/** The route CALLR posts its webhook events to. */
export const WEBHOOK_PATH = '/webhooks/callr';

/**
 * The ingest Lambda's timeout: CALLR wants a fast answer, and the HTTP API gives up on its
 * integration after 30 s anyway.
 */
export const INGEST_TIMEOUT = Duration.seconds(10);

/**
 * HTTP API context variables written to the access log. Request headers are left out on purpose:
 * they carry the CALLR signature.
 */
export const ACCESS_LOG_FIELDS = {
  // The API's id names the API in metrics counted from these logs (429s: see the monitoring).
  apiId: '$context.apiId',
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationErrorMessage: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
} as const;

/** Props of {@link WebhookIntake}. */
export interface WebhookIntakeProps {
  /** The ingest Lambda sends authentic events to the ingest queue, unusable ones to the dead-letter queue. */
  readonly queues: CallrQueues;
  /** The algorithm CALLR is subscribed with (the ingest verifies both). */
  readonly hmacAlgorithm: CallrHmacAlgorithm;
  /** @default - the ingest's default header, X-CALLR-HmacSignature */
  readonly signatureHeader?: string;
  /** Steady-state requests per second the API stage accepts before answering 429. */
  readonly throttlingRateLimit: number;
  /** Requests the API stage accepts at once above the steady rate. */
  readonly throttlingBurstLimit: number;
  readonly logs: LogGroupSettings;
  /**
   * Oldest `event_at` the ingest Lambda accepts.
   * @default - the ingest Lambda's default: 7 days
   */
  readonly eventMaxAge?: Duration;
  /**
   * How far in the future `event_at` may be.
   * @default - the ingest Lambda's default: 5 minutes
   */
  readonly eventMaxFuture?: Duration;
  /**
   * How long the previous HMAC secret is still accepted after a new value is put.
   * @default - the ingest Lambda's default: 24 hours
   */
  readonly previousSecretGrace?: Duration;
  /**
   * Lambda concurrency reserved for the ingest: it then always has that much, and never takes more.
   * @default - none: the ingest shares the account's unreserved concurrency
   */
  readonly ingestReservedConcurrency?: number;
}

/**
 * Where CALLR's requests come in: the HTTP API (throttled, access-logged), the ingest Lambda that
 * verifies the signature and queues authentic events, and the HMAC secret it verifies with. A part
 * of {@link CallrInboundSms}; see {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class WebhookIntake {
  /** The HMAC key CALLR signs with: a generated plain-string secret. */
  readonly hmacSecret: secretsmanager.Secret;
  readonly ingestFunction: NodejsFunction;
  readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage, with throttling and access logs. */
  readonly stage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** The URL CALLR posts to: the API endpoint + `/webhooks/callr`. */
  readonly webhookUrl: string;

  constructor(scope: Construct, props: WebhookIntakeProps) {
    const { queues } = props;
    // HMAC secret: a plain string (no JSON template), no punctuation so it survives any transport.
    this.hmacSecret = new secretsmanager.Secret(scope, 'HmacSecret', {
      description: 'HMAC key CALLR signs inbound SMS webhooks with (plain string, shared with CALLR at subscription)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.hmacSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The HMAC key is shared with CALLR, so a rotation must re-subscribe the webhooks: the operator puts a new ' +
        'value and bumps hmacSecretVersion, and the ingest Lambda accepts AWSCURRENT and AWSPREVIOUS meanwhile ' +
        '(docs/infrastructure.md). An automatic rotation Lambda would change the key without telling CALLR.',
    });

    this.ingestFunction = createCallrFunction(scope, 'IngestFunction', {
      entry: LAMBDA_ENTRIES.ingest,
      serviceName: SERVICE_NAMES.ingest,
      description: 'Verifies CALLR webhook signatures and queues authentic events',
      timeout: INGEST_TIMEOUT,
      memorySize: 512,
      environment: {
        QUEUE_URL: queues.ingestQueue.queueUrl,
        DEAD_LETTER_QUEUE_URL: queues.deadLetterQueue.queueUrl,
        HMAC_SECRET_ARN: this.hmacSecret.secretArn,
        HMAC_ALGORITHM: props.hmacAlgorithm,
        ...(props.signatureHeader ? { HMAC_SIGNATURE_HEADER: props.signatureHeader } : {}),
        ...(props.eventMaxAge ? { EVENT_MAX_AGE_SECONDS: String(props.eventMaxAge.toSeconds()) } : {}),
        ...(props.eventMaxFuture ? { EVENT_MAX_FUTURE_SECONDS: String(props.eventMaxFuture.toSeconds()) } : {}),
        ...(props.previousSecretGrace
          ? { HMAC_PREVIOUS_SECRET_GRACE_SECONDS: String(props.previousSecretGrace.toSeconds()) }
          : {}),
      },
      logs: props.logs,
      reservedConcurrentExecutions: props.ingestReservedConcurrency,
    });
    queues.ingestQueue.grantSendMessages(this.ingestFunction);
    queues.deadLetterQueue.grantSendMessages(this.ingestFunction);
    this.hmacSecret.grantRead(this.ingestFunction);

    this.httpApi = new apigwv2.HttpApi(scope, 'HttpApi', {
      // Names need not be unique; this one tells apart the APIs of several stacks in the console.
      apiName: `${Stack.of(scope).stackName}-callr-webhooks`,
      description: 'Receives CALLR inbound SMS webhooks',
      // The default stage is created below, with throttling and access logs.
      createDefaultStage: false,
    });
    this.accessLogGroup = createLogGroup(scope, 'ApiAccessLogs', props.logs);
    this.stage = new apigwv2.HttpStage(scope, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const [webhookRoute] = this.httpApi.addRoutes({
      path: WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingestFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    Validations.of(webhookRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'CALLR cannot present IAM, JWT or API-key credentials; every request is authenticated by the ingest Lambda ' +
        'with the HMAC signature over the raw body (401 when missing or wrong), and the stage is throttled.',
    });
    this.webhookUrl = `${this.httpApi.apiEndpoint}${WEBHOOK_PATH}`;
  }
}
