import { describe, expect, it } from 'vitest';
import { estimates, sensitivityOverrides } from '../../bench/compare';
import { AWS_TIMINGS } from '../../local/stand-in/aws-timings';

describe('sensitivity rows', () => {
  it('plans a bench run for every value of every estimate of the timing table, so BENCHMARKS.md has a row for each', () => {
    // Act
    const unplanned = estimates().flatMap(([key, values]) => values.filter((value) => sensitivityOverrides(key, value) === undefined).map((value) => `${key}=${JSON.stringify(value)}`));

    // Assess
    expect(unplanned).toEqual([]);
    expect(estimates().map(([key]) => key)).toEqual(expect.arrayContaining(['humanReportMinutes', 'humanStartMinutes', 'fargateStartSeconds']));
  });

  it("tries ECS's stop of unhealthy tasks at 5 s, 60 s and never, on every side of alarm-after-deploy at once: the task-stop detector and the alarm path alike", () => {
    // Act
    const plans = AWS_TIMINGS.unhealthyTaskStopSeconds.estimate.sensitivity.map((value) => [value, sensitivityOverrides('unhealthyTaskStopSeconds', value)] as const);

    // Assess
    expect(plans.map(([value]) => value)).toEqual([5, 60, 'never']);
    for (const [value, plan] of plans) {
      expect(plan?.scenario).toBe('alarm-after-deploy');
      expect(plan?.sides).toEqual(['ours', 'oursTaskDetector', 'ecsDeploymentAlarms', 'seed', 'floor']);
      expect(plan?.overrides.timings).toEqual({ unhealthyTaskStopMs: value === 'never' ? undefined : value * 1000 });
    }
    expect(AWS_TIMINGS.unhealthyTaskStopSeconds).toMatchObject({ value: 15, unit: 's', source: expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\/AmazonECS\//) });
  });

  it('tries the seed reaction at 1, 5 and 15 minutes', () => {
    expect(AWS_TIMINGS.humanReportMinutes.estimate.sensitivity).toEqual([1, 5, 15]);
  });
});
