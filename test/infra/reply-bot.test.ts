import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ReplyBot, ReplyBotQueue } from '../../examples/reply-bot/reply-bot';
import { findFilterPolicyProblems } from '../../functions/inbox/filter-policy';
import { testContext } from './synth';

function synth(props: { keywords?: string[] } = {}) {
  const stack = new Stack(new App({ context: testContext() }), 'ReplyBotTest');
  const outboxQueue = new sqs.Queue(stack, 'Outbox');
  const queue = new ReplyBotQueue(stack, 'ReplyBotQueue', props);
  new ReplyBot(stack, 'ReplyBot', { queue, outboxQueue });
  return { stack, bot: queue, outboxQueue, template: Template.fromStack(stack) };
}

describe('ReplyBot (examples/reply-bot)', () => {
  it('subscribes its own queue to inbound SMS with its keywords only, a filter the inbox accepts', () => {
    const { bot } = synth({ keywords: ['help', 'Info!'] });
    expect(bot.subscriber.filter).toEqual({ kind: ['sms.mo'], keyword: ['HELP', 'INFO'] });
    expect(bot.subscriber.queue).toBe(bot.queue);
    expect(findFilterPolicyProblems(bot.subscriber.filter, 'filter')).toEqual([]);
  });

  it('consumes its queue with partial batch failures, and may only send to the outbox', () => {
    const { stack, template, outboxQueue } = synth();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OUTBOX_QUEUE_URL: stack.resolve(outboxQueue.queueUrl), REPLY_BOT_KEYWORDS: 'HELP,AIDE' }) },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }).Properties.PolicyDocument.Statement,
    );
    const sends = statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'));
    expect(sends.map((statement) => statement.Resource)).toEqual([stack.resolve(outboxQueue.queueArn)]);
  });

  it('keeps what it fails in its own dead-letter queue', () => {
    const { stack, template, bot } = synth();
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(bot.deadLetterQueue.queueArn), maxReceiveCount: 5 },
    });
  });

  it('refuses a keyword that is not one word', () => {
    expect(() => synth({ keywords: ['two words'] })).toThrow('ReplyBot keywords: "two words" is not one word');
  });
});
