import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createSubscription, deleteSubscription, describeError, updateSubscription, type SubscriptionDependencies } from './subscription';

/**
 * The Provider framework's `onEvent` for the webhook subscription: CloudFormation event in,
 * `{ PhysicalResourceId, Data }` out. PhysicalResourceId is the CALLR webhook hash and `Data`
 * holds nothing but `WebhookHash`. The event is never logged whole: it carries the pre-signed
 * ResponseURL.
 */

export interface SubscriptionResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly WebhookHash: string };
}

export function createSubscriptionHandler(deps: SubscriptionDependencies) {
  return async function onEvent(event: CloudFormationCustomResourceEvent): Promise<SubscriptionResponse> {
    const context = {
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
      requestId: event.RequestId,
    };
    deps.logger?.info('CALLR webhook subscription event', context);
    try {
      switch (event.RequestType) {
        case 'Create': {
          const { webhookHash } = await createSubscription(deps, event.ResourceProperties);
          return { PhysicalResourceId: webhookHash, Data: { WebhookHash: webhookHash } };
        }
        case 'Update': {
          const { webhookHash } = await updateSubscription(deps, {
            physicalResourceId: event.PhysicalResourceId,
            properties: event.ResourceProperties,
            oldProperties: event.OldResourceProperties,
          });
          return { PhysicalResourceId: webhookHash, Data: { WebhookHash: webhookHash } };
        }
        case 'Delete':
          await deleteSubscription(deps, { physicalResourceId: event.PhysicalResourceId, properties: event.ResourceProperties });
          return { PhysicalResourceId: event.PhysicalResourceId };
      }
    } catch (error) {
      deps.logger?.error('CALLR webhook subscription failed', { ...context, error: describeError(error) });
      throw error;
    }
  };
}
