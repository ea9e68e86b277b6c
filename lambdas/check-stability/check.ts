/** CheckStability: observe the followed deployment once and let the core decide. */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type DeploymentTask, describeService, targetGroupArnsFor } from '../aws/ecs-service';
import { describeHealthCheckTimings, observeDeploymentTargets } from '../aws/target-health';
import { allTargetGroupsHealthy, type TargetGroupObservation } from '../core/health';
import {
  evaluateStability,
  findDeployment,
  type HealthTiming,
  type StabilityObservation,
  shortTaskDefinition,
  shouldLookUpTargets,
  tasksStarting,
} from '../core/stability';
import { REASONS } from '../core/reasons';
import { ValidationError } from '../shared/errors';
import { logger } from '../shared/logger';
import { assertServiceRequest, isRecord } from '../shared/narrow';
import type { DeploymentRef, RollbackRequest, Settings, StabilityResult } from '../shared/types';

/** The parts of the state CheckStability reads. */
export interface CheckStabilityInput {
  readonly request: Pick<RollbackRequest, 'cluster' | 'service' | 'serviceConfig'>;
  readonly deployment: DeploymentRef;
  readonly settings: Settings;
  readonly stability?: Pick<StabilityResult, 'checks'> & Partial<Pick<StabilityResult, 'desiredCount' | 'runningCount' | 'healthyTargets'>>;
}

/** Clients and clock, replaceable in tests. */
export interface CheckStabilityDeps {
  readonly ecs: () => ECSClient;
  readonly elbv2: () => ElasticLoadBalancingV2Client;
  readonly now: () => Date;
  /** [0, 1): the jitter of the wait after a throttled look. Default Math.random. */
  readonly random?: () => number;
  /** A service deployment's status; used to follow an ECS-native rollback to ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED. */
  readonly serviceDeploymentStatus?: (serviceDeploymentArn: string) => Promise<string | undefined>;
}

/**
 * After AWS throttled a look at the deployment (the SDK's and nothing else's retries spent), wait
 * this long before the next look, drawn with full jitter so that many rollbacks polling at once
 * (one account's ECS token buckets refill at 20 reads a second,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html) spread out.
 */
export const THROTTLED_LOOK_WAIT_SECONDS = { min: 5, max: 30 } as const;

/** Narrows the ASL state; a missing field is a ValidationError naming it. */
export function narrowCheckStabilityInput(event: unknown): CheckStabilityInput {
  const state = isRecord(event) ? event : {};
  const { request, deployment, settings, stability } = state;
  assertServiceRequest(request);
  if (!isRecord(deployment) || typeof deployment.deploymentId !== 'string' || typeof deployment.startedAt !== 'string') {
    throw new ValidationError('deployment', 'deploymentId and startedAt are required');
  }
  if (
    !isRecord(settings) ||
    typeof settings.pollIntervalSeconds !== 'number' ||
    typeof settings.stabilizationTimeoutSeconds !== 'number'
  ) {
    throw new ValidationError('settings', 'pollIntervalSeconds and stabilizationTimeoutSeconds must be numbers');
  }
  return {
    request: request as unknown as CheckStabilityInput['request'],
    deployment: deployment as unknown as DeploymentRef,
    settings: settings as unknown as Settings,
    ...(isRecord(stability) && typeof stability.checks === 'number'
      ? {
          stability: {
            checks: stability.checks,
            ...(typeof stability.desiredCount === 'number' ? { desiredCount: stability.desiredCount } : {}),
            ...(typeof stability.runningCount === 'number' ? { runningCount: stability.runningCount } : {}),
            ...(typeof stability.healthyTargets === 'number' ? { healthyTargets: stability.healthyTargets } : {}),
          },
        }
      : {}),
  };
}

/**
 * When the deployment's tasks started and how its target groups check health, for the wait until
 * they turn healthy. Only an optimisation of the wait: without it the core keeps its fixed bounds.
 */
async function observeHealthTiming(
  tasks: readonly DeploymentTask[],
  targetGroupArns: readonly string[],
  deploymentStartedAt: number,
  elbv2: ElasticLoadBalancingV2Client,
): Promise<HealthTiming | undefined> {
  try {
    const healthChecks = await describeHealthCheckTimings(targetGroupArns, elbv2);
    const taskStartedAtSeconds = tasks.map((t) =>
      t.startedAt === undefined ? undefined : (t.startedAt.getTime() - deploymentStartedAt) / 1000,
    );
    return { taskStartedAtSeconds, healthChecks };
  } catch (error) {
    logger.warn('target group health check settings unavailable; polling with the fixed bounds', { error });
    return undefined;
  }
}

/**
 * One stability check of the followed deployment (ours, or ECS's own rollback). A look that AWS
 * throttled is no failure: the deployment goes on without us looking, so the check answers
 * IN_PROGRESS with a jittered wait (THROTTLED_LOOK_WAIT_SECONDS) until the stabilisation timeout;
 * only then does the throttle go to the state machine's Retry.
 */
export async function checkStability(input: CheckStabilityInput, deps: CheckStabilityDeps): Promise<StabilityResult> {
  const now = deps.now();
  const elapsedSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(input.deployment.startedAt)) / 1000));
  const context = { checks: (input.stability?.checks ?? 0) + 1, checkedAt: now.toISOString() };
  try {
    return await lookAtDeployment(input, deps, elapsedSeconds, context);
  } catch (error) {
    const left = input.settings.stabilizationTimeoutSeconds - elapsedSeconds;
    if (!(error instanceof Error && error.name === 'ThrottledAwsError') || left <= 1) throw error;
    const { min, max } = THROTTLED_LOOK_WAIT_SECONDS;
    const wait = Math.max(1, Math.min(Math.floor(left) - 1, Math.round(min + (max - min) * (deps.random ?? Math.random)())));
    const previous = input.stability;
    logger.warn('the look at the deployment was throttled; looking again later', { error, waitSeconds: wait });
    return {
      status: 'IN_PROGRESS',
      reason: REASONS.LOOK_THROTTLED,
      message: `Deployment ${input.deployment.deploymentId} (${shortTaskDefinition(input.deployment.taskDefinitionArn)}): AWS throttled the look after ${elapsedSeconds} s (${error.message}); next check in ${wait} s`,
      elapsedSeconds,
      waitSeconds: wait,
      desiredCount: previous?.desiredCount ?? 0,
      runningCount: previous?.runningCount ?? 0,
      ...(previous?.healthyTargets === undefined ? {} : { healthyTargets: previous.healthyTargets }),
      ...context,
    };
  }
}

async function lookAtDeployment(
  input: CheckStabilityInput,
  deps: CheckStabilityDeps,
  elapsedSeconds: number,
  context: { readonly checks: number; readonly checkedAt: string },
): Promise<StabilityResult> {
  const { request, deployment: followed, settings } = input;

  const lookup = await describeService(request.cluster, request.service, deps.ecs());
  if (!lookup.found) {
    const observation = { followed, serviceStatus: lookup.reason, otherDeployments: 0, targetGroupCount: 0, elapsedSeconds };
    return evaluateStability(observation, settings, context);
  }
  const service = lookup.service;
  const deployments = service.deployments ?? [];
  const deployment = findDeployment(deployments, followed.deploymentId);
  const targetGroupArns = targetGroupArnsFor(request.serviceConfig?.targetGroupArn, service);

  let targets: readonly TargetGroupObservation[] | undefined;
  let healthTiming: HealthTiming | undefined;
  const serviceStatus = service.status ?? 'ACTIVE';
  if (serviceStatus === 'ACTIVE' && shouldLookUpTargets(deployment, targetGroupArns.length)) {
    const elbv2 = deps.elbv2();
    const observed = await observeDeploymentTargets(request.cluster, followed.deploymentId, targetGroupArns, {
      ecs: deps.ecs(),
      elbv2,
    });
    targets = observed.groups;
    if (!allTargetGroupsHealthy(observed.groups, deployment?.desiredCount ?? 0)) {
      healthTiming = await observeHealthTiming(observed.tasks, targetGroupArns, Date.parse(followed.startedAt), elbv2);
    }
  } else if (serviceStatus === 'ACTIVE' && tasksStarting(deployment, targetGroupArns.length)) {
    // While the tasks start, the target groups' settings say how soon any target could turn healthy.
    healthTiming = await observeHealthTiming([], targetGroupArns, Date.parse(followed.startedAt), deps.elbv2());
  }

  const observation: StabilityObservation = {
    followed,
    serviceStatus,
    ...(deployment === undefined ? {} : { deployment }),
    otherDeployments: deployments.filter((d) => d.id !== followed.deploymentId).length,
    targetGroupCount: targetGroupArns.length,
    ...(targets === undefined ? {} : { targets }),
    ...(healthTiming === undefined ? {} : { healthTiming }),
    elapsedSeconds,
  };
  return followNativeRollback(followed, evaluateStability(observation, settings, context), deps);
}

/**
 * An ECS-native rollback (StopServiceDeployment) that ECS reports as ROLLBACK_FAILED is a failed
 * rollback, whatever the deployment's tasks look like at this moment.
 */
async function followNativeRollback(followed: DeploymentRef, result: StabilityResult, deps: CheckStabilityDeps): Promise<StabilityResult> {
  const arn = followed.serviceDeploymentArn;
  if (arn === undefined || deps.serviceDeploymentStatus === undefined || result.status === 'FAILED') return result;
  const status = await deps.serviceDeploymentStatus(arn);
  if (status !== 'ROLLBACK_FAILED') return result;
  return {
    ...result,
    status: 'FAILED',
    reason: REASONS.DEPLOYMENT_FAILED,
    message: `ECS's rollback of service deployment ${arn} (StopServiceDeployment, ROLLBACK) ended ROLLBACK_FAILED.`,
    waitSeconds: 0,
  };
}
