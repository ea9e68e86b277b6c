/**
 * The detector's count of bad-version task stops per deployment, in the state table (item
 * `taskstops#<cluster>/<service>#<deploymentId>`). One conditional UpdateItem adds the task to the
 * deployment's set of counted task ids, increments the count and appends the evidence, only when
 * the task is not in the set yet: counting is atomic and idempotent per task, however often
 * EventBridge delivers the task's events and however the invocations interleave.
 */
import {
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { BadVersionCause, StopEvidence } from '../core/task-stops';
import { awsCall, isConditionFailure } from './call';
import { dynamoClient } from './clients';

/** How long a deployment's count is kept (longer than any detection window). */
export const TASK_STOP_COUNT_RETENTION_SECONDS = 7 * 24 * 3600;

/** Key of a deployment's count. */
export const taskStopsKey = (cluster: string, service: string, deploymentId: string): string =>
  `taskstops#${cluster}/${service}#${deploymentId}`;

/** A deployment's count after a stop was offered. */
export interface TaskStopCount {
  /** True when this call counted the task; false when it was counted before. */
  readonly counted: boolean;
  readonly count: number;
  /** The counted stops, in the order they were counted. */
  readonly evidence: readonly StopEvidence[];
  /** The execution the detector started for this deployment, once it did. */
  readonly startedExecution?: string;
}

/** The counter's operations. */
export interface TaskStopCounter {
  /** Counts the stop once per task; returns the deployment's count either way. */
  count(cluster: string, service: string, deploymentId: string, stop: StopEvidence): Promise<TaskStopCount>;
  /** Remembers that the detector started (or found started) the execution for this deployment. */
  markStarted(cluster: string, service: string, deploymentId: string, executionArn: string): Promise<void>;
}

/** Where the table is. */
export interface TaskStopCounterOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
  readonly now?: () => Date;
}

function toItem(stop: StopEvidence): AttributeValue {
  return {
    M: {
      taskId: { S: stop.taskId },
      stopCode: { S: stop.stopCode },
      stoppedReason: { S: stop.stoppedReason },
      cause: { S: stop.cause },
      stoppedAt: { S: stop.stoppedAt },
      ...(stop.exitCode !== undefined ? { exitCode: { N: String(stop.exitCode) } } : {}),
    },
  };
}

function fromItem(value: AttributeValue): StopEvidence {
  const m = value.M ?? {};
  return {
    taskId: m.taskId?.S ?? '',
    stopCode: m.stopCode?.S ?? '',
    stoppedReason: m.stoppedReason?.S ?? '',
    cause: (m.cause?.S ?? 'failed-to-start') as BadVersionCause,
    stoppedAt: m.stoppedAt?.S ?? '',
    ...(m.exitCode?.N !== undefined ? { exitCode: Number(m.exitCode.N) } : {}),
  };
}

function toCount(counted: boolean, item: Record<string, AttributeValue> | undefined): TaskStopCount {
  const started = item?.startedExecution?.S;
  return {
    counted,
    count: Number(item?.stopCount?.N ?? 0),
    evidence: (item?.evidence?.L ?? []).map(fromItem),
    ...(started !== undefined ? { startedExecution: started } : {}),
  };
}

/** The counter over the state table. */
export function createTaskStopCounter(options: TaskStopCounterOptions): TaskStopCounter {
  const client = (): DynamoDBClient => options.client ?? dynamoClient();
  const now = options.now ?? (() => new Date());
  const { tableName } = options;

  return {
    async count(cluster, service, deploymentId, stop) {
      const id = taskStopsKey(cluster, service, deploymentId);
      const expiration = Math.floor(now().getTime() / 1000) + TASK_STOP_COUNT_RETENTION_SECONDS;
      try {
        const out = await awsCall('DynamoDB.UpdateItem(taskstops)', () =>
          client().send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: { id: { S: id } },
              UpdateExpression:
                'ADD #taskIds :task, #stopCount :one SET #evidence = list_append(if_not_exists(#evidence, :empty), :evidence), #expiration = :expiration',
              ConditionExpression: 'attribute_not_exists(#taskIds) OR NOT contains(#taskIds, :taskId)',
              ExpressionAttributeNames: {
                '#taskIds': 'taskIds',
                '#stopCount': 'stopCount',
                '#evidence': 'evidence',
                '#expiration': 'expiration',
              },
              ExpressionAttributeValues: {
                ':task': { SS: [stop.taskId] },
                ':taskId': { S: stop.taskId },
                ':one': { N: '1' },
                ':empty': { L: [] },
                ':evidence': { L: [toItem(stop)] },
                ':expiration': { N: String(expiration) },
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        return toCount(true, out.Attributes);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await awsCall('DynamoDB.GetItem(taskstops)', () =>
          client().send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true })),
        );
        return toCount(false, current.Item);
      }
    },

    async markStarted(cluster, service, deploymentId, executionArn) {
      await awsCall('DynamoDB.UpdateItem(taskstops-started)', () =>
        client().send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { id: { S: taskStopsKey(cluster, service, deploymentId) } },
            UpdateExpression: 'SET #started = :execution',
            ExpressionAttributeNames: { '#started': 'startedExecution' },
            ExpressionAttributeValues: { ':execution': { S: executionArn } },
          }),
        ),
      );
    },
  };
}
