import { DescribeTableCommand, type DescribeTableCommandOutput } from '@aws-sdk/client-dynamodb';
import type { MessageTable } from './message-store';
import { BY_RECIPIENT_INDEX, BY_SENDER_INDEX, TABLE_INDEXES, type IndexDesign } from './table-design';

/**
 * Which of the table's indexes a deployed table has. CloudFormation adds one global secondary
 * index per stack update, so a table deployed before this release gets its new indexes one deploy
 * at a time (docs/table-design.md, "Deploying it onto an existing table"); meanwhile the code that
 * queries an index the table lacks is told so (TABLE_INDEXES, set by the construct) and degrades,
 * and a tool that needs one refuses naming it. The index keys are plain attributes and are written
 * whatever the indexes: DynamoDB backfills an index from them when it is added.
 */

/** The environment variable that lists the index names the table has (comma-separated). */
export const TABLE_INDEXES_VARIABLE = 'TABLE_INDEXES';

/** Indexes every table has had from its first deploy: always provisioned. */
export const REQUIRED_INDEX_NAMES: readonly string[] = [BY_SENDER_INDEX.indexName, BY_RECIPIENT_INDEX.indexName];

/** Indexes added since, which a table being upgraded may not have yet. */
export const OPTIONAL_INDEX_NAMES: readonly string[] = TABLE_INDEXES.map((index) => index.indexName).filter(
  (name) => !REQUIRED_INDEX_NAMES.includes(name),
);

export const ALL_INDEX_NAMES: readonly string[] = TABLE_INDEXES.map((index) => index.indexName);

/**
 * The index names a list (comma-separated text or an array) asks for, checked: every name must be
 * one of TABLE_INDEXES; the required ones are added whether named or not. Problems go to `problems`,
 * each naming `source` and the valid names.
 */
export function parseTableIndexNames(value: string | readonly string[], source: string, problems: string[]): ReadonlySet<string> {
  const names = (typeof value === 'string' ? value.split(',') : value).map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !ALL_INDEX_NAMES.includes(name));
  if (unknown.length > 0) {
    problems.push(
      `${source} names no index of the table: ${unknown.map((name) => `"${name}"`).join(', ')}; ` +
        `valid: ${OPTIONAL_INDEX_NAMES.join(', ')} (${REQUIRED_INDEX_NAMES.join(' and ')} are always there).`,
    );
  }
  return new Set([...REQUIRED_INDEX_NAMES, ...names.filter((name) => ALL_INDEX_NAMES.includes(name))]);
}

/** The designs of the named indexes, in TABLE_INDEXES order. */
export function indexesNamed(names: ReadonlySet<string>): readonly IndexDesign[] {
  return TABLE_INDEXES.filter((index) => names.has(index.indexName));
}

/** What needs an index the table does not have (yet): refused before anything is read or changed. */
export class MissingIndexError extends Error {
  constructor(
    readonly indexNames: readonly string[],
    what: string,
  ) {
    super(
      `${what} needs the table's ${indexNames.join(', ')} index${indexNames.length === 1 ? '' : 'es'}, which the table does not have yet: ` +
        'deploy them first (docs/table-design.md, "Deploying it onto an existing table"; locally, a table created before them: ' +
        "delete the data directory's dynamodb/ and start again).",
    );
    this.name = 'MissingIndexError';
  }
}

/**
 * The TABLE_INDEXES names the table lacks, as DynamoDB describes it. An index still being built
 * (backfilled) counts as missing: it cannot be queried until it is ACTIVE, and would answer part.
 */
export async function findMissingIndexes(
  dynamodb: { send(command: DescribeTableCommand): Promise<DescribeTableCommandOutput> },
  tableName: string,
): Promise<string[]> {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  const active = new Set(
    (Table?.GlobalSecondaryIndexes ?? [])
      .filter((index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE')
      .map((index) => index.IndexName),
  );
  return ALL_INDEX_NAMES.filter((name) => !active.has(name));
}

/** Throws a MissingIndexError naming those of `indexes` the table lacks. */
export async function requireIndexes(table: MessageTable, indexes: readonly IndexDesign[], what: string): Promise<void> {
  const missing = new Set(await findMissingIndexes(table.documents, table.tableName));
  const lacking = indexes.map((index) => index.indexName).filter((name) => missing.has(name));
  if (lacking.length > 0) throw new MissingIndexError(lacking, what);
}
