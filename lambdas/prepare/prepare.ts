/**
 * Prepare: normalise the trigger, then apply the guards in GUARD_ORDER and take the service's
 * lock only when the execution will change something (rollback or watch, not a dry run).
 * Its dependencies are parameters so tests give it mocked or local ones.
 */
import {
  checkAlarmAfterOwnRollback,
  checkAlarmWindow,
  checkCooldown,
  checkDuplicateTrigger,
  checkEcsRollback,
  checkFailedDeploymentSuperseded,
  checkLock,
  checkOwnDeploymentFailed,
  checkRollbackType,
  type GuardVerdict,
  type LockState,
  lastDeploymentAt,
  lastDeploymentId,
  namesDeployment,
  type ServiceFacts,
  type TriggerClaim,
} from '../core/guards';
import { type ParsedTrigger, parseTrigger } from '../core/trigger';
import type { PrepareConfig } from './config';
import { RollbackError, ValidationError } from '../shared/errors';
import { logger } from '../shared/logger';
import type { RollbackRequest, RollbackState, ServiceConfig } from '../shared/types';
import { redactUrl } from '../core/url-safety';
import { hasEnded } from '../aws/executions';
import type { StateTable } from '../aws/state-table';

/** What Prepare reads and writes besides its input. */
export interface PrepareDeps {
  readonly config: PrepareConfig;
  readonly stateTable: StateTable;
  readonly claimTrigger: (triggerId: string, executionId: string) => Promise<TriggerClaim>;
  /** Deletes this execution's claim when Prepare fails after taking it, so the trigger can be started again. */
  readonly releaseClaim?: (triggerId: string, executionId: string) => Promise<void>;
  readonly describeService: (cluster: string, service: string) => Promise<ServiceFacts>;
  /**
   * Step Functions' status of an execution (DescribeExecution; MISSING when unknown): a lock whose
   * holder has ended is taken over. Without it a held lock always blocks (until its TTL).
   */
  readonly executionStatus?: (executionArn: string) => Promise<string>;
  /** The function's region (env AWS_REGION). */
  readonly defaultRegion: string;
  readonly now?: () => Date;
}

function executionOf(state: RollbackState): { id: string; startTime: string } {
  const execution = (state as Partial<RollbackState> | undefined)?.execution;
  if (typeof execution?.id !== 'string' || execution.id === '') {
    throw new ValidationError('execution.id', 'required (the state machine sets it in LoadSettings)');
  }
  return { id: execution.id, startTime: execution.startTime ?? new Date().toISOString() };
}

/**
 * The service's configuration as the execution carries it: everything a person reads in the Step
 * Functions console, so the health URL without credentials, query string (tokens) or fragment.
 */
function shownServiceConfig(config: ServiceConfig): ServiceConfig {
  if (config.healthCheckUrl === undefined) return config;
  return { ...config, healthCheckUrl: redactUrl(config.healthCheckUrl) };
}

function toRequest(parsed: ParsedTrigger, verdict: GuardVerdict, lockHeld: boolean, now: Date): RollbackRequest {
  return {
    trigger: parsed.trigger,
    region: parsed.region,
    ...(parsed.account !== undefined ? { account: parsed.account } : {}),
    cluster: parsed.serviceConfig.cluster,
    service: parsed.serviceConfig.service,
    serviceConfig: shownServiceConfig(parsed.serviceConfig),
    ...(parsed.target !== undefined ? { target: parsed.target } : {}),
    dryRun: parsed.dryRun,
    ...(parsed.selftest === true ? { selftest: true } : {}),
    ...(parsed.reason !== undefined ? { reason: parsed.reason } : {}),
    rollbackType: parsed.rollbackType,
    action: verdict.action,
    ...(verdict.action !== 'rollback' ? { actionReason: verdict.reason } : {}),
    actionMessage: verdict.message,
    ...(verdict.action === 'watch' ? { watch: verdict.watch } : {}),
    lockHeld,
    preparedAt: now.toISOString(),
  };
}

/** Turns the execution's input into a RollbackRequest: what to do, and why when it is not a rollback. */
export async function prepare(state: RollbackState, deps: PrepareDeps): Promise<RollbackRequest> {
  const now = deps.now ?? (() => new Date());
  const execution = executionOf(state);
  const { config } = deps;
  const parsed = parseTrigger(state.input, {
    executionId: execution.id,
    executionStartTime: execution.startTime,
    services: config.services,
    projectName: config.projectName,
    defaultRegion: deps.defaultRegion,
  });
  const { trigger } = parsed;
  const stop = (verdict: GuardVerdict): RollbackRequest => toRequest(parsed, verdict, false, now());

  const duplicate = checkDuplicateTrigger(trigger, execution.id, await deps.claimTrigger(trigger.id, execution.id));
  if (duplicate.action !== 'rollback') return stop(duplicate);
  try {
    return await applyGuards(parsed, execution.id, deps, now);
  } catch (error) {
    await releaseClaimAfterFailure(deps, trigger.id, execution.id);
    throw error;
  }
}

async function releaseClaimAfterFailure(deps: PrepareDeps, triggerId: string, executionId: string): Promise<void> {
  try {
    await deps.releaseClaim?.(triggerId, executionId);
  } catch (error) {
    logger.warn('trigger claim not released; a new start of this trigger is skipped as a duplicate until it expires', {
      trigger: triggerId,
      error,
    });
  }
}

/** The guards after the duplicate check, in GUARD_ORDER; takes the lock last. */
async function applyGuards(
  parsed: ParsedTrigger,
  executionId: string,
  deps: PrepareDeps,
  now: () => Date,
): Promise<RollbackRequest> {
  const { config, stateTable } = deps;
  const { trigger, dryRun } = parsed;
  const { cluster, service } = parsed.serviceConfig;
  const stop = (verdict: GuardVerdict): RollbackRequest => toRequest(parsed, verdict, false, now());

  const advisory = checkRollbackType(parsed.rollbackType, cluster, service);
  if (advisory.action !== 'rollback') return stop(advisory);

  if (namesDeployment(trigger) && trigger.deploymentId !== undefined) {
    const own = checkOwnDeploymentFailed(trigger, await stateTable.findOwnDeployment(trigger.deploymentId));
    if (own.action !== 'rollback') return stop(own);
  }

  const facts = await deps.describeService(cluster, service);

  const lastId = lastDeploymentId(facts);
  if (trigger.kind === 'alarm' && lastId !== undefined) {
    const own = checkAlarmAfterOwnRollback(trigger, lastId, await stateTable.findOwnDeployment(lastId));
    if (own.action !== 'rollback') return stop(own);
  }

  const window = checkAlarmWindow(trigger, cluster, service, lastDeploymentAt(facts), config.alarmRollbackWindowMinutes);
  if (window.action !== 'rollback') return stop(window);

  if (trigger.kind !== 'manual') {
    const cooldown = checkCooldown(trigger, cluster, service, await stateTable.cooldownUntil(cluster, service), now());
    if (cooldown.action !== 'rollback') return stop(cooldown);
  }

  const ecs = checkEcsRollback(trigger, facts, dryRun);
  if (ecs.action === 'skip' || dryRun) return stop(ecs);
  if (ecs.action === 'rollback') {
    const superseded = checkFailedDeploymentSuperseded(trigger, cluster, service, facts);
    if (superseded.action !== 'rollback') return stop(superseded);
  }

  const lock = await takeLock(cluster, service, executionId, deps);
  const locked = checkLock(cluster, service, lock);
  if (locked.action !== 'rollback') return stop(locked);
  return toRequest(parsed, ecs, true, now());
}

/**
 * Takes the service's lock; a lock held by an execution that has ended (stopped, timed out, failed
 * before it could release it, or unknown to Step Functions) is taken over, since the status-change
 * rule that releases such locks is only best effort. A holder that is RUNNING keeps it.
 */
async function takeLock(cluster: string, service: string, executionId: string, deps: PrepareDeps): Promise<LockState> {
  const { stateTable, config } = deps;
  const lock = await stateTable.acquireLock(cluster, service, executionId, config.lockTtlSeconds);
  if (lock.acquired || deps.executionStatus === undefined || !lock.holder.startsWith('arn:')) return lock;
  const status = await holderStatus(lock.holder, deps.executionStatus);
  if (!hasEnded(status)) return lock;
  const taken = await stateTable.takeOverLock(cluster, service, lock.holder, executionId, config.lockTtlSeconds);
  logger.warn('took over the lock of an execution that has ended', {
    cluster,
    service,
    previousHolder: lock.holder,
    previousHolderStatus: status,
    acquired: taken.acquired,
  });
  return taken.acquired || taken.holder !== 'nobody' ? taken : stateTable.acquireLock(cluster, service, executionId, config.lockTtlSeconds);
}

/** The holder's status; a transient error is retried with Prepare, any other leaves the lock to its holder (logged). */
async function holderStatus(holder: string, executionStatus: (arn: string) => Promise<string>): Promise<string> {
  try {
    return await executionStatus(holder);
  } catch (error) {
    if (error instanceof RollbackError && error.transient) throw error;
    logger.warn('could not read the status of the execution that holds the lock; it keeps the lock', { holder, error });
    return 'UNKNOWN';
  }
}
