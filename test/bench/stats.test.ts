import { describe, expect, it } from 'vitest';
import { countBy, median, notExactlyOnce, peakPerWindow, transitionCostUsd } from '../../bench/stats';

describe('median of load-time samples', () => {
  it.each([
    { samples: [41, 12, 30], expected: 30 },
    { samples: [41, 12, 30, 20], expected: 25 },
    { samples: [7], expected: 7 },
  ])('is $expected for $samples', ({ samples, expected }) => {
    // Act
    const result = median(samples);

    // Assess
    expect(result).toBe(expected);
  });

  it('refuses an empty list instead of reporting 0 ms', () => {
    // Act / Assess
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('Step Functions Standard cost of a rollback', () => {
  it('charges $0.025 per 1,000 transitions: 63 transitions cost $0.001575', () => {
    // Act
    const cost = transitionCostUsd(63);

    // Assess
    expect(cost).toBeCloseTo(0.001575, 9);
  });
});

describe('peak calls per second', () => {
  it('counts the busiest one-second window, not calendar seconds', () => {
    // Prepare: 3 calls straddle a second boundary (900, 1000, 1100 ms), 2 more far later
    const times = [900, 1000, 1100, 5000, 5999];

    // Act
    const peak = peakPerWindow(times, 1000);

    // Assess
    expect(peak).toBe(3);
  });

  it('is 0 without calls', () => {
    // Act / Assess
    expect(peakPerWindow([])).toBe(0);
  });
});

describe('lost or duplicated rollbacks', () => {
  it('names the service updated twice and the one never updated', () => {
    // Prepare
    const services = ['riderapp-svc-01', 'riderapp-svc-02', 'riderapp-svc-03'];
    const updates = ['riderapp-svc-01', 'riderapp-svc-03', 'riderapp-svc-01'];

    // Act
    const wrong = notExactlyOnce(services, updates);

    // Assess
    expect(wrong).toEqual([
      ['riderapp-svc-01', 2],
      ['riderapp-svc-02', 0],
    ]);
  });

  it('reports nothing when every service was updated exactly once', () => {
    // Act / Assess
    expect(notExactlyOnce(['a', 'b'], ['b', 'a'])).toEqual([]);
  });
});

describe('API calls by operation', () => {
  it('sorts the busiest operation first', () => {
    // Act
    const counts = countBy(['ECS DescribeServices', 'SNS Publish', 'ECS DescribeServices'], (k) => k);

    // Assess
    expect(counts).toEqual([
      ['ECS DescribeServices', 2],
      ['SNS Publish', 1],
    ]);
  });
});
