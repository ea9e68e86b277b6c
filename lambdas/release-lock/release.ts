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
 * Starts the cool-down first (so no other trigger slips in between), then releases the lock if
 * this execution holds it. A lock that is gone or someone else's is left alone, never an error.
 */
export async function releaseLock(
  state: Pick<RollbackState, 'request' | 'deployment' | 'execution' | 'failure'>,
  deps: ReleaseLockDeps,
): Promise<LockReleaseResult> {
  const request = state.request;
  if (request === undefined) return { released: false };
  const executionId = state.execution?.id;
  const cooldownUntil =
    startedOwnRollback(state) && executionId !== undefined
      ? await deps.stateTable.startCooldown(request.cluster, request.service, deps.cooldownMinutes, executionId)
      : undefined;
  const released =
    request.lockHeld && executionId !== undefined
      ? await deps.stateTable.releaseLock(request.cluster, request.service, executionId)
      : false;
  return { released, ...(cooldownUntil !== undefined ? { cooldownUntil } : {}) };
}
