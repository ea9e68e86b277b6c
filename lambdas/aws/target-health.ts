/** ELBv2 adapter: the health of the targets of a target group, and of a deployment's tasks in them. */
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { observeTargetGroup, type TargetGroupObservation, type TargetState } from '../core/health';
import type { HealthCheckTiming } from '../core/stability';
import { awsCall } from './call';
import { elbv2Client } from './clients';
import { type DeploymentTask, listDeploymentTasks } from './ecs-service';

/** DescribeTargetHealth for one target group: each target's id (an IP for ip targets) and state. */
export async function describeTargetHealth(
  targetGroupArn: string,
  client: ElasticLoadBalancingV2Client = elbv2Client(),
): Promise<TargetState[]> {
  const out = await awsCall('elbv2:DescribeTargetHealth', () =>
    client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
  );
  return (out.TargetHealthDescriptions ?? []).map((d) => ({
    id: d.Target?.Id ?? '',
    ...(d.Target?.Port === undefined ? {} : { port: d.Target.Port }),
    state: d.TargetHealth?.State ?? 'unknown',
    ...(d.TargetHealth?.Reason === undefined ? {} : { reason: d.TargetHealth.Reason }),
  }));
}

/** The deployment's tasks, their IPs and how they look in each target group. */
export interface DeploymentTargets {
  readonly tasks: readonly DeploymentTask[];
  readonly taskIps: readonly string[];
  readonly groups: readonly TargetGroupObservation[];
}

/** DescribeTargetGroups' HealthCheckIntervalSeconds and HealthyThresholdCount of each group, in one call; groups without them are left out. */
export async function describeHealthCheckTimings(
  targetGroupArns: readonly string[],
  client: ElasticLoadBalancingV2Client = elbv2Client(),
): Promise<HealthCheckTiming[]> {
  if (targetGroupArns.length === 0) return [];
  const out = await awsCall('elbv2:DescribeTargetGroups', () =>
    client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...targetGroupArns] })),
  );
  return (out?.TargetGroups ?? []).flatMap((g) =>
    g.TargetGroupArn === undefined || g.HealthCheckIntervalSeconds === undefined || g.HealthyThresholdCount === undefined
      ? []
      : [
          {
            targetGroupArn: g.TargetGroupArn,
            intervalSeconds: g.HealthCheckIntervalSeconds,
            healthyThresholdCount: g.HealthyThresholdCount,
          },
        ],
  );
}

/** Finds a deployment's running tasks (ECS) and their health in each target group (ELBv2). */
export async function observeDeploymentTargets(
  cluster: string,
  deploymentId: string,
  targetGroupArns: readonly string[],
  clients: { readonly ecs?: ECSClient; readonly elbv2?: ElasticLoadBalancingV2Client } = {},
): Promise<DeploymentTargets> {
  const tasks = await listDeploymentTasks(cluster, deploymentId, clients.ecs);
  const taskIps = tasks.flatMap((t) => (t.privateIp === undefined ? [] : [t.privateIp]));
  const groups = await Promise.all(
    targetGroupArns.map(async (arn) => observeTargetGroup(arn, await describeTargetHealth(arn, clients.elbv2), taskIps)),
  );
  return { tasks, taskIps, groups };
}
