import { describe, expect, it } from 'vitest';
import type { TargetGroupObservation } from '../../lambdas/core/health';
import {
  type DeploymentSnapshot,
  deploymentAlreadyStarted,
  evaluateStability,
  expectedHealthySeconds,
  HEALTH_WINDOW_POLL_SECONDS,
  type HealthCheckTiming,
  type HealthTiming,
  healthWindowSeconds,
  NEAR_RECOVERY_WAIT_SECONDS,
  nextWaitSeconds,
  type StabilityObservation,
  sameTaskDefinition,
  shortTaskDefinition,
  startingWaitSeconds,
  tasksStarting,
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

/** riderapp-tg's health check: AWS's defaults, every 30 s, healthy after 5 consecutive successes. */
const RIDERAPP_TG_CHECK: HealthCheckTiming = { targetGroupArn: TARGET_GROUP, intervalSeconds: 30, healthyThresholdCount: 5 };

/** The three riderapp:14 tasks started at these seconds after the deployment (DescribeTasks startedAt). */
function timing(startedAt: readonly (number | undefined)[], healthChecks: readonly HealthCheckTiming[] = [RIDERAPP_TG_CHECK]): HealthTiming {
  return { taskStartedAtSeconds: startedAt, healthChecks };
}

/** Tasks running since 58-60 s, registered, not yet healthy: they may turn healthy between 60 + 30 × 4 = 180 s and 60 + 30 × 5 = 210 s. */
const registeredAt = (elapsed: number, settingsTiming = timing([58, 59, 60])): StabilityObservation =>
  observation(3, elapsed, [group(3, 0)], 1, settingsTiming);

describe('healthWindowSeconds', () => {
  it('opens one interval before interval × threshold after the last task started, and closes there', () => {
    // Act
    const window = healthWindowSeconds(registeredAt(70));

    // Assess
    expect(window).toEqual({ opensAt: 180, closesAt: 210 });
    expect(expectedHealthySeconds(registeredAt(70))).toBe(210);
  });

  it.each([
    ['a task has not started', timing([58, 59, undefined])],
    ['no health check settings', timing([58, 59, 60], [])],
  ])('is unknown when %s', (_case, settingsTiming) => {
    // Act / Assess
    expect(healthWindowSeconds(registeredAt(70, settingsTiming))).toBeUndefined();
  });
});

describe('tasksStarting', () => {
  it.each([
    ['PRIMARY, in progress, 1 of 3 running, behind a target group', observation(1, 30), 1, true],
    ['all 3 running', observation(3, 30), 1, false],
    ['no target group', observation(1, 30), 0, false],
  ])('%s: %s', (_case, observed, groups, expected) => {
    // Act / Assess
    expect(tasksStarting(observed.deployment, groups)).toBe(expected);
  });
});

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
    ['tasks still starting, some already started: the whole poll interval', observation(1, 30, undefined, 1, timing([20, undefined, undefined], [])), SETTINGS, 15],
    ['tasks still starting, health check settings known: half of interval × (threshold − 1), nothing can be healthy sooner', observation(1, 30, undefined, 1, timing([20, undefined, undefined])), SETTINGS, 60],
    ['tasks still starting, a poll interval above that: the poll interval', observation(1, 30, undefined, 1, timing([])), { ...SETTINGS, pollIntervalSeconds: 90 }, 90],
    ['registered at 62 s, the window opens at 180 s: until it opens, beyond the poll interval', registeredAt(62), SETTINGS, 118],
    ['a window opening at 180.4 s: rounded up', registeredAt(62, timing([58, 59, 60.4])), SETTINGS, 119],
    ['still being registered, window known: until it opens', observation(3, 110, [group(1, 0)], 1, timing([58, 59, 60])), SETTINGS, 70],
    ['inside the window: a look every HEALTH_WINDOW_POLL_SECONDS', registeredAt(185), SETTINGS, HEALTH_WINDOW_POLL_SECONDS],
    ['inside the window with a poll interval of 2 s: 2 s', registeredAt(185), { ...SETTINGS, pollIntervalSeconds: 2 }, 2],
    ['a fast rollback, already inside its window: a look every HEALTH_WINDOW_POLL_SECONDS', observation(3, 45, [group(3, 0)], 1, timing([5, 5, 5], [{ ...RIDERAPP_TG_CHECK, intervalSeconds: 10 }])), SETTINGS, HEALTH_WINDOW_POLL_SECONDS],
    ['the window closed just now: 4% of the elapsed time', registeredAt(212), SETTINGS, 8],
    ['the window closed long ago: 4% of the elapsed time', registeredAt(300), SETTINGS, 12],
    ['the window closed long ago, a poll interval of 10 s: 10 s', registeredAt(300), { ...SETTINGS, pollIntervalSeconds: 10 }, 10],
    ['the window opens beyond the timeout: the time left', registeredAt(110), { ...SETTINGS, stabilizationTimeoutSeconds: 117 }, 7],
    ['registered, one task without startedAt: no window, at most 5 s', registeredAt(70, timing([58, 59, undefined])), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['registered, no health check settings: no window, at most 5 s', registeredAt(70, timing([58, 59, 60], [])), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['registered in 2 groups, settings of only 1: no window, at most 5 s', observation(3, 70, [group(3, 0), group(3, 0)], 2, timing([58, 59, 60])), SETTINGS, NEAR_RECOVERY_WAIT_SECONDS],
    ['being registered, no window: at most 10 s', observation(3, 70, [group(1, 0)], 1, timing([58, 59, 60], [])), SETTINGS, 10],
  ])('%s', (_scenario, observed, settings, expected) => {
    // Act
    const wait = nextWaitSeconds(observed, settings);

    // Assess
    expect(wait).toBe(expected);
  });

  it('waits for the slower of two target groups: its window after the last task start', () => {
    // Prepare
    const albCheck: HealthCheckTiming = { targetGroupArn: `${TARGET_GROUP}-alb`, intervalSeconds: 10, healthyThresholdCount: 5 };
    const observed = observation(3, 100, [group(3, 0), group(3, 1)], 2, timing([50, 55, 52], [albCheck, RIDERAPP_TG_CHECK]));

    // Act
    const window = healthWindowSeconds(observed);
    const wait = nextWaitSeconds(observed, SETTINGS);

    // Assess
    expect(window).toEqual({ opensAt: 175, closesAt: 205 });
    expect(wait).toBe(75);
  });

  it('stays between 1 s and the time left, and beyond the poll interval only to wait for the window to open, whatever it sees', () => {
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
              const observed = observation(running, elapsed, targets, targets?.length ?? 1, healthTiming);
              const wait = nextWaitSeconds(observed, settings);

              // Assess
              const left = settings.stabilizationTimeoutSeconds - elapsed;
              expect(wait).toBeGreaterThanOrEqual(1);
              expect(wait).toBeLessThanOrEqual(Math.max(1, Math.ceil(left)));
              expect(Number.isInteger(wait)).toBe(true);
              if (wait > settings.pollIntervalSeconds) {
                // Only where no target can turn healthy yet: while tasks start, or before the window opens.
                if (running < 3) expect(wait).toBeLessThanOrEqual(startingWaitSeconds(observed) ?? 0);
                else expect(elapsed + wait).toBeLessThanOrEqual(Math.ceil(healthWindowSeconds(observed)?.opensAt ?? 0));
              }
            }
          }
        }
      }
    }
  });
});

describe('simulated rollbacks of riderapp:15 to riderapp:14 with random health check phases', () => {
  /** Success-path states outside the Check/Decide/Wait loop, LoadSettings through Done. */
  const FIXED_TRANSITIONS = 13;

  interface Timeline {
    /** Seconds after the deployment started at which each of the 3 tasks turns RUNNING (startedAt). */
    readonly startedAt: readonly [number, number, number];
    readonly intervalSeconds: number;
    readonly healthyThresholdCount: number;
    /** Each target's first health check after registration, as a share of the interval (0 ≤ phase < 1). */
    readonly phases: readonly [number, number, number];
    /** Extra seconds each target takes beyond its checks (an application slow to answer). */
    readonly slowApp?: number;
  }

  const healthyAtOf = (timeline: Timeline, i: number): number =>
    timeline.startedAt[i]! + (timeline.phases[i]! + timeline.healthyThresholdCount - 1) * timeline.intervalSeconds + (timeline.slowApp ?? 0);

  /** What CheckStability would see at `t`; `estimate: false` hides startedAt and the settings. */
  function seenAt(timeline: Timeline, t: number, estimate = true): StabilityObservation {
    const { startedAt, intervalSeconds, healthyThresholdCount } = timeline;
    const running = startedAt.filter((s) => s <= t).length;
    const checks = [{ targetGroupArn: TARGET_GROUP, intervalSeconds, healthyThresholdCount }];
    if (running < 3) return observation(running, t, undefined, 1, estimate ? timing([], checks) : undefined);
    const healthy = [0, 1, 2].filter((i) => healthyAtOf(timeline, i) <= t).length;
    const healthTiming = estimate ? timing(startedAt, checks) : undefined;
    return observation(3, t, [group(3, healthy)], 1, healthTiming);
  }

  /** Check → Decide → Wait until the verdict is final: when recovery was declared and after how many checks. */
  function simulate(timeline: Timeline, estimate = true): { status: string; declaredAt: number; checks: number; healthyAt: number } {
    let t = 0;
    let checks = 1;
    let result = evaluateStability(seenAt(timeline, t, estimate), SETTINGS, { checks, checkedAt: '' });
    while (result.status === 'IN_PROGRESS') {
      t += result.waitSeconds;
      checks += 1;
      result = evaluateStability(seenAt(timeline, t, estimate), SETTINGS, { checks, checkedAt: '' });
    }
    return { status: result.status, declaredAt: t, checks, healthyAt: Math.max(...[0, 1, 2].map((i) => healthyAtOf(timeline, i))) };
  }

  const transitions = (checks: number): number => FIXED_TRANSITIONS + 3 * checks - 1;
  /** A seeded [0, 1) sequence (mulberry32), so the phases repeat. */
  function phasesFrom(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let x = Math.imul(state ^ (state >>> 15), state | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }
  const STARTS: readonly (readonly [number, number, number])[] = [
    [30, 31, 33],
    [58, 59, 60],
    [70, 72, 75],
    [60, 60, 120],
  ];

  it('declares recovery within one window poll of the last target turning healthy, whatever the phases, in at most 60 transitions', () => {
    // Prepare
    const next = phasesFrom(11);
    for (const startedAt of STARTS) {
      for (let n = 0; n < 50; n++) {
        const timeline: Timeline = { startedAt, intervalSeconds: 30, healthyThresholdCount: 5, phases: [next(), next(), next()] };

        // Act
        const run = simulate(timeline);

        // Assess
        expect(run.status).toBe('RECOVERED');
        expect(run.declaredAt).toBeGreaterThanOrEqual(run.healthyAt);
        expect(run.declaredAt - run.healthyAt).toBeLessThanOrEqual(HEALTH_WINDOW_POLL_SECONDS);
        expect(transitions(run.checks)).toBeLessThanOrEqual(60);
      }
    }
  });

  it('is late by about half a window poll on average, where waiting for the latest possible moment is late by a third of an interval', () => {
    // Prepare
    const next = phasesFrom(7);
    const late: number[] = [];
    const latest: number[] = [];
    for (let n = 0; n < 200; n++) {
      const timeline: Timeline = { startedAt: [58, 59, 60], intervalSeconds: 30, healthyThresholdCount: 5, phases: [next(), next(), next()] };

      // Act
      const run = simulate(timeline);

      // Assess
      late.push(run.declaredAt - run.healthyAt);
      latest.push(210 + 1 - run.healthyAt);
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(late)).toBeLessThan(HEALTH_WINDOW_POLL_SECONDS / 2 + 1);
    expect(mean(latest)).toBeGreaterThan(7);
  });

  it('keeps the fixed bounds without startedAt or health check settings: recovery within 5%, as before', () => {
    // Act
    const run = simulate({ startedAt: [115, 118, 120], intervalSeconds: 30, healthyThresholdCount: 5, phases: [0.5, 0.2, 0.9] }, false);

    // Assess
    expect(run.status).toBe('RECOVERED');
    expect(run.declaredAt - run.healthyAt).toBeLessThanOrEqual(0.05 * run.healthyAt);
  });

  it('spends fewer checks than the fixed bounds, and stays within 5%, when the application answers a minute after its window', () => {
    // Prepare
    const slow: Timeline = { startedAt: [60, 60, 60], intervalSeconds: 30, healthyThresholdCount: 5, phases: [0.1, 0.5, 0.9], slowApp: 60 };

    // Act
    const adaptive = simulate(slow);
    const fixed = simulate(slow, false);

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
