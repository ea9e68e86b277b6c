/**
 * The state table: one DynamoDB table (partition key `id` (S), TTL attribute `expiration`, epoch
 * seconds) holding the per-service lock, the cool-down after a rollback, the deployments this
 * system started (loop guard) and, under their own `trigger#...` keys, the trigger claims
 * (idempotency.ts). DynamoDB deletes expired items only eventually (and dynalite never), so every read and
 * every condition here checks `expiration` itself.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { awsCall } from './call';
import { dynamoClient } from './clients';

/** How long the record of a rollback deployment is kept for the loop guard. */
export const OWN_DEPLOYMENT_RETENTION_SECONDS = 30 * 24 * 3600;

/** Result of acquireLock: who holds the service's lock now. */
export interface LockResult {
  readonly acquired: boolean;
  /** The execution that holds the lock (this one when acquired). */
  readonly holder: string;
  /** When the lock expires if nobody releases it. */
  readonly expiresAt: string;
}

/** A deployment that this system started (UpdateService), remembered so its failure is not rolled back again. */
export interface RollbackDeploymentRecord {
  readonly deploymentId: string;
  readonly cluster: string;
  readonly service: string;
  readonly executionId: string;
  /** When it was recorded (set by recordRollbackDeployment when absent). */
  readonly recordedAt?: string;
}

/** Where the table is and how to reach it. */
export interface StateTableOptions {
  readonly tableName: string;
  /** Default: the lazy client from clients.ts. */
  readonly client?: DynamoDBClient;
  /** Default: the system clock. */
  readonly now?: () => Date;
}

/** The operations on the state table. */
export interface StateTable {
  /** Takes the service's lock: succeeds when it is free, expired, or already held by executionId (a retry). */
  acquireLock(cluster: string, service: string, executionId: string, ttlSeconds: number): Promise<LockResult>;
  /** Frees the lock if executionId holds it; false when it is gone or someone else's (never throws for that). */
  releaseLock(cluster: string, service: string, executionId: string): Promise<boolean>;
  /** Starts (or restarts) the service's cool-down for `minutes`; returns when it ends (ISO). */
  startCooldown(cluster: string, service: string, minutes: number, executionId: string): Promise<string>;
  /** When the service's cool-down ends (ISO), or undefined when none is active. */
  cooldownUntil(cluster: string, service: string): Promise<string | undefined>;
  /** Remembers a deployment this system started (UpdateService calls this right after UpdateService). */
  recordRollbackDeployment(record: RollbackDeploymentRecord): Promise<void>;
  /** The record of a deployment this system started, or undefined. */
  findOwnDeployment(deploymentId: string): Promise<RollbackDeploymentRecord | undefined>;
  /** True when this system started the deployment (the loop guard). */
  isOwnDeployment(deploymentId: string): Promise<boolean>;
}

/** Key of the per-service lock item. */
export const lockKey = (cluster: string, service: string): string => `lock#${cluster}/${service}`;
/** Key of the per-service cool-down item. */
export const cooldownKey = (cluster: string, service: string): string => `cooldown#${cluster}/${service}`;
/** Key of a rollback deployment record. */
export const deploymentKey = (deploymentId: string): string => `deployment#${deploymentId}`;

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error &&
  (error.cause instanceof ConditionalCheckFailedException ||
    (error.cause as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException');

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
const isoFromEpoch = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** The state table adapter over a DynamoDB client. */
export function createStateTable(options: StateTableOptions): StateTable {
  const { tableName } = options;
  const client = (): DynamoDBClient => options.client ?? dynamoClient();
  const now = options.now ?? (() => new Date());

  async function getItem(id: string, operation: string) {
    const result = await awsCall(operation, () =>
      client().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true })),
    );
    const item = result.Item;
    if (item === undefined) return undefined;
    const expiration = Number(item.expiration?.N ?? Number.POSITIVE_INFINITY);
    return expiration <= epochSeconds(now()) ? undefined : item;
  }

  async function tryPutLock(id: string, executionId: string, ttlSeconds: number): Promise<LockResult | undefined> {
    const at = now();
    const expiration = epochSeconds(at) + ttlSeconds;
    try {
      await awsCall('DynamoDB.PutItem(lock)', () =>
        client().send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: id },
              holder: { S: executionId },
              acquiredAt: { S: at.toISOString() },
              expiration: { N: String(expiration) },
            },
            ConditionExpression: 'attribute_not_exists(#id) OR #expiration <= :now OR #holder = :holder',
            ExpressionAttributeNames: { '#id': 'id', '#expiration': 'expiration', '#holder': 'holder' },
            ExpressionAttributeValues: { ':now': { N: String(epochSeconds(at)) }, ':holder': { S: executionId } },
          }),
        ),
      );
      return { acquired: true, holder: executionId, expiresAt: isoFromEpoch(expiration) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async function findOwnDeployment(deploymentId: string): Promise<RollbackDeploymentRecord | undefined> {
    const item = await getItem(deploymentKey(deploymentId), 'DynamoDB.GetItem(deployment)');
    if (item === undefined) return undefined;
    return {
      deploymentId,
      cluster: item.cluster?.S ?? '',
      service: item.service?.S ?? '',
      executionId: item.executionId?.S ?? '',
      ...(item.recordedAt?.S !== undefined ? { recordedAt: item.recordedAt.S } : {}),
    };
  }

  return {
    async acquireLock(cluster, service, executionId, ttlSeconds) {
      const id = lockKey(cluster, service);
      for (let attempt = 0; attempt < 3; attempt++) {
        const taken = await tryPutLock(id, executionId, ttlSeconds);
        if (taken !== undefined) return taken;
        const current = await getItem(id, 'DynamoDB.GetItem(lock)');
        const holder = current?.holder?.S;
        if (current !== undefined && holder !== undefined) {
          return { acquired: false, holder, expiresAt: isoFromEpoch(Number(current.expiration?.N)) };
        }
      }
      return { acquired: false, holder: 'unknown', expiresAt: now().toISOString() };
    },

    async releaseLock(cluster, service, executionId) {
      try {
        await awsCall('DynamoDB.DeleteItem(lock)', () =>
          client().send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: { id: { S: lockKey(cluster, service) } },
              ConditionExpression: '#holder = :holder',
              ExpressionAttributeNames: { '#holder': 'holder' },
              ExpressionAttributeValues: { ':holder': { S: executionId } },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async startCooldown(cluster, service, minutes, executionId) {
      const at = now();
      const until = new Date(at.getTime() + minutes * 60_000);
      await awsCall('DynamoDB.PutItem(cooldown)', () =>
        client().send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: cooldownKey(cluster, service) },
              until: { S: until.toISOString() },
              startedBy: { S: executionId },
              startedAt: { S: at.toISOString() },
              expiration: { N: String(epochSeconds(until)) },
            },
          }),
        ),
      );
      return until.toISOString();
    },

    async cooldownUntil(cluster, service) {
      const item = await getItem(cooldownKey(cluster, service), 'DynamoDB.GetItem(cooldown)');
      const until = item?.until?.S;
      if (until === undefined || Date.parse(until) <= now().getTime()) return undefined;
      return until;
    },

    async recordRollbackDeployment(record) {
      const at = now();
      await awsCall('DynamoDB.PutItem(deployment)', () =>
        client().send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: deploymentKey(record.deploymentId) },
              deploymentId: { S: record.deploymentId },
              cluster: { S: record.cluster },
              service: { S: record.service },
              executionId: { S: record.executionId },
              recordedAt: { S: record.recordedAt ?? at.toISOString() },
              expiration: { N: String(epochSeconds(at) + OWN_DEPLOYMENT_RETENTION_SECONDS) },
            },
          }),
        ),
      );
    },

    findOwnDeployment,

    async isOwnDeployment(deploymentId) {
      return (await findOwnDeployment(deploymentId)) !== undefined;
    },
  };
}

/** Remembers a deployment this system started, so its failure is reported, not rolled back again (UpdateService). */
export function recordRollbackDeployment(record: RollbackDeploymentRecord, options: StateTableOptions): Promise<void> {
  return createStateTable(options).recordRollbackDeployment(record);
}
