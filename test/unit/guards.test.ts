import { describe, expect, it } from 'vitest';
import {
  checkAlarmAfterOwnRollback,
  checkAlarmWindow,
  checkCooldown,
  checkDuplicateTrigger,
  checkEcsRollback,
  checkFailedDeploymentSuperseded,
  checkLock,
  checkOwnDeploymentFailed,
  type DeploymentFact,
  findEcsRollbackDeployment,
  firstBlockingVerdict,
  isEcsRollbackReason,
  isWithinAlarmWindow,
  lastDeploymentAt,
  type ServiceFacts,
} from '../../lambdas/core/guards';
import { REASONS } from '../../lambdas/core/reasons';
import type { Trigger } from '../../lambdas/shared/types';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:b';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const FAILED_ID = 'ecs-svc/4520982937154920815';

const deploymentFailed: Trigger = {
  kind: 'deployment-failed',
  id: `deployment:${FAILED_ID}`,
  time: '2025-03-04T10:12:30.000Z',
  summary: `ECS deployment ${FAILED_ID} of riderapp-cluster/riderapp-service failed.`,
  deploymentId: FAILED_ID,
  reason: 'ECS deployment circuit breaker: task failed to start.',
};
const alarm: Trigger = {
  kind: 'alarm',
  id: 'alarm:riderapp-unhealthy-hosts@2025-03-04T10:20:04.988+0000',
  time: '2025-03-04T10:20:04.988Z',
  summary: 'Alarm riderapp-unhealthy-hosts went into ALARM.',
  alarmName: 'riderapp-unhealthy-hosts',
};
const manual: Trigger = {
  kind: 'manual',
  id: EXECUTION_A,
  time: '2025-03-04T10:25:00.000Z',
  summary: 'Manual rollback of riderapp-cluster/riderapp-service.',
};

const failedRiderapp15: DeploymentFact = {
  id: FAILED_ID,
  status: 'ACTIVE',
  taskDefinitionArn: TD(15),
  rolloutState: 'FAILED',
  rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
  createdAt: '2025-03-04T10:00:00.000Z',
};
const ecsRollbackTo14: DeploymentFact = {
  id: 'ecs-svc/7390158264829103746',
  status: 'PRIMARY',
  taskDefinitionArn: TD(14),
  rolloutState: 'IN_PROGRESS',
  rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1187736251029384756.',
  createdAt: '2025-03-04T10:12:31.000Z',
};
const facts = (deployments: DeploymentFact[], rollback = true): ServiceFacts => ({
  status: 'ACTIVE',
  circuitBreaker: { enable: true, rollback },
  deployments,
});

describe('duplicate trigger guard', () => {
  it.each([
    { scenario: 'a trigger this execution claimed (new, or a retry of Prepare)', claim: { claimedBy: EXECUTION_A }, action: 'rollback' },
    { scenario: 'an event already claimed by another execution', claim: { claimedBy: EXECUTION_B }, action: 'skip' },
  ])('decides $action for $scenario', ({ claim, action }) => {
    // Act
    const verdict = checkDuplicateTrigger(deploymentFailed, EXECUTION_A, claim);

    // Assess
    expect(verdict.action).toBe(action);
    if (verdict.action === 'skip') expect(verdict.reason).toBe(REASONS.DUPLICATE_TRIGGER);
  });

  it('names the execution that handles the trigger', () => {
    // Act
    const verdict = checkDuplicateTrigger(deploymentFailed, EXECUTION_A, { claimedBy: EXECUTION_B });

    // Assess
    expect(verdict.message).toContain(EXECUTION_B);
  });
});

describe('loop guard (own deployment failed)', () => {
  it('reports, not rolls back again, the failure of a deployment this system started', () => {
    // Act
    const verdict = checkOwnDeploymentFailed(deploymentFailed, { executionId: EXECUTION_B });

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.OWN_DEPLOYMENT_FAILED });
    expect(verdict.message).toContain('reported, not rolled back again');
    expect(verdict.message).toContain(EXECUTION_B);
  });

  it.each([
    { scenario: 'a failure of a deployment made by a person', trigger: deploymentFailed, own: undefined },
    { scenario: 'an alarm', trigger: alarm, own: { executionId: EXECUTION_B } },
  ])('lets $scenario through', ({ trigger, own }) => {
    // Act
    const verdict = checkOwnDeploymentFailed(trigger, own);

    // Assess
    expect(verdict.action).toBe('rollback');
  });
});

describe('alarm after own rollback guard', () => {
  it('reports an alarm that follows a rollback deployment this system started', () => {
    // Act
    const verdict = checkAlarmAfterOwnRollback(alarm, 'ecs-svc/6061187735472618029', { executionId: EXECUTION_B });

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.OWN_DEPLOYMENT_FAILED });
    expect(verdict.message).toContain('ecs-svc/6061187735472618029');
    expect(verdict.message).toContain(EXECUTION_B);
  });

  it.each([
    { scenario: 'an alarm after a deployment made by a person', trigger: alarm, own: undefined },
    { scenario: 'a failed deployment (the loop guard checks its own id)', trigger: deploymentFailed, own: { executionId: EXECUTION_B } },
    { scenario: 'a manual start', trigger: manual, own: { executionId: EXECUTION_B } },
  ])('lets $scenario through', ({ trigger, own }) => {
    // Act
    const verdict = checkAlarmAfterOwnRollback(trigger, 'ecs-svc/6061187735472618029', own);

    // Assess
    expect(verdict.action).toBe('rollback');
  });
});

describe('alarm window guard', () => {
  it.each([
    { scenario: '20 min after the deployment', deployedAt: '2025-03-04T10:00:00Z', within: true },
    { scenario: 'exactly at the end of the window', deployedAt: '2025-03-04T09:20:04.988Z', within: true },
    { scenario: '95 min after the deployment', deployedAt: '2025-03-04T08:45:00Z', within: false },
    { scenario: 'before the deployment started', deployedAt: '2025-03-04T10:30:00Z', within: false },
    { scenario: 'with no deployment known', deployedAt: undefined, within: false },
  ])('treats an alarm $scenario as within the window: $within', ({ deployedAt, within }) => {
    // Act
    const result = isWithinAlarmWindow(alarm.time, deployedAt, 60);

    // Assess
    expect(result).toBe(within);
  });

  it('notifies only for an alarm long after the last deployment: a database outage is not fixed by an older image', () => {
    // Act
    const verdict = checkAlarmWindow(alarm, CLUSTER, SERVICE, '2025-03-04T08:45:00.000Z', 60);

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.ALARM_OUTSIDE_WINDOW });
    expect(verdict.message).toContain('a database outage is not fixed by an older image');
    expect(verdict.message).toContain('2025-03-04T08:45:00.000Z');
  });

  it.each([
    { scenario: 'a deployment failure', trigger: deploymentFailed },
    { scenario: 'a manual start', trigger: manual },
  ])('does not apply to $scenario', ({ trigger }) => {
    // Act
    const verdict = checkAlarmWindow(trigger, CLUSTER, SERVICE, '2025-01-01T00:00:00Z', 60);

    // Assess
    expect(verdict.action).toBe('rollback');
  });

  it('takes the PRIMARY deployment as the last deployment', () => {
    // Act
    const at = lastDeploymentAt(facts([failedRiderapp15, ecsRollbackTo14]));

    // Assess
    expect(at).toBe(ecsRollbackTo14.createdAt);
  });
});

describe('cool-down guard', () => {
  const now = new Date('2025-03-04T10:30:00Z');

  it.each([
    { scenario: 'an alarm during the cool-down', trigger: alarm, until: '2025-03-04T10:45:00.000Z', action: 'skip' },
    { scenario: 'a deployment failure during the cool-down', trigger: deploymentFailed, until: '2025-03-04T10:45:00.000Z', action: 'skip' },
    { scenario: 'an alarm after the cool-down ended', trigger: alarm, until: '2025-03-04T10:29:59.000Z', action: 'rollback' },
    { scenario: 'an alarm with no cool-down', trigger: alarm, until: undefined, action: 'rollback' },
    { scenario: 'a manual start during the cool-down (a person decided)', trigger: manual, until: '2025-03-04T10:45:00.000Z', action: 'rollback' },
  ])('decides $action for $scenario', ({ trigger, until, action }) => {
    // Act
    const verdict = checkCooldown(trigger, CLUSTER, SERVICE, until, now);

    // Assess
    expect(verdict.action).toBe(action);
    if (verdict.action === 'skip') {
      expect(verdict.reason).toBe(REASONS.COOLDOWN_ACTIVE);
      expect(verdict.message).toContain(until);
    }
  });
});

describe('ECS circuit breaker coexistence', () => {
  it.each([
    { reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1187736251029384756.', rollingBack: true },
    { reason: 'ECS deployment circuit breaker: task failed to start.', rollingBack: false },
    { reason: 'ECS deployment ecs-svc/4520982937154920815 in progress.', rollingBack: false },
    { reason: undefined, rollingBack: false },
  ])('reads "$reason" as rolling back: $rollingBack', ({ reason, rollingBack }) => {
    // Act
    const result = isEcsRollbackReason(reason);

    // Assess
    expect(result).toBe(rollingBack);
  });

  it('follows ECS rolling riderapp-service back to riderapp:14 instead of starting a second rollback', () => {
    // Act
    const verdict = checkEcsRollback(deploymentFailed, facts([ecsRollbackTo14, failedRiderapp15]), false);

    // Assess
    expect(verdict).toEqual({
      action: 'watch',
      reason: REASONS.ECS_ROLLBACK_IN_PROGRESS,
      message: expect.stringContaining('riderapp:14'),
      watch: {
        deploymentId: 'ecs-svc/7390158264829103746',
        taskDefinitionArn: TD(14),
        startedAt: '2025-03-04T10:12:31.000Z',
      },
    });
  });

  it('recognises a newer in-progress PRIMARY deployment as ECS’s rollback when the circuit breaker rolls back', () => {
    // Prepare
    const quietRollback = { ...ecsRollbackTo14, rolloutStateReason: 'ECS deployment ecs-svc/7390158264829103746 in progress.' };

    // Act
    const found = findEcsRollbackDeployment(facts([quietRollback, failedRiderapp15], true), FAILED_ID);

    // Assess
    expect(found?.id).toBe(quietRollback.id);
  });

  it.each([
    {
      scenario: 'the circuit breaker does not roll back and no deployment says it is rolling back',
      deployments: [{ ...ecsRollbackTo14, rolloutStateReason: 'ECS deployment x in progress.' }, failedRiderapp15],
      rollback: false,
    },
    {
      scenario: 'the failed deployment is still the PRIMARY one',
      deployments: [{ ...failedRiderapp15, status: 'PRIMARY' }],
      rollback: true,
    },
    {
      scenario: 'ECS’s rollback has already completed',
      deployments: [{ ...ecsRollbackTo14, rolloutState: 'COMPLETED' }, failedRiderapp15],
      rollback: true,
    },
  ])('rolls back itself when $scenario', ({ deployments, rollback }) => {
    // Act
    const verdict = checkEcsRollback(deploymentFailed, facts(deployments, rollback), false);

    // Assess
    expect(verdict.action).toBe('rollback');
  });

  it('follows ECS’s rollback for an alarm too', () => {
    // Act
    const verdict = checkEcsRollback(alarm, facts([ecsRollbackTo14, failedRiderapp15]), false);

    // Assess
    expect(verdict.action).toBe('watch');
  });

  it('tells a dry run that ECS is already rolling back, and stops there', () => {
    // Act
    const verdict = checkEcsRollback(manual, facts([ecsRollbackTo14, failedRiderapp15]), true);

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.ECS_ROLLBACK_IN_PROGRESS });
  });
});

describe('superseded failure guard', () => {
  const deployed16: DeploymentFact = {
    id: 'ecs-svc/2946100584310029384',
    status: 'PRIMARY',
    taskDefinitionArn: TD(16),
    rolloutState: 'IN_PROGRESS',
    createdAt: '2025-03-04T10:18:00.000Z',
  };

  it.each([
    { scenario: 'the failed deployment is still PRIMARY', trigger: deploymentFailed, deployments: [{ ...failedRiderapp15, status: 'PRIMARY' }], action: 'rollback' },
    { scenario: 'a person deployed riderapp:16 since', trigger: deploymentFailed, deployments: [deployed16, failedRiderapp15], action: 'skip' },
    { scenario: "ECS's rollback already replaced it", trigger: deploymentFailed, deployments: [{ ...ecsRollbackTo14, rolloutState: 'COMPLETED' }], action: 'skip' },
    { scenario: 'an alarm (no failed deployment id)', trigger: alarm, deployments: [deployed16, failedRiderapp15], action: 'rollback' },
    { scenario: 'no PRIMARY deployment listed', trigger: deploymentFailed, deployments: [failedRiderapp15], action: 'rollback' },
  ])('decides $action when $scenario', ({ trigger, deployments, action }) => {
    // Act
    const verdict = checkFailedDeploymentSuperseded(trigger, CLUSTER, SERVICE, facts(deployments, false));

    // Assess
    expect(verdict.action).toBe(action);
    if (verdict.action === 'skip') expect(verdict.reason).toBe(REASONS.DEPLOYMENT_SUPERSEDED);
  });

  it('says the service moved on to riderapp:16 when a person deployed it since', () => {
    // Act
    const verdict = checkFailedDeploymentSuperseded(deploymentFailed, CLUSTER, SERVICE, facts([deployed16, failedRiderapp15], false));

    // Assess
    expect(verdict.message).toBe(
      `Deployment ${FAILED_ID} failed, but riderapp-cluster/riderapp-service has moved on to deployment ${deployed16.id} ` +
        '(riderapp:16, IN_PROGRESS); rolling back would undo it, so this failure is only reported.',
    );
  });

  it('says a failure of a deployment the service does not list is only reported, never that the service moved on to the failed one', () => {
    // Prepare: the event names an id ECS does not list; riderapp:15, the one that failed, is still PRIMARY
    const unknown: Trigger = { ...deploymentFailed, id: 'deployment:ecs-svc/0000000000000000000', deploymentId: 'ecs-svc/0000000000000000000' };
    const stillPrimary: DeploymentFact = { ...failedRiderapp15, status: 'PRIMARY' };

    // Act
    const verdict = checkFailedDeploymentSuperseded(unknown, CLUSTER, SERVICE, facts([stillPrimary], false));

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.DEPLOYMENT_SUPERSEDED });
    expect(verdict.message).not.toContain('moved on');
    expect(verdict.message).toBe(
      'Deployment ecs-svc/0000000000000000000 failed, but riderapp-cluster/riderapp-service does not list it among its deployments ' +
        `(ECS lists ${FAILED_ID}; the newest is deployment ${FAILED_ID} (riderapp:15, FAILED)); a failure of a deployment ` +
        'the service no longer knows is only reported, nothing was changed.',
    );
  });
});

describe('lock guard', () => {
  it('skips while another execution rolls the service back, naming it', () => {
    // Act
    const verdict = checkLock(CLUSTER, SERVICE, {
      acquired: false,
      holder: EXECUTION_B,
      expiresAt: '2025-03-04T12:12:31.000Z',
    });

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.ROLLBACK_IN_PROGRESS });
    expect(verdict.message).toContain(EXECUTION_B);
  });

  it('lets the holder go on', () => {
    // Act
    const verdict = checkLock(CLUSTER, SERVICE, { acquired: true, holder: EXECUTION_A, expiresAt: '2025-03-04T12:12:31.000Z' });

    // Assess
    expect(verdict.action).toBe('rollback');
  });
});

describe('combining verdicts', () => {
  it('lets the first blocking verdict win', () => {
    // Act
    const verdict = firstBlockingVerdict([
      checkDuplicateTrigger(alarm, EXECUTION_A, { claimedBy: EXECUTION_A }),
      checkAlarmWindow(alarm, CLUSTER, SERVICE, '2025-03-04T08:00:00Z', 60),
      checkCooldown(alarm, CLUSTER, SERVICE, '2025-03-04T11:00:00Z', new Date('2025-03-04T10:30:00Z')),
    ]);

    // Assess
    expect(verdict).toMatchObject({ action: 'skip', reason: REASONS.ALARM_OUTSIDE_WINDOW });
  });
});
