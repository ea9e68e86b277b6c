/** CheckStability: observe the followed deployment once and let the core decide. */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeService, targetGroupArnsFor } from '../aws/ecs-service';
import { observeDeploymentTargets } from '../aws/target-health';
import type { TargetGroupObservation } from '../core/health';
import {
  evaluateStability,
  findDeployment,
  type StabilityObservation,
  shouldLookUpTargets,
} from '../core/stability';
import { ValidationError } from '../shared/errors';
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Narrows the ASL state; a missing field is a ValidationError naming it. */
export function narrowCheckStabilityInput(event: unknown): CheckStabilityInput {
  const state = isRecord(event) ? event : {};
  const { request, deployment, settings, stability } = state;
  if (!isRecord(request) || typeof request.cluster !== 'string' || typeof request.service !== 'string') {
    throw new ValidationError('request', 'cluster and service are required');
  }
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
  const serviceStatus = service.status ?? 'ACTIVE';
  if (serviceStatus === 'ACTIVE' && shouldLookUpTargets(deployment, targetGroupArns.length)) {
    const observed = await observeDeploymentTargets(request.cluster, followed.deploymentId, targetGroupArns, {
      ecs: deps.ecs(),
      elbv2: deps.elbv2(),
    });
    targets = observed.groups;
  }

  const observation: StabilityObservation = {
    followed,
    serviceStatus,
    ...(deployment === undefined ? {} : { deployment }),
    otherDeployments: deployments.filter((d) => d.id !== followed.deploymentId).length,
    targetGroupCount: targetGroupArns.length,
    ...(targets === undefined ? {} : { targets }),
    elapsedSeconds,
  };
  return evaluateStability(observation, settings, context);
}
