import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig, type AwsClientOptions } from './client-config';

export function createSecretsManagerClient(options: AwsClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(awsClientConfig(options, options.endpoints?.secretsManager));
}
