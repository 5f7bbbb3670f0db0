import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { runCli } from '../../bin/cli';
import { ALARM_TEST_REASON, testAlarmDelivery } from '../../cli/alarms';
import { TargetError, UsageError } from '../../cli/errors';
import { startCloudWatchFake, type CloudWatchFake, type FakeAlarm } from '../support/cloudwatch-fake';

const TOPIC = 'arn:aws:sns:eu-west-3:123456789012:Prod-AlarmTopic-1A2B3C';
const OTHER_STACK_TOPIC = 'arn:aws:sns:eu-west-3:123456789012:Staging-AlarmTopic-9Z8Y7X';
const CREDENTIALS = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };

const alarm = (name: string, state: FakeAlarm['StateValue'], topic = TOPIC): FakeAlarm => ({
  AlarmName: name,
  StateValue: state,
  AlarmActions: [topic],
  OKActions: [topic],
});

/** The stack's alarms: one already raised, two quiet; and a quiet alarm of another stack sorted first. */
const stackAlarms = (): FakeAlarm[] => [
  alarm('Prod-DeadLetterQueueNotEmptyAlarm-AAA', 'ALARM'),
  alarm('Prod-IngestErrorsAlarm-BBB', 'OK'),
  alarm('Prod-PersistErrorsAlarm-CCC', 'OK'),
  alarm('A-Staging-IngestErrorsAlarm-DDD', 'OK', OTHER_STACK_TOPIC),
];

let fake: CloudWatchFake | undefined;
let cloudWatch: CloudWatchClient | undefined;

async function start(options: Parameters<typeof startCloudWatchFake>[0]) {
  fake = await startCloudWatchFake(options);
  cloudWatch = new CloudWatchClient({ endpoint: fake.endpoint, region: 'eu-west-3', credentials: CREDENTIALS });
  return { fake, cloudWatch };
}

afterEach(async () => {
  cloudWatch?.destroy();
  await fake?.stop();
  fake = undefined;
  cloudWatch = undefined;
});

const noWait = async () => undefined;

describe('testAlarmDelivery', () => {
  it('raises the first quiet alarm of the stack\'s topic, confirms CloudWatch published to the topic, and sets it back to OK', async () => {
    const { fake, cloudWatch } = await start({ alarms: stackAlarms(), defaultPageSize: 2 });

    const result = await testAlarmDelivery({ cloudWatch, topicArn: TOPIC, sleep: noWait });

    expect(result).toEqual({
      alarmName: 'Prod-IngestErrorsAlarm-BBB',
      topicArn: TOPIC,
      delivery: 'delivered',
      actions: [`Successfully executed action ${TOPIC}`],
    });
    expect(fake.calls.filter((call) => call.operation === 'SetAlarmState').map((call) => call.input)).toEqual([
      { AlarmName: 'Prod-IngestErrorsAlarm-BBB', StateValue: 'ALARM', StateReason: ALARM_TEST_REASON },
      { AlarmName: 'Prod-IngestErrorsAlarm-BBB', StateValue: 'OK', StateReason: ALARM_TEST_REASON },
    ]);
    expect(fake.alarms.map((each) => [each.AlarmName, each.StateValue])).toEqual([
      ['Prod-DeadLetterQueueNotEmptyAlarm-AAA', 'ALARM'],
      ['Prod-IngestErrorsAlarm-BBB', 'OK'],
      ['Prod-PersistErrorsAlarm-CCC', 'OK'],
      ['A-Staging-IngestErrorsAlarm-DDD', 'OK'],
    ]);
    // The stack's alarms were found by their action on its topic, across pages.
    expect(fake.calls.filter((call) => call.operation === 'DescribeAlarms').map((call) => call.input.NextToken)).toEqual([undefined, '2']);
  });

  it('reports a failed delivery with CloudWatch\'s reason, and still sets the alarm back to OK', async () => {
    const { fake, cloudWatch } = await start({ alarms: stackAlarms(), topicAccepts: () => false });

    const result = await testAlarmDelivery({ cloudWatch, topicArn: TOPIC, alarmName: 'Prod-PersistErrorsAlarm-CCC', sleep: noWait });

    expect(result.delivery).toBe('failed');
    expect(result.actions).toEqual([expect.stringMatching(/^Failed to execute action .*does not have authorization/)]);
    expect(fake.alarms.find((each) => each.AlarmName === 'Prod-PersistErrorsAlarm-CCC')!.StateValue).toBe('OK');
  });

  it('says "unconfirmed" when CloudWatch records no action within the wait, polling a bounded number of times', async () => {
    const { fake, cloudWatch } = await start({ alarms: stackAlarms(), runsActions: false });
    const sleeps: number[] = [];

    const result = await testAlarmDelivery({ cloudWatch, topicArn: TOPIC, waitMs: 6_000, sleep: async (ms) => void sleeps.push(ms) });

    expect(result).toMatchObject({ delivery: 'unconfirmed', actions: [] });
    expect(sleeps).toEqual([2_000, 2_000, 2_000]);
    expect(fake.calls.filter((call) => call.operation === 'DescribeAlarmHistory')).toHaveLength(4);
    expect(fake.alarms.find((each) => each.AlarmName === 'Prod-IngestErrorsAlarm-BBB')!.StateValue).toBe('OK');
  });

  it.each<[string, FakeAlarm[], { alarmName?: string }, unknown, RegExp]>([
    ['a topic no alarm notifies', [alarm('X', 'OK', OTHER_STACK_TOPIC)], {}, TargetError, /no CloudWatch alarm notifies/],
    ['an alarm name that is not the stack\'s', stackAlarms(), { alarmName: 'A-Staging-IngestErrorsAlarm-DDD' }, UsageError, /is not one of the stack's alarms/],
    ['a stack whose alarms are all raised', [alarm('Prod-A', 'ALARM'), alarm('Prod-B', 'INSUFFICIENT_DATA')], {}, TargetError, /fix what they report first, or name one with --alarm/],
  ])('refuses %s, touching no alarm', async (_name, alarms, options, errorClass, message) => {
    const { fake, cloudWatch } = await start({ alarms });
    const attempt = testAlarmDelivery({ cloudWatch, topicArn: TOPIC, sleep: noWait, ...options });
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toBeInstanceOf(errorClass);
    expect(fake.calls.filter((call) => call.operation === 'SetAlarmState')).toEqual([]);
  });
});

describe('callr-mo alarms test', () => {
  const savedEnv = { ...process.env };
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  const run = async (argv: string[], topicAccepts: boolean) => {
    const { fake } = await start({ alarms: stackAlarms(), topicAccepts: () => topicAccepts });
    // The SDK's configured-endpoint variable: the CLI builds its own client, as for a real account.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_CLOUDWATCH: fake.endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    });
    let stdout = '';
    let stderr = '';
    const outputsAsked: [string, string | undefined][] = [];
    const code = await runCli(argv, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: process.env,
      cwd: process.cwd(),
      targets: {
        stackOutputs: async (stackName, region) => {
          outputsAsked.push([stackName, region]);
          return { AlarmTopicArn: TOPIC };
        },
      },
    });
    return { code, stdout, stderr, outputsAsked };
  };

  it('finds the alarm topic in the stack outputs, proves delivery and exits 0', async () => {
    const { code, stdout, outputsAsked } = await run(['alarms', 'test', '--stack', 'Prod', '--region', 'eu-west-3'], true);
    expect(code).toBe(0);
    expect(outputsAsked).toEqual([['Prod', 'eu-west-3']]);
    expect(stdout).toContain('alarm Prod-IngestErrorsAlarm-BBB set to ALARM and back to OK');
    expect(stdout).toContain('delivery delivered');
  });

  it('exits 1 when CloudWatch could not publish, and prints JSON for scripts', async () => {
    const { code, stdout } = await run(['alarms', 'test', '--stack', 'Prod', '--region', 'eu-west-3', '--json'], false);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ alarmName: 'Prod-IngestErrorsAlarm-BBB', delivery: 'failed' });
  });

  it('needs --stack', async () => {
    const { code, stderr } = await run(['alarms', 'test'], true);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--stack/);
  });
});
