import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIn, startStandIn } from '../../local/stand-in/index';
import { ECS_REQUEST_LIMITS, RequestThrottle, UNLISTED_ACTION_LIMIT } from '../../local/stand-in/throttling';
import { retryDelayMs } from '../../statemachine/local';

describe('ECS request throttling as token buckets on the modelled clock', () => {
  it('lets a full bucket of DescribeClusters through in one instant, throttles the next, and refills 20 per modelled second', () => {
    // Prepare
    let now = 0;
    const throttle = new RequestThrottle(() => now);

    // Act
    const burst = Array.from({ length: 51 }, () => throttle.take('DescribeClusters'));
    now += 1000;
    const afterOneSecond = Array.from({ length: 21 }, () => throttle.take('DescribeClusters'));

    // Assess
    expect(burst.filter(Boolean)).toHaveLength(50);
    expect(burst.at(-1)).toBe(false);
    expect(afterOneSecond.filter(Boolean)).toHaveLength(20);
    expect(throttle.counts.get('DescribeClusters')).toEqual({ calls: 72, throttled: 2 });
  });

  it('never holds more than the bucket, however long it rested', () => {
    // Prepare
    let now = 0;
    const throttle = new RequestThrottle(() => now);
    throttle.take('UpdateService');
    now += 3_600_000;

    // Act
    const burst = Array.from({ length: 60 }, () => throttle.take('UpdateService'));

    // Assess
    expect(burst.filter(Boolean)).toHaveLength(throttle.limitOf('UpdateService').capacity);
  });

  it('shares one bucket between the actions of a category: ListTasks finds it empty after DescribeTasks drained it', () => {
    // Prepare
    let now = 0;
    const throttle = new RequestThrottle(() => now);
    const capacity = throttle.limitOf('DescribeTasks').capacity;
    for (let i = 0; i < capacity; i += 1) throttle.take('DescribeTasks');

    // Act
    const listTasks = throttle.take('ListTasks');
    const describeServices = throttle.take('DescribeServices');
    now += 1000;
    const afterOneSecond = Array.from({ length: 25 }, () => throttle.take('ListTasks'));

    // Assess
    expect(throttle.limitOf('ListTasks')).toBe(throttle.limitOf('DescribeTasks'));
    expect(listTasks).toBe(false);
    expect(describeServices).toBe(true);
    expect(afterOneSecond.filter(Boolean)).toHaveLength(throttle.limitOf('ListTasks').refillPerSecond);
  });

  it('gives every ECS action the rollback calls a bucket of the guide, and labels an unlisted action as an estimate', () => {
    // Prepare
    const called = [
      'DescribeServices',
      'UpdateService',
      'ListTasks',
      'DescribeTasks',
      'DescribeTaskDefinition',
      'RegisterTaskDefinition',
      'ListServiceDeployments',
      'DescribeServiceDeployments',
      'DescribeServiceRevisions',
      'TagResource',
      'ListTagsForResource',
    ];
    const throttle = new RequestThrottle(() => 0);

    // Act
    const unlisted = called.filter((action) => throttle.limitOf(action) === UNLISTED_ACTION_LIMIT);
    const estimated = ECS_REQUEST_LIMITS.filter((limit) => limit.estimate !== undefined);

    // Assess
    expect(unlisted).toEqual([]);
    expect(estimated).toEqual([]);
    expect(throttle.limitOf('StopServiceDeployment')).toBe(UNLISTED_ACTION_LIMIT);
    expect(UNLISTED_ACTION_LIMIT.estimate).toMatch(/^estimate/);
  });
});

describe('the stand-in with throttling', () => {
  let standIn: StandIn;
  let ecs: ECSClient;

  beforeAll(async () => {
    standIn = await startStandIn({ speed: 0, riderapp: {}, throttling: true });
    ecs = new ECSClient(standIn.clientConfig({ maxAttempts: 1 }));
  });

  afterAll(async () => {
    ecs.destroy();
    await standIn.stop();
  });

  it('answers ThrottlingException once the DescribeServices bucket is empty, and serves again after modelled time passes', async () => {
    // Prepare
    const capacity = standIn.throttle?.limitOf('DescribeServices').capacity ?? 0;
    const describe = () => ecs.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] }));
    for (let i = 0; i < capacity; i += 1) await describe();

    // Act
    const throttled = await describe().then(
      () => undefined,
      (error: { name: string }) => error.name,
    );
    standIn.advance(1000);
    const after = await describe();

    // Assess
    expect(throttled).toBe('ThrottlingException');
    expect(after.services?.[0]?.serviceName).toBe('riderapp-service');
    expect(standIn.calls.all().filter((c) => c.errorCode === 'ThrottlingException')).toHaveLength(1);
  });

  it('throttles each category in its own bucket: UpdateService is not refused because DescribeServices ran dry', async () => {
    // Prepare
    const limit = standIn.throttle?.limitOf('DescribeServices');
    for (let i = 0; i < (limit?.capacity ?? 0) + 1; i += 1) {
      await ecs.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] })).catch(() => undefined);
    }

    // Act
    const update = await ecs.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', desiredCount: 3 }));

    // Assess
    expect(update.service?.desiredCount).toBe(3);
  });
});

describe('Step Functions Retry backoff in modelled time', () => {
  const retry = [
    { ErrorEquals: ['TransientAwsError'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2, MaxDelaySeconds: 20, JitterStrategy: 'FULL' as const },
  ];

  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, 20_000],
  ])('waits up to IntervalSeconds × BackoffRate^(n-1), capped at MaxDelaySeconds: attempt %i at most %i ms', (attempt, max) => {
    // Act
    const full = retryDelayMs(retry, 'TransientAwsError', attempt, () => 0.999_999);
    const none = retryDelayMs(retry, 'TransientAwsError', attempt, () => 0);

    // Assess
    expect(full).toBe(max);
    expect(none).toBe(0);
  });

  it('waits nothing for an error no Retry matches', () => {
    expect(retryDelayMs(retry, 'ValidationError', 1, () => 0.5)).toBe(0);
  });
});
