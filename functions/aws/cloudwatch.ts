import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { awsClientConfig, type AwsClientOptions } from './client-config';

/** For the operator CLI (`callr-mo alarms test`); no Lambda uses CloudWatch's API. */
export function createCloudWatchClient(options: AwsClientOptions = {}): CloudWatchClient {
  return new CloudWatchClient(awsClientConfig(options, undefined));
}
