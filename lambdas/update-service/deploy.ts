/** UpdateService: deploy the registered task definition once, even when the Task is retried. */
import type { Deployment, ECSClient } from '@aws-sdk/client-ecs';
import { describeService, updateServiceTaskDefinition } from '../aws/ecs-service';
import { deploymentAlreadyStarted } from '../core/stability';
import { AwsCallError, ServiceNotFoundError, ValidationError } from '../shared/errors';
import type { DeploymentRef, ExecutionInfo, Registration, RollbackRequest } from '../shared/types';

/** The parts of the state UpdateService reads. */
export interface UpdateServiceInput {
  readonly request: Pick<RollbackRequest, 'cluster' | 'service'>;
  readonly registration: Pick<Registration, 'taskDefinitionArn'>;
  readonly execution: Pick<ExecutionInfo, 'startTime'>;
}

/** Clients, replaceable in tests. */
export interface UpdateServiceDeps {
  readonly ecs: () => ECSClient;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Narrows the ASL state; a missing field is a ValidationError naming it. */
export function narrowUpdateServiceInput(event: unknown): UpdateServiceInput {
  const state = isRecord(event) ? event : {};
  const { request, registration, execution } = state;
  if (!isRecord(request) || typeof request.cluster !== 'string' || typeof request.service !== 'string') {
    throw new ValidationError('request', 'cluster and service are required');
  }
  if (!isRecord(registration) || typeof registration.taskDefinitionArn !== 'string') {
    throw new ValidationError('registration.taskDefinitionArn', 'is required');
  }
  if (!isRecord(execution) || typeof execution.startTime !== 'string' || Number.isNaN(Date.parse(execution.startTime))) {
    throw new ValidationError('execution.startTime', 'must be an ISO-8601 time');
  }
  return {
    request: { cluster: request.cluster, service: request.service },
    registration: { taskDefinitionArn: registration.taskDefinitionArn },
    execution: { startTime: execution.startTime },
  };
}

function toRef(deployment: Deployment, operation: string): DeploymentRef {
  if (deployment.id === undefined || deployment.taskDefinition === undefined || deployment.createdAt === undefined) {
    throw new AwsCallError(operation, 'the PRIMARY deployment has no id, task definition or createdAt');
  }
  return {
    deploymentId: deployment.id,
    taskDefinitionArn: deployment.taskDefinition,
    startedAt: deployment.createdAt.toISOString(),
  };
}

/**
 * Starts the rollback deployment: returns the PRIMARY deployment of the registered task
 * definition when an earlier attempt of this execution already started it, else calls
 * UpdateService and returns the deployment it created.
 */
export async function startRollbackDeployment(input: UpdateServiceInput, deps: UpdateServiceDeps): Promise<DeploymentRef> {
  const { cluster, service } = input.request;
  const lookup = await describeService(cluster, service, deps.ecs());
  if (!lookup.found) throw new ServiceNotFoundError(`ECS service ${service} in ${cluster}: ${lookup.reason}`);
  const started = deploymentAlreadyStarted(
    lookup.service.deployments ?? [],
    input.registration.taskDefinitionArn,
    input.execution.startTime,
  );
  if (started !== undefined) return toRef(started, 'ecs:DescribeServices');

  const updated = await updateServiceTaskDefinition(cluster, service, input.registration.taskDefinitionArn, deps.ecs());
  const primary = updated.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary === undefined) throw new AwsCallError('ecs:UpdateService', 'the response lists no PRIMARY deployment');
  return toRef(primary, 'ecs:UpdateService');
}
