/** ECS Task State Change events for the detector's tests, built on the AWS sample (fixtures/events). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SAMPLE = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'events', 'ecs-task-stopped-elb-health-check.json'), 'utf8'),
) as { detail: Record<string, unknown> } & Record<string, unknown>;

export const ACCOUNT = '111122223333';
export const CLUSTER = 'riderapp-cluster';
export const SERVICE = 'riderapp-service';
export const TD = (revision: number): string => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/riderapp:${revision}`;
/** The deployment of riderapp:15 (the bad version). */
export const V15_DEPLOYMENT = 'ecs-svc/4520982937154920815';
/** The deployment of riderapp:14 (the version before). */
export const V14_DEPLOYMENT = 'ecs-svc/1187736251029384756';
export const ELB_REASON =
  'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/riderapp-tg/73e2d6bc24d8a067)';
export const V15_STARTED_AT = '2025-03-04T10:13:00.000Z';

/** What differs between the stop events of the tests. */
export interface TaskStopOptions {
  readonly taskId: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly exitCode?: number;
  readonly startedBy?: string;
  readonly revision?: number;
  readonly group?: string;
  readonly desiredStatus?: string;
  readonly lastStatus?: string;
  readonly stoppingAt?: string;
}

/** A task state change event of riderapp-service shaped like AWS's sample. */
export function taskStopEvent(options: TaskStopOptions): Record<string, unknown> {
  const taskArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${CLUSTER}/${options.taskId}`;
  const container = (SAMPLE.detail.containers as Record<string, unknown>[])[0] ?? {};
  return {
    ...SAMPLE,
    id: `event-${options.taskId}-${options.lastStatus ?? 'RUNNING'}`,
    time: options.stoppingAt ?? '2025-03-04T10:21:34Z',
    resources: [taskArn],
    detail: {
      ...SAMPLE.detail,
      taskArn,
      group: options.group ?? `service:${SERVICE}`,
      startedBy: options.startedBy ?? V15_DEPLOYMENT,
      taskDefinitionArn: TD(options.revision ?? 15),
      desiredStatus: options.desiredStatus ?? 'STOPPED',
      lastStatus: options.lastStatus ?? 'RUNNING',
      stopCode: options.stopCode ?? 'ServiceSchedulerInitiated',
      stoppedReason: options.stoppedReason ?? ELB_REASON,
      stoppingAt: options.stoppingAt ?? '2025-03-04T10:21:34.003Z',
      containers: [
        {
          ...container,
          taskArn,
          ...(options.exitCode !== undefined ? { exitCode: options.exitCode, lastStatus: 'STOPPED' } : {}),
        },
      ],
    },
  };
}
