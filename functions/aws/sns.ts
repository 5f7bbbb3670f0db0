import { SNSClient } from '@aws-sdk/client-sns';
import { awsClientConfig, type AwsClientOptions } from './client-config';

/** For the inbox topic (functions/inbox/): the persister and every other publisher of inbox messages. */
export function createSnsClient(options: AwsClientOptions = {}): SNSClient {
  return new SNSClient(awsClientConfig(options, options.endpoints?.sns));
}
