/**
 * The notifications an execution published, one item per execution and kind in the state table
 * (`notification#<execution id>#<kind>`). SNS Publish has no idempotency token: this record is
 * how a retried Notify knows whether its message already went out. Written before Publish as
 * PUBLISHING, then PUBLISHED with the MessageId.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { awsCall } from './call';
import { dynamoClient } from './clients';

/** How long the record is kept: as long as Step Functions keeps a closed execution's history (90 days, https://docs.aws.amazon.com/step-functions/latest/dg/limits.html). */
export const NOTIFICATION_RECORD_RETENTION_SECONDS = 90 * 24 * 3600;

/** What an earlier attempt of the same execution did about this notification. */
export type EarlierPublish =
  | { readonly status: 'none' }
  /** Publish was called, its answer never came back: SNS may or may not have the message. */
  | { readonly status: 'unknown'; readonly attempts: number }
  | { readonly status: 'published'; readonly messageId: string; readonly subject: string; readonly sentAt: string };

/** The record of one execution's notifications. */
export interface NotificationLog {
  earlier(executionId: string, kind: string): Promise<EarlierPublish>;
  /** True when any notification of this execution was published. */
  anyPublished(executionId: string): Promise<boolean>;
  /** Before Publish: attempt number `attempt` is about to publish. */
  publishing(executionId: string, kind: string, attempt: number): Promise<void>;
  /** After Publish: SNS answered with an error, so it did not take the message. */
  notPublished(executionId: string, kind: string): Promise<void>;
  /** After Publish: SNS accepted the message. */
  published(executionId: string, kind: string, result: { messageId: string; subject: string; sentAt: string }): Promise<void>;
}

const NOTIFICATION_KINDS = ['success', 'skipped', 'dry-run', 'failure'] as const;

/** Key of an execution's record of one notification kind. */
export const notificationKey = (executionId: string, kind: string): string => `notification#${executionId}#${kind}`;

/** The notification log on the state table. */
export function createNotificationLog(options: { tableName: string; client?: DynamoDBClient; now?: () => Date }): NotificationLog {
  const client = (): DynamoDBClient => options.client ?? dynamoClient();
  const now = options.now ?? (() => new Date());
  const expiration = (): string => String(Math.floor(now().getTime() / 1000) + NOTIFICATION_RECORD_RETENTION_SECONDS);
  const put = (executionId: string, kind: string, fields: Record<string, { S: string } | { N: string }>) =>
    awsCall('DynamoDB.PutItem(notification)', () =>
      client().send(
        new PutItemCommand({
          TableName: options.tableName,
          Item: { id: { S: notificationKey(executionId, kind) }, expiration: { N: expiration() }, ...fields },
        }),
      ),
    );

  return {
    async earlier(executionId, kind) {
      const out = await awsCall('DynamoDB.GetItem(notification)', () =>
        client().send(
          new GetItemCommand({ TableName: options.tableName, Key: { id: { S: notificationKey(executionId, kind) } }, ConsistentRead: true }),
        ),
      );
      const item = out.Item;
      if (item === undefined || item.status?.S === 'NOT_PUBLISHED') return { status: 'none' };
      const messageId = item.messageId?.S;
      if (item.status?.S === 'PUBLISHED' && messageId !== undefined) {
        return { status: 'published', messageId, subject: item.subject?.S ?? '', sentAt: item.sentAt?.S ?? '' };
      }
      return { status: 'unknown', attempts: Number(item.attempts?.N ?? '1') };
    },

    async anyPublished(executionId) {
      for (const kind of NOTIFICATION_KINDS) {
        if ((await this.earlier(executionId, kind)).status === 'published') return true;
      }
      return false;
    },

    async publishing(executionId, kind, attempt) {
      await put(executionId, kind, { status: { S: 'PUBLISHING' }, attempts: { N: String(attempt) } });
    },

    async notPublished(executionId, kind) {
      await put(executionId, kind, { status: { S: 'NOT_PUBLISHED' } });
    },

    async published(executionId, kind, result) {
      await put(executionId, kind, {
        status: { S: 'PUBLISHED' },
        messageId: { S: result.messageId },
        subject: { S: result.subject },
        sentAt: { S: result.sentAt },
      });
    },
  };
}
