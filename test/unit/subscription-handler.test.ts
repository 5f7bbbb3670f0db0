import type { CloudFormationCustomResourceDeleteEvent, Context } from 'aws-lambda';
import { handler } from '../../functions/subscription/handler';

/**
 * The Lambda entry's wiring (middy, Powertools logger and metrics middlewares, SecretsProvider):
 * a Delete of a placeholder id needs neither CALLR nor Secrets Manager, so it runs offline.
 */
describe('subscription Lambda entry', () => {
  const output: string[] = [];

  beforeAll(() => {
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }
  });
  afterAll(() => jest.restoreAllMocks());

  it('answers a Delete of a failed Create without logging the ResponseURL', async () => {
    const event: CloudFormationCustomResourceDeleteEvent = {
      RequestType: 'Delete',
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:onEvent',
      ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x?X-Amz-Signature=presigned',
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/callr-inbound/1',
      RequestId: 'd1f0c6a2-0000-4000-8000-000000000001',
      LogicalResourceId: 'SmsMoSubscription',
      PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED',
      ResourceType: 'Custom::CallrWebhookSubscription',
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:onEvent' },
    };
    const context = {
      functionName: 'subscription',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:subscription',
      memoryLimitInMB: '256',
      awsRequestId: 'c0ffee00-0000-4000-8000-000000000002',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;

    await expect(handler(event, context)).resolves.toEqual({ PhysicalResourceId: event.PhysicalResourceId });

    const logged = output.join('');
    expect(logged).toContain('"CALLR webhook subscription event"');
    expect(logged).toContain('c0ffee00-0000-4000-8000-000000000002');
    expect(logged).not.toContain('X-Amz-Signature');
  });
});
