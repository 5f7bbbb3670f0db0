import { z } from 'zod';
import { DEFAULT_CALLR_API_URL } from '../callr/json-rpc-client';
import { CALLR_HMAC_ALGORITHMS } from '../callr/signature';
import { SubscriptionPropertiesError } from './errors';

/**
 * The custom resource's ResourceProperties (all strings, as CloudFormation delivers them).
 * Secrets travel as ARNs only; their values are read at run time and never appear here.
 */
const httpUrl = (what: string) =>
  z.string({ error: `${what} is required` }).refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { error: `${what} must be an http(s) URL without credentials in it` },
  );

const required = (what: string) => z.string({ error: `${what} is required` }).trim().min(1, { error: `${what} is required` });

export const SubscriptionProperties = z.object({
  /** The webhook URL CALLR posts to: the API URL + `/webhooks/callr`. */
  Endpoint: httpUrl('Endpoint'),
  /** CALLR event type, e.g. `sms.mo` or `sms.mt.status_update`. */
  EventType: required('EventType').regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, {
    error: 'EventType must be a CALLR event type such as sms.mo or sms.mt.status_update',
  }),
  /** @default 'SHA256' */
  HmacAlgorithm: z.enum(CALLR_HMAC_ALGORITHMS, { error: `HmacAlgorithm must be one of ${CALLR_HMAC_ALGORITHMS.join(', ')}` }).default('SHA256'),
  /** Secrets Manager ARN of the plain-string HMAC secret CALLR signs deliveries with. */
  HmacSecretArn: required('HmacSecretArn'),
  /** Secrets Manager ARN of the CALLR credentials, JSON `{"apiKey"}` or `{"login","password"}`. */
  CredentialsSecretArn: required('CredentialsSecretArn'),
  /** @default DEFAULT_CALLR_API_URL */
  ApiUrl: httpUrl('ApiUrl').default(DEFAULT_CALLR_API_URL),
  /** Not secret; changing it (on a rotation of the HMAC secret) re-subscribes. */
  SecretVersion: z.string().optional(),
});
export type SubscriptionProperties = z.infer<typeof SubscriptionProperties>;

/**
 * Validates ResourceProperties; unknown keys (CloudFormation's `ServiceToken`, say) are ignored.
 * Throws `SubscriptionPropertiesError` listing every problem.
 */
export function parseSubscriptionProperties(input: unknown): SubscriptionProperties {
  const parsed = SubscriptionProperties.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new SubscriptionPropertiesError(parsed.error.issues.map((issue) => issue.message));
}

/** Two property sets that name the same subscription at the same CALLR account. */
export function sameSubscriptionTarget(a: SubscriptionProperties, b: SubscriptionProperties): boolean {
  return a.EventType === b.EventType && a.Endpoint === b.Endpoint && a.ApiUrl === b.ApiUrl && a.CredentialsSecretArn === b.CredentialsSecretArn;
}

/** Nothing that matters to CALLR changed (e.g. only the Provider's ServiceToken did). */
export function sameSubscription(a: SubscriptionProperties, b: SubscriptionProperties): boolean {
  return sameSubscriptionTarget(a, b) && a.HmacAlgorithm === b.HmacAlgorithm && a.HmacSecretArn === b.HmacSecretArn && a.SecretVersion === b.SecretVersion;
}
