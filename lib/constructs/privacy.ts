import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DEFAULT_EVENT_WINDOW } from '../../functions/callr/events';
import { NUMBER_HASH_KEY_ARN_VARIABLE } from '../../functions/privacy/number-hash-key';
import { RETENTION_KINDS, RETENTION_VARIABLES, type RetentionKind } from '../../functions/privacy/retention';

/** Props of {@link NumberHashKey}. */
export interface NumberHashKeyProps {
  /**
   * What happens to the key when it leaves the stack or the stack is deleted: the data's policy,
   * since every stored hash (sender index, opt-out evidence, erasure audit) is useless without it.
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The key of the phone numbers' keyed hash (functions/privacy/number-hash.ts): a generated
 * Secrets Manager secret, which the Lambdas that hash numbers read by ARN. A part of
 * {@link CallrInboundSms}; see {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class NumberHashKey {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, props: NumberHashKeyProps) {
    // 64 letters and digits: about 380 bits, more than HMAC-SHA256's 256 need.
    this.secret = new secretsmanager.Secret(scope, 'NumberHashKey', {
      description: 'Key of the keyed hash of phone numbers (logs, sender index, opt-out evidence, erasure audit); never rotate it',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Every stored hash of a phone number (the sender index, opt-out evidence, erasure audit items, log lines) was ' +
        'computed with this key: a rotation would make them unfindable, so erasure would miss items and opt-outs be lost.',
    });
  }

  /** Lets `fn` read the key, and names it in the variable the key loader reads. */
  grantTo(fn: lambda.Function): void {
    this.secret.grantRead(fn);
    fn.addEnvironment(NUMBER_HASH_KEY_ARN_VARIABLE, this.secret.secretArn);
  }
}

/**
 * How long each kind of item is kept (DynamoDB TTL, attribute `expiresAt`): each kind apart, none
 * by default (kept until erased). Whole seconds; at least {@link minimumRetention}.
 */
export type RetentionProps = Readonly<Partial<Record<RetentionKind, Duration>>>;

/** Added to the longest time a copy of a message can come back, so that it still finds itself stored. */
export const RETENTION_MARGIN = Duration.days(1);

/** What a retention must outlast: the times after which a copy of a stored message can still arrive. */
export interface RetentionFloor {
  /** How far back the reconcile sweep asks CALLR (a message it finds is stored unless already there). */
  readonly reconcileLookBack: Duration;
  /** @default - the ingest's default, 7 days: a CALLR retry of an event this old is still accepted */
  readonly eventMaxAge?: Duration;
}

/**
 * The shortest retention that keeps de-duplication whole: an item removed while a copy of its
 * message can still arrive (a reconcile sweep over its look-back, or a CALLR retry, accepted up to
 * `eventMaxAge` after the event) would be stored and forwarded again. So: the longer of the two,
 * plus {@link RETENTION_MARGIN}. The same floor holds for every kind: statuses are ordered against
 * the stored one, outbound records make sends at most once, and opt-out evidence must not lapse
 * while a message it concerns is still in flight.
 */
export function minimumRetention(floor: RetentionFloor): Duration {
  const eventMaxAgeSeconds = floor.eventMaxAge?.toSeconds() ?? DEFAULT_EVENT_WINDOW.maxAgeMs / 1000;
  return Duration.seconds(Math.max(floor.reconcileLookBack.toSeconds(), eventMaxAgeSeconds) + RETENTION_MARGIN.toSeconds());
}

/** Every problem with `retention`, each saying why. */
export function findRetentionProblems(retention: RetentionProps | undefined, floor: RetentionFloor): string[] {
  if (retention === undefined) return [];
  if (floor.reconcileLookBack.isUnresolved() || floor.eventMaxAge?.isUnresolved()) return [];
  const minimum = minimumRetention(floor).toSeconds();
  const problems: string[] = [];
  for (const [kind, duration] of Object.entries(retention) as Array<[string, Duration | undefined]>) {
    if (!(RETENTION_KINDS as readonly string[]).includes(kind)) {
      problems.push(`retention.${kind} is no kind of item; the kinds are ${RETENTION_KINDS.join(', ')}`);
      continue;
    }
    if (duration === undefined || duration.isUnresolved()) continue;
    const seconds = duration.toSeconds();
    if (!Number.isInteger(seconds) || seconds < minimum) {
      problems.push(
        `retention.${kind} is ${seconds} seconds; it must be whole seconds, at least ${minimum} (${minimum / 86_400} days): ` +
          `the reconcile look-back (${floor.reconcileLookBack.toSeconds()} s) or the oldest event the ingest accepts ` +
          `(eventMaxAge, ${floor.eventMaxAge?.toSeconds() ?? DEFAULT_EVENT_WINDOW.maxAgeMs / 1000} s), whichever is longer, plus ${RETENTION_MARGIN.toDays()} day. ` +
          'An item removed sooner could have its message come back (a sweep, a CALLR retry) and be stored and forwarded again.',
      );
    }
  }
  return problems;
}

/** The environment a Lambda that writes items needs to set their expiry (functions/privacy/retention.ts). */
export function retentionEnvironment(retention: RetentionProps | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const kind of RETENTION_KINDS) {
    const duration = retention?.[kind];
    if (duration !== undefined) environment[RETENTION_VARIABLES[kind]] = String(duration.toSeconds());
  }
  return environment;
}
