import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small stand-in for the CloudWatch API on 127.0.0.1, written from the API reference: the AWS
 * JSON 1.0 protocol the SDK speaks to it (POST /, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`,
 * timestamps as epoch seconds, errors as `__type` with the query-compatible error header), and the
 * three operations `callr-mo alarms test` uses:
 * - DescribeAlarms: filters AlarmNames, AlarmNamePrefix, ActionPrefix, StateValue, AlarmTypes; pages
 *   of MaxRecords (default 50) with NextToken.
 * - SetAlarmState: a change of state is recorded (StateUpdate) and runs the actions of the new state
 *   (AlarmActions for ALARM, OKActions for OK, InsufficientDataActions), each recorded as an Action
 *   item that says whether the topic accepted the publish. Setting the current state changes nothing.
 * - DescribeAlarmHistory: by AlarmName, HistoryItemType, StartDate/EndDate, ScanBy, with paging.
 */

export interface FakeAlarm {
  readonly AlarmName: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly AlarmActions: string[];
  readonly OKActions: string[];
  readonly InsufficientDataActions?: string[];
}

export interface FakeHistoryItem {
  readonly AlarmName: string;
  readonly AlarmType: 'MetricAlarm';
  readonly Timestamp: number;
  readonly HistoryItemType: 'StateUpdate' | 'Action' | 'ConfigurationUpdate';
  readonly HistorySummary: string;
  readonly HistoryData: string;
}

export interface CloudWatchFakeOptions {
  readonly alarms: FakeAlarm[];
  /** Whether a publish to this topic succeeds (CloudWatch may publish: topic policy and key allow it). @default always */
  readonly topicAccepts?: (topicArn: string) => boolean;
  /** Run the actions at all (false: CloudWatch has not got round to it yet). @default true */
  readonly runsActions?: boolean;
  /** Page size when the request gives no MaxRecords. @default 50 */
  readonly defaultPageSize?: number;
}

export interface CloudWatchFake {
  readonly endpoint: string;
  readonly alarms: FakeAlarm[];
  readonly history: FakeHistoryItem[];
  /** Every request, in order: operation and input. */
  readonly calls: { operation: string; input: Record<string, unknown> }[];
  stop(): Promise<void>;
}

class ApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

export async function startCloudWatchFake(options: CloudWatchFakeOptions): Promise<CloudWatchFake> {
  const alarms = options.alarms;
  const history: FakeHistoryItem[] = [];
  const calls: CloudWatchFake['calls'] = [];
  const topicAccepts = options.topicAccepts ?? (() => true);
  const nowSeconds = () => Date.now() / 1000;

  const page = <T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } => {
    const size = Number(input.MaxRecords ?? options.defaultPageSize ?? 50);
    const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
    const end = start + size;
    return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
  };

  const record = (alarm: FakeAlarm, type: FakeHistoryItem['HistoryItemType'], summary: string) =>
    history.push({
      AlarmName: alarm.AlarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: nowSeconds(),
      HistoryItemType: type,
      HistorySummary: summary,
      HistoryData: JSON.stringify({ version: '1.0' }),
    });

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    DescribeAlarms(input) {
      const names = input.AlarmNames as string[] | undefined;
      const types = (input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
      const matching = alarms.filter(
        (alarm) =>
          types.includes('MetricAlarm') &&
          (!names || names.includes(alarm.AlarmName)) &&
          (input.AlarmNamePrefix === undefined || alarm.AlarmName.startsWith(String(input.AlarmNamePrefix))) &&
          (input.StateValue === undefined || alarm.StateValue === input.StateValue) &&
          (input.ActionPrefix === undefined ||
            [...alarm.AlarmActions, ...alarm.OKActions, ...(alarm.InsufficientDataActions ?? [])].some((action) =>
              action.startsWith(String(input.ActionPrefix)),
            )),
      );
      const { items, nextToken } = page(matching, input);
      return { MetricAlarms: items.map((alarm) => ({ ...alarm, AlarmArn: `arn:aws:cloudwatch:eu-west-3:123456789012:alarm:${alarm.AlarmName}` })), CompositeAlarms: [], ...(nextToken ? { NextToken: nextToken } : {}) };
    },
    SetAlarmState(input) {
      const alarm = alarms.find((candidate) => candidate.AlarmName === input.AlarmName);
      if (!alarm) throw new ApiError(404, 'ResourceNotFound', `Alarm ${String(input.AlarmName)} does not exist`);
      const state = input.StateValue as FakeAlarm['StateValue'];
      if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state)) throw new ApiError(400, 'InvalidParameterValue', `bad StateValue ${state}`);
      if (typeof input.StateReason !== 'string' || input.StateReason.length === 0) throw new ApiError(400, 'ValidationError', 'StateReason is required');
      if (alarm.StateValue === state) return {};
      record(alarm, 'StateUpdate', `Alarm updated from ${alarm.StateValue} to ${state}`);
      alarm.StateValue = state;
      if (options.runsActions === false) return {};
      const actions = state === 'ALARM' ? alarm.AlarmActions : state === 'OK' ? alarm.OKActions : (alarm.InsufficientDataActions ?? []);
      for (const action of actions) {
        record(
          alarm,
          'Action',
          topicAccepts(action)
            ? `Successfully executed action ${action}`
            : `Failed to execute action ${action}. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`,
        );
      }
      return {};
    },
    DescribeAlarmHistory(input) {
      const start = input.StartDate === undefined ? -Infinity : Number(input.StartDate);
      const end = input.EndDate === undefined ? Infinity : Number(input.EndDate);
      const matching = history
        .filter(
          (item) =>
            (input.AlarmName === undefined || item.AlarmName === input.AlarmName) &&
            (input.HistoryItemType === undefined || item.HistoryItemType === input.HistoryItemType) &&
            item.Timestamp >= start &&
            item.Timestamp <= end,
        )
        .sort((a, b) => (input.ScanBy === 'TimestampAscending' ? a.Timestamp - b.Timestamp : b.Timestamp - a.Timestamp));
      const { items, nextToken } = page(matching, input);
      return { AlarmHistoryItems: items, ...(nextToken ? { NextToken: nextToken } : {}) };
    },
  };

  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^GraniteServiceVersion20100801\./, '');
      const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers });
        response.end(JSON.stringify(payload));
      };
      try {
        if (request.method !== 'POST' || !target.startsWith('GraniteServiceVersion20100801.') || !operations[operation]) {
          throw new ApiError(400, 'UnknownOperationException', `unknown operation ${target}`);
        }
        const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
        calls.push({ operation, input });
        answer(200, operations[operation](input));
      } catch (error) {
        const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalServiceError', String(error));
        answer(apiError.status, { __type: apiError.type, message: apiError.message }, { 'x-amzn-query-error': `${apiError.type};Sender` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    alarms,
    history,
    calls,
    stop: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
