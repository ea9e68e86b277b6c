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

  it('tries the seed reaction at 1, 5 and 15 minutes', () => {
    expect(AWS_TIMINGS.humanReportMinutes.estimate.sensitivity).toEqual([1, 5, 15]);
  });
});
