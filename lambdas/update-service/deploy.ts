/**
 * UpdateService: deploy the registered task definition once, even when the Task is retried; or, for
 * a deployment still in flight whose previous revision is the target, let ECS roll it back
 * (StopServiceDeployment, ROLLBACK).
 */
import type { Deployment, ECSClient } from '@aws-sdk/client-ecs';
import { ecsWriteClient } from '../aws/clients';
import { describeService, updateServiceTaskDefinition } from '../aws/ecs-service';
import type { RollbackDeploymentRecord, StateTableOptions } from '../aws/state-table';
import { chooseRollbackMethod, type InFlightServiceDeployment } from '../core/native-rollback';
import { deploymentAlreadyStarted, sameTaskDefinition } from '../core/stability';
import { AwsCallError, ServiceNotFoundError, TransientAwsError, ValidationError } from '../shared/errors';
import { assertServiceRequest, isRecord } from '../shared/narrow';
import type { DeploymentRef, ExecutionInfo, Registration, RollbackRequest, TargetSource } from '../shared/types';

/** The parts of the state UpdateService reads. */
export interface UpdateServiceInput {
  readonly request: Pick<RollbackRequest, 'cluster' | 'service'>;
  readonly registration: Pick<Registration, 'taskDefinitionArn'>;
  readonly execution: Pick<ExecutionInfo, 'id' | 'startTime'>;
  /** True when a person named the target ($.request.target): never an ECS-native rollback then. */
  readonly explicitTarget?: boolean;
  /** Where ResolveTarget found the target ($.target.source). */
  readonly targetSource?: TargetSource;
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
  /** The service's ongoing service deployment (ListServiceDeployments …); absent: never an ECS-native rollback. */
  readonly findInFlight?: (cluster: string, service: string) => Promise<InFlightServiceDeployment | undefined>;
  /** StopServiceDeployment with stopType ROLLBACK. */
  readonly stopServiceDeployment?: (serviceDeploymentArn: string) => Promise<string>;
}

/** Narrows the ASL state; a missing field is a ValidationError naming it. */
export function narrowUpdateServiceInput(event: unknown): UpdateServiceInput {
  const state = isRecord(event) ? event : {};
  const { request, registration, execution, target } = state;
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
    explicitTarget: isRecord(request.target),
    ...(isRecord(target) && typeof target.source === 'string' ? { targetSource: target.source as TargetSource } : {}),
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

  const rollingOut = (lookup.service.deployments ?? []).some((d) => d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS');
  const native = rollingOut ? await nativeRollback(input, deps) : undefined;
  if (native !== undefined) return remember(native);

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

/** How long ECS may take to list the rollback deployment after StopServiceDeployment before the Task retries (estimate). */
const ROLLBACK_LISTING_ATTEMPTS = 3;

/**
 * Only asked when the PRIMARY deployment is still IN_PROGRESS (DescribeServices), so a rollback of
 * a failed or completed deployment makes no extra call.
 * StopServiceDeployment (ROLLBACK) when chooseRollbackMethod says so, and the deployment ECS
 * starts for it (the PRIMARY deployment of the target revision); undefined when UpdateService is
 * the way. A retry after a lost answer finds the service deployment ROLLBACK_REQUESTED or
 * ROLLBACK_IN_PROGRESS, and a repeated StopServiceDeployment then continues that rollback
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html).
 */
async function nativeRollback(input: UpdateServiceInput, deps: UpdateServiceDeps): Promise<DeploymentRef | undefined> {
  if (deps.findInFlight === undefined || deps.stopServiceDeployment === undefined || input.explicitTarget === true) return undefined;
  const { cluster, service } = input.request;
  const inFlight = await deps.findInFlight(cluster, service);
  const decision = chooseRollbackMethod({
    explicitTarget: false,
    targetSource: input.targetSource ?? 'deployment-history',
    targetTaskDefinitionArn: input.registration.taskDefinitionArn,
    ...(inFlight !== undefined ? { inFlight } : {}),
  });
  if (decision.method !== 'stop-service-deployment' || inFlight === undefined) return undefined;
  const serviceDeploymentArn = await deps.stopServiceDeployment(inFlight.serviceDeploymentArn);
  for (let attempt = 0; attempt < ROLLBACK_LISTING_ATTEMPTS; attempt++) {
    const lookup = await describeService(cluster, service, deps.ecs());
    const primary = lookup.found ? lookup.service.deployments?.find((d) => d.status === 'PRIMARY') : undefined;
    if (primary?.taskDefinition !== undefined && sameTaskDefinition(primary.taskDefinition, input.registration.taskDefinitionArn)) {
      return { ...toRef(primary, 'ecs:DescribeServices'), method: 'stop-service-deployment', serviceDeploymentArn };
    }
  }
  throw new TransientAwsError(
    'ecs:DescribeServices',
    `ECS accepted StopServiceDeployment for ${serviceDeploymentArn} but lists no rollback deployment of ${input.registration.taskDefinitionArn} yet`,
  );
}
