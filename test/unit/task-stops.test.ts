import { describe, expect, it } from 'vitest';
import {
  attributeStop,
  classifyStop,
  DEFAULT_DETECTOR_THRESHOLD,
  detectorExecutionName,
  type NewestDeployment,
  onlyHealthCheckStops,
  STOP_CLASSIFICATION,
  type TaskStopFacts,
} from '../../lambdas/core/task-stops';
import { narrowTaskStateChange } from '../../lambdas/detect-task-stops/detect';
import { ELB_REASON, TD, taskStopEvent, V14_DEPLOYMENT, V15_DEPLOYMENT, V15_STARTED_AT } from '../helpers/task-events';

const stop = (options: Parameters<typeof taskStopEvent>[0]): TaskStopFacts => narrowTaskStateChange(taskStopEvent(options));

const newest: NewestDeployment = { id: V15_DEPLOYMENT, taskDefinitionArn: TD(15), createdAt: V15_STARTED_AT, rolloutState: 'COMPLETED' };

describe('classification of a stopped task (the table in lambdas/core/task-stops.ts)', () => {
  it.each([
    ['an ELB health-check kill', { stopCode: 'ServiceSchedulerInitiated', stoppedReason: ELB_REASON }, 'elb-health-check'],
    [
      'a container health-check kill',
      { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' },
      'container-health-check',
    ],
    [
      'an essential container that exited 1',
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCode: 1 },
      'essential-container-exited',
    ],
    [
      'an essential container killed for memory (137)',
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCode: 137 },
      'essential-container-exited',
    ],
    [
      'a task whose image cannot be pulled',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): riderapp:v15 not found',
      },
      'failed-to-start',
    ],
  ])('counts %s against the version', (_name, options, cause) => {
    // Act
    const verdict = classifyStop(stop({ taskId: 'a1', ...options }));

    // Assess
    expect(verdict).toMatchObject({ counts: true, cause });
  });

  it.each([
    ['scale-in', { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/4520982937154920815)' }],
    ['a user StopTask', { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }],
    ['a Fargate maintenance retirement', { stopCode: 'TerminationNotice', stoppedReason: 'Task stopped for Fargate platform maintenance' }],
    ['a Fargate Spot interruption', { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }],
    ['unhealthy infrastructure', { stopCode: 'InfrastructureHealth', stoppedReason: 'Infrastructure issue' }],
    ['an essential container that exited 0', { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCode: 0 }],
    ['an essential container without an exit code', { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }],
    ['no capacity to start', { stopCode: 'TaskFailedToStart', stoppedReason: 'Capacity is unavailable at this time.' }],
    ['a stop code the table does not know', { stopCode: 'SomethingNew', stoppedReason: ELB_REASON }],
  ])('does not count %s', (_name, options) => {
    // Act
    const verdict = classifyStop(stop({ taskId: 'a1', ...options }));

    // Assess
    expect(verdict.counts).toBe(false);
  });

  it('names the source of every row and the cause of every row that counts', () => {
    for (const row of STOP_CLASSIFICATION) {
      expect(row.source, row.id).toMatch(/https:\/\//);
      expect(row.counts ? row.cause : undefined, row.id).toEqual(row.counts ? expect.any(String) : undefined);
    }
  });
});

describe('attribution of a stop to the newest deployment', () => {
  it('counts a task of riderapp:15 started by its deployment 8 minutes after it began', () => {
    expect(attributeStop(stop({ taskId: 'a1' }), newest, { windowMinutes: 60 }, false)).toEqual({
      counts: true,
      deploymentId: V15_DEPLOYMENT,
    });
  });

  it.each([
    ['a task of the older revision riderapp:14', { taskId: 'a1', startedBy: V14_DEPLOYMENT, revision: 14 }, false],
    ['a task started by RunTask (no deployment)', { taskId: 'a1', startedBy: 'octocat' }, false],
    ['a task that stopped after the window', { taskId: 'a1', stoppingAt: '2025-03-04T11:13:00.001Z' }, false],
    ['a task of a rollback this system started', { taskId: 'a1' }, true],
  ])('does not count %s', (_name, options, ownRollback) => {
    expect(attributeStop(stop(options), newest, { windowMinutes: 60 }, ownRollback).counts).toBe(false);
  });

  it('does not count anything when ECS lists no PRIMARY deployment', () => {
    expect(attributeStop(stop({ taskId: 'a1' }), undefined, { windowMinutes: 60 }, false).counts).toBe(false);
  });
});

describe('detector decisions', () => {
  it('acts one failed task before the circuit breaker floor of 3', () => {
    expect(DEFAULT_DETECTOR_THRESHOLD).toBeLessThan(3);
    expect(DEFAULT_DETECTOR_THRESHOLD).toBeGreaterThan(1);
  });

  it('derives a valid Step Functions execution name from the deployment alone', () => {
    // Act
    const name = detectorExecutionName('riderapp-cluster', 'riderapp-service', V15_DEPLOYMENT);
    const long = detectorExecutionName('c'.repeat(255), 's'.repeat(255), V15_DEPLOYMENT);

    // Assess
    expect(name).toBe('task-stops-riderapp-cluster-riderapp-service-ecs-svc-4520982937154920815');
    expect(detectorExecutionName('riderapp-cluster', 'riderapp-service', V15_DEPLOYMENT)).toBe(name);
    for (const n of [name, long]) expect(n).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(long.endsWith('ecs-svc-4520982937154920815')).toBe(true);
  });

  it('tells health-check-only evidence (a dependency outage looks the same) from crashes', () => {
    expect(onlyHealthCheckStops([{ cause: 'elb-health-check' }, { cause: 'elb-health-check' }])).toBe(true);
    expect(onlyHealthCheckStops([{ cause: 'elb-health-check' }, { cause: 'essential-container-exited' }])).toBe(false);
  });
});
