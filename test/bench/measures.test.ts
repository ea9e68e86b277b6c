import { describe, expect, it } from 'vitest';
import { measureRun, percentile, quantiles } from '../../bench/measures';
import type { ModelTransition } from '../../local/stand-in/index';

const SERVICE = 'arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service';
const S = 1000;

type Behaviour = 'good' | 'bad' | 'regression';

/** A small story builder: tasks of deployments, their lifecycle and target health, in seconds. */
class Story {
  public readonly history: ModelTransition[] = [];

  public primary(at: number, deploymentId: string): this {
    this.history.push({ kind: 'primary', at: at * S, serviceArn: SERVICE, deploymentId, taskDefinitionArn: `td-${deploymentId}` });
    return this;
  }

  public task(id: string, deploymentId: string, behaviour: Behaviour, status: 'PROVISIONING' | 'RUNNING' | 'FAILED' | 'STOPPED', at: number): this {
    this.history.push({ kind: 'task', at: at * S, taskArn: id, serviceArn: SERVICE, deploymentId, taskDefinitionArn: `td-${deploymentId}`, behaviour, status });
    return this;
  }

  public target(id: string, state: 'healthy' | 'unhealthy' | 'draining', at: number): this {
    this.history.push({ kind: 'target', at: at * S, taskArn: id, serviceArn: SERVICE, state });
    return this;
  }

  public mark(id: string, kind: 'failing' | 'check-failed', at: number): this {
    this.history.push({ kind, at: at * S, taskArn: id, serviceArn: SERVICE });
    return this;
  }

  /** riderapp:14's three tasks, serving since long before the story. */
  public static steady(): Story {
    const story = new Story().primary(-1000, 'd14');
    for (const id of ['old-1', 'old-2', 'old-3']) story.task(id, 'd14', 'good', 'PROVISIONING', -1000).task(id, 'd14', 'good', 'RUNNING', -950).target(id, 'healthy', -800);
    return story;
  }
}

describe('measureRun: what users feel, from the stand-in history', () => {
  it('deployment-failed: the old tasks keep serving, so no bad service and no capacity lost; recovered counts from the first task that failed to start', () => {
    // Prepare
    const story = Story.steady().primary(0, 'd15');
    for (const id of ['bad-1', 'bad-2', 'bad-3']) story.task(id, 'd15', 'bad', 'PROVISIONING', 0).task(id, 'd15', 'bad', 'FAILED', 40);
    story.primary(45, 'd14b');
    for (const id of ['new-1', 'new-2', 'new-3']) story.task(id, 'd14b', 'good', 'PROVISIONING', 45).task(id, 'd14b', 'good', 'RUNNING', 100).target(id, 'healthy', 250);
    for (const id of ['old-1', 'old-2', 'old-3']) story.target(id, 'draining', 250).task(id, 'd14', 'good', 'STOPPED', 550);

    // Act
    const measured = measureRun({ history: story.history, serviceArn: SERVICE, desiredCount: 3, deployedAt: 0, detectionAt: 41 * S });

    // Assess
    expect(measured).toMatchObject({ badServiceWindowMs: 0, recoveredMs: 210 * S, tasksStarted: 6, tasksStopped: 6, capacityLostTaskSeconds: 0 });
    expect(measured?.moments).toEqual({ deployed: 0, firstFailure: 40 * S, detection: 41 * S, ecsStart: 45 * S, healthy: 250 * S, drained: 550 * S });
  });

  it('alarm-after-deploy: bad service from the first failing request until the good version serves at full capacity, and the capacity it cost', () => {
    // Prepare: riderapp:15 replaced the old tasks, then starts failing at 400 s
    const story = Story.steady().primary(0, 'd15');
    for (const id of ['v15-1', 'v15-2', 'v15-3']) story.task(id, 'd15', 'regression', 'PROVISIONING', 0).task(id, 'd15', 'regression', 'RUNNING', 50).target(id, 'healthy', 100);
    for (const id of ['old-1', 'old-2', 'old-3']) story.target(id, 'draining', 100).task(id, 'd14', 'good', 'STOPPED', 400);
    for (const id of ['v15-1', 'v15-2', 'v15-3']) story.mark(id, 'failing', 400).mark(id, 'check-failed', 410).target(id, 'unhealthy', 440);
    story.primary(600, 'd14b');
    for (const id of ['new-1', 'new-2', 'new-3']) story.task(id, 'd14b', 'good', 'PROVISIONING', 600).task(id, 'd14b', 'good', 'RUNNING', 650).target(id, 'healthy', 800);
    for (const id of ['v15-1', 'v15-2', 'v15-3']) story.target(id, 'draining', 600).task(id, 'd15', 'regression', 'STOPPED', 900);

    // Act
    const measured = measureRun({ history: story.history, serviceArn: SERVICE, desiredCount: 3, deployedAt: 0 });

    // Assess
    expect(measured).toMatchObject({ badServiceWindowMs: 400 * S, recoveredMs: 390 * S, tasksStarted: 6, tasksStopped: 6, capacityLostTaskSeconds: 3 * 400 });
    expect(measured?.moments.drained).toBe(900 * S);
  });

  it('counts capacity lost while fewer good tasks than desired serve, even without a failing request', () => {
    // Prepare: one old task dies at 10 s; the rollback's tasks are healthy at 200 s
    const story = Story.steady().primary(0, 'd15');
    story.task('bad-1', 'd15', 'bad', 'PROVISIONING', 0).task('bad-1', 'd15', 'bad', 'FAILED', 30);
    story.target('old-1', 'draining', 10).task('old-1', 'd14', 'good', 'STOPPED', 10);
    story.primary(50, 'd14b');
    for (const id of ['new-1', 'new-2', 'new-3']) story.task(id, 'd14b', 'good', 'PROVISIONING', 50).target(id, 'healthy', 200);

    // Act
    const measured = measureRun({ history: story.history, serviceArn: SERVICE, desiredCount: 3, deployedAt: 0 });

    // Assess
    expect(measured?.badServiceWindowMs).toBe(190 * S);
    expect(measured?.capacityLostTaskSeconds).toBe(190);
  });

  it('is undefined when the service never comes back on a good version (e.g. ECS circuit breaker on a regression)', () => {
    // Prepare
    const story = Story.steady().primary(0, 'd15');
    for (const id of ['v15-1', 'v15-2', 'v15-3']) story.task(id, 'd15', 'regression', 'PROVISIONING', 0).target(id, 'healthy', 100).mark(id, 'failing', 400).mark(id, 'check-failed', 410);

    // Act
    const measured = measureRun({ history: story.history, serviceArn: SERVICE, desiredCount: 3, deployedAt: 0 });

    // Assess
    expect(measured).toBeUndefined();
  });

  it("ignores another service's history", () => {
    // Prepare
    const story = Story.steady().primary(0, 'd15');
    story.task('bad-1', 'd15', 'bad', 'PROVISIONING', 0).task('bad-1', 'd15', 'bad', 'FAILED', 40).primary(45, 'd14b');
    for (const id of ['new-1', 'new-2', 'new-3']) story.task(id, 'd14b', 'good', 'PROVISIONING', 45).target(id, 'healthy', 250);
    const other = story.history.map((e) => ({ ...e, serviceArn: `${SERVICE}-other`, at: e.at + 5 * S }));

    // Act
    const measured = measureRun({ history: [...other, ...story.history], serviceArn: SERVICE, desiredCount: 3, deployedAt: 0 });

    // Assess
    expect(measured?.recoveredMs).toBe(210 * S);
    expect(measured?.tasksStarted).toBe(4);
  });
});

describe('percentiles', () => {
  const thirty = Array.from({ length: 30 }, (_, i) => 30 - i);

  it('takes the nearest rank: p50 of 1..30 is 15, p90 is 27, p95 is 29', () => {
    // Act
    const result = quantiles(thirty);

    // Assess
    expect(result).toEqual({ p50: 15, p90: 27, p95: 29 });
  });

  it('leaves p95 out with fewer than 20 runs, and p0 / p100 are the extremes', () => {
    // Act
    const few = quantiles([3, 1, 2]);

    // Assess
    expect(few).toEqual({ p50: 2, p90: 3 });
    expect(percentile(thirty, 0)).toBe(1);
    expect(percentile(thirty, 100)).toBe(30);
  });

  it('refuses an empty list and a p outside 0–100, naming it', () => {
    // Act / Assess
    expect(() => percentile([], 50)).toThrow('percentile: no values');
    expect(() => percentile([1], 101)).toThrow('p must be within 0–100, got 101');
  });
});
