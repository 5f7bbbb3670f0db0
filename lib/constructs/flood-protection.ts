import { Aws, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WEBHOOK_PATH, type WebhookIntake } from './intake';

/**
 * Flood protection, opt in (docs/threat-model.md, "Floods"): HTTP APIs cannot take AWS WAF, so a
 * CloudFront distribution with a WAFv2 web ACL goes in front of the API, and CALLR is subscribed to
 * the distribution's URL. A web ACL for CloudFront must be created in us-east-1, whatever the
 * stack's region: {@link WebhookRateLimitAcl} is deployed there, on its own stack, and its ARN given
 * to this one (`webhookWebAclArn`).
 */

/** The region every CloudFront web ACL lives in. */
export const CLOUDFRONT_WAF_REGION = 'us-east-1';

/** Props of {@link WebhookFrontDoor}. */
export interface WebhookFrontDoorProps {
  readonly intake: WebhookIntake;
  /** ARN of a WAFv2 web ACL of scope CLOUDFRONT (in us-east-1), e.g. the one {@link WebhookRateLimitAcl} creates. */
  readonly webAclArn: string;
}

/**
 * A CloudFront distribution in front of the HTTP API, behind the given web ACL: nothing cached,
 * every header and the body passed on (the signature and its body reach the ingest unchanged). A part
 * of {@link CallrInboundSms}; see {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class WebhookFrontDoor {
  readonly distribution: cloudfront.Distribution;
  /** The URL CALLR posts to: the distribution's domain + `/webhooks/callr`. */
  readonly webhookUrl: string;

  constructor(scope: Construct, props: WebhookFrontDoorProps) {
    const { intake } = props;
    this.distribution = new cloudfront.Distribution(scope, 'WebhookDistribution', {
      comment: `CALLR webhooks of ${Stack.of(scope).stackName}, behind AWS WAF`,
      webAclId: props.webAclArn,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new origins.HttpOrigin(`${intake.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          // Below the HTTP API's own 30 s integration limit.
          readTimeout: Duration.seconds(30),
        }),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'No geo restriction: CALLR does not publish where its webhook deliveries come from, and a wrong guess would ' +
          'refuse authentic events; the web ACL rate-limits instead.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Every request that reaches the webhook is already in the HTTP API access log (with CloudFront\'s address as ' +
          'source); the web ACL samples and counts what it blocks. Standard logs would need an S3 bucket with ACLs.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its default *.cloudfront.net certificate, whose minimum viewer protocol CloudFront ' +
          'fixes; CALLR posts with HTTPS. A custom domain with its own certificate would allow TLSv1.2_2021.',
      },
    );
    this.webhookUrl = `https://${this.distribution.distributionDomainName}${WEBHOOK_PATH}`;
  }
}

/** Props of {@link WebhookRateLimitAcl}. */
export interface WebhookRateLimitAclProps {
  /**
   * Requests one source address may send in 5 minutes before the web ACL blocks it (for the rest of
   * the window). CALLR delivers from a few addresses: set it above your campaigns' peak.
   * @default 30000 (100 per second)
   */
  readonly requestsPer5MinutesPerIp?: number;
  /**
   * Source ranges never rate-limited (CALLR's delivery addresses, if your account manager gives them).
   * @default - none
   */
  readonly trustedSourceCidrs?: readonly string[];
}

/**
 * A WAFv2 web ACL for CloudFront (scope CLOUDFRONT, so its stack must be in us-east-1) that blocks
 * source addresses above a request rate, with CloudWatch metrics and sampled requests.
 */
export class WebhookRateLimitAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: WebhookRateLimitAclProps = {}) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== CLOUDFRONT_WAF_REGION) {
      throw new Error(`WebhookRateLimitAcl is a CloudFront web ACL: its stack must be in ${CLOUDFRONT_WAF_REGION}, not ${region}`);
    }
    const limit = props.requestsPer5MinutesPerIp ?? 30_000;
    if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) {
      throw new Error(`requestsPer5MinutesPerIp is ${limit}; AWS WAF accepts a whole number from 10 to 2000000000`);
    }
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const trusted = props.trustedSourceCidrs ?? [];
    const trustedSet =
      trusted.length > 0
        ? new wafv2.CfnIPSet(this, 'TrustedSources', { scope: 'CLOUDFRONT', ipAddressVersion: 'IPV4', addresses: [...trusted] })
        : undefined;
    const perIp: wafv2.CfnWebACL.RateBasedStatementProperty = {
      aggregateKeyType: 'IP',
      limit,
      evaluationWindowSec: 300,
      ...(trustedSet
        ? { scopeDownStatement: { notStatement: { statement: { ipSetReferenceStatement: { arn: trustedSet.attrArn } } } } }
        : {}),
    };
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'Rate limit in front of the CALLR inbound SMS webhook',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('CallrWebhookAcl'),
      rules: [
        {
          name: 'RateLimitPerSourceIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: perIp },
          visibilityConfig: visibility('CallrWebhookRateLimited'),
        },
      ],
    });
    this.webAclArn = this.webAcl.attrArn;
  }
}
