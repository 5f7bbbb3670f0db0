import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, type AwsClientOptions } from './client-config';

/**
 * The document client's marshalling: an attribute left undefined (an optional field) is omitted
 * instead of failing the write, in Lambda as in local mode.
 */
export const DOCUMENT_TRANSLATION: TranslateConfig = { marshallOptions: { removeUndefinedValues: true } };

export interface DynamoDbClients {
  /** The low-level client: table administration, middleware (tests), destroy(). */
  readonly dynamodb: DynamoDBClient;
  /** What the message store talks to. */
  readonly documents: DynamoDBDocumentClient;
}

export function createDynamoDbClients(options: AwsClientOptions = {}): DynamoDbClients {
  const dynamodb = new DynamoDBClient(awsClientConfig(options, options.endpoints?.dynamodb));
  return { dynamodb, documents: DynamoDBDocumentClient.from(dynamodb, DOCUMENT_TRANSLATION) };
}
