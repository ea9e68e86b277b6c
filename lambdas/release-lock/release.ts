/** ReleaseLock: free the service's lock on every path and start the cool-down after a rollback of ours. */
import type { StateTable } from '../aws/state-table';
import type { RollbackState } from '../shared/types';

/** ReleaseLock's result, at `$.lockRelease`. */
export interface LockReleaseResult {
  /** True when this execution's lock was deleted now. */
  readonly released: boolean;
  /** When the cool-down started by this execution ends. */
  readonly cooldownUntil?: string;
}

/** What ReleaseLock needs. */
export interface ReleaseLockDeps {
  readonly stateTable: StateTable;
  readonly cooldownMinutes: number;
}

/**
 * True when this execution started a rollback deployment of its own (not a watch, not a dry run),
 * or may have: UpdateService failed, and its call may have taken effect (a timeout, a lost response).
 */
export function startedOwnRollback(state: Pick<RollbackState, 'request' | 'deployment' | 'failure'>): boolean {
  const mayHaveDeployed = state.deployment !== undefined || state.failure?.step === 'UpdateService';
  return state.request?.action === 'rollback' && state.request.dryRun !== true && mayHaveDeployed;
}

/**
 * Starts the cool-down first (so no other trigger slips in between), then releases the lock that
 * this execution holds. The lock is found by its holder, the execution id, not through
 * `$.request`: an execution whose Prepare result was lost (or that failed in Prepare after taking
 * the lock) frees it too. A lock that is gone or someone else's is left alone, never an error.
 */
export async function releaseLock(
  state: Pick<RollbackState, 'request' | 'deployment' | 'execution' | 'failure'>,
  deps: ReleaseLockDeps,
): Promise<LockReleaseResult> {
  const request = state.request;
  const executionId = state.execution?.id;
  if (executionId === undefined || executionId === '') return { released: false };
  const cooldownUntil =
    request !== undefined && startedOwnRollback(state)
      ? await deps.stateTable.startCooldown(request.cluster, request.service, deps.cooldownMinutes, executionId)
      : undefined;
  const released =
    request?.lockHeld === true
      ? await deps.stateTable.releaseLock(request.cluster, request.service, executionId)
      : (await deps.stateTable.releaseLocksOf(executionId)) !== undefined;
  return { released, ...(cooldownUntil !== undefined ? { cooldownUntil } : {}) };
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
