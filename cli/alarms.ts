import {
  type AlarmHistoryItem,
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { TargetError, UsageError } from './errors';
import { renderTable } from './format';

/**
 * `callr-mo alarms test --stack <name>`: proves, right after a deploy, that an alarm reaches
 * someone. It sets one of the stack's alarms to ALARM and back to OK with SetAlarmState (each
 * change runs the alarm's actions, as a real breach would: one ALARM and one OK notification), and
 * reads the alarm's history for the outcome of those actions: CloudWatch records whether it could
 * publish to the topic ("Successfully executed action", or "Failed to execute action" with SNS's or
 * KMS's refusal). The stack's alarms are the ones that notify its alarm topic (`AlarmTopicArn`).
 */

/** Stack output naming the topic every alarm of the stack notifies. */
export const ALARM_TOPIC_OUTPUT = 'AlarmTopicArn';

/** The state reason CloudWatch shows (and sends in the notification) while the test runs. */
export const ALARM_TEST_REASON = 'callr-mo alarms test: checking that alarm notifications are delivered (not a real alarm)';

export const DEFAULT_ALARM_TEST_WAIT_MS = 30_000;
const POLL_INTERVAL_MS = 2_000;

export type AlarmDelivery = 'delivered' | 'failed' | 'unconfirmed';

export interface AlarmTestResult {
  readonly alarmName: string;
  readonly topicArn: string;
  /** `delivered`: CloudWatch published the ALARM notification to the topic; `failed`: it could not; `unconfirmed`: no word within the wait. */
  readonly delivery: AlarmDelivery;
  /** What CloudWatch recorded about the alarm's actions during the test, oldest first. */
  readonly actions: readonly string[];
}

export interface AlarmTestOptions {
  readonly cloudWatch: CloudWatchClient;
  /** The stack's alarm topic: its alarms are those with an action on it. */
  readonly topicArn: string;
  /** Test this alarm (by name) instead of the first one in state OK. */
  readonly alarmName?: string;
  /** How long to wait for CloudWatch's record of the notification. @default 30 s */
  readonly waitMs?: number;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Every metric alarm that notifies `topicArn`. */
export async function listTopicAlarms(cloudWatch: CloudWatchClient, topicArn: string): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new DescribeAlarmsCommand({ ActionPrefix: topicArn, AlarmTypes: ['MetricAlarm'], NextToken: nextToken }),
    );
    alarms.push(...(page.MetricAlarms ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return alarms;
}

/** The stack's alarm topic, from its outputs. */
export async function stackAlarmTopic(
  stack: string,
  region: string | undefined,
  stackOutputs: (stackName: string, region: string | undefined) => Promise<Record<string, string>>,
): Promise<string> {
  const topicArn = (await stackOutputs(stack, region))[ALARM_TOPIC_OUTPUT];
  if (!topicArn) {
    throw new TargetError(`stack ${stack} has no output ${ALARM_TOPIC_OUTPUT}: is it a callr-inbound-sms stack, deployed with this version?`);
  }
  return topicArn;
}

export async function testAlarmDelivery(options: AlarmTestOptions): Promise<AlarmTestResult> {
  const { cloudWatch, topicArn } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const waitMs = options.waitMs ?? DEFAULT_ALARM_TEST_WAIT_MS;

  const alarms = await listTopicAlarms(cloudWatch, topicArn);
  if (alarms.length === 0) {
    throw new TargetError(`no CloudWatch alarm notifies ${topicArn}: is the stack deployed in this region, with this version?`);
  }
  const alarm = chooseAlarm(alarms, options.alarmName);
  const alarmName = alarm.AlarmName!;

  const startedAt = now();
  await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: ALARM_TEST_REASON }));
  let actions: AlarmHistoryItem[] = [];
  let delivery: AlarmDelivery = 'unconfirmed';
  try {
    for (let waited = 0; ; waited += POLL_INTERVAL_MS) {
      actions = await actionHistory(cloudWatch, alarmName, startedAt);
      delivery = deliveryOf(actions);
      if (delivery !== 'unconfirmed' || waited >= waitMs) break;
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    // Back to OK whatever happened above: a test must not leave an alarm raised.
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: ALARM_TEST_REASON }));
  }
  return {
    alarmName,
    topicArn,
    delivery,
    actions: actions.map((item) => item.HistorySummary ?? ''),
  };
}

/**
 * The named alarm, else the first in state OK: raising an alarm that is already in ALARM would
 * notify nothing new, and setting it back to OK would hide a real problem until its next period.
 */
function chooseAlarm(alarms: readonly MetricAlarm[], alarmName: string | undefined): MetricAlarm {
  const sorted = [...alarms].sort((a, b) => (a.AlarmName ?? '').localeCompare(b.AlarmName ?? ''));
  if (alarmName !== undefined) {
    const named = sorted.find((alarm) => alarm.AlarmName === alarmName);
    if (!named) {
      throw new UsageError(`--alarm ${alarmName} is not one of the stack's alarms: ${sorted.map((alarm) => alarm.AlarmName).join(', ')}`);
    }
    return named;
  }
  const quiet = sorted.find((alarm) => alarm.StateValue === 'OK');
  if (!quiet) {
    throw new TargetError(
      `every alarm of the stack is in ALARM or INSUFFICIENT_DATA (${sorted.map((alarm) => `${alarm.AlarmName}: ${alarm.StateValue}`).join(', ')}); ` +
        'fix what they report first, or name one with --alarm',
    );
  }
  return quiet;
}

/** The alarm's action records since the test began, oldest first. */
async function actionHistory(cloudWatch: CloudWatchClient, alarmName: string, since: Date): Promise<AlarmHistoryItem[]> {
  const items: AlarmHistoryItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: alarmName, HistoryItemType: 'Action', StartDate: since, ScanBy: 'TimestampAscending', NextToken: nextToken }),
    );
    items.push(...(page.AlarmHistoryItems ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return items;
}

function deliveryOf(actions: readonly AlarmHistoryItem[]): AlarmDelivery {
  const summaries = actions.map((item) => item.HistorySummary ?? '');
  if (summaries.some((summary) => /^Failed to execute action/i.test(summary))) return 'failed';
  if (summaries.some((summary) => /^Successfully executed action/i.test(summary))) return 'delivered';
  return 'unconfirmed';
}

export function formatAlarmTest(result: AlarmTestResult): string {
  const verdict = {
    delivered: 'delivered: CloudWatch published the notification to the alarm topic; check that its subscribers received it',
    failed: 'FAILED: CloudWatch could not publish to the alarm topic (see below): nobody hears of an alarm',
    unconfirmed: 'unconfirmed: CloudWatch recorded no action within the wait; look at the alarm history in the console',
  }[result.delivery];
  const lines = [
    `alarm ${result.alarmName} set to ALARM and back to OK`,
    `topic ${result.topicArn}`,
    `delivery ${verdict}`,
  ];
  if (result.actions.length > 0) lines.push('', renderTable(['CloudWatch recorded'], result.actions.map((action) => [action])));
  return lines.join('\n');
}
