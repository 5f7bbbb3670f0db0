import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoDbClients } from '../functions/aws/dynamodb';
import { createSnsClient } from '../functions/aws/sns';
import { createSqsClient } from '../functions/aws/sqs';

/**
 * Real AWS SDK clients pointed at the emulators, built by the same factories as the Lambdas'
 * (functions/aws/), so local mode runs with the same timeouts, retries and marshalling. The
 * endpoint is set explicitly: fauxqs answers with queue URLs on `sqs.<region>.localhost`, which
 * does not resolve everywhere, and the SDK sends to the configured endpoint rather than the queue
 * URL's host when one is given. fauxqs also emulates SNS, on the same endpoint as SQS.
 */
export interface EmulatorEndpoints {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly region: string;
}

export interface LocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /** The inbox topic's publisher (fauxqs, the SQS endpoint). */
  readonly sns: SNSClient;
  destroy(): void;
}

/** The emulators accept any credentials; these keep the SDK from searching for real ones. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function createLocalClients(endpoints: EmulatorEndpoints): LocalClients {
  const options = {
    region: endpoints.region,
    credentials: EMULATOR_CREDENTIALS,
    endpoints: { dynamodb: endpoints.dynamodbEndpoint, sqs: endpoints.sqsEndpoint, sns: endpoints.sqsEndpoint },
  };
  const { dynamodb, documents } = createDynamoDbClients(options);
  const sqs = createSqsClient(options);
  const sns = createSnsClient(options);
  return {
    dynamodb,
    documents,
    sqs,
    sns,
    destroy() {
      dynamodb.destroy();
      sqs.destroy();
      sns.destroy();
    },
  };
}
