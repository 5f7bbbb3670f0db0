import { DEFAULT_THREADING_WINDOW_MS } from '../messages/threading';
import { INBOX_TOPIC_ARN_VARIABLE, readInboxTopicArn } from '../inbox/config';
import { readRetention, type Retention } from '../privacy/retention';
import { NUMBER_HASH_KEY_ARN_VARIABLE, readNumberHashKeyConfig, type NumberHashKeyConfig } from '../privacy/number-hash-key';
import { readOptOutWords, type OptOutWords } from '../optouts/words';
import { parseTableIndexNames, TABLE_INDEXES_VARIABLE } from '../messages/table-indexes';

/**
 * The persist Lambda's configuration, read from the environment and checked once at cold start.
 * Every problem is reported at once, each naming the variable and what it should hold.
 */
export interface PersistConfig {
  /** The DynamoDB table of messages and statuses. */
  readonly tableName: string;
  /** Where records that can never succeed are sent, with the reason. */
  readonly deadLetterQueueUrl: string;
  /** Where stored inbound messages are published for downstream services (INBOX_TOPIC_ARN). */
  readonly inboxTopicArn: string;
  /** How far back a reply looks for the outbox SMS it answers (`THREADING_WINDOW_SECONDS`). @default DEFAULT_THREADING_WINDOW_MS (7 days) */
  readonly threadingWindowMs?: number;
  /**
   * The index names the table has (TABLE_INDEXES, set by the construct while a table is upgraded
   * one index per deploy). Without byOutboundRecipient a reply is stored without `inReplyTo`.
   * @default - every index
   */
  readonly tableIndexes?: ReadonlySet<string>;
  /**
   * Where the key of the numbers' keyed hash comes from (NUMBER_HASH_KEY_ARN, or NUMBER_HASH_KEY
   * locally). Required inside Lambda; tests and tools that never hash a number may leave it out.
   */
  readonly numberHashKey?: NumberHashKeyConfig;
  /** How long inbound messages and statuses are kept (RETENTION_*_SECONDS); none by default. */
  readonly retention?: Retention;
  /**
   * Stop and start words of the opt-out registry (OPT_OUT_STOP_WORDS, OPT_OUT_START_WORDS).
   * @default DEFAULT_OPT_OUT_WORDS (functions/optouts/words.ts)
   */
  readonly optOutWords?: OptOutWords;
}

export type PersistEnv = Readonly<Record<string, string | undefined>>;

export class PersistConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid persist configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'PersistConfigError';
  }
}

/** DynamoDB's rule for table names. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export function loadPersistConfig(env: PersistEnv): PersistConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;

  const tableName = read('TABLE_NAME');
  if (!tableName) {
    problems.push('TABLE_NAME is required: the name of the DynamoDB table that stores messages and statuses.');
  } else if (!TABLE_NAME.test(tableName)) {
    problems.push(`TABLE_NAME must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -); got "${tableName}".`);
  }
  const deadLetterQueueUrl = readQueueUrl('DEAD_LETTER_QUEUE_URL', read('DEAD_LETTER_QUEUE_URL'), 'the dead-letter queue', problems);
  const inboxTopicArn = readInboxTopicArn(read(INBOX_TOPIC_ARN_VARIABLE), problems);

  const threadingWindow = read('THREADING_WINDOW_SECONDS');
  const threadingWindowSeconds = threadingWindow === undefined ? DEFAULT_THREADING_WINDOW_MS / 1000 : Number(threadingWindow);
  if (!Number.isInteger(threadingWindowSeconds) || threadingWindowSeconds < 1) {
    problems.push(`THREADING_WINDOW_SECONDS must be a whole number of seconds, at least 1 (how far back a reply looks for the SMS it answers); got "${threadingWindow}".`);
  }

  const tableIndexesValue = read(TABLE_INDEXES_VARIABLE);
  const tableIndexes = tableIndexesValue === undefined ? undefined : parseTableIndexNames(tableIndexesValue, TABLE_INDEXES_VARIABLE, problems);

  const retention = readRetention(env, problems);
  const problemsBefore = problems.length;
  const numberHashKey = readNumberHashKeyConfig(env, problems);
  // Without it the Lambda could not write the hashes erasure finds numbers by: refused at init.
  if (!numberHashKey && problems.length === problemsBefore && read('AWS_LAMBDA_FUNCTION_NAME')) {
    problems.push(`${NUMBER_HASH_KEY_ARN_VARIABLE} is required: the ARN of the secret holding the key of the phone numbers' keyed hash (the construct sets it).`);
  }

  const optOutWords = readOptOutWords(env, problems);

  if (problems.length > 0) throw new PersistConfigError(problems);
  return {
    tableName: tableName ?? '',
    deadLetterQueueUrl: deadLetterQueueUrl ?? '',
    inboxTopicArn: inboxTopicArn ?? '',
    threadingWindowMs: threadingWindowSeconds * 1000,
    ...(tableIndexes ? { tableIndexes } : {}),
    ...(numberHashKey ? { numberHashKey } : {}),
    ...(Object.keys(retention).length > 0 ? { retention } : {}),
    ...(optOutWords ? { optOutWords } : {}),
  };
}

function readQueueUrl(name: string, value: string | undefined, what: string, problems: string[]): string | undefined {
  const example = 'e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/callr-inbox';
  if (!value) {
    problems.push(`${name} is required: the URL of ${what}, ${example}.`);
    return undefined;
  }
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    problems.push(`${name} must be an http(s) queue URL, ${example}; got "${value}".`);
    return undefined;
  }
  return value;
}
