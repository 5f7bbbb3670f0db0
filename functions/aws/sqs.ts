import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig, type AwsClientOptions } from './client-config';

export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(awsClientConfig(options, options.endpoints?.sqs));
}
