/**
 * Guards (DESIGN.md "Guards"): a rollback must never make things worse. Each guard is a small
 * pure function over facts gathered by Prepare; it returns a verdict: `rollback` (nothing
 * against it), `skip` (notify only) or `watch` (follow ECS's own rollback). Prepare applies them
 * in the order of GUARD_ORDER and the first verdict that is not `rollback` wins.
 */
import { excerpt } from '../shared/excerpt';
import type { DeploymentRef, RollbackType, Trigger } from '../shared/types';
import { REASONS, type Reason } from './reasons';

/** A guard's decision. */
export type GuardVerdict =
  | { readonly action: 'rollback'; readonly message: string }
  | { readonly action: 'skip'; readonly reason: Reason; readonly message: string }
  | { readonly action: 'watch'; readonly reason: Reason; readonly message: string; readonly watch: DeploymentRef };

/** One deployment of a service as DescribeServices reports it (times ISO). */
export interface DeploymentFact {
  readonly id: string;
  /** PRIMARY (the newest), ACTIVE (older, still running tasks) or INACTIVE. */
  readonly status: string;
  readonly taskDefinitionArn: string;
  /** IN_PROGRESS, COMPLETED or FAILED (rolling-update services only). */
  readonly rolloutState?: string;
  readonly rolloutStateReason?: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
}

/** What Prepare knows about the service from ECS. */
export interface ServiceFacts {
  readonly serviceArn?: string;
  /** ACTIVE, DRAINING or INACTIVE. */
  readonly status: string;
  /** deploymentConfiguration.deploymentCircuitBreaker, when set. */
  readonly circuitBreaker?: { readonly enable: boolean; readonly rollback: boolean };
  readonly deployments: readonly DeploymentFact[];
}

/** Result of claiming a trigger: the execution that holds it (the claimer itself when new or a retry). */
export interface TriggerClaim {
  readonly claimedBy: string;
}

/** Who holds the service's lock after Prepare tried to take it. */
export interface LockState {
  readonly acquired: boolean;
  readonly holder: string;
  readonly expiresAt: string;
}

/** The order in which Prepare applies the guards. */
export const GUARD_ORDER = [
  'duplicateTrigger',
  'advisoryOnly',
  'ownDeploymentFailed',
  'alarmAfterOwnRollback',
  'alarmWindow',
  'cooldown',
  'ecsRollback',
  'failedDeploymentSuperseded',
  'lock',
] as const;

const PASS = (message: string): GuardVerdict => ({ action: 'rollback', message });

/**
 * True for the triggers that blame one deployment: an ECS deployment failure, or the detector's
 * count of that deployment's stopped tasks (`task-stops`). The loop and superseded guards apply to both.
 */
export function namesDeployment(trigger: Trigger): boolean {
  return trigger.kind === 'deployment-failed' || trigger.kind === 'task-stops';
}

const serviceName = (cluster: string, service: string): string => `${cluster}/${service}`;

/** The first verdict that is not `rollback`, else a `rollback` verdict. */
export function firstBlockingVerdict(verdicts: readonly GuardVerdict[]): GuardVerdict {
  return verdicts.find((v) => v.action !== 'rollback') ?? PASS('No guard holds this rollback back.');
}

/**
 * Duplicate trigger: EventBridge delivers at least once, so the same event may start several
 * executions. Only the execution that claimed the trigger's key goes on; a Step Functions retry of
 * Prepare in that same execution gets its own id back and goes on too (also when its first claim
 * committed but the answer was lost).
 * Caveat: the claim expires (see TRIGGER_CLAIM_TTL_SECONDS); a copy delivered later than that is
 * treated as new, and then the loop and cool-down guards hold it back.
 */
export function checkDuplicateTrigger(trigger: Trigger, executionId: string, claim: TriggerClaim): GuardVerdict {
  if (claim.claimedBy !== executionId) {
    return {
      action: 'skip',
      reason: REASONS.DUPLICATE_TRIGGER,
      message: `Trigger ${trigger.id} was already handled by execution ${claim.claimedBy}; this copy changes nothing.`,
    };
  }
  return PASS(`Trigger ${trigger.id} is new.`);
}

/**
 * No loops: when a deployment that this system started fails, it is reported, not rolled back
 * again. Deployment failures and the detector's task-stops triggers name a deployment, so they are checked.
 * Caveat: the record is written by UpdateService right after its call; a failure event that
 * arrives before that write (seconds) is not recognised, the lock still holds it back then.
 */
export function checkOwnDeploymentFailed(
  trigger: Trigger,
  ownDeployment: { readonly executionId: string } | undefined,
): GuardVerdict {
  if (!namesDeployment(trigger) || ownDeployment === undefined) {
    return PASS('The failed deployment was not started by this system.');
  }
  return {
    action: 'skip',
    reason: REASONS.OWN_DEPLOYMENT_FAILED,
    message:
      `Deployment ${trigger.deploymentId ?? trigger.id} was a rollback started by execution ` +
      `${ownDeployment.executionId}; its failure is reported, not rolled back again.`,
  };
}

/**
 * No loops, for alarms: an alarm that goes off while the service's last deployment is a rollback
 * this system started is reported, not rolled back again. Once the cool-down has ended, the
 * deployment history's "last successful before the current one" would otherwise be the very
 * version that rollback left.
 */
export function checkAlarmAfterOwnRollback(
  trigger: Trigger,
  lastDeploymentId: string | undefined,
  ownDeployment: { readonly executionId: string } | undefined,
): GuardVerdict {
  if (trigger.kind !== 'alarm' || lastDeploymentId === undefined || ownDeployment === undefined) {
    return PASS('The last deployment was not a rollback started by this system.');
  }
  return {
    action: 'skip',
    reason: REASONS.OWN_DEPLOYMENT_FAILED,
    message:
      `Alarm ${trigger.alarmName} went off after deployment ${lastDeploymentId}, a rollback started by execution ` +
      `${ownDeployment.executionId}; it is reported, not rolled back again.`,
  };
}

/** True for the rollback types that only give advice and never change the service. */
export function isAdvisoryOnly(rollbackType: RollbackType): boolean {
  return rollbackType === 'database' || rollbackType === 'infrastructure';
}

/**
 * Advisory rollback types: a database or infrastructure rollback is never done automatically
 * (data loss, replaced resources), so the service is left as it is and the notification carries
 * the advice. `application` and `full` roll the image back.
 */
export function checkRollbackType(rollbackType: RollbackType, cluster: string, service: string): GuardVerdict {
  if (!isAdvisoryOnly(rollbackType)) return PASS(`Rollback type ${rollbackType} rolls back the application image.`);
  return {
    action: 'skip',
    reason: REASONS.ADVISORY_ONLY,
    message:
      `A ${rollbackType} rollback is advice only: the application ${serviceName(cluster, service)} is left as it is, ` +
      `and the ${rollbackType} advice is in the notification.`,
  };
}

/** When the service's last deployment started: the PRIMARY deployment's createdAt. */
export function lastDeploymentAt(facts: ServiceFacts): string | undefined {
  return facts.deployments.find((d) => d.status === 'PRIMARY')?.createdAt;
}

/** The service's last deployment: the PRIMARY deployment's id. */
export function lastDeploymentId(facts: ServiceFacts): string | undefined {
  return facts.deployments.find((d) => d.status === 'PRIMARY')?.id || undefined;
}

/**
 * True when the alarm went off within `windowMinutes` after the last deployment started.
 * Caveat: an alarm that changed state before the deployment started is not blamed on it, and an
 * alarm that stays in ALARM sends no new event, so a deployment made during an outage is not
 * rolled back by this alarm.
 */
export function isWithinAlarmWindow(alarmTime: string, deployedAt: string | undefined, windowMinutes: number): boolean {
  if (deployedAt === undefined) return false;
  const ageMs = Date.parse(alarmTime) - Date.parse(deployedAt);
  return ageMs >= 0 && ageMs <= windowMinutes * 60_000;
}

/**
 * Alarm window: an alarm rolls back only shortly after a deployment; later it notifies only,
 * because a database outage is not fixed by an older image. Manual starts and deployment failures
 * are not subject to it.
 */
export function checkAlarmWindow(
  trigger: Trigger,
  cluster: string,
  service: string,
  deployedAt: string | undefined,
  windowMinutes: number,
): GuardVerdict {
  if (trigger.kind !== 'alarm') return PASS('Not an alarm: no window applies.');
  if (isWithinAlarmWindow(trigger.time, deployedAt, windowMinutes)) {
    return PASS(`Alarm ${trigger.alarmName} went off within ${windowMinutes} min of the last deployment.`);
  }
  const when =
    deployedAt === undefined
      ? 'ECS reports no deployment of the service'
      : `the last deployment of ${serviceName(cluster, service)} started at ${deployedAt}`;
  return {
    action: 'skip',
    reason: REASONS.ALARM_OUTSIDE_WINDOW,
    message:
      `Alarm ${trigger.alarmName} went off at ${trigger.time}, outside the ${windowMinutes}-minute window after a ` +
      `deployment (${when}): notifying only — a database outage is not fixed by an older image.`,
  };
}

/**
 * True while a cool-down is running.
 * Caveat: relies on the clock of the function; a few seconds of skew do not matter at minutes' scale.
 */
export function isCooldownActive(cooldownUntil: string | undefined, now: Date): boolean {
  return cooldownUntil !== undefined && Date.parse(cooldownUntil) > now.getTime();
}

/**
 * Cool-down: after a rollback of this service, further automatic triggers only notify until the
 * cool-down ends, so a flapping alarm cannot roll back again and again. Manual starts are not held
 * back (a person decided).
 */
export function checkCooldown(
  trigger: Trigger,
  cluster: string,
  service: string,
  cooldownUntil: string | undefined,
  now: Date,
): GuardVerdict {
  if (trigger.kind === 'manual') return PASS('Manual start: the cool-down does not apply.');
  if (!isCooldownActive(cooldownUntil, now)) return PASS('No cool-down is running.');
  return {
    action: 'skip',
    reason: REASONS.COOLDOWN_ACTIVE,
    message: `${serviceName(cluster, service)} was rolled back recently; automatic rollbacks pause until ${cooldownUntil} (cool-down).`,
  };
}

const ECS_ROLLBACK_REASON = /circuit breaker: rolling back|rolling back to deployment/i;

/**
 * True when an ECS reason text says ECS is rolling back, e.g. a deployment's rolloutStateReason
 * or a SERVICE_DEPLOYMENT_IN_PROGRESS event's reason:
 * "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1187736251029384756."
 * A SERVICE_DEPLOYMENT_FAILED event's own reason is "ECS deployment circuit breaker: task failed
 * to start." and does not say whether a rollback follows.
 */
export function isEcsRollbackReason(reason: string | undefined): boolean {
  return reason !== undefined && ECS_ROLLBACK_REASON.test(reason);
}

/**
 * The deployment in which ECS's circuit breaker rolls the service back, if one is under way:
 * the PRIMARY deployment, IN_PROGRESS, not the failed one, and either described as a rollback
 * ("rolling back to deploymentId ...") or, with the circuit breaker's rollback on, newer than
 * the failed deployment (or the failed one already drained away).
 * Caveat: DescribeServices shows the rollback as a new PRIMARY deployment; the service
 * deployments API (ListServiceDeployments) shows the failed one as ROLLBACK_IN_PROGRESS instead,
 * but names it by another id, so CheckStability follows the DescribeServices deployment.
 */
export function findEcsRollbackDeployment(
  facts: ServiceFacts,
  failedDeploymentId?: string,
): DeploymentFact | undefined {
  const primary = facts.deployments.find((d) => d.status === 'PRIMARY');
  if (primary === undefined || primary.rolloutState !== 'IN_PROGRESS') return undefined;
  if (failedDeploymentId !== undefined && primary.id === failedDeploymentId) return undefined;
  if (isEcsRollbackReason(primary.rolloutStateReason)) return primary;
  if (failedDeploymentId === undefined || facts.circuitBreaker?.rollback !== true) return undefined;
  const failed = facts.deployments.find((d) => d.id === failedDeploymentId);
  if (failed === undefined) return primary;
  if (failed.createdAt === undefined || primary.createdAt === undefined) return undefined;
  return Date.parse(primary.createdAt) >= Date.parse(failed.createdAt) ? primary : undefined;
}

/**
 * ECS circuit breaker coexistence: when ECS is already rolling back, follow its rollback
 * deployment (watch and report) instead of starting a second one that would fight it. Dry runs
 * are told so and stop there (following changes nothing they asked for).
 */
export function checkEcsRollback(trigger: Trigger, facts: ServiceFacts, dryRun: boolean): GuardVerdict {
  const failedId = namesDeployment(trigger) ? trigger.deploymentId : undefined;
  const rollback = findEcsRollbackDeployment(facts, failedId);
  const saysRollingBack = trigger.kind === 'deployment-failed' && isEcsRollbackReason(trigger.reason);
  if (rollback === undefined) {
    return PASS(
      saysRollingBack
        ? 'ECS said it was rolling back, but no rollback deployment is under way any more.'
        : 'ECS is not rolling back this service.',
    );
  }
  const target = rollback.taskDefinitionArn.split('/').pop() ?? rollback.taskDefinitionArn;
  if (dryRun) {
    return {
      action: 'skip',
      reason: REASONS.ECS_ROLLBACK_IN_PROGRESS,
      message: `ECS's circuit breaker is already rolling back to ${target} (deployment ${rollback.id}); a real start would follow it instead of rolling back.`,
    };
  }
  return {
    action: 'watch',
    reason: REASONS.ECS_ROLLBACK_IN_PROGRESS,
    message: `ECS's circuit breaker is already rolling back to ${target} (deployment ${rollback.id}); following it instead of starting another rollback.`,
    watch: {
      deploymentId: rollback.id,
      taskDefinitionArn: rollback.taskDefinitionArn,
      startedAt: rollback.createdAt ?? rollback.updatedAt ?? new Date(0).toISOString(),
    },
  };
}

/**
 * A late failure: the failed deployment is no longer the service's PRIMARY one, a newer
 * deployment (a person's, or ECS's finished rollback) replaced it, and rolling back would undo
 * that. EventBridge retries a delivery for hours, so a failure event can arrive after the next
 * deployment. Applied after checkEcsRollback: an ECS rollback still under way is followed.
 * A failed deployment the service does not list at all (DescribeServices shows PRIMARY, ACTIVE
 * and recent INACTIVE ones) is skipped too, and said so: it is not what runs now.
 * Caveat: a service that lists no PRIMARY deployment is not judged.
 */
export function checkFailedDeploymentSuperseded(trigger: Trigger, cluster: string, service: string, facts: ServiceFacts): GuardVerdict {
  const failedId = namesDeployment(trigger) ? trigger.deploymentId : undefined;
  const primary = facts.deployments.find((d) => d.status === 'PRIMARY');
  if (failedId === undefined || primary === undefined || primary.id === failedId) {
    return PASS('The failed deployment is the service\'s latest.');
  }
  const target = primary.taskDefinitionArn.split('/').pop() ?? primary.taskDefinitionArn;
  const now = `deployment ${primary.id} (${target}, ${primary.rolloutState ?? 'rollout state unknown'})`;
  if (!facts.deployments.some((d) => d.id === failedId)) {
    return {
      action: 'skip',
      reason: REASONS.DEPLOYMENT_SUPERSEDED,
      message:
        `Deployment ${excerpt(failedId)} failed, but ${serviceName(cluster, service)} does not list it among its deployments ` +
        `(ECS lists ${facts.deployments.map((d) => d.id).join(', ')}; the newest is ${now}); a failure of a deployment ` +
        'the service no longer knows is only reported, nothing was changed.',
    };
  }
  return {
    action: 'skip',
    reason: REASONS.DEPLOYMENT_SUPERSEDED,
    message:
      `Deployment ${failedId} failed, but ${serviceName(cluster, service)} has moved on to ${now}; ` +
      'rolling back would undo it, so this failure is only reported.',
  };
}

/**
 * One rollback per service at a time: the execution that holds the service's lock goes on,
 * others only notify, naming the holder.
 * Caveat: the lock expires after LOCK_TTL_SECONDS so a crashed execution cannot block the service
 * for ever; an execution that runs longer than that loses its exclusivity.
 */
export function checkLock(cluster: string, service: string, lock: LockState): GuardVerdict {
  if (lock.acquired) return PASS(`This execution holds the lock of ${serviceName(cluster, service)}.`);
  return {
    action: 'skip',
    reason: REASONS.ROLLBACK_IN_PROGRESS,
    message: `Execution ${lock.holder} is already rolling back ${serviceName(cluster, service)} (its lock expires at ${lock.expiresAt}); this trigger changes nothing.`,
  };
}
