/**
 * Trigger claims: one item per trigger in the state table, written with a condition on the
 * claimer's execution id. The first execution that claims a trigger holds it; the claim of the
 * same execution again (a Step Functions retry of Prepare, also after a write that committed but
 * whose answer was lost) succeeds; any other execution learns who holds it and is a duplicate.
 * One conditional PutItem replaces Powertools idempotency here: its INPROGRESS record cannot tell
 * a retry of the claimer from another execution (issue #9, defect 1).
 */
import { createHash } from 'node:crypto';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TriggerClaim } from '../core/guards';
import { TransientAwsError } from '../shared/errors';
import { awsCall, isConditionFailure } from './call';
import { dynamoClient } from './clients';

/** How long a claim is kept: longer than EventBridge keeps retrying a delivery (24 h, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html). */
export const TRIGGER_CLAIM_TTL_SECONDS = 48 * 3600;

/** Prefix of the claims' keys in the state table (`trigger#<sha-256 of the trigger id>`). */
export const TRIGGER_CLAIM_KEY_PREFIX = 'trigger';

/** Key of a trigger's claim: the trigger id hashed, so any length of id fits DynamoDB's key limit. */
export const claimKey = (triggerId: string): string =>
  `${TRIGGER_CLAIM_KEY_PREFIX}#${createHash('sha256').update(triggerId).digest('hex')}`;

/** Where the claims live. */
export interface TriggerClaimsOptions {
  readonly tableName: string;
  /** Default: the lazy client from clients.ts. */
  readonly client?: DynamoDBClient;
  readonly expiresAfterSeconds?: number;
  /** Default: the system clock. */
  readonly now?: () => Date;
}

/** Claims triggers for executions. */
export interface TriggerClaims {
  /** Claims triggerId for executionId; returns the execution that holds the claim (executionId itself when it is new or a retry). */
  claimTrigger(triggerId: string, executionId: string): Promise<TriggerClaim>;
  /** Deletes the claim of triggerId if executionId holds it (its holder failed before handling it), so a later start is not a duplicate. */
  releaseClaim(triggerId: string, executionId: string): Promise<void>;
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** Trigger claims on the state table. */
export function createTriggerClaims(options: TriggerClaimsOptions): TriggerClaims {
  const { tableName } = options;
  const client = (): DynamoDBClient => options.client ?? dynamoClient();
  const now = options.now ?? (() => new Date());
  const ttlSeconds = options.expiresAfterSeconds ?? TRIGGER_CLAIM_TTL_SECONDS;

  /** True when executionId holds the claim now (written or already its own). */
  async function tryClaim(id: string, triggerId: string, executionId: string): Promise<boolean> {
    const at = now();
    try {
      await awsCall('DynamoDB.PutItem(trigger claim)', () =>
        client().send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: id },
              triggerId: { S: triggerId.slice(0, 1024) },
              claimedBy: { S: executionId },
              claimedAt: { S: at.toISOString() },
              expiration: { N: String(epochSeconds(at) + ttlSeconds) },
            },
            ConditionExpression: 'attribute_not_exists(#id) OR #expiration <= :now OR #claimedBy = :me',
            ExpressionAttributeNames: { '#id': 'id', '#expiration': 'expiration', '#claimedBy': 'claimedBy' },
            ExpressionAttributeValues: { ':now': { N: String(epochSeconds(at)) }, ':me': { S: executionId } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function currentHolder(id: string): Promise<string | undefined> {
    const out = await awsCall('DynamoDB.GetItem(trigger claim)', () =>
      client().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true })),
    );
    const expiration = Number(out.Item?.expiration?.N ?? Number.POSITIVE_INFINITY);
    if (out.Item === undefined || expiration <= epochSeconds(now())) return undefined;
    return out.Item.claimedBy?.S;
  }

  return {
    async claimTrigger(triggerId, executionId) {
      const id = claimKey(triggerId);
      // A holder read as gone was released or expired between the write and the read: claim again.
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await tryClaim(id, triggerId, executionId)) return { claimedBy: executionId };
        const holder = await currentHolder(id);
        if (holder !== undefined) return { claimedBy: holder };
      }
      throw new TransientAwsError('DynamoDB.PutItem(trigger claim)', `the claim of trigger ${triggerId} changed hands three times in a row`);
    },

    async releaseClaim(triggerId, executionId) {
      try {
        await awsCall('DynamoDB.DeleteItem(trigger claim)', () =>
          client().send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: { id: { S: claimKey(triggerId) } },
              ConditionExpression: '#claimedBy = :me',
              ExpressionAttributeNames: { '#claimedBy': 'claimedBy' },
              ExpressionAttributeValues: { ':me': { S: executionId } },
            }),
          ),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
