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
  shouldLookUpTargets,
  tasksStarting,
} from '../core/stability';
import { ValidationError } from '../shared/errors';
import { logger } from '../shared/logger';
import { assertServiceRequest, isRecord } from '../shared/narrow';
import type { DeploymentRef, RollbackRequest, Settings, StabilityResult } from '../shared/types';

/** The parts of the state CheckStability reads. */
export interface CheckStabilityInput {
  readonly request: Pick<RollbackRequest, 'cluster' | 'service' | 'serviceConfig'>;
  readonly deployment: DeploymentRef;
  readonly settings: Settings;
  readonly stability?: Pick<StabilityResult, 'checks'>;
}

/** Clients and clock, replaceable in tests. */
export interface CheckStabilityDeps {
  readonly ecs: () => ECSClient;
  readonly elbv2: () => ElasticLoadBalancingV2Client;
  readonly now: () => Date;
}

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
    ...(isRecord(stability) && typeof stability.checks === 'number' ? { stability: { checks: stability.checks } } : {}),
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

/** One stability check of the followed deployment (ours, or ECS's own rollback). */
export async function checkStability(input: CheckStabilityInput, deps: CheckStabilityDeps): Promise<StabilityResult> {
  const { request, deployment: followed, settings } = input;
  const now = deps.now();
  const elapsedSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(followed.startedAt)) / 1000));
  const context = { checks: (input.stability?.checks ?? 0) + 1, checkedAt: now.toISOString() };

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
  return evaluateStability(observation, settings, context);
}
