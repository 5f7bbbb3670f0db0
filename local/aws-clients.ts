import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoDbClients } from '../functions/aws/dynamodb';
import { createSqsClient } from '../functions/aws/sqs';

/**
 * Real AWS SDK clients pointed at the emulators, built by the same factories as the Lambdas'
 * (functions/aws/), so local mode runs with the same timeouts, retries and marshalling. The
 * endpoint is set explicitly: fauxqs answers with queue URLs on `sqs.<region>.localhost`, which
 * does not resolve everywhere, and the SDK sends to the configured endpoint rather than the queue
 * URL's host when one is given.
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
  destroy(): void;
}

/** The emulators accept any credentials; these keep the SDK from searching for real ones. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function createLocalClients(endpoints: EmulatorEndpoints): LocalClients {
  const options = {
    region: endpoints.region,
    credentials: EMULATOR_CREDENTIALS,
    endpoints: { dynamodb: endpoints.dynamodbEndpoint, sqs: endpoints.sqsEndpoint },
  };
  const { dynamodb, documents } = createDynamoDbClients(options);
  const sqs = createSqsClient(options);
  return {
    dynamodb,
    documents,
    sqs,
    destroy() {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}
