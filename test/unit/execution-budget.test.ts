import { describe, expect, it } from 'vitest';
import { assertExecutionBudget, backoffSeconds, executionBudget, taskBudget, taskBudgets } from '../../statemachine/budget';

const RETRY = { ErrorEquals: ['TransientAwsError'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2, MaxDelaySeconds: 20 };

describe("a Task's retry budget, read from its Retry blocks", () => {
  it.each([
    { retrier: RETRY, seconds: 1 + 2 + 4 + 8 + 16 },
    { retrier: { ...RETRY, MaxDelaySeconds: 5 }, seconds: 1 + 2 + 4 + 5 + 5 },
    { retrier: { ErrorEquals: ['States.ALL'] }, seconds: 1 + 2 + 4 },
    { retrier: { ...RETRY, MaxAttempts: 0 }, seconds: 0 },
  ])('waits at most $seconds s between the attempts of $retrier', ({ retrier, seconds }) => {
    // Act / Assess
    expect(backoffSeconds(retrier)).toBe(seconds);
  });

  it('counts every attempt of every retrier at the shorter of the state and function timeouts', () => {
    // Act
    const budget = taskBudget(
      'UpdateService',
      { Type: 'Task', Resource: 'fn', TimeoutSeconds: 60, Retry: [RETRY, { ErrorEquals: ['Lambda.Unknown'], MaxAttempts: 2, IntervalSeconds: 3 }] },
      50,
    );

    // Assess
    expect(budget).toEqual({ state: 'UpdateService', resource: 'fn', attempts: 8, attemptSeconds: 50, seconds: 8 * 50 + 31 + 3 + 6 });
  });

  it('refuses a Task whose attempts have no end', () => {
    // Act / Assess
    expect(() => taskBudget('Hang', { Type: 'Task', Resource: 'fn' })).toThrow(/Hang has no TimeoutSeconds/);
  });

  it('counts a function behind several Task states (the Notify states) once, at its costliest', () => {
    // Act
    const budgets = taskBudgets({
      States: {
        NotifySuccess: { Type: 'Task', Resource: '${Notify}', TimeoutSeconds: 60, Retry: [RETRY] },
        NotifyFailure: { Type: 'Task', Resource: '${Notify}', TimeoutSeconds: 60, Retry: [{ ...RETRY, MaxAttempts: 8 }] },
        Route: { Type: 'Choice' },
      },
    });

    // Assess
    expect(budgets.map((b) => [b.state, b.attempts])).toEqual([['NotifyFailure', 9]]);
  });
});

describe('the invariant lock TTL ≥ TimeoutSeconds ≥ stabilisation + probe + every retry budget', () => {
  const budget = executionBudget(
    { States: { Prepare: { Type: 'Task', Resource: 'p', TimeoutSeconds: 60, Retry: [RETRY] }, Probe: { Type: 'Task', Resource: 'h', TimeoutSeconds: 900 } } },
    { stabilizationTimeoutSeconds: 900, pollIntervalSeconds: 15 },
    (resource) => (resource === 'h' ? 155 : 50),
  );

  it('adds the stabilisation window, its last wait and every Task', () => {
    // Assess
    expect(budget.requiredSeconds).toBe(900 + 15 + (6 * 50 + 31) + 155);
  });

  it('holds for a lock that outlives the timeout that outlives the worst case', () => {
    // Act / Assess
    expect(() => assertExecutionBudget(7200, 1500, budget)).not.toThrow();
  });

  it('names the figures when the timeout is shorter than the worst case', () => {
    // Act / Assess
    expect(() => assertExecutionBudget(7200, 1200, budget)).toThrow(
      "the state machine's TimeoutSeconds (1200 s) is shorter than an execution's worst case: stabilisation 900 s + last poll 15 s + Prepare 331 s (6 × 50 s + backoff) + Probe 155 s (1 × 155 s + backoff) = 1401 s",
    );
  });

  it('names the figures when the lock would expire under a running execution', () => {
    // Act / Assess
    expect(() => assertExecutionBudget(1350, 1500, budget)).toThrow(/lockTtlSeconds \(1350 s\) is shorter than an execution's worst case up to ReleaseLock \(1401 s\)/);
  });
});

describe('the digest wait after ReleaseLock', () => {
  const withDigest = executionBudget(
    {
      States: {
        Prepare: { Type: 'Task', Resource: 'p', TimeoutSeconds: 60, Retry: [RETRY] },
        NotifySuccess: { Type: 'Task', Resource: 'n', TimeoutSeconds: 60 },
        SendDigest: { Type: 'Task', Resource: 'n', TimeoutSeconds: 60, Parameters: { kind: 'digest' } },
      },
    },
    { stabilizationTimeoutSeconds: 900, pollIntervalSeconds: 15, digestWindowSeconds: 300 },
    () => 50,
  );

  it('counts SendDigest besides the Notify it shares a function with, and the window, in the timeout but not in the lock', () => {
    // Assess
    expect(withDigest.tasks.map((t) => t.state)).toEqual(['Prepare', 'NotifySuccess', 'SendDigest']);
    expect(withDigest.lockedSeconds).toBe(900 + 15 + (6 * 50 + 31) + 50);
    expect(withDigest.requiredSeconds).toBe(withDigest.lockedSeconds + 300 + 50);
    expect(() => assertExecutionBudget(withDigest.lockedSeconds, withDigest.requiredSeconds, withDigest)).not.toThrow();
    expect(() => assertExecutionBudget(7200, withDigest.lockedSeconds, withDigest)).toThrow(/shorter than an execution's worst case/);
  });
});
