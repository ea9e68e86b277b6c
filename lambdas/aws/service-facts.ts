/** What ECS says about a service, as the guards need it (DescribeServices). */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { DeploymentFact, ServiceFacts } from '../core/guards';
import { ServiceNotFoundError } from '../shared/errors';
import { awsCall } from './call';
import { ecsClient } from './clients';

/** Describes the service; throws ServiceNotFoundError when ECS reports it MISSING or INACTIVE. */
export async function describeServiceFacts(
  cluster: string,
  service: string,
  client: ECSClient = ecsClient(),
): Promise<ServiceFacts> {
  const result = await awsCall('ECS.DescribeServices', () =>
    client.send(new DescribeServicesCommand({ cluster, services: [service] })),
  );
  const described = result.services?.[0];
  if (described === undefined || described.status === 'INACTIVE') {
    const failure = result.failures?.[0]?.reason ?? described?.status ?? 'MISSING';
    throw new ServiceNotFoundError(`ECS service ${cluster}/${service} not found (${failure})`);
  }
  const breaker = described.deploymentConfiguration?.deploymentCircuitBreaker;
  const deployments: DeploymentFact[] = (described.deployments ?? []).map((d) => ({
    id: d.id ?? '',
    status: d.status ?? '',
    taskDefinitionArn: d.taskDefinition ?? '',
    ...(d.rolloutState !== undefined ? { rolloutState: d.rolloutState } : {}),
    ...(d.rolloutStateReason !== undefined ? { rolloutStateReason: d.rolloutStateReason } : {}),
    ...(d.createdAt !== undefined ? { createdAt: d.createdAt.toISOString() } : {}),
    ...(d.updatedAt !== undefined ? { updatedAt: d.updatedAt.toISOString() } : {}),
  }));
  return {
    ...(described.serviceArn !== undefined ? { serviceArn: described.serviceArn } : {}),
    status: described.status ?? 'ACTIVE',
    ...(breaker !== undefined ? { circuitBreaker: { enable: breaker.enable === true, rollback: breaker.rollback === true } } : {}),
    deployments,
  };
}
