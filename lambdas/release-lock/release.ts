/** ReleaseLock: free the service's lock on every path and start the cool-down after a rollback of ours. */
import type { StateTable } from '../aws/state-table';
import { sameTaskDefinition } from '../core/stability';
import type { RollbackState } from '../shared/types';

/** ReleaseLock's result, at `$.lockRelease`. */
export interface LockReleaseResult {
  /** True when this execution's lock was deleted now. */
  readonly released: boolean;
  /** When the cool-down started by this execution ends. */
  readonly cooldownUntil?: string;
  /** Notify failed, yet its message was published (an earlier attempt's): the ending is not NotificationFailed. */
  readonly notificationPublished?: boolean;
}

/** What ReleaseLock needs. */
export interface ReleaseLockDeps {
  readonly stateTable: StateTable;
  readonly cooldownMinutes: number;
  /** True when this execution published a notification (the notification log), asked when Notify failed. */
  readonly notificationPublished?: (executionId: string) => Promise<boolean>;
  /** The service's deployments (DescribeServices), to tell whether a failed UpdateService took effect. */
  readonly serviceDeployments?: (cluster: string, service: string) => Promise<readonly DeploymentSeen[]>;
}

/** A deployment as ECS lists it, the parts the cool-down decision reads. */
export interface DeploymentSeen {
  readonly taskDefinition?: string;
  readonly createdAt?: Date;
}

/** True when one of `deployments` runs `taskDefinitionArn` and was created at or after `since` (this execution's UpdateService). */
export function deploymentStartedSince(deployments: readonly DeploymentSeen[], taskDefinitionArn: string, since: string): boolean {
  return deployments.some(
    (d) =>
      d.taskDefinition !== undefined &&
      d.createdAt !== undefined &&
      sameTaskDefinition(d.taskDefinition, taskDefinitionArn) &&
      d.createdAt.getTime() >= Date.parse(since),
  );
}

type CooldownState = Pick<RollbackState, 'request' | 'deployment' | 'failure' | 'registration' | 'execution'> & {
  /** Set by the ASL when Notify failed. */
  readonly notificationError?: unknown;
};

/**
 * True when this execution started a rollback deployment of its own (not a watch, not a dry run).
 * When UpdateService failed, its call may still have taken effect (a timeout, a lost answer): the
 * service's deployments tell; when they cannot be read, the cool-down is started to be safe.
 */
export async function startedOwnRollback(state: CooldownState, deps: Pick<ReleaseLockDeps, 'serviceDeployments'> = {}): Promise<boolean> {
  const request = state.request;
  if (request?.action !== 'rollback' || request.dryRun === true) return false;
  if (state.deployment !== undefined) return true;
  if (state.failure?.step !== 'UpdateService') return false;
  const taskDefinitionArn = state.registration?.taskDefinitionArn;
  const since = state.execution?.startTime;
  if (deps.serviceDeployments === undefined || taskDefinitionArn === undefined || since === undefined) return true;
  try {
    return deploymentStartedSince(await deps.serviceDeployments(request.cluster, request.service), taskDefinitionArn, since);
  } catch {
    return true;
  }
}

/**
 * Starts the cool-down first (so no other trigger slips in between), then releases the lock that
 * this execution holds. The lock is found by its holder, the execution id, not through
 * `$.request`: an execution whose Prepare result was lost (or that failed in Prepare after taking
 * the lock) frees it too. A lock that is gone or someone else's is left alone, never an error.
 */
export async function releaseLock(
  state: CooldownState,
  deps: ReleaseLockDeps,
): Promise<LockReleaseResult> {
  const request = state.request;
  const executionId = state.execution?.id;
  if (executionId === undefined || executionId === '') return { released: false };
  const cooldownUntil =
    request !== undefined && (await startedOwnRollback(state, deps))
      ? await deps.stateTable.startCooldown(request.cluster, request.service, deps.cooldownMinutes, executionId)
      : undefined;
  const released =
    request?.lockHeld === true
      ? await deps.stateTable.releaseLock(request.cluster, request.service, executionId)
      : (await deps.stateTable.releaseLocksOf(executionId)) !== undefined;
  const published = state.notificationError !== undefined && (await wasPublished(executionId, deps));
  return {
    released,
    ...(cooldownUntil !== undefined ? { cooldownUntil } : {}),
    ...(published ? { notificationPublished: true } : {}),
  };
}

async function wasPublished(executionId: string, deps: ReleaseLockDeps): Promise<boolean> {
  try {
    return (await deps.notificationPublished?.(executionId)) ?? false;
  } catch {
    return false;
  }
}

/** The parts of an EventBridge "Step Functions Execution Status Change" event ReleaseLock reads. */
export interface ExecutionStatusChange {
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly detail: { readonly executionArn: string; readonly status: string };
}

/** True for an EventBridge "Step Functions Execution Status Change" event. */
export function isExecutionStatusChange(event: unknown): event is ExecutionStatusChange {
  const record = event as Partial<ExecutionStatusChange> | null | undefined;
  return (
    record?.['detail-type'] === 'Step Functions Execution Status Change' &&
    typeof record.detail?.executionArn === 'string' &&
    typeof record.detail.status === 'string'
  );
}

/**
 * An execution that was stopped, timed out or failed outside the state machine's own paths
 * (ABORTED, TIMED_OUT, FAILED): frees the lock it holds, if any. Best effort, like the events
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html); Prepare's takeover
 * of a lock whose holder has ended is the guarantee.
 */
export async function releaseLockOfEndedExecution(
  event: ExecutionStatusChange,
  deps: Pick<ReleaseLockDeps, 'stateTable'>,
): Promise<LockReleaseResult & { readonly service?: string }> {
  const freed = await deps.stateTable.releaseLocksOf(event.detail.executionArn);
  return freed === undefined ? { released: false } : { released: true, service: `${freed.cluster}/${freed.service}` };
}
