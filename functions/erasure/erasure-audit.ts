import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageTable } from '../messages/message-store';
import { ERASURE_AUDIT_PREFIX } from './erase-number';

/**
 * When a number was last erased (ISO 8601 UTC), from its audit items (`pk = erasure#<hash>`,
 * `sk = <erasedAt>#<id>`, newest last), or undefined if it never was. One Query reading one key:
 * what the reconciliation sweep asks before it hands an SMS from that number to the pipeline, so
 * that a message erased at the person's request is not stored again from CALLR's listing.
 */
export async function latestErasureAt(table: MessageTable, subjectHash: string): Promise<string | undefined> {
  const { Items } = await table.documents.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${ERASURE_AUDIT_PREFIX}${subjectHash}` },
      ProjectionExpression: 'erasedAt',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const erasedAt = Items?.[0]?.erasedAt;
  return typeof erasedAt === 'string' ? erasedAt : undefined;
}
