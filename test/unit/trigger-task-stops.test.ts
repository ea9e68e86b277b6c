import { describe, expect, it } from 'vitest';
import { checkFailedDeploymentSuperseded, checkOwnDeploymentFailed, type ServiceFacts } from '../../lambdas/core/guards';
import { REASONS } from '../../lambdas/core/reasons';
import { parseTrigger, type TriggerContext } from '../../lambdas/core/trigger';
import { startInputFor } from '../../lambdas/detect-task-stops/detect';
import { ValidationError } from '../../lambdas/shared/errors';
import { CLUSTER, SERVICE, TD, V15_DEPLOYMENT, V15_STARTED_AT } from '../helpers/task-events';

const ctx: TriggerContext = {
  executionId: 'arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:task-stops-x',
  executionStartTime: '2025-03-04T10:21:41.000Z',
  services: [{ cluster: CLUSTER, service: SERVICE, ecrRepository: 'riderapp', alarmNames: [] }],
  projectName: 'riderapp',
  defaultRegion: 'us-east-1',
};

const stops = [
  {
    taskId: 'task1',
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: 'Task failed ELB health checks in (target-group riderapp-tg)',
    cause: 'elb-health-check' as const,
    stoppedAt: '2025-03-04T10:21:34.003Z',
  },
  {
    taskId: 'task2',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    exitCode: 1,
    cause: 'essential-container-exited' as const,
    stoppedAt: '2025-03-04T10:21:40.000Z',
  },
];

const input = (notifyOnly = false) =>
  startInputFor(
    { region: 'us-east-1', account: '111122223333', cluster: CLUSTER, service: SERVICE },
    { id: V15_DEPLOYMENT, taskDefinitionArn: TD(15), createdAt: V15_STARTED_AT, rolloutState: 'COMPLETED' },
    { counted: true, count: 2, evidence: stops },
    { threshold: 2, windowMinutes: 60, notifyOnly },
    'task-stops-riderapp-cluster-riderapp-service-ecs-svc-4520982937154920815',
  );

describe("Prepare normalises the detector's start (trigger kind task-stops)", () => {
  it('names the deployment, the task ids and their reasons, and rolls back (not a dry run)', () => {
    // Act
    const parsed = parseTrigger(input(), ctx);

    // Assess
    expect(parsed.dryRun).toBe(false);
    expect(parsed.serviceConfig.service).toBe(SERVICE);
    expect(parsed.trigger).toMatchObject({
      kind: 'task-stops',
      id: `task-stops:${V15_DEPLOYMENT}`,
      deploymentId: V15_DEPLOYMENT,
      time: '2025-03-04T10:21:40.000Z',
      taskStops: { deploymentId: V15_DEPLOYMENT, threshold: 2, notifyOnly: false, stops },
    });
    expect(parsed.trigger.summary).toContain('task task1 (failed ELB health checks');
    expect(parsed.trigger.summary).toContain('task task2 (essential container exited, exit code 1');
  });

  it('makes a notify-only start a dry run (reports what would be done, changes nothing)', () => {
    expect(parseTrigger(input(true), ctx).dryRun).toBe(true);
  });

  it('rejects evidence without stops, naming the field', () => {
    // Prepare
    const bad = { ...input(), detail: { ...input().detail, stops: [] } };

    // Act / Assess
    expect(() => parseTrigger(bad, ctx)).toThrow(ValidationError);
    expect(() => parseTrigger(bad, ctx)).toThrow(/detail\.stops/);
  });

  it('rejects a service that is not configured, naming the field', () => {
    const other = { ...input(), detail: { ...input().detail, service: 'billing-service' } };
    expect(() => parseTrigger(other, ctx)).toThrow(/detail\.service: .*billing-service is not configured/);
  });
});

describe('guards on a task-stops trigger (as for a deployment failure)', () => {
  const trigger = parseTrigger(input(), ctx).trigger;

  it("is only reported when the deployment is this system's own rollback", () => {
    expect(checkOwnDeploymentFailed(trigger, { executionId: 'earlier' })).toMatchObject({
      action: 'skip',
      reason: REASONS.OWN_DEPLOYMENT_FAILED,
    });
  });

  it('is only reported when a newer deployment replaced the one whose tasks stopped', () => {
    // Prepare
    const facts: ServiceFacts = {
      status: 'ACTIVE',
      deployments: [{ id: 'ecs-svc/777', status: 'PRIMARY', taskDefinitionArn: TD(16), rolloutState: 'IN_PROGRESS' }],
    };

    // Act / Assess
    expect(checkFailedDeploymentSuperseded(trigger, CLUSTER, SERVICE, facts)).toMatchObject({
      action: 'skip',
      reason: REASONS.DEPLOYMENT_SUPERSEDED,
    });
  });
});
