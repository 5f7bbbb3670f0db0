import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { NUMBER_HASH_KEY_ARN_VARIABLE } from '../../functions/privacy/number-hash-key';

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
