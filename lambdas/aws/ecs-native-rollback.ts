/**
 * The service deployments API for an ECS-native rollback: the service's ongoing service deployment
 * with the task definitions of its revisions, StopServiceDeployment (stopType ROLLBACK) and the
 * status of a service deployment.
 * API: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
 */
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
} from '@aws-sdk/client-ecs';
import { type InFlightServiceDeployment, ROLLING_BACK_STATUSES, STOPPABLE_STATUSES } from '../core/native-rollback';
import { awsCall } from './call';
import { ecsClient } from './clients';

/** DescribeServiceRevisions takes at most 20 ARNs (API reference, serviceRevisionArns). */
const REVISIONS_PER_CALL = 20;

/**
 * The service's newest service deployment that is PENDING / IN_PROGRESS, or that ECS is already
 * rolling back (ROLLBACK_REQUESTED / ROLLBACK_IN_PROGRESS: a retry after our own stop), with the
 * task definitions of its target and source revisions; undefined when none.
 */
export async function findInFlightServiceDeployment(
  cluster: string,
  service: string,
  client: ECSClient = ecsClient(),
): Promise<InFlightServiceDeployment | undefined> {
  const listed = await awsCall('ecs:ListServiceDeployments', () =>
    client.send(
      new ListServiceDeploymentsCommand({
        cluster,
        service,
        status: [...STOPPABLE_STATUSES, ...ROLLING_BACK_STATUSES],
        maxResults: 10,
      }),
    ),
  );
  const newest = [...(listed?.serviceDeployments ?? [])]
    .filter((d) => d.serviceDeploymentArn !== undefined)
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  if (newest?.serviceDeploymentArn === undefined) return undefined;
  const arn = newest.serviceDeploymentArn;
  const described = await awsCall('ecs:DescribeServiceDeployments', () =>
    client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] })),
  );
  const deployment = described?.serviceDeployments?.find((d) => d.serviceDeploymentArn === arn);
  if (deployment === undefined) return undefined;
  const targetArn = deployment.targetServiceRevision?.arn;
  const sourceArns = (deployment.sourceServiceRevisions ?? []).map((r) => r.arn).filter((a): a is string => !!a);
  const revisionArns = [...new Set([...(targetArn === undefined ? [] : [targetArn]), ...sourceArns])];
  const taskDefinitions = new Map<string, string>();
  for (let i = 0; i < revisionArns.length; i += REVISIONS_PER_CALL) {
    const batch = revisionArns.slice(i, i + REVISIONS_PER_CALL);
    const out = await awsCall('ecs:DescribeServiceRevisions', () =>
      client.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: batch })),
    );
    for (const r of out?.serviceRevisions ?? []) {
      if (r.serviceRevisionArn !== undefined && r.taskDefinition !== undefined) taskDefinitions.set(r.serviceRevisionArn, r.taskDefinition);
    }
  }
  const target = targetArn === undefined ? undefined : taskDefinitions.get(targetArn);
  return {
    serviceDeploymentArn: arn,
    status: deployment.status ?? newest.status ?? '',
    ...(target !== undefined ? { targetTaskDefinition: target } : {}),
    sourceTaskDefinitions: sourceArns.map((a) => taskDefinitions.get(a)).filter((t): t is string => t !== undefined),
  };
}

/** StopServiceDeployment with stopType ROLLBACK; repeating it on a deployment ECS is rolling back continues that rollback. */
export async function stopServiceDeploymentWithRollback(serviceDeploymentArn: string, client: ECSClient = ecsClient()): Promise<string> {
  const out = await awsCall('ecs:StopServiceDeployment', () =>
    client.send(new StopServiceDeploymentCommand({ serviceDeploymentArn, stopType: 'ROLLBACK' })),
  );
  return out?.serviceDeploymentArn ?? serviceDeploymentArn;
}

/** A service deployment's status (e.g. ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED), or undefined when ECS does not know it. */
export async function serviceDeploymentStatus(serviceDeploymentArn: string, client: ECSClient = ecsClient()): Promise<string | undefined> {
  const out = await awsCall('ecs:DescribeServiceDeployments', () =>
    client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [serviceDeploymentArn] })),
  );
  return out?.serviceDeployments?.find((d) => d.serviceDeploymentArn === serviceDeploymentArn)?.status;
}
