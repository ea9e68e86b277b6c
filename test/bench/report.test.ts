import { describe, expect, it } from 'vitest';
import type { ConcurrentFigures } from '../../bench/concurrent';
import type { RecoveryFigures } from '../../bench/recovery';
import { brokenRuns } from '../../bench/report';

const CLEAN_CONCURRENT: ConcurrentFigures = {
  services: 50,
  succeeded: 50,
  statuses: [['SUCCEEDED', 50]],
  updateServiceNotOnce: [],
  notificationNotOnce: [],
  notRolledBack: [],
  throttled: 200,
  injected: 200,
  retriedStates: 50,
  calls: 3800,
  peakCallsPerRealSecond: 1300,
  peakCallsPerModelledSecond: 700,
  realMs: 17_000,
  modelMs: 125_000,
  transitions: 3150,
  executions: 50,
  duplicated: 0,
  lastRecoveredModelMs: 125_000,
  peakLambdaConcurrency: 50,
  peakStartExecutionsPerSecond: 50,
};

function recovery(overrides: { unmet?: string[]; recoveredMs?: number; baselineRecovered?: boolean }): RecoveryFigures {
  return {
    scenario: 'deployment-failed',
    ours: {
      scenario: 'deployment-failed',
      unmet: overrides.unmet ?? [],
      status: 'SUCCEEDED',
      ...(overrides.recoveredMs === undefined ? {} : { recoveredMs: overrides.recoveredMs }),
      executionMs: 124_800,
      floorFromTimingsMs: 120_000,
      realMs: 800,
      transitions: 63,
      statesEntered: [],
      calls: [],
    },
    baseline: { recovered: overrides.baselineRecovered ?? true, recoveredMs: 420_000, steps: [], calls: [] },
    floorMs: 120_000,
    floorFromTimingsMs: 120_000,
  };
}

describe('what breaks a bench run (its exit code)', () => {
  it('breaks nothing when riderapp:15 -> riderapp:14 recovered and all 50 rollbacks ran exactly once, however slow', () => {
    // Act
    const broken = brokenRuns([recovery({ recoveredMs: 900_000 })], CLEAN_CONCURRENT);

    // Assess
    expect(broken).toEqual([]);
  });

  it.each([
    { case: 'a duplicated rollback', concurrent: { updateServiceNotOnce: [['riderapp-svc-07', 2]] as [string, number][] }, expected: 'riderapp-svc-07 got 2 accepted UpdateService calls' },
    { case: 'a lost rollback', concurrent: { updateServiceNotOnce: [['riderapp-svc-12', 0]] as [string, number][] }, expected: 'riderapp-svc-12 got 0 accepted UpdateService calls' },
    { case: 'an execution that failed', concurrent: { succeeded: 49 }, expected: '1 of 50 executions did not succeed' },
  ])('breaks on $case', ({ concurrent, expected }) => {
    // Act
    const broken = brokenRuns([recovery({ recoveredMs: 124_200 })], { ...CLEAN_CONCURRENT, ...concurrent });

    // Assess
    expect(broken.join('\n')).toContain(expected);
  });

  it('breaks when our rollback never declared recovery or the seed baseline did not finish', () => {
    // Act
    const broken = brokenRuns([recovery({ baselineRecovered: false })], CLEAN_CONCURRENT);

    // Assess
    expect(broken).toEqual(['deployment-failed (ours): recovery was never declared', 'deployment-failed (seed baseline): did not recover']);
  });
});
