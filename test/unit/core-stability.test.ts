import { describe, expect, it } from 'vitest';
import type { TargetGroupObservation } from '../../lambdas/core/health';
import {
  type DeploymentSnapshot,
  deploymentAlreadyStarted,
  evaluateStability,
  expectedHealthySeconds,
  type HealthCheckTiming,
  type HealthTiming,
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
  healthTiming?: HealthTiming,
): StabilityObservation {
  return {
    followed: FOLLOWED,
    serviceStatus: 'ACTIVE',
    deployment: { id: FOLLOWED.deploymentId, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', desiredCount: 3, runningCount: running },
    otherDeployments: 1,
    targetGroupCount,
    ...(targets === undefined ? {} : { targets }),
    ...(healthTiming === undefined ? {} : { healthTiming }),
    elapsedSeconds,
  };
}

/** riderapp-tg's health check: AWS's 30 s interval, the story's healthy threshold of 2. */
const RIDERAPP_TG_CHECK: HealthCheckTiming = { targetGroupArn: TARGET_GROUP, intervalSeconds: 30, healthyThresholdCount: 2 };

/** The three riderapp:14 tasks started at these seconds after the deployment (DescribeTasks startedAt). */
function timing(startedAt: readonly (number | undefined)[], healthChecks: readonly HealthCheckTiming[] = [RIDERAPP_TG_CHECK]): HealthTiming {
  return { taskStartedAtSeconds: startedAt, healthChecks };
}

/** Tasks running since 58-60 s, registered, not yet healthy: expected healthy at 60 + 30 × 2 = 120 s. */
const registeredAt = (elapsed: number, settingsTiming = timing([58, 59, 60])): StabilityObservation =>
  observation(3, elapsed, [group(3, 0)], 1, settingsTiming);

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

  it.each([
    ['tasks still starting, some already started: the whole poll interval', observation(1, 30, undefined, 1, timing([20, undefined, undefined])), SETTINGS, 15],
    ['registered at 62 s, healthy expected at 120 s: the poll interval, no more', registeredAt(62), SETTINGS, 15],
    ['registered, 10 s before the estimate: until 1 s after it', registeredAt(110), SETTINGS, 11],
    ['registered, estimate at 120.4 s, 10 s before: rounded up, then 1 s after it', registeredAt(110, timing([58, 59, 60.4])), SETTINGS, 12],
    ['a poll interval of 60 s, 58 s before the estimate: 1 s after it', registeredAt(62), { ...SETTINGS, pollIntervalSeconds: 60 }, 59],
    ['still being registered, estimate known: until 1 s after it', observation(3, 110, [group(1, 0)], 1, timing([58, 59, 60])), SETTINGS, 11],
    ['the estimate just passed: a short poll', registeredAt(121), SETTINGS, 4],
    ['the estimate passed early in a fast rollback: 2 s', observation(3, 45, [group(3, 0)], 1, timing([5, 5, 5], [{ ...RIDERAPP_TG_CHECK, intervalSeconds: 10 }])), SETTINGS, 2],
    ['the estimate passed long ago: 4% of the elapsed time', registeredAt(300), SETTINGS, 12],
    ['the estimate passed long ago, a poll interval of 10 s: 10 s', registeredAt(300), { ...SETTINGS, pollIntervalSeconds: 10 }, 10],
    ['the estimate is beyond the timeout: the time left', registeredAt(110), { ...SETTINGS, stabilizationTimeoutSeconds: 117 }, 7],
    ['registered, one task without startedAt: no estimate, at most 5 s', registeredAt(70, timing([58, 59, undefined])), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['registered, no health check settings: no estimate, at most 5 s', registeredAt(70, timing([58, 59, 60], [])), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['registered in 2 groups, settings of only 1: no estimate, at most 5 s', observation(3, 70, [group(3, 0), group(3, 0)], 2, timing([58, 59, 60])), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['being registered, no estimate: at most 10 s', observation(3, 70, [group(1, 0)], 1, timing([58, 59, 60], [])), SETTINGS, 10],
  ])('%s', (_scenario, observed, settings, expected) => {
    // Act
    const wait = nextWaitSeconds(observed, settings);

    // Assess
    expect(wait).toBe(expected);
  });

  it('waits for the slower of two target groups: the last task start + the longest interval × threshold', () => {
    // Prepare
    const albCheck: HealthCheckTiming = { targetGroupArn: `${TARGET_GROUP}-alb`, intervalSeconds: 10, healthyThresholdCount: 5 };
    const observed = observation(3, 100, [group(3, 0), group(3, 1)], 2, timing([50, 55, 52], [albCheck, RIDERAPP_TG_CHECK]));

    // Act
    const expected = expectedHealthySeconds(observed);
    const wait = nextWaitSeconds(observed, SETTINGS);

    // Assess
    expect(expected).toBe(115);
    expect(wait).toBe(15);
  });

  it('stays between 1 s and the smaller of the poll interval and the time left, whatever it sees', () => {
    // Prepare
    const settingsList: Settings[] = [
      { pollIntervalSeconds: 1, stabilizationTimeoutSeconds: 60 },
      { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
      { pollIntervalSeconds: 60, stabilizationTimeoutSeconds: 900 },
    ];
    const targetsList = [undefined, [group(0, 0)], [group(3, 0)], [group(3, 2)], [group(3, 3), group(2, 1)]];
    const timings = [undefined, timing([10, 20, 30]), timing([0, 0, 0.5], [{ ...RIDERAPP_TG_CHECK, intervalSeconds: 300, healthyThresholdCount: 10 }]), timing([1, undefined, 2])];

    for (const settings of settingsList) {
      for (let elapsed = 0; elapsed < settings.stabilizationTimeoutSeconds; elapsed += 7) {
        for (const running of [0, 2, 3]) {
          for (const targets of targetsList) {
            for (const healthTiming of timings) {
              // Act
              const wait = nextWaitSeconds(observation(running, elapsed, targets, targets?.length ?? 1, healthTiming), settings);

              // Assess
              const bound = Math.max(1, Math.min(settings.pollIntervalSeconds, settings.stabilizationTimeoutSeconds - elapsed));
              expect(wait).toBeGreaterThanOrEqual(1);
              expect(wait).toBeLessThanOrEqual(bound);
              expect(Number.isInteger(wait)).toBe(true);
            }
          }
        }
      }
    }
  });
});

describe('simulated rollbacks of riderapp:15 to riderapp:14', () => {
  /** Success-path states outside the Check/Decide/Wait loop, LoadSettings through Done. */
  const FIXED_TRANSITIONS = 13;

  interface Timeline {
    /** Seconds after the deployment started at which each of the 3 tasks turns RUNNING (startedAt). */
    readonly startedAt: readonly [number, number, number];
    readonly intervalSeconds: number;
    readonly healthyThresholdCount: number;
    /** Seconds after startedAt a task's target appears in the target group. */
    readonly registrationLag?: number;
    /** How much later (or, negative, sooner) than startedAt + interval × threshold a target really turns healthy. */
    readonly healthyLate?: number;
  }

  /** What CheckStability would see at `t`, from a modelled timeline; `estimate: false` hides startedAt and the settings. */
  function seenAt(timeline: Timeline, t: number, estimate = true): StabilityObservation {
    const { startedAt, intervalSeconds, healthyThresholdCount, registrationLag = 0, healthyLate = 0 } = timeline;
    const running = startedAt.filter((s) => s <= t).length;
    if (running < 3) return observation(running, t);
    const registered = startedAt.filter((s) => s + registrationLag <= t).length;
    const healthy = startedAt.filter((s) => s + intervalSeconds * healthyThresholdCount + healthyLate <= t).length;
    const healthTiming = estimate ? timing(startedAt, [{ targetGroupArn: TARGET_GROUP, intervalSeconds, healthyThresholdCount }]) : undefined;
    return observation(3, t, [group(registered, healthy)], 1, healthTiming);
  }

  /** Check → Decide → Wait until the verdict is final: when recovery was declared and after how many checks. */
  function simulate(timeline: Timeline, estimate = true): { status: string; declaredAt: number; checks: number; healthyAt: number } {
    const { startedAt, intervalSeconds, healthyThresholdCount, healthyLate = 0 } = timeline;
    let t = 0;
    let checks = 1;
    let result = evaluateStability(seenAt(timeline, t, estimate), SETTINGS, { checks, checkedAt: '' });
    while (result.status === 'IN_PROGRESS') {
      t += result.waitSeconds;
      checks += 1;
      result = evaluateStability(seenAt(timeline, t, estimate), SETTINGS, { checks, checkedAt: '' });
    }
    const healthyAt = Math.max(...startedAt) + intervalSeconds * healthyThresholdCount + healthyLate;
    return { status: result.status, declaredAt: t, checks, healthyAt };
  }

  const transitions = (checks: number): number => FIXED_TRANSITIONS + 3 * checks - 1;

  it.each<{ scenario: string } & Timeline>([
    { scenario: 'AWS defaults, as in the demo: healthy at 2 minutes', startedAt: [60, 60, 60], intervalSeconds: 30, healthyThresholdCount: 2 },
    { scenario: 'slow image pull: healthy at 3 minutes', startedAt: [115, 118, 120], intervalSeconds: 30, healthyThresholdCount: 2 },
    { scenario: "ALB's default threshold of 5 checks every 10 s", startedAt: [125, 128, 130], intervalSeconds: 10, healthyThresholdCount: 5 },
    { scenario: 'registration takes 8 s: healthy 8 s after the estimate', startedAt: [112, 114, 115], intervalSeconds: 30, healthyThresholdCount: 2, registrationLag: 8, healthyLate: 8 },
    { scenario: 'one task replaced and started late', startedAt: [60, 60, 120], intervalSeconds: 30, healthyThresholdCount: 2 },
  ])('declares recovery within 5% of the moment targets turn healthy in at most 60 transitions ($scenario)', (timeline) => {
    // Act
    const run = simulate(timeline);

    // Assess
    expect(run.status).toBe('RECOVERED');
    expect(run.declaredAt).toBeGreaterThanOrEqual(run.healthyAt);
    expect(run.declaredAt - run.healthyAt).toBeLessThanOrEqual(0.05 * run.healthyAt);
    expect(transitions(run.checks)).toBeLessThanOrEqual(60);
  });

  it("saves 8 of the demo's 17 checks compared to the fixed 5 s waits of near recovery, and declares recovery no later", () => {
    // Prepare
    const demo: Timeline = { startedAt: [60, 60, 60], intervalSeconds: 30, healthyThresholdCount: 2 };

    // Act
    const adaptive = simulate(demo);
    const fixed = simulate(demo, false);

    // Assess
    expect(fixed.checks).toBe(17);
    expect(adaptive.checks).toBe(9);
    expect(adaptive.declaredAt).toBeLessThanOrEqual(fixed.declaredAt);
  });

  it('keeps the fixed bounds without startedAt or health check settings: recovery within 5%, as before', () => {
    // Act
    const run = simulate({ startedAt: [115, 118, 120], intervalSeconds: 30, healthyThresholdCount: 2 }, false);

    // Assess
    expect(run.status).toBe('RECOVERED');
    expect(run.declaredAt - run.healthyAt).toBeLessThanOrEqual(0.05 * run.healthyAt);
  });

  it('declares recovery at most one poll interval late when targets turn healthy long before the estimate', () => {
    // Act
    const run = simulate({ startedAt: [60, 60, 60], intervalSeconds: 30, healthyThresholdCount: 2, healthyLate: -25 });

    // Assess
    expect(run.status).toBe('RECOVERED');
    expect(run.declaredAt - run.healthyAt).toBeLessThanOrEqual(SETTINGS.pollIntervalSeconds);
  });

  it('spends fewer checks than the fixed bounds, and stays within 5%, when targets turn healthy a minute after the estimate', () => {
    // Prepare
    const late: Timeline = { startedAt: [60, 60, 60], intervalSeconds: 30, healthyThresholdCount: 2, healthyLate: 60 };

    // Act
    const adaptive = simulate(late);
    const fixed = simulate(late, false);

    // Assess
    expect(adaptive.status).toBe('RECOVERED');
    expect(adaptive.declaredAt - adaptive.healthyAt).toBeLessThanOrEqual(0.05 * adaptive.healthyAt);
    expect(adaptive.checks).toBeLessThan(fixed.checks);
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
