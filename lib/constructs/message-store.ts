import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { BY_OUTBOUND_RECIPIENT_INDEX, TABLE_INDEXES, TABLE_KEYS } from '../../functions/messages/table-design';
import { indexesNamed, parseTableIndexNames, TABLE_INDEXES_VARIABLE } from '../../functions/messages/table-indexes';
import { INBOX_TOPIC_ARN_VARIABLE } from '../../functions/inbox/config';
import { SERVICE_NAMES } from '../../functions/observability/observability';
import { OPT_OUT_WORDS_VARIABLES } from '../../functions/optouts/words';
import { PERSIST_BATCH_SIZE, PERSIST_TIMEOUT_SECONDS } from '../../functions/queues/queue-design';
import { EXPIRES_AT_ATTRIBUTE } from '../../functions/privacy/retention';
import { createCallrFunction, LAMBDA_ENTRIES, type LogGroupSettings } from './functions';
import type { InboxFanOut } from './inbox';
import { retentionEnvironment, type RetentionProps } from './privacy';
import type { CallrQueues } from './queues';

/**
 * What the persister may do with the table (not its indexes, which only readers query): conditional
 * puts of messages and statuses, the forwarded mark, and the key reads behind them. No Scan, Query,
 * DeleteItem or BatchWriteItem (which would allow deletes).
 */
export const PERSIST_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** The same operations, as DynamoDB's metrics name them (the throttle alarm watches these). */
export const PERSIST_TABLE_OPERATIONS = [dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM] as const;

/** Props of {@link MessageStore}. */
export interface MessageStoreProps {
  /** The queues the persister reads (ingest) and writes (dead-letter). */
  readonly queues: CallrQueues;
  /** The topic the persister publishes stored messages to. */
  readonly inbox: InboxFanOut;
  /** What happens to the table when it leaves the stack or the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  readonly logs: LogGroupSettings;
  /**
   * Most persister instances the ingest queue's event source runs at once (2–1000), so that
   * draining a backlog cannot take the account's whole concurrency and throttle the ingest.
   */
  readonly persistMaxConcurrency: number;
  /**
   * How far back a reply looks for the outbox SMS it answers (`inReplyTo`).
   * @default - the persister's default, 7 days
   */
  readonly threadingWindow?: Duration;
  /**
   * The table's index names, while a table deployed before some of them is upgraded one index per
   * deploy; bySender and byRecipient always. Checked by the caller (CallrInboundSms).
   * @default - every index (TABLE_INDEXES)
   */
  readonly tableIndexes?: readonly string[];
  /**
   * How long inbound messages and statuses are kept (the persister sets their `expiresAt`).
   * @default - kept until erased
   */
  readonly retention?: RetentionProps;
  /**
   * A customer-managed KMS key the table is encrypted with; the persister may encrypt and decrypt with it.
   * @default - the AWS owned key (DynamoDB's default)
   */
  readonly encryptionKey?: kms.IKey;
  /** Stop and start words of the opt-out registry; a list not given keeps the persister's defaults. */
  readonly optOutWords?: { readonly stop?: readonly string[]; readonly start?: readonly string[] };
}

/**
 * The messages table and the persist Lambda that fills it from the ingest queue (normalises, writes
 * once, publishes new messages to the inbox topic). A part of {@link CallrInboundSms}; see
 * {@link CallrQueues} for why its resources live in the scope it is given.
 */
export class MessageStore {
  readonly table: dynamodb.TableV2;
  readonly persistFunction: NodejsFunction;

  constructor(scope: Construct, props: MessageStoreProps) {
    const { queues } = props;
    const indexes =
      props.tableIndexes === undefined ? TABLE_INDEXES : indexesNamed(parseTableIndexNames(props.tableIndexes, 'tableIndexes', []));
    const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.TableV2(scope, 'MessagesTable', {
      partitionKey: stringKey(TABLE_KEYS.partitionKey),
      sortKey: stringKey(TABLE_KEYS.sortKey),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // On whatever the retention: items without the attribute are never expired.
      timeToLiveAttribute: EXPIRES_AT_ATTRIBUTE,
      removalPolicy: props.removalPolicy,
      // A retained table is also protected from a DeleteTable by hand (or by another tool).
      deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
      globalSecondaryIndexes: indexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        ...(index.projectedAttributes.length > 0
          ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] }
          : { projectionType: dynamodb.ProjectionType.KEYS_ONLY }),
      })),
    });

    if (props.encryptionKey) encryptTableWith(this.table, props.encryptionKey);

    this.persistFunction = createCallrFunction(scope, 'PersistFunction', {
      entry: LAMBDA_ENTRIES.persist,
      serviceName: SERVICE_NAMES.persist,
      description: 'Stores queued CALLR events in DynamoDB and publishes new messages to the inbox topic',
      timeout: Duration.seconds(PERSIST_TIMEOUT_SECONDS),
      memorySize: 512,
      environment: {
        TABLE_NAME: this.table.tableName,
        // Which indexes the persister may query (threading needs byOutboundRecipient).
        [TABLE_INDEXES_VARIABLE]: indexes.map((index) => index.indexName).join(','),
        DEAD_LETTER_QUEUE_URL: queues.deadLetterQueue.queueUrl,
        [INBOX_TOPIC_ARN_VARIABLE]: props.inbox.inboxTopic.topicArn,
        ...(props.threadingWindow !== undefined ? { THREADING_WINDOW_SECONDS: String(props.threadingWindow.toSeconds()) } : {}),
        ...retentionEnvironment(props.retention),
        ...(props.optOutWords?.stop ? { [OPT_OUT_WORDS_VARIABLES.stop]: props.optOutWords.stop.join(',') } : {}),
        ...(props.optOutWords?.start ? { [OPT_OUT_WORDS_VARIABLES.start]: props.optOutWords.start.join(',') } : {}),
      },
      logs: props.logs,
    });
    iam.Grant.addToPrincipal({
      grantee: this.persistFunction,
      actions: [...PERSIST_TABLE_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
    // Threading: a reply looks up the latest SMS sent to its sender, on that one index only.
    iam.Grant.addToPrincipal({
      grantee: this.persistFunction,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${BY_OUTBOUND_RECIPIENT_INDEX.indexName}`],
    });
    // Table items are encrypted under the key: the persister's reads and writes need it.
    props.encryptionKey?.grantEncryptDecrypt(this.persistFunction);
    queues.deadLetterQueue.grantSendMessages(this.persistFunction);
    props.inbox.grantPublish(this.persistFunction);
    this.persistFunction.addEventSource(
      new SqsEventSource(queues.ingestQueue, {
        batchSize: PERSIST_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: props.persistMaxConcurrency,
      }),
    );
  }
}

/**
 * The table under a customer-managed key. Set on the CloudFormation resource rather than with
 * `TableEncryptionV2.customerManagedKey`, which needs the stack's region to tell the table's own
 * replica from others and so refuses an environment-agnostic stack: this table has one replica, in
 * the stack's region, and it gets the key.
 */
function encryptTableWith(table: dynamodb.TableV2, key: kms.IKey): void {
  const resource = table.node.defaultChild as dynamodb.CfnGlobalTable;
  resource.addPropertyOverride('SSESpecification', { SSEEnabled: true, SSEType: 'KMS' });
  resource.addPropertyOverride('Replicas.0.SSESpecification', { KMSMasterKeyId: key.keyArn });
}
