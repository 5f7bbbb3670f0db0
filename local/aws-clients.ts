import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Real AWS SDK clients pointed at the emulators. The endpoint is set explicitly: fauxqs answers
 * with queue URLs on `sqs.<region>.localhost`, which does not resolve everywhere, and the SDK
 * sends to the configured endpoint rather than the queue URL's host when one is given.
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
const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createLocalClients(endpoints: EmulatorEndpoints): LocalClients {
  const common = { region: endpoints.region, credentials: EMULATOR_CREDENTIALS, maxAttempts: 3 };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodbEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ ...common, endpoint: endpoints.sqsEndpoint });
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
