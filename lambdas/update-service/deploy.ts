/** UpdateService: deploy the registered task definition once, even when the Task is retried. */
import type { Deployment, ECSClient } from '@aws-sdk/client-ecs';
import { ecsWriteClient } from '../aws/clients';
import { describeService, updateServiceTaskDefinition } from '../aws/ecs-service';
import type { RollbackDeploymentRecord, StateTableOptions } from '../aws/state-table';
import { deploymentAlreadyStarted } from '../core/stability';
import { AwsCallError, ServiceNotFoundError, ValidationError } from '../shared/errors';
import { assertServiceRequest, isRecord } from '../shared/narrow';
import type { DeploymentRef, ExecutionInfo, Registration, RollbackRequest } from '../shared/types';

/** The parts of the state UpdateService reads. */
export interface UpdateServiceInput {
  readonly request: Pick<RollbackRequest, 'cluster' | 'service'>;
  readonly registration: Pick<Registration, 'taskDefinitionArn'>;
  readonly execution: Pick<ExecutionInfo, 'id' | 'startTime'>;
}

/** Clients and the loop guard's record, replaceable in tests. */
export interface UpdateServiceDeps {
  readonly ecs: () => ECSClient;
  /** The client UpdateService goes through (no SDK retries). Default: ecsWriteClient. */
  readonly ecsWrites?: () => ECSClient;
  /** The state table's name (STATE_TABLE_NAME); read before anything changes. */
  readonly stateTableName: () => string;
  /** Remembers the rollback deployment so that its failure is reported, not rolled back again. */
  readonly recordRollbackDeployment: (record: RollbackDeploymentRecord, options: StateTableOptions) => Promise<void>;
}

/** Narrows the ASL state; a missing field is a ValidationError naming it. */
export function narrowUpdateServiceInput(event: unknown): UpdateServiceInput {
  const state = isRecord(event) ? event : {};
  const { request, registration, execution } = state;
  assertServiceRequest(request);
  if (!isRecord(registration) || typeof registration.taskDefinitionArn !== 'string') {
    throw new ValidationError('registration.taskDefinitionArn', 'is required');
  }
  if (!isRecord(execution) || typeof execution.id !== 'string' || execution.id === '') {
    throw new ValidationError('execution.id', 'is required (the state machine sets it in LoadSettings)');
  }
  if (typeof execution.startTime !== 'string' || Number.isNaN(Date.parse(execution.startTime))) {
    throw new ValidationError('execution.startTime', 'must be an ISO-8601 time');
  }
  return {
    request: { cluster: request.cluster, service: request.service },
    registration: { taskDefinitionArn: registration.taskDefinitionArn },
    execution: { id: execution.id, startTime: execution.startTime },
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
 * UpdateService and returns the deployment it created. Either way the deployment is recorded in
 * the state table (the loop guard), so a retry after a failed write records it again.
 */
export async function startRollbackDeployment(input: UpdateServiceInput, deps: UpdateServiceDeps): Promise<DeploymentRef> {
  const { cluster, service } = input.request;
  const tableName = deps.stateTableName();
  const remember = async (deployment: DeploymentRef): Promise<DeploymentRef> => {
    await deps.recordRollbackDeployment(
      { deploymentId: deployment.deploymentId, cluster, service, executionId: input.execution.id },
      { tableName },
    );
    return deployment;
  };
  const lookup = await describeService(cluster, service, deps.ecs());
  if (!lookup.found) throw new ServiceNotFoundError(`ECS service ${service} in ${cluster}: ${lookup.reason}`);
  const started = deploymentAlreadyStarted(
    lookup.service.deployments ?? [],
    input.registration.taskDefinitionArn,
    input.execution.startTime,
  );
  if (started !== undefined) return remember(toRef(started, 'ecs:DescribeServices'));

  const updated = await updateServiceTaskDefinition(
    cluster,
    service,
    input.registration.taskDefinitionArn,
    (deps.ecsWrites ?? ecsWriteClient)(),
  );
  const primary = updated.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary === undefined) throw new AwsCallError('ecs:UpdateService', 'the response lists no PRIMARY deployment');
  return remember(toRef(primary, 'ecs:UpdateService'));
}
