import {
  ResourceNotFoundException,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';

/**
 * A real SecretsManagerClient whose middleware stack answers GetSecretValue itself, before
 * anything is serialised or sent: there is no Secrets Manager emulator, and this exercises the
 * real client and command around it. `stages` can be changed between calls (a rotation).
 */
export type StageAnswer = Partial<GetSecretValueCommandOutput> | Error;

export function fakeSecretsManager(stages: Record<string, StageAnswer>) {
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const calls: Array<{ SecretId?: string; VersionStage?: string }> = [];
  client.middlewareStack.add(
    () => async (args) => {
      const { SecretId, VersionStage } = args.input as GetSecretValueCommandInput;
      calls.push({ SecretId, VersionStage });
      const answer = stages[VersionStage ?? 'AWSCURRENT'] ?? secretVersionNotFound(VersionStage);
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, ...answer }, response: {} } as never;
    },
    { step: 'initialize', name: 'fakeSecretsManager' },
  );
  return { client, calls, stages };
}

export type FakeSecretsManager = ReturnType<typeof fakeSecretsManager>;

/** What Secrets Manager answers for a staging label no version holds (AWSPREVIOUS before any rotation). */
export const secretVersionNotFound = (stage = 'AWSCURRENT') =>
  new ResourceNotFoundException({
    message: `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
    $metadata: {},
  });
