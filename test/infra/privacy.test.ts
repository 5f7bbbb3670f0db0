import { Duration } from 'aws-cdk-lib';
import { CallrInboundSmsPropsError, findPropsProblems, minimumRetention } from '../../lib/callr-inbound-sms';
import { logicalId, synthConstruct } from './synth';

/** Issue 10: retention per kind through DynamoDB TTL, with a floor that keeps de-duplication whole. */
describe('retention', () => {
  const DAY = 86_400;

  it('turns TTL on the table, on expiresAt, whatever the retention (items without it never expire)', () => {
    const { stack, system, template } = synthConstruct({});
    const table = template.findResources('AWS::DynamoDB::GlobalTable')[logicalId(stack, system.table)];
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('gives the persister each kind\'s retention in seconds, and none by default', () => {
    const persistEnv = (synthesized: ReturnType<typeof synthConstruct>) =>
      synthesized.template.findResources('AWS::Lambda::Function')[logicalId(synthesized.stack, synthesized.system.persistFunction)].Properties.Environment
        .Variables as Record<string, unknown>;
    const kept = persistEnv(synthConstruct({ retention: { inboundMessages: Duration.days(30), statuses: Duration.days(10) } }));
    expect(kept).toMatchObject({ RETENTION_INBOUND_MESSAGES_SECONDS: String(30 * DAY), RETENTION_STATUSES_SECONDS: String(10 * DAY) });
    expect(Object.keys(persistEnv(synthConstruct({}))).filter((name) => name.startsWith('RETENTION_'))).toEqual([]);
  });

  it('sets the floor at the longer of the reconcile look-back and eventMaxAge, plus a day', () => {
    expect(minimumRetention({ reconcileLookBack: Duration.hours(48) }).toDays()).toBe(8);
    expect(minimumRetention({ reconcileLookBack: Duration.hours(48), eventMaxAge: Duration.days(1) }).toDays()).toBe(3);
    expect(minimumRetention({ reconcileLookBack: Duration.days(10), eventMaxAge: Duration.days(1) }).toDays()).toBe(11);
  });

  it('refuses a retention shorter than the floor, saying why, for every kind at once', () => {
    const problems = findPropsProblems({
      subscribeWebhook: false,
      retention: { inboundMessages: Duration.days(2), optOutEvidence: Duration.hours(1), statuses: Duration.days(8) },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^retention\.inboundMessages is 172800 seconds; it must be whole seconds, at least 691200 \(8 days\).*stored and forwarded again/),
      expect.stringMatching(/^retention\.optOutEvidence is 3600 seconds/),
    ]);
    expect(() => synthConstruct({ retention: { inboundMessages: Duration.days(2) } })).toThrow(CallrInboundSmsPropsError);
  });

  it('lowers the floor with a shorter eventMaxAge', () => {
    expect(findPropsProblems({ subscribeWebhook: false, eventMaxAge: Duration.days(1), retention: { inboundMessages: Duration.days(3) } })).toEqual([]);
  });
});
