/**
 * The state table: one DynamoDB table (partition key `id` (S), TTL attribute `expiration`, epoch
 * seconds) holding the per-service lock, the cool-down after a rollback, the deployments this
 * system started (loop guard) and, under their own `trigger#...` keys, the trigger claims
 * (idempotency.ts). DynamoDB deletes expired items only eventually (and dynalite never), so every read and
 * every condition here checks `expiration` itself.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { awsCall, isConditionFailure } from './call';
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
  /**
   * Takes the service's lock from `previousHolder` (an execution that has ended) for executionId;
   * not acquired when someone else took or freed it meanwhile (then acquireLock again decides).
   */
  takeOverLock(cluster: string, service: string, previousHolder: string, executionId: string, ttlSeconds: number): Promise<LockResult>;
  /** Frees the lock if executionId holds it; false when it is gone or someone else's (never throws for that). */
  releaseLock(cluster: string, service: string, executionId: string): Promise<boolean>;
  /**
   * Frees whatever lock executionId holds, found through the record acquireLock keeps per holder
   * (no need to know the service: an execution stopped before Prepare returned, a status-change
   * event). Returns the service whose lock was freed, or undefined when it held none (any more).
   */
  releaseLocksOf(executionId: string): Promise<{ readonly cluster: string; readonly service: string } | undefined>;
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
/** Key of the record of the lock an execution holds (written before the lock, deleted after it). */
export const lockHolderKey = (executionId: string): string => `lockholder#${executionId}`;
/** Key of the per-service cool-down item. */
export const cooldownKey = (cluster: string, service: string): string => `cooldown#${cluster}/${service}`;
/** Key of a rollback deployment record. */
export const deploymentKey = (deploymentId: string): string => `deployment#${deploymentId}`;

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

  /** Remembers which lock executionId is about to hold, so it can be freed by holder alone. */
  async function putHolderRecord(cluster: string, service: string, executionId: string, ttlSeconds: number): Promise<void> {
    await awsCall('DynamoDB.PutItem(lock holder)', () =>
      client().send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: lockHolderKey(executionId) },
            lockId: { S: lockKey(cluster, service) },
            cluster: { S: cluster },
            service: { S: service },
            expiration: { N: String(epochSeconds(now()) + ttlSeconds) },
          },
        }),
      ),
    );
  }

  async function tryPutLock(
    id: string,
    executionId: string,
    ttlSeconds: number,
    previousHolder?: string,
  ): Promise<LockResult | undefined> {
    const at = now();
    const expiration = epochSeconds(at) + ttlSeconds;
    const condition =
      previousHolder === undefined
        ? 'attribute_not_exists(#id) OR #expiration <= :now OR #holder = :holder'
        : '#holder = :previous OR #holder = :holder';
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
            ConditionExpression: condition,
            ExpressionAttributeNames:
              previousHolder === undefined ? { '#id': 'id', '#expiration': 'expiration', '#holder': 'holder' } : { '#holder': 'holder' },
            ExpressionAttributeValues:
              previousHolder === undefined
                ? { ':now': { N: String(epochSeconds(at)) }, ':holder': { S: executionId } }
                : { ':previous': { S: previousHolder }, ':holder': { S: executionId } },
          }),
        ),
      );
      return { acquired: true, holder: executionId, expiresAt: isoFromEpoch(expiration) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the lock if executionId holds it, then the holder's record (which otherwise just expires). */
  async function releaseLock(cluster: string, service: string, executionId: string): Promise<boolean> {
    let released = true;
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
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      released = false;
    }
    try {
      await client().send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: lockHolderKey(executionId) } } }));
    } catch {
      // The record only points at a lock; without the lock it is harmless and expires with it.
    }
    return released;
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
      await putHolderRecord(cluster, service, executionId, ttlSeconds);
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

    async takeOverLock(cluster, service, previousHolder, executionId, ttlSeconds) {
      await putHolderRecord(cluster, service, executionId, ttlSeconds);
      const taken = await tryPutLock(lockKey(cluster, service), executionId, ttlSeconds, previousHolder);
      if (taken !== undefined) return taken;
      const current = await getItem(lockKey(cluster, service), 'DynamoDB.GetItem(lock)');
      return {
        acquired: false,
        holder: current?.holder?.S ?? 'nobody',
        expiresAt: current === undefined ? now().toISOString() : isoFromEpoch(Number(current.expiration?.N)),
      };
    },

    releaseLock,

    async releaseLocksOf(executionId) {
      const record = await getItem(lockHolderKey(executionId), 'DynamoDB.GetItem(lock holder)');
      const cluster = record?.cluster?.S;
      const service = record?.service?.S;
      if (record === undefined || cluster === undefined || service === undefined) return undefined;
      const released = await releaseLock(cluster, service, executionId);
      return released ? { cluster, service } : undefined;
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
