import { createHash } from 'node:crypto';
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

/** Nothing that matters to CALLR changed (e.g. only the Provider's ServiceToken did). */
export function sameSubscription(a: SubscriptionProperties, b: SubscriptionProperties): boolean {
  return (
    a.EventType === b.EventType &&
    subscribedEndpoint(a) === subscribedEndpoint(b) &&
    a.ApiUrl === b.ApiUrl &&
    a.CredentialsSecretArn === b.CredentialsSecretArn
  );
}

/** Query parameters the subscription adds to `Endpoint`; the ingest ignores them (it verifies the body only). */
export const SUBSCRIPTION_QUERY = { secretVersion: 'callrSecretVersion', key: 'callrSubscription' } as const;

/**
 * The URL CALLR is subscribed to: `Endpoint` plus the secret version and a key derived from
 * everything that decides how CALLR signs (secret ARN, version label, algorithm). A rotation
 * therefore subscribes a new URL next to the old one (CALLR refuses the same type and URL
 * twice), so that the old hook stays in force until CloudFormation deletes it — or keeps it,
 * when the update rolls back. Neither value is secret.
 */
export function subscribedEndpoint(properties: SubscriptionProperties): string {
  const url = new URL(properties.Endpoint);
  const key = createHash('sha256')
    .update(JSON.stringify([properties.HmacSecretArn, properties.SecretVersion ?? null, properties.HmacAlgorithm]))
    .digest('hex')
    .slice(0, 12);
  if (properties.SecretVersion !== undefined) url.searchParams.set(SUBSCRIPTION_QUERY.secretVersion, properties.SecretVersion);
  url.searchParams.set(SUBSCRIPTION_QUERY.key, key);
  return url.toString();
}
