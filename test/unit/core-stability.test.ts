import { describe, expect, it } from 'vitest';
import type { TargetGroupObservation } from '../../lambdas/core/health';
import {
  type DeploymentSnapshot,
  deploymentAlreadyStarted,
  evaluateStability,
  NEAR_RECOVERY_WAIT_SECONDS,
  nextWaitSeconds,
  type StabilityObservation,
  sameTaskDefinition,
  shortTaskDefinition,
} from '../../lambdas/core/stability';
import type { Settings } from '../../lambdas/shared/types';

const TD_ARN = 'arn:aws:ecs:us-east-1:111122223333:task-definition';
const RIDERAPP_14 = `${TD_ARN}/riderapp:14`;
const RIDERAPP_15 = `${TD_ARN}/riderapp:15`;
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/riderapp-tg/0123456789abcdef';
const SETTINGS: Settings = { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 };
const FOLLOWED = { deploymentId: 'ecs-svc/2222222222222222222', taskDefinitionArn: RIDERAPP_14, startedAt: '2024-05-01T12:00:00.000Z' };

function group(registered: number, healthy: number): TargetGroupObservation {
  return { targetGroupArn: TARGET_GROUP, registered, healthy, notHealthy: registered > healthy ? ['initial: Elb.RegistrationInProgress'] : [] };
}

function observation(
  running: number,
  elapsedSeconds: number,
  targets?: readonly TargetGroupObservation[],
  targetGroupCount = 1,
): StabilityObservation {
  return {
    followed: FOLLOWED,
    serviceStatus: 'ACTIVE',
    deployment: { id: FOLLOWED.deploymentId, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', desiredCount: 3, runningCount: running },
    otherDeployments: 1,
    targetGroupCount,
    ...(targets === undefined ? {} : { targets }),
    elapsedSeconds,
  };
}

describe('nextWaitSeconds', () => {
  it.each([
    ['tasks still starting: the whole poll interval', observation(1, 30), SETTINGS, 15],
    ['tasks running, not yet registered: at most 10 s', observation(3, 60, [group(1, 0)]), SETTINGS, 10],
    ['tasks registered, health checks pending: recovery is near, at most 5 s', observation(3, 70, [group(3, 1)]), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['near recovery with a poll interval below 5 s: the poll interval', observation(3, 70, [group(3, 0)]), { ...SETTINGS, pollIntervalSeconds: 3 }, 3],
    ['no target group: only COMPLETED counts, the poll interval', observation(3, 120, undefined, 0), SETTINGS, 15],
    ['7 s before the timeout: 7 s', observation(1, 593), SETTINGS, 7],
    ['less than a second before the timeout: at least 1 s', observation(1, 599.6), SETTINGS, 1],
  ])('%s', (_scenario, observed, settings, expected) => {
    // Act
    const wait = nextWaitSeconds(observed, settings);

    // Assess
    expect(wait).toBe(expected);
  });

  it('stays between 1 s and the smaller of the poll interval and the time left, whatever it sees', () => {
    // Prepare
    const settingsList: Settings[] = [
      { pollIntervalSeconds: 1, stabilizationTimeoutSeconds: 60 },
      { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
      { pollIntervalSeconds: 60, stabilizationTimeoutSeconds: 900 },
    ];
    const targetsList = [undefined, [group(0, 0)], [group(3, 0)], [group(3, 2)], [group(3, 3), group(2, 1)]];

    for (const settings of settingsList) {
      for (let elapsed = 0; elapsed < settings.stabilizationTimeoutSeconds; elapsed += 7) {
        for (const running of [0, 2, 3]) {
          for (const targets of targetsList) {
            // Act
            const wait = nextWaitSeconds(observation(running, elapsed, targets), settings);

            // Assess
            const bound = Math.max(1, Math.min(settings.pollIntervalSeconds, settings.stabilizationTimeoutSeconds - elapsed));
            expect(wait).toBeGreaterThanOrEqual(1);
            expect(wait).toBeLessThanOrEqual(bound);
            expect(Number.isInteger(wait)).toBe(true);
          }
        }
      }
    }
  });
});

describe('a simulated 3-minute rollback of riderapp:15 to riderapp:14', () => {
  /** Success-path states outside the Check/Decide/Wait loop, LoadSettings through Done. */
  const FIXED_TRANSITIONS = 13;

  it.each([
    { scenario: 'slow image pull', runningAt: 120, registeredAt: 125, healthyAt: 150 },
    { scenario: 'one 30 s health check interval', runningAt: 60, registeredAt: 62, healthyAt: 92 },
    { scenario: 'health checks finish at 3 minutes', runningAt: 140, registeredAt: 142, healthyAt: 171 },
  ])('declares recovery within 5% of the moment targets turn healthy in at most 60 transitions ($scenario)', ({
    runningAt,
    registeredAt,
    healthyAt,
  }) => {
    // Prepare
    const seenAt = (t: number): StabilityObservation => {
      const running = t >= runningAt ? 3 : t >= runningAt - 20 ? 2 : 0;
      const targets = running < 3 ? undefined : [group(t >= registeredAt ? 3 : 0, t >= healthyAt ? 3 : 0)];
      return observation(running, t, targets);
    };

    // Act
    let t = 0;
    let checks = 1;
    let result = evaluateStability(seenAt(t), SETTINGS, { checks, checkedAt: '' });
    while (result.status === 'IN_PROGRESS') {
      t += result.waitSeconds;
      checks += 1;
      result = evaluateStability(seenAt(t), SETTINGS, { checks, checkedAt: '' });
    }

    // Assess
    expect(result.status).toBe('RECOVERED');
    expect(t - healthyAt).toBeLessThanOrEqual(0.05 * healthyAt);
    expect(FIXED_TRANSITIONS + 3 * checks - 1).toBeLessThanOrEqual(60);
  });
});

describe('deploymentAlreadyStarted', () => {
  const since = '2024-05-01T12:00:00.000Z';
  const primary14After: DeploymentSnapshot = { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: RIDERAPP_14, createdAt: new Date('2024-05-01T12:00:05Z') };

  it.each([
    ['PRIMARY runs riderapp:14 since this execution started', [primary14After], 'ecs-svc/2'],
    ['PRIMARY runs riderapp:14 since before this execution', [{ ...primary14After, createdAt: new Date('2024-05-01T11:00:00Z') }], undefined],
    ['PRIMARY still runs riderapp:15', [{ ...primary14After, taskDefinition: RIDERAPP_15 }], undefined],
    ['riderapp:14 only ACTIVE, not PRIMARY', [{ ...primary14After, status: 'ACTIVE' }], undefined],
  ])('%s', (_scenario, deployments, expectedId) => {
    // Act
    const found = deploymentAlreadyStarted(deployments, RIDERAPP_14, since);

    // Assess
    expect(found?.id).toBe(expectedId);
  });
});

describe('task definition names', () => {
  it('shortens an ARN to family:revision and compares ARNs with family:revision', () => {
    // Act & Assess
    expect(shortTaskDefinition(RIDERAPP_14)).toBe('riderapp:14');
    expect(sameTaskDefinition(RIDERAPP_14, 'riderapp:14')).toBe(true);
    expect(sameTaskDefinition(RIDERAPP_14, RIDERAPP_15)).toBe(false);
  });
});
