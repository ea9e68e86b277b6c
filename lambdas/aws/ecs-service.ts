/**
 * ECS service adapter: describe a service, deploy a task definition, and find the private IPs
 * of a deployment's tasks (the targets they register in the load balancer).
 */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type Service,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { AwsCallError } from '../shared/errors';
import { awsCall } from './call';
import { ecsClient } from './clients';

/** A DescribeServices answer: the service, or ECS's failure reason (e.g. MISSING). */
export type ServiceLookup =
  | { readonly found: true; readonly service: Service }
  | { readonly found: false; readonly reason: string };

/** DescribeServices for one service; a service ECS does not know is `found: false`, not an error. */
export async function describeService(
  cluster: string,
  service: string,
  client: ECSClient = ecsClient(),
): Promise<ServiceLookup> {
  const out = await awsCall('ecs:DescribeServices', () =>
    client.send(new DescribeServicesCommand({ cluster, services: [service] })),
  );
  const found = out.services?.[0];
  if (found !== undefined) return { found: true, service: found };
  return { found: false, reason: out.failures?.[0]?.reason ?? 'MISSING' };
}

/** UpdateService with a new task definition (this starts a deployment); returns the updated service. */
export async function updateServiceTaskDefinition(
  cluster: string,
  service: string,
  taskDefinition: string,
  client: ECSClient = ecsClient(),
): Promise<Service> {
  const out = await awsCall('ecs:UpdateService', () =>
    client.send(new UpdateServiceCommand({ cluster, service, taskDefinition })),
  );
  if (out.service === undefined) throw new AwsCallError('ecs:UpdateService', 'the response has no service');
  return out.service;
}

/** One task of a deployment and the private IPv4 address of its ENI (the ip target). */
export interface DeploymentTask {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly privateIp?: string;
  /** When the task's containers started (RUNNING); absent before. */
  readonly startedAt?: Date;
}

const DESCRIBE_TASKS_BATCH = 100;

/**
 * Tasks a service deployment started that are meant to run (ListTasks startedBy = deployment
 * id; RUNNING is ListTasks' default desired status, and startedBy must be its only filter).
 */
export async function listDeploymentTasks(
  cluster: string,
  deploymentId: string,
  client: ECSClient = ecsClient(),
): Promise<DeploymentTask[]> {
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await awsCall('ecs:ListTasks', () =>
      client.send(new ListTasksCommand({ cluster, startedBy: deploymentId, nextToken: token })),
    );
    taskArns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);

  const tasks: DeploymentTask[] = [];
  for (let i = 0; i < taskArns.length; i += DESCRIBE_TASKS_BATCH) {
    const batch = taskArns.slice(i, i + DESCRIBE_TASKS_BATCH);
    const out = await awsCall('ecs:DescribeTasks', () => client.send(new DescribeTasksCommand({ cluster, tasks: batch })));
    for (const task of out.tasks ?? []) {
      if (task.desiredStatus !== undefined && task.desiredStatus !== 'RUNNING') continue;
      const privateIp = privateIpOf(task);
      tasks.push({
        taskArn: task.taskArn ?? '',
        lastStatus: task.lastStatus ?? 'UNKNOWN',
        ...(privateIp === undefined ? {} : { privateIp }),
        ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
      });
    }
  }
  return tasks;
}

/** The private IPv4 address of a task's ENI attachment (awsvpc / Fargate). */
export function privateIpOf(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface') continue;
    const ip = attachment.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip !== undefined && ip !== '') return ip;
  }
  return task.containers?.flatMap((c) => c.networkInterfaces ?? []).find((n) => n.privateIpv4Address)
    ?.privateIpv4Address;
}

/** The target groups to look at: the configured one, else those of the service's load balancers. */
export function targetGroupArnsFor(configured: string | undefined, service: Service | undefined): string[] {
  if (configured !== undefined && configured !== '') return [configured];
  const arns = (service?.loadBalancers ?? []).map((lb) => lb.targetGroupArn).filter((a): a is string => !!a);
  return [...new Set(arns)];
}
