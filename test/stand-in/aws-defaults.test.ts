import { describe, expect, it } from 'vitest';
import { firstFailureAt, runUntil, stage } from '../../bench/sides';
import { AWS_TIMINGS } from '../../local/stand-in/aws-timings';
import { AwsModel, ModelClock, type ModelTransition, seedRiderapp, type StandInEvent, type Timings } from '../../local/stand-in/index';

const START = Date.parse('2026-01-05T12:00:00Z');
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';

function world(seed: number, options: { v15?: 'bad' | 'regression'; timings?: Partial<Timings>; deploymentAlarms?: boolean } = {}) {
  const model = new AwsModel({ clock: new ModelClock({ speed: 0, start: START }), seed, ...(options.timings === undefined ? {} : { timings: options.timings }) });
  const riderapp = seedRiderapp(model, { v15Behaviour: options.v15 ?? 'bad' });
  if (options.deploymentAlarms === true) {
    const service = model.getService(CLUSTER, SERVICE);
    service.deploymentConfiguration = { ...service.deploymentConfiguration, alarms: { alarmNames: [riderapp.alarmName], enable: true, rollback: true } };
  }
  return { model, riderapp };
}

/** Deploys riderapp:13 (a good image) and returns each new task's RUNNING and healthy moments. */
function goodDeployment(seed: number, timings?: Partial<Timings>): { running: number; healthy: number }[] {
  const { model } = world(seed, timings === undefined ? {} : { timings });
  const deployedAt = model.now();
  model.deploy(CLUSTER, SERVICE, 'riderapp:13');
  runUntil(model, () => model.summary(CLUSTER, SERVICE).steady, deployedAt + 3_600_000);
  const tasks = new Map<string, { running?: number; healthy?: number }>();
  for (const e of model.history.filter((h) => h.at >= deployedAt)) {
    if (e.kind === 'task' && e.status === 'RUNNING' && e.deploymentId !== undefined) tasks.set(e.taskArn, { ...tasks.get(e.taskArn), running: e.at });
    if (e.kind === 'target' && e.state === 'healthy') tasks.set(e.taskArn, { ...tasks.get(e.taskArn), healthy: e.at });
  }
  return [...tasks.values()].filter((t) => t.running !== undefined && t.healthy !== undefined).map((t) => ({ running: t.running! - deployedAt, healthy: t.healthy! - deployedAt }));
}

describe("the stand-in's defaults are AWS's", () => {
  it('gives new target groups the ALB defaults: 30 s interval, 6 s timeout, healthy after 5, unhealthy after 2, 300 s deregistration delay', () => {
    // Act
    const { model, riderapp } = world(1);
    const tg = model.findTargetGroup(riderapp.targetGroupArn)!;

    // Assess
    expect(tg).toMatchObject({
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 6,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      deregistrationDelaySeconds: 300,
    });
    expect(AWS_TIMINGS.healthyThresholdCount.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it('starts Fargate tasks within the estimated range and turns each target healthy within the last interval before 30 s × 5, at a phase of its own', () => {
    // Act
    const tasks = [1, 2, 3, 4, 5, 6].flatMap((seed) => goodDeployment(seed));

    // Assess
    expect(tasks).toHaveLength(18);
    for (const { running, healthy } of tasks) {
      expect(running).toBeGreaterThanOrEqual(30_000);
      expect(running).toBeLessThanOrEqual(75_000);
      expect(healthy - running).toBeGreaterThanOrEqual(120_000);
      expect(healthy - running).toBeLessThanOrEqual(150_000);
    }
    const phases = new Set(tasks.map(({ running, healthy }) => Math.round((healthy - running) / 1000)));
    expect(phases.size).toBeGreaterThan(10);
  });

  it('repeats the same draws for the same seed and others for another seed', () => {
    // Act / Assess
    expect(goodDeployment(7)).toEqual(goodDeployment(7));
    expect(goodDeployment(7)).not.toEqual(goodDeployment(8));
  });

  it('turns targets healthy at exactly interval × threshold after they start when a scenario fixes the phase and the start time', () => {
    // Act
    const tasks = goodDeployment(3, { fargateStartMs: { min: 60_000, max: 60_000 }, healthCheckPhase: { min: 1, max: 1 }, healthyThresholdCount: 2 });

    // Assess
    expect(tasks).toEqual([
      { running: 60_000, healthy: 120_000 },
      { running: 60_000, healthy: 120_000 },
      { running: 60_000, healthy: 120_000 },
    ]);
  });
});

describe('CloudWatch alarm evaluation', () => {
  const alarmEvent = (events: readonly StandInEvent[]) => events.find((e) => e['detail-type'] === 'CloudWatch Alarm State Change' && e.detail.state.value === 'ALARM');

  it('goes into ALARM only after 2 one-minute datapoints with unhealthy targets reached CloudWatch, minutes after the first failed health check', () => {
    for (const seed of [1, 2, 3, 4]) {
      // Prepare: targets that stay unhealthy (ECS's replacement of unhealthy tasks off), to see CloudWatch's evaluation alone
      const { model } = world(seed, { v15: 'regression', timings: { unhealthyTaskStopMs: undefined } });

      // Act
      const { deployedAt, event } = stage(model, 'alarm-after-deploy');
      const failedCheck = firstFailureAt(model.history, deployedAt)!;
      const unhealthy = model.history.find((e): e is Extract<ModelTransition, { kind: 'target' }> => e.kind === 'target' && e.state === 'unhealthy')!.at;

      // Assess
      const alarmAt = Date.parse(event.time);
      expect(unhealthy - failedCheck).toBe(30_000);
      // the minute the target turned unhealthy and the next one, each published 30–90 s after it ends, evaluated once a minute
      const secondMinuteEnds = Math.floor(unhealthy / 60_000) * 60_000 + 120_000;
      expect(alarmAt).toBeGreaterThanOrEqual(secondMinuteEnds + 30_000);
      expect(alarmAt).toBeLessThanOrEqual(secondMinuteEnds + 90_000 + 60_000);
      expect(alarmEvent(model.emitted)).toBe(event);
    }
  });

  it('by default sees an unhealthy target only until ECS stops its task (15 s): ALARM only once two consecutive minutes each saw one, published and evaluated after', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      // Prepare: the default world, where ECS replaces a task whose target turned unhealthy (AWS_TIMINGS.unhealthyTaskStopSeconds)
      const { model } = world(seed, { v15: 'regression' });

      // Act
      const { deployedAt, event } = stage(model, 'alarm-after-deploy');

      // Assess: each unhealthy target lasts the estimate, then drains; the minutes in which one was unhealthy
      const targets = model.history.filter((e): e is Extract<ModelTransition, { kind: 'target' }> => e.kind === 'target' && e.at >= deployedAt);
      const minutes = new Set<number>();
      for (const [i, e] of targets.entries()) {
        if (e.state !== 'unhealthy') continue;
        const next = targets.slice(i + 1).find((t) => t.taskArn === e.taskArn)!;
        expect(next).toMatchObject({ state: 'draining', at: e.at + AWS_TIMINGS.unhealthyTaskStopSeconds.value * 1000 });
        for (let m = Math.floor(e.at / 60_000); m <= Math.floor((next.at - 1) / 60_000); m++) minutes.add(m);
      }
      const alarmAt = Date.parse(event.time);
      const secondOfTwo = [...minutes].sort((a, b) => a - b).find((m) => minutes.has(m - 1))!;
      expect(secondOfTwo).toBeDefined();
      expect(alarmAt).toBeGreaterThanOrEqual((secondOfTwo + 1) * 60_000 + 30_000);
      expect(alarmAt).toBeLessThanOrEqual((secondOfTwo + 1) * 60_000 + 90_000 + 60_000);
    }
  });

  it("by default stops the regressed tasks only after riderapp:15's deployment COMPLETED (the circuit breaker no longer watches), and replaces them with riderapp:15 tasks", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      // Prepare
      const { model } = world(seed, { v15: 'regression' });

      // Act
      const { deployedAt, event } = stage(model, 'alarm-after-deploy');

      // Assess
      const completed = model.emitted.find((e) => e['detail-type'] === 'ECS Deployment State Change' && e.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED' && Date.parse(e.time) >= deployedAt);
      const v15 = model.history.filter((e): e is Extract<ModelTransition, { kind: 'task' }> => e.kind === 'task' && e.at >= deployedAt && e.taskDefinitionArn.endsWith('riderapp:15'));
      const firstStop = v15.find((e) => e.status === 'STOPPING')!;
      expect(completed).toBeDefined();
      expect(Date.parse(completed!.time)).toBeLessThan(firstStop.at);
      const started = new Set(v15.filter((e) => e.status === 'PROVISIONING').map((e) => e.taskArn));
      expect(started.size).toBeGreaterThan(3);
      expect(firstStop.at).toBeLessThan(Date.parse(event.time));
    }
  });

  it('stays OK with a single datapoint out of two when the alarm needs 2 of 2 (one unhealthy minute)', () => {
    // Prepare: the regression is replaced by the rollback within a minute of turning unhealthy
    const { model } = world(2, { v15: 'regression' });
    model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    const deployedAt = model.now();
    runUntil(model, () => model.history.some((e) => e.kind === 'target' && e.state === 'unhealthy'), deployedAt + 3_600_000);

    // Act
    model.deploy(CLUSTER, SERVICE, 'riderapp:14');
    runUntil(model, () => false, model.now() + 15 * 60_000);

    // Assess: ECS stops unhealthy old tasks at once, so only one minute saw unhealthy targets
    expect(model.history.filter((e) => e.kind === 'target' && e.state === 'unhealthy').length).toBeGreaterThan(0);
    expect(alarmEvent(model.emitted)).toBeUndefined();
  });
});

describe('ECS deployment alarms', () => {
  it('keep the deployment IN_PROGRESS through the bake time after steady state, then COMPLETED', () => {
    // Prepare
    const { model } = world(1, { deploymentAlarms: true });
    model.deploy(CLUSTER, SERVICE, 'riderapp:13');
    const deployedAt = model.now();

    // Act
    runUntil(model, () => model.history.some((e) => e.kind === 'task' && e.status === 'STOPPED' && e.at > deployedAt && e.deploymentId !== model.getService(CLUSTER, SERVICE).deployments[0]!.id) && model.summary(CLUSTER, SERVICE).runningCount === 3, deployedAt + 3_600_000);
    const steadyAt = model.now();
    const during = model.summary(CLUSTER, SERVICE).deployments[0]!.rolloutState;
    runUntil(model, () => model.summary(CLUSTER, SERVICE).deployments[0]!.rolloutState === 'COMPLETED', deployedAt + 3_600_000);

    // Assess
    expect(during).toBe('IN_PROGRESS');
    expect(model.now() - steadyAt).toBeGreaterThanOrEqual(AWS_TIMINGS.ecsBakeTimeSeconds.value * 1000 - 60_000);
  });

  it('fail a deployment whose alarm goes into ALARM during the bake time and roll back to the last completed one', () => {
    // Prepare
    const { model } = world(3, { v15: 'regression', deploymentAlarms: true });

    // Act
    const { event } = stage(model, 'alarm-after-deploy');
    runUntil(model, () => model.summary(CLUSTER, SERVICE).taskDefinition.endsWith('riderapp:14') && model.summary(CLUSTER, SERVICE).targets.healthy === 3, Date.parse(event.time) + 3_600_000);

    // Assess
    const failed = model.emitted.filter((e) => e['detail-type'] === 'ECS Deployment State Change' && e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ reason: 'ECS deployment alarms: alarm riderapp-unhealthy-hosts is in ALARM.' });
    expect(Date.parse(failed[0]!.time) - Date.parse(event.time)).toBeLessThanOrEqual(60_000);
    expect(model.summary(CLUSTER, SERVICE).taskDefinition).toMatch(/riderapp:14$/);
  });

  it('do nothing once the deployment COMPLETED: the same regression after the bake time stays', () => {
    // Prepare
    const { model } = world(3, { v15: 'regression', deploymentAlarms: true, timings: { ecsBakeTimeMs: 60_000 } });

    // Act
    const { event } = stage(model, 'alarm-after-deploy');
    runUntil(model, () => false, Date.parse(event.time) + 30 * 60_000);

    // Assess
    expect(model.emitted.some((e) => e['detail-type'] === 'ECS Deployment State Change' && e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED')).toBe(false);
    expect(model.summary(CLUSTER, SERVICE).taskDefinition).toMatch(/riderapp:15$/);
  });
});
