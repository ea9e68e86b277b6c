/**
 * ECS deployment history adapter: the service's deployments as DescribeServices lists them, and
 * the service deployments API (ListServiceDeployments, DescribeServiceDeployments,
 * DescribeServiceRevisions), mapped to the plain data lambdas/core/target.ts decides on.
 */
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  type EcsDeployment,
  SUCCESSFUL_DEPLOYMENT_STATUSES,
  type ServiceDeploymentDetail,
  type ServiceDeploymentSummary,
  type ServiceSnapshot,
} from '../core/target';
import { ServiceNotFoundError } from '../shared/errors';
import { awsCall } from './call';
import { ecsClient } from './clients';
import { describeService } from './ecs-service';

/** The service's task definition and deployments, from a DescribeServices answer. */
export function toServiceSnapshot(service: Service): ServiceSnapshot {
  const deployments: EcsDeployment[] = (service.deployments ?? []).map((d) => ({
    id: d.id ?? '',
    status: d.status ?? '',
    taskDefinition: d.taskDefinition ?? '',
    createdAt: d.createdAt?.toISOString(),
    rolloutState: d.rolloutState,
  }));
  return {
    taskDefinition: service.taskDefinition ?? '',
    currentServiceDeployment: service.currentServiceDeployment,
    deployments,
  };
}

/** DescribeServices for a service that must exist and be ACTIVE (else ServiceNotFoundError). */
export async function describeServiceSnapshot(
  cluster: string,
  service: string,
  client: ECSClient = ecsClient(),
): Promise<ServiceSnapshot> {
  const lookup = await describeService(cluster, service, client);
  if (!lookup.found) throw new ServiceNotFoundError(`ECS service ${service} in ${cluster}: ${lookup.reason}`);
  if (lookup.service.status !== undefined && lookup.service.status !== 'ACTIVE') {
    throw new ServiceNotFoundError(`ECS service ${service} in ${cluster} is ${lookup.service.status}`);
  }
  return toServiceSnapshot(lookup.service);
}

/** Every service deployment ECS reports as successful (SUCCESSFUL, ROLLBACK_SUCCESSFUL), all pages. */
export async function listSuccessfulServiceDeployments(
  cluster: string,
  service: string,
  client: ECSClient = ecsClient(),
): Promise<ServiceDeploymentSummary[]> {
  const summaries: ServiceDeploymentSummary[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await awsCall('ecs:ListServiceDeployments', () =>
      client.send(
        new ListServiceDeploymentsCommand({
          cluster,
          service,
          status: [...SUCCESSFUL_DEPLOYMENT_STATUSES],
          maxResults: 100,
          nextToken: token,
        }),
      ),
    );
    for (const d of page.serviceDeployments ?? []) {
      if (d.serviceDeploymentArn === undefined || d.status === undefined) continue;
      summaries.push({
        arn: d.serviceDeploymentArn,
        status: d.status,
        createdAt: d.createdAt?.toISOString(),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return summaries;
}

/** DescribeServiceDeployments for one deployment; undefined when ECS reports it as a failure. */
export async function describeServiceDeployment(
  serviceDeploymentArn: string,
  client: ECSClient = ecsClient(),
): Promise<ServiceDeploymentDetail | undefined> {
  const out = await awsCall('ecs:DescribeServiceDeployments', () =>
    client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [serviceDeploymentArn] })),
  );
  const d = out.serviceDeployments?.find((s) => s.serviceDeploymentArn === serviceDeploymentArn);
  if (d === undefined) return undefined;
  return {
    arn: serviceDeploymentArn,
    status: d.status ?? '',
    targetServiceRevisionArn: d.targetServiceRevision?.arn,
    rollbackServiceRevisionArn: d.rollback?.serviceRevisionArn,
  };
}

/**
 * The task definition of a service revision; undefined when ECS cannot describe it (revisions
 * created before 25 October 2024 come back as failures with reason MISSING).
 */
export async function serviceRevisionTaskDefinition(
  serviceRevisionArn: string,
  client: ECSClient = ecsClient(),
): Promise<string | undefined> {
  const out = await awsCall('ecs:DescribeServiceRevisions', () =>
    client.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [serviceRevisionArn] })),
  );
  return out.serviceRevisions?.find((r) => r.serviceRevisionArn === serviceRevisionArn)?.taskDefinition;
}
