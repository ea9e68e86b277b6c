/**
 * One task in ECS's `Task` shape, for DescribeTasks (timestamps in epoch seconds) and for the
 * "ECS Task State Change" event's detail (timestamps as ISO strings, as the event carries them:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
 */
import type { TaskRecord } from './model/types';

/** What the shape needs besides the task. */
export interface TaskShapeContext {
  readonly region: string;
  readonly account: string;
  readonly clusterArn: string;
  readonly cpu?: unknown;
  readonly memory?: unknown;
}

/** The task as ECS's Task shape; `time` writes a modelled instant (epoch ms) as the caller's wire needs. */
export function taskShape(task: TaskRecord, ctx: TaskShapeContext, time: (ms: number | undefined) => unknown): Record<string, unknown> {
  const attachmentId = `${task.id.slice(0, 8)}-${task.id.slice(8, 12)}-${task.id.slice(12, 16)}-${task.id.slice(16, 20)}-${task.id.slice(20)}`;
  const attachmentStatus = task.lastStatus === 'STOPPED' ? 'DELETED' : task.lastStatus === 'PROVISIONING' ? 'PRECREATED' : 'ATTACHED';
  return {
    attachments: [
      {
        id: attachmentId,
        type: 'ElasticNetworkInterface',
        status: attachmentStatus,
        details: [
          { name: 'subnetId', value: task.subnetId },
          { name: 'networkInterfaceId', value: task.eniId },
          { name: 'macAddress', value: task.macAddress },
          { name: 'privateDnsName', value: `ip-${task.ip.replace(/\./g, '-')}.ec2.internal` },
          { name: 'privateIPv4Address', value: task.ip },
        ],
      },
    ],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    clusterArn: ctx.clusterArn,
    connectivity: 'CONNECTED',
    connectivityAt: time(task.createdAt + 5_000),
    containers: task.containers.map((c, i) => ({
      containerArn: `arn:aws:ecs:${ctx.region}:${ctx.account}:container/${task.clusterName}/${task.id}/${task.id.slice(i, i + 8)}-0000-4000-a000-${task.id.slice(0, 12)}`,
      taskArn: task.arn,
      name: c.name,
      image: c.image,
      imageDigest: c.imageDigest,
      runtimeId: `${task.id}-${i}`,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      networkInterfaces: [{ attachmentId, privateIpv4Address: task.ip }],
      healthStatus: 'UNKNOWN',
      cpu: '0',
    })),
    cpu: ctx.cpu,
    memory: ctx.memory,
    createdAt: time(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    group: task.group,
    healthStatus: 'UNKNOWN',
    lastStatus: task.lastStatus,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    platformFamily: 'Linux',
    pullStartedAt: time(task.pullStartedAt),
    pullStoppedAt: time(task.pullStoppedAt),
    startedAt: time(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: time(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: time(task.stoppingAt),
    executionStoppedAt: time(task.stoppedAt),
    taskArn: task.arn,
    taskDefinitionArn: task.taskDefinitionArn,
    version: task.lastStatus === 'STOPPED' ? 5 : task.lastStatus === 'RUNNING' ? 3 : 1,
    ephemeralStorage: { sizeInGiB: 20 },
    fargateEphemeralStorage: { sizeInGiB: 20 },
  };
}
