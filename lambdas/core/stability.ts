/**
 * Stability decisions, pure: is the rollback deployment done (COMPLETED, or RECOVERED as soon as
 * its tasks are healthy targets, without waiting out the old tasks' deregistration delay),
 * failed, replaced, timed out, or still in progress, and how long to wait before looking again.
 */
import type { DeploymentRef, Settings, StabilityResult } from '../shared/types';
import { allTargetGroupsHealthy, type TargetGroupObservation } from './health';
import { REASONS } from './reasons';

/** A deployment as DescribeServices lists it (the fields decisions need). */
export interface DeploymentSnapshot {
  readonly id?: string;
  /** PRIMARY | ACTIVE | INACTIVE */
  readonly status?: string;
  readonly taskDefinition?: string;
  /** IN_PROGRESS | COMPLETED | FAILED */
  readonly rolloutState?: string;
  readonly rolloutStateReason?: string;
  readonly desiredCount?: number;
  readonly runningCount?: number;
  readonly pendingCount?: number;
  readonly createdAt?: Date;
}

/** What one check saw. */
export interface StabilityObservation {
  /** The deployment being followed ($.deployment). */
  readonly followed: DeploymentRef;
  /** ACTIVE | DRAINING | INACTIVE, or ECS's failure reason (MISSING) when it does not know the service. */
  readonly serviceStatus: string;
  /** The followed deployment as the service lists it now; absent when it is gone. */
  readonly deployment?: DeploymentSnapshot;
  /** Other deployments still listed (old tasks not yet drained). */
  readonly otherDeployments: number;
  /** Target groups the deployment's tasks register in (configured, or the service's own). */
  readonly targetGroupCount: number;
  /** The deployment's tasks in each target group; absent when not looked up. */
  readonly targets?: readonly TargetGroupObservation[];
  /** When the deployment's tasks started and how its target groups check health; absent when not looked up. */
  readonly healthTiming?: HealthTiming;
  /** Seconds since the deployment started. */
  readonly elapsedSeconds: number;
}

/** How a target group turns a new target healthy (DescribeTargetGroups). */
export interface HealthCheckTiming {
  readonly targetGroupArn: string;
  readonly intervalSeconds: number;
  readonly healthyThresholdCount: number;
}

/** What DescribeTasks and DescribeTargetGroups say about when the deployment's targets can turn healthy. */
export interface HealthTiming {
  /** Each of the deployment's tasks meant to run: seconds after the deployment started that it started (startedAt), undefined while it has not. */
  readonly taskStartedAtSeconds: readonly (number | undefined)[];
  /** The target groups whose health check settings are known. */
  readonly healthChecks: readonly HealthCheckTiming[];
}

/** Longest wait while the new tasks are registered but not yet healthy and no estimate is known: recovery is near. */
export const NEAR_RECOVERY_WAIT_SECONDS = 5;
/** Longest wait while running tasks are being registered in their target groups and no estimate is known. */
export const REGISTERING_WAIT_SECONDS = 10;
/**
 * How often to look while the targets may turn healthy: a target group checks each new target every
 * interval from a phase nobody can see, so they turn healthy somewhere in the last interval before
 * startedAt + interval × threshold (the health window); one look every this many seconds there.
 */
export const HEALTH_WINDOW_POLL_SECONDS = 3;
/** How long after the health window closes the window polling goes on (clock skew, rounding). */
export const AFTER_ESTIMATE_SECONDS = 1;
/** Shortest wait once the estimated moment has passed and the targets are not healthy yet. */
export const OVERDUE_WAIT_SECONDS = 2;
/** Past the estimate, waits grow to this share of the elapsed time, so recovery is declared at most that share late. */
export const OVERDUE_WAIT_SHARE = 0.04;

const INACTIVE_SERVICE_STATUSES = new Set(['INACTIVE', 'DRAINING']);

/** `riderapp:14` from a task definition ARN (or the input itself when it is not an ARN). */
export function shortTaskDefinition(taskDefinition: string): string {
  const marker = ':task-definition/';
  const at = taskDefinition.indexOf(marker);
  return at === -1 ? taskDefinition : taskDefinition.slice(at + marker.length);
}

/** True when two task definition references (ARN or family:revision) name the same revision. */
export function sameTaskDefinition(a: string, b: string): boolean {
  return shortTaskDefinition(a) === shortTaskDefinition(b);
}

/** The deployment of the list with this id. */
export function findDeployment<D extends DeploymentSnapshot>(deployments: readonly D[], id: string): D | undefined {
  return deployments.find((d) => d.id === id);
}

/**
 * The PRIMARY deployment when it already runs `taskDefinitionArn` and was created at or after
 * `since` (this execution's start): UpdateService already happened, a retry must not repeat it.
 */
export function deploymentAlreadyStarted<D extends DeploymentSnapshot>(
  deployments: readonly D[],
  taskDefinitionArn: string,
  since: string,
): D | undefined {
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  if (primary?.taskDefinition === undefined || primary.createdAt === undefined) return undefined;
  if (!sameTaskDefinition(primary.taskDefinition, taskDefinitionArn)) return undefined;
  return primary.createdAt.getTime() >= Date.parse(since) ? primary : undefined;
}

/** True when the deployment is PRIMARY, still rolling out, and all its tasks run: time to look at targets. */
export function shouldLookUpTargets(deployment: DeploymentSnapshot | undefined, targetGroupCount: number): boolean {
  if (deployment === undefined || targetGroupCount === 0) return false;
  if (deployment.status !== 'PRIMARY' || deployment.rolloutState !== 'IN_PROGRESS') return false;
  const desired = deployment.desiredCount ?? 0;
  return desired > 0 && (deployment.runningCount ?? 0) >= desired;
}

/** True when the deployment is PRIMARY, rolling out, and not all its tasks run yet (behind target groups). */
export function tasksStarting(deployment: DeploymentSnapshot | undefined, targetGroupCount: number): boolean {
  if (deployment === undefined || targetGroupCount === 0) return false;
  if (deployment.status !== 'PRIMARY' || deployment.rolloutState !== 'IN_PROGRESS') return false;
  return (deployment.runningCount ?? 0) < (deployment.desiredCount ?? 0);
}

/**
 * Seconds a wait may last while tasks still start: no target can turn healthy sooner than
 * interval × (threshold − 1) after its task runs, so half of that (of the quickest target group)
 * still sees every task start well before the health window opens. Undefined without settings.
 */
export function startingWaitSeconds(observation: StabilityObservation): number | undefined {
  const checks = (observation.healthTiming?.healthChecks ?? []).filter((c) => c.intervalSeconds > 0 && c.healthyThresholdCount > 0);
  if (checks.length === 0 || checks.length < observation.targetGroupCount) return undefined;
  return Math.floor(Math.min(...checks.map((c) => c.intervalSeconds * (c.healthyThresholdCount - 1))) / 2);
}

type Phase = 'starting' | 'registering' | 'near-recovery' | 'awaiting-completion';

function phaseOf(observation: StabilityObservation): Phase {
  const desired = observation.deployment?.desiredCount ?? 0;
  const running = observation.deployment?.runningCount ?? 0;
  if (running < desired) return 'starting';
  if (observation.targetGroupCount === 0) return 'awaiting-completion';
  const targets = observation.targets;
  if (targets === undefined || targets.length === 0 || targets.some((g) => g.registered < desired)) {
    return 'registering';
  }
  return 'near-recovery';
}

/** The seconds (after the deployment started) between which the deployment's targets may turn healthy. */
export interface HealthWindow {
  /** The earliest: the last task's startedAt + interval × (threshold − 1) of the slowest target group. */
  readonly opensAt: number;
  /** The latest: the last task's startedAt + interval × threshold (expectedHealthySeconds). */
  readonly closesAt: number;
}

/**
 * When the deployment's targets may turn healthy: after the last of its tasks started, within the
 * last health check interval before interval × healthy threshold (each target's first check comes
 * at an unknown moment of its first interval). Undefined when fewer than the desired tasks have
 * started or a target group's settings are unknown.
 */
export function healthWindowSeconds(observation: StabilityObservation): HealthWindow | undefined {
  const timing = observation.healthTiming;
  const desired = observation.deployment?.desiredCount ?? 0;
  if (timing === undefined || desired <= 0 || observation.targetGroupCount === 0) return undefined;
  const started = timing.taskStartedAtSeconds.filter((s): s is number => s !== undefined && Number.isFinite(s));
  if (started.length < desired) return undefined;
  const checks = timing.healthChecks.filter((c) => c.intervalSeconds > 0 && c.healthyThresholdCount > 0);
  if (checks.length < observation.targetGroupCount) return undefined;
  const last = Math.max(...started);
  return {
    opensAt: last + Math.max(...checks.map((c) => c.intervalSeconds * (c.healthyThresholdCount - 1))),
    closesAt: last + Math.max(...checks.map((c) => c.intervalSeconds * c.healthyThresholdCount)),
  };
}

/** Seconds after the deployment started by which its targets should be healthy (the health window's end). */
export function expectedHealthySeconds(observation: StabilityObservation): number | undefined {
  return healthWindowSeconds(observation)?.closesAt;
}

/**
 * The wait while the deployment's tasks run but their targets are not all healthy: until the health
 * window opens (nothing can turn healthy before), every HEALTH_WINDOW_POLL_SECONDS inside it, then
 * growing overdue waits. Without a window: the fixed bounds. `beyondPollInterval` says the wait may
 * exceed pollIntervalSeconds (only before the window opens).
 */
function waitForTargets(observation: StabilityObservation, phase: 'registering' | 'near-recovery'): { wait: number; beyondPollInterval: boolean } {
  const window = healthWindowSeconds(observation);
  if (window === undefined) return { wait: phase === 'near-recovery' ? NEAR_RECOVERY_WAIT_SECONDS : REGISTERING_WAIT_SECONDS, beyondPollInterval: false };
  const elapsed = observation.elapsedSeconds;
  if (elapsed < window.opensAt) return { wait: Math.ceil(window.opensAt - elapsed), beyondPollInterval: true };
  if (elapsed < window.closesAt + AFTER_ESTIMATE_SECONDS) return { wait: HEALTH_WINDOW_POLL_SECONDS, beyondPollInterval: false };
  return { wait: Math.max(OVERDUE_WAIT_SECONDS, Math.floor(elapsed * OVERDUE_WAIT_SHARE)), beyondPollInterval: false };
}

/**
 * Seconds to wait before the next check: at least 1, never more than the time left before the
 * timeout, and never more than pollIntervalSeconds except where no target can turn healthy yet:
 * while the tasks start (startingWaitSeconds) and until the health window opens. Once the new tasks run: until the window in which their targets may turn healthy opens
 * (healthWindowSeconds), every HEALTH_WINDOW_POLL_SECONDS inside it, then growing short waits;
 * without a window, ≤ 10 s while they register and ≤ 5 s while only their health checks are missing.
 */
export function nextWaitSeconds(observation: StabilityObservation, settings: Settings): number {
  const left = Math.ceil(settings.stabilizationTimeoutSeconds - observation.elapsedSeconds);
  let wait = Math.min(settings.pollIntervalSeconds, left);
  const phase = phaseOf(observation);
  const starting = phase === 'starting' ? startingWaitSeconds(observation) : undefined;
  if (starting !== undefined) wait = Math.min(left, Math.max(wait, starting));
  if (phase === 'registering' || phase === 'near-recovery') {
    const forTargets = waitForTargets(observation, phase);
    wait = forTargets.beyondPollInterval ? Math.min(forTargets.wait, left) : Math.min(wait, forTargets.wait);
  }
  return Math.max(1, Math.floor(wait));
}

function counts(observation: StabilityObservation): { desired: number; running: number; healthy?: number } {
  const desired = observation.deployment?.desiredCount ?? 0;
  const running = observation.deployment?.runningCount ?? 0;
  const targets = observation.targets;
  if (targets === undefined || targets.length === 0) return { desired, running };
  return { desired, running, healthy: Math.min(...targets.map((g) => g.healthy)) };
}

function progress(observation: StabilityObservation): string {
  const { desired, running, healthy } = counts(observation);
  const tasks = `${running}/${desired} tasks running`;
  if (observation.targetGroupCount === 0) return tasks;
  const groups = observation.targetGroupCount === 1 ? '1 target group' : `${observation.targetGroupCount} target groups`;
  return `${tasks}, ${healthy ?? 0}/${desired} healthy in ${groups}`;
}

/** The verdict of one CheckStability: status, reason constant, message, and the next wait. */
export function evaluateStability(
  observation: StabilityObservation,
  settings: Settings,
  context: { readonly checks: number; readonly checkedAt: string },
): StabilityResult {
  const { desired, running, healthy } = counts(observation);
  const followed = observation.followed;
  const name = `Deployment ${followed.deploymentId} (${shortTaskDefinition(followed.taskDefinitionArn)})`;
  const result = (status: StabilityResult['status'], reason: string, message: string, waitSeconds = 0) => ({
    status,
    reason,
    message,
    elapsedSeconds: observation.elapsedSeconds,
    waitSeconds,
    desiredCount: desired,
    runningCount: running,
    ...(healthy === undefined ? {} : { healthyTargets: healthy }),
    checks: context.checks,
    checkedAt: context.checkedAt,
  });

  if (observation.serviceStatus !== 'ACTIVE') {
    const status = observation.serviceStatus;
    const why = INACTIVE_SERVICE_STATUSES.has(status) ? `${status}, not ACTIVE` : `${status}: ECS does not know it`;
    return result('FAILED', REASONS.SERVICE_NOT_ACTIVE, `The service is ${why}`);
  }
  const deployment = observation.deployment;
  if (deployment === undefined) {
    return result(
      'FAILED',
      REASONS.DEPLOYMENT_REPLACED,
      `${name} is no longer listed by the service: another deployment replaced it`,
    );
  }
  if (deployment.rolloutState === 'FAILED') {
    const why = deployment.rolloutStateReason ?? 'no reason given by ECS';
    return result('FAILED', REASONS.DEPLOYMENT_FAILED, `${name} failed: ${why}`);
  }
  if (deployment.status !== 'PRIMARY') {
    return result(
      'FAILED',
      REASONS.DEPLOYMENT_REPLACED,
      `${name} is ${deployment.status ?? 'no longer PRIMARY'}: another deployment replaced it`,
    );
  }
  if (deployment.rolloutState === 'COMPLETED') {
    return result('COMPLETED', REASONS.DEPLOYMENT_COMPLETED, `${name} completed: ${progress(observation)}`);
  }
  if (running >= desired && observation.targets !== undefined && allTargetGroupsHealthy(observation.targets, desired)) {
    const draining = observation.otherDeployments > 0 ? '; old tasks still draining' : '';
    return result(
      'RECOVERED',
      REASONS.TARGETS_HEALTHY,
      `${name} recovered after ${observation.elapsedSeconds} s: ${progress(observation)}${draining}`,
    );
  }
  if (observation.elapsedSeconds >= settings.stabilizationTimeoutSeconds) {
    return result(
      'TIMED_OUT',
      REASONS.STABILIZATION_TIMEOUT,
      `${name} not stable after ${observation.elapsedSeconds} s (timeout ${settings.stabilizationTimeoutSeconds} s): ${progress(observation)}`,
    );
  }
  const wait = nextWaitSeconds(observation, settings);
  const expected = running >= desired ? expectedHealthySeconds(observation) : undefined;
  const estimate = expected === undefined ? '' : `; targets expected healthy at ${Math.ceil(expected)} s`;
  return result(
    'IN_PROGRESS',
    REASONS.DEPLOYMENT_IN_PROGRESS,
    `${name} in progress after ${observation.elapsedSeconds} s: ${progress(observation)}${estimate}; next check in ${wait} s`,
    wait,
  );
}
