/**
 * The notification digest's records in the state table (lambdas/core/digest.ts):
 * - `digestentry#<execution id>`: the window an execution's ending was recorded in, written once, so
 *   a retried Notify records it in the same window even after that window ended;
 * - `digest#<project>#<window start>`: one item per window: `count`, and per ending its position
 *   (`p:<execution id>`) and its entry (`e:<execution id>`, JSON), set in one conditional update; once
 *   a sender closes it (`closedBy`), no ending is added (a late one is sent on its own), and
 *   `sentParts` counts the digest parts published.
 * Both expire with the notification log (90 days).
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DigestEntry } from '../core/digest';
import { awsCall, isConditionFailure } from './call';
import { dynamoClient } from './clients';
import { NOTIFICATION_RECORD_RETENTION_SECONDS } from './notification-log';

/** Key of the window item. */
export const digestKey = (project: string, windowStart: string): string => `digest#${project}#${windowStart}`;
/** Key of an execution's pointer to its window. */
export const digestEntryKey = (executionId: string): string => `digestentry#${executionId}`;

/** What recording an ending found. */
export type RecordedEnding =
  /** Counted in the window at `position` (now, or by an earlier attempt of this execution). */
  | { readonly status: 'recorded'; readonly windowStart: string; readonly position: number }
  /** The window's digest was already being sent without it: tell it on its own. */
  | { readonly status: 'closed'; readonly windowStart: string };

/** The window as its sender closed it. */
export type ClosedWindow =
  | { readonly status: 'sender'; readonly entries: readonly DigestEntry[]; readonly sentParts: number }
  | { readonly status: 'other-sender'; readonly closedBy: string };

/** The digest records. */
export interface DigestTable {
  /** Counts the ending in the window `windowStart` (or the one an earlier attempt chose) with its entry, in one write. */
  record(project: string, executionId: string, windowStart: string, entry: Omit<DigestEntry, 'position'>): Promise<RecordedEnding>;
  /** Closes the window for `executionId` (or finds it closed by it before); the sender gets every entry, with its position. */
  close(project: string, windowStart: string, executionId: string): Promise<ClosedWindow>;
  /** Remembers that parts 1..`part` of the digest were published. */
  partSent(project: string, windowStart: string, part: number): Promise<void>;
}

const POSITION_PREFIX = 'p:';
const ENTRY_PREFIX = 'e:';

/** The digest records on the state table. */
export function createDigestTable(options: { tableName: string; client?: DynamoDBClient; now?: () => Date }): DigestTable {
  const { tableName } = options;
  const client = (): DynamoDBClient => options.client ?? dynamoClient();
  const now = options.now ?? (() => new Date());
  const expiration = (): string => String(Math.floor(now().getTime() / 1000) + NOTIFICATION_RECORD_RETENTION_SECONDS);

  const get = async (id: string) =>
    (
      await awsCall('DynamoDB.GetItem(digest)', () =>
        client().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true })),
      )
    ).Item;

  /** The window an earlier attempt chose, or `windowStart` (remembered for the next attempt). */
  async function windowFor(executionId: string, windowStart: string): Promise<string> {
    const key = digestEntryKey(executionId);
    try {
      await awsCall('DynamoDB.PutItem(digest entry)', () =>
        client().send(
          new PutItemCommand({
            TableName: tableName,
            Item: { id: { S: key }, windowStart: { S: windowStart }, expiration: { N: expiration() } },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        ),
      );
      return windowStart;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await get(key))?.windowStart?.S ?? windowStart;
    }
  }

  return {
    async record(project, executionId, requestedWindow, entry) {
      const windowStart = await windowFor(executionId, requestedWindow);
      const id = digestKey(project, windowStart);
      const names = { '#count': 'count', '#position': `${POSITION_PREFIX}${executionId}`, '#entry': `${ENTRY_PREFIX}${executionId}`, '#closed': 'closedBy' };
      try {
        // SET evaluates every operand on the item before the update: #position gets the new count.
        const out = await awsCall('DynamoDB.UpdateItem(digest)', () =>
          client().send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: { id: { S: id } },
              UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one, #position = if_not_exists(#count, :zero) + :one, #entry = :entry, expiration = :expiration',
              ConditionExpression: 'attribute_not_exists(#position) AND attribute_not_exists(#closed)',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':entry': { S: JSON.stringify(entry) }, ':expiration': { N: expiration() } },
              ReturnValues: 'UPDATED_NEW',
            }),
          ),
        );
        return { status: 'recorded', windowStart, position: Number(out.Attributes?.[names['#position']]?.N) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // counted by an earlier attempt of this execution, or the window is closed without it
      const known = (await get(id))?.[names['#position']]?.N;
      return known === undefined ? { status: 'closed', windowStart } : { status: 'recorded', windowStart, position: Number(known) };
    },

    async close(project, windowStart, executionId) {
      try {
        const out = await awsCall('DynamoDB.UpdateItem(digest close)', () =>
          client().send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: { id: { S: digestKey(project, windowStart) } },
              UpdateExpression: 'SET closedBy = :me, closedAt = if_not_exists(closedAt, :now)',
              ConditionExpression: 'attribute_exists(id) AND (attribute_not_exists(closedBy) OR closedBy = :me)',
              ExpressionAttributeValues: { ':me': { S: executionId }, ':now': { S: now().toISOString() } },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        const item = out.Attributes ?? {};
        const entries = Object.entries(item)
          .filter(([name]) => name.startsWith(ENTRY_PREFIX))
          .map(([name, value]): DigestEntry => {
            const executionId = name.slice(ENTRY_PREFIX.length);
            return { ...(JSON.parse(value.S ?? '{}') as Omit<DigestEntry, 'position'>), executionId, position: Number(item[`${POSITION_PREFIX}${executionId}`]?.N) };
          });
        return { status: 'sender', entries, sentParts: Number(item.sentParts?.N ?? '0') };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const item = await get(digestKey(project, windowStart));
        return { status: 'other-sender', closedBy: item?.closedBy?.S ?? 'nobody (no such window)' };
      }
    },

    async partSent(project, windowStart, part) {
      await awsCall('DynamoDB.UpdateItem(digest part)', () =>
        client().send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { id: { S: digestKey(project, windowStart) } },
            UpdateExpression: 'SET sentParts = :part',
            ExpressionAttributeValues: { ':part': { N: String(part) } },
          }),
        ),
      );
    },
  };
}
