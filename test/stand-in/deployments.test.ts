import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RiderappSeedOptions, type StandIn, type StandInEvent, startStandIn, type Timings } from '../../local/stand-in/index';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const SECOND = 1_000;

let standIn: StandIn | undefined;
let clients: { ecs: ECSClient; elbv2: ElasticLoadBalancingV2Client } | undefined;

/**
 * Fixed timings instead of AWS's draws, so every moment below is exact: Fargate start 60 s, each
 * target's first check one interval after registration, healthy after 2 checks, ALB datapoints
 * without delay (test/stand-in/aws-defaults.test.ts covers the AWS defaults and their draws).
 */
const FIXED_TIMINGS = {
  fargateStartMs: { min: 60_000, max: 60_000 },
  healthCheckPhase: { min: 1, max: 1 },
  healthyThresholdCount: 2,
  metricDelayMs: { min: 0, max: 0 },
} as const;

async function start(seed: RiderappSeedOptions = {}, timings: Partial<Timings> = {}) {
  standIn = await startStandIn({ speed: 0, riderapp: seed, start: Date.parse('2025-06-02T09:00:00Z'), timings: { ...FIXED_TIMINGS, ...timings } });
  const config = standIn.clientConfig({ maxAttempts: 1 });
  clients = { ecs: new ECSClient(config), elbv2: new ElasticLoadBalancingV2Client(config) };
  const events: StandInEvent[] = [];
  standIn.onEvent((event) => events.push(event));
  return { standIn, ...clients, events };
}

afterEach(async () => {
  clients?.ecs.destroy();
  clients?.elbv2.destroy();
  await standIn?.stop();
  standIn = undefined;
  clients = undefined;
});

async function describeService(ecs: ECSClient): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
  return out.services![0]!;
}

async function targetStates(elbv2: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<string[]> {
  const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? '').sort();
}

/** The ECS Deployment State Change events (the stand-in also emits ECS Task State Change events). */
function deploymentStateChanges(events: StandInEvent[]): StandInEvent[] {
  return events.filter((e) => e['detail-type'] === 'ECS Deployment State Change');
}

function deploymentEvents(events: StandInEvent[]): string[] {
  return deploymentStateChanges(events).map((e) => (e.detail as { eventName: string }).eventName);
}

describe('a deployment of a good image on the modelled clock', () => {
  it('starts tasks, turns them healthy, drains the old ones for 300 s, then completes', async () => {
    // Prepare
    const { standIn, ecs, elbv2, events } = await start();
    const tg = standIn.riderapp!.targetGroupArn;
    standIn.model.pushImage('riderapp', { tags: ['v16'] });
    const current = standIn.model.findTaskDefinition('riderapp:14')!.definition;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        ...(current as unknown as ConstructorParameters<typeof RegisterTaskDefinitionCommand>[0]),
        containerDefinitions: current.containerDefinitions.map((c) =>
          c.name === 'riderapp' ? { ...c, image: `${standIn.riderapp!.repositoryUri}:v16` } : c,
        ) as ConstructorParameters<typeof RegisterTaskDefinitionCommand>[0]['containerDefinitions'],
      }),
    );

    // Act
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:16' }));
    const deploymentId = updated.service!.deployments![0]!.id!;
    const atStart = await describeService(ecs);
    standIn.advance(60 * SECOND);
    const afterStart = await describeService(ecs);
    const targetsAfterStart = await targetStates(elbv2, tg);
    standIn.advance(60 * SECOND);
    const afterHealthy = await describeService(ecs);
    const targetsAfterHealthy = await targetStates(elbv2, tg);
    standIn.advance(299 * SECOND);
    const beforeDrained = await describeService(ecs);
    standIn.advance(1 * SECOND);
    const done = await describeService(ecs);
    const targetsDone = await targetStates(elbv2, tg);

    // Assess
    expect(atStart.deployments?.map((d) => [d.status, d.taskDefinition, d.pendingCount, d.runningCount])).toEqual([
      ['PRIMARY', TD(16), 3, 0],
      ['ACTIVE', TD(14), 0, 3],
    ]);
    expect(afterStart.deployments?.map((d) => [d.status, d.runningCount, d.rolloutState])).toEqual([
      ['PRIMARY', 3, 'IN_PROGRESS'],
      ['ACTIVE', 3, 'COMPLETED'],
    ]);
    expect(targetsAfterStart).toEqual(['healthy', 'healthy', 'healthy', 'initial', 'initial', 'initial']);
    expect(afterHealthy.deployments?.map((d) => [d.status, d.runningCount])).toEqual([
      ['PRIMARY', 3],
      ['ACTIVE', 0],
    ]);
    expect(targetsAfterHealthy).toEqual(['draining', 'draining', 'draining', 'healthy', 'healthy', 'healthy']);
    expect(beforeDrained.deployments?.[0]?.rolloutState).toBe('IN_PROGRESS');
    expect(done.deployments).toHaveLength(1);
    expect(done.deployments?.[0]).toMatchObject({ id: deploymentId, status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 3 });
    expect(targetsDone).toEqual(['healthy', 'healthy', 'healthy']);
    expect(deploymentEvents(events)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED']);
    expect(deploymentStateChanges(events).at(-1)).toMatchObject({
      source: 'aws.ecs',
      resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service'],
      time: '2025-06-02T09:07:00Z',
      detail: { eventType: 'INFO', deploymentId, reason: `ECS deployment ${deploymentId} completed.` },
    });
  });

  it('lists the completed deployment as SUCCESSFUL, with riderapp:16 as its target revision', async () => {
    // Prepare
    const { standIn, ecs } = await start();
    standIn.model.deploy(CLUSTER, SERVICE, 'riderapp:13');
    standIn.advance(420 * SECOND);

    // Act
    const list = await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: SERVICE }));
    const latest = list.serviceDeployments![0]!;
    const detail = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [latest.serviceDeploymentArn!] }));
    const revision = await ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [latest.targetServiceRevisionArn!] }));

    // Assess
    expect(list.serviceDeployments?.map((d) => d.status)).toEqual(['SUCCESSFUL', 'SUCCESSFUL', 'SUCCESSFUL', 'SUCCESSFUL']);
    expect(latest.finishedAt).toEqual(new Date('2025-06-02T09:07:00Z'));
    expect(detail.serviceDeployments?.[0]?.targetServiceRevision).toMatchObject({ requestedTaskCount: 3, runningTaskCount: 3 });
    expect(detail.serviceDeployments?.[0]?.sourceServiceRevisions).toHaveLength(1);
    expect(revision.serviceRevisions?.[0]?.taskDefinition).toBe(TD(13));
  });
});

describe('a deployment of a bad image (riderapp:15)', () => {
  it('fails after three tasks fail to start and emits SERVICE_DEPLOYMENT_FAILED; riderapp:14 keeps serving', async () => {
    // Prepare
    const { standIn, ecs, elbv2, events } = await start();

    // Act
    const deploymentId = standIn.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    standIn.advance(60 * SECOND);
    const service = await describeService(ecs);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, startedBy: deploymentId, desiredStatus: 'STOPPED' }));
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: stopped.taskArns! }));
    const history = await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: SERVICE }));

    // Assess
    expect(service.taskDefinition).toBe(TD(15));
    expect(service.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState, d.runningCount, d.failedTasks])).toEqual([
      ['PRIMARY', TD(15), 'FAILED', 0, 3],
      ['ACTIVE', TD(14), 'COMPLETED', 3, 0],
    ]);
    expect(service.deployments?.[0]?.rolloutStateReason).toBe('ECS deployment circuit breaker: tasks failed to start.');
    expect(await targetStates(elbv2, standIn.riderapp!.targetGroupArn)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(tasks.tasks?.map((t) => [t.lastStatus, t.stopCode, t.stoppedReason])).toEqual(
      Array(3).fill(['STOPPED', 'EssentialContainerExited', 'Essential container in task exited']),
    );
    expect(history.serviceDeployments?.[0]).toMatchObject({ status: 'STOPPED', statusReason: 'ECS deployment circuit breaker: tasks failed to start.' });
    expect(deploymentEvents(events)).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_FAILED']);
    expect(deploymentStateChanges(events).at(-1)).toMatchObject({
      'detail-type': 'ECS Deployment State Change',
      account: '111122223333',
      region: 'us-east-1',
      resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service'],
      detail: { eventType: 'ERROR', eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId, reason: 'ECS deployment circuit breaker: task failed to start.' },
    });
  });

  it('reports ECS tasks that cannot pull an image tag nobody pushed as failed to start', async () => {
    // Prepare
    const { standIn, ecs } = await start();
    const td = standIn.model.registerTaskDefinition({
      family: 'riderapp',
      containerDefinitions: [{ name: 'riderapp', image: `${standIn.riderapp!.repositoryUri}:v99` }],
    });

    // Act
    const deploymentId = standIn.model.deploy(CLUSTER, SERVICE, `riderapp:${td.revision}`);
    standIn.advance(60 * SECOND);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, startedBy: deploymentId, desiredStatus: 'STOPPED' }));
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: stopped.taskArns!.slice(0, 1) }));

    // Assess
    expect(tasks.tasks?.[0]?.stopCode).toBe('TaskFailedToStart');
    expect(tasks.tasks?.[0]?.stoppedReason).toContain('CannotPullContainerError');
    expect((await describeService(ecs)).deployments?.[0]?.rolloutState).toBe('FAILED');
  });

  it("with ECS's own rollback enabled, rolls back to riderapp:14 and shows ROLLBACK statuses", async () => {
    // Prepare
    const { standIn, ecs, events } = await start({ ecsRollback: true });

    // Act
    const failedId = standIn.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    standIn.advance(60 * SECOND);
    const rollingBack = await describeService(ecs);
    const during = await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: SERVICE }));
    standIn.advance(420 * SECOND);
    const after = await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: SERVICE }));
    const detail = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [after.serviceDeployments![0]!.serviceDeploymentArn!] }));
    const final = await describeService(ecs);

    // Assess
    expect(rollingBack.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([
      ['PRIMARY', TD(14), 'IN_PROGRESS'],
      ['ACTIVE', TD(15), 'FAILED'],
      ['ACTIVE', TD(14), 'COMPLETED'],
    ]);
    expect(during.serviceDeployments?.[0]?.status).toBe('ROLLBACK_IN_PROGRESS');
    expect(after.serviceDeployments?.[0]?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(detail.serviceDeployments?.[0]?.rollback?.reason).toMatch(/^ECS deployment circuit breaker: rolling back to deploymentId ecs-svc\/\d{19}\.$/);
    expect(detail.serviceDeployments?.[0]?.deploymentCircuitBreaker).toMatchObject({ status: 'TRIGGERED', failureCount: 3, threshold: 3 });
    expect(final.taskDefinition).toBe(TD(14));
    expect(final.deployments).toHaveLength(1);
    expect(deploymentEvents(events)).toEqual([
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_FAILED',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
    expect((deploymentStateChanges(events)[1]!.detail as { deploymentId: string }).deploymentId).toBe(failedId);
  });
});

describe('a post-deployment regression (riderapp:15 marked "regression")', () => {
  /**
   * Targets that stay unhealthy: ECS's replacement of unhealthy tasks (15 s by default) turned off,
   * so that the alarm's evaluation is seen alone (aws-defaults.test.ts plays the default world).
   */
  const TARGETS_STAY_UNHEALTHY = { unhealthyTaskStopMs: undefined };

  it('completes, turns unhealthy in riderapp-tg, then raises the UnHealthyHostCount alarm', async () => {
    // Prepare
    const { standIn, ecs, elbv2, events } = await start({ v15Behaviour: 'regression' }, TARGETS_STAY_UNHEALTHY);
    const tg = standIn.riderapp!.targetGroupArn;

    // Act
    standIn.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    standIn.advance(420 * SECOND);
    const completed = await describeService(ecs);
    const healthyAtCompletion = await targetStates(elbv2, tg);
    standIn.advance(60 * SECOND);
    const regressed = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
    const alarmsBefore = events.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change').length;
    standIn.advance(120 * SECOND);

    // Assess
    expect(completed.deployments?.[0]).toMatchObject({ taskDefinition: TD(15), rolloutState: 'COMPLETED' });
    expect(healthyAtCompletion).toEqual(['healthy', 'healthy', 'healthy']);
    expect(regressed.TargetHealthDescriptions?.map((d) => d.TargetHealth)).toEqual(
      Array(3).fill({ State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' }),
    );
    expect(alarmsBefore).toBe(0);
    const alarm = events.find((e) => e['detail-type'] === 'CloudWatch Alarm State Change');
    expect(alarm).toBeDefined();
    // unhealthy at 09:07:30; the minutes 09:07 and 09:08 breach; evaluated once a minute after 09:09
    expect(Date.parse(alarm!.time)).toBeGreaterThanOrEqual(Date.parse('2025-06-02T09:09:00Z'));
    expect(Date.parse(alarm!.time)).toBeLessThan(Date.parse('2025-06-02T09:10:00Z'));
    expect(alarm).toMatchObject({
      source: 'aws.cloudwatch',
      resources: ['arn:aws:cloudwatch:us-east-1:111122223333:alarm:riderapp-unhealthy-hosts'],
      detail: { alarmName: 'riderapp-unhealthy-hosts', state: { value: 'ALARM' }, previousState: { value: 'OK' } },
    });
    expect((alarm!.detail as { configuration: { metrics: { metricStat: { metric: unknown } }[] } }).configuration.metrics[0]?.metricStat.metric).toMatchObject({
      namespace: 'AWS/ApplicationELB',
      name: 'UnHealthyHostCount',
      dimensions: { TargetGroup: expect.stringMatching(/^targetgroup\/riderapp-tg\/[0-9a-f]{16}$/), LoadBalancer: expect.stringMatching(/^app\/riderapp-alb\/[0-9a-f]{16}$/) },
    });
  });

  it("by default, stops each unhealthy task 15 s later for failed ELB health checks and starts another riderapp:15 task in its place; one unhealthy minute raises no alarm", async () => {
    // Prepare: the stand-in's default (AWS_TIMINGS.unhealthyTaskStopSeconds, an estimate)
    const { standIn, ecs, elbv2, events } = await start({ v15Behaviour: 'regression' });
    const tg = standIn.riderapp!.targetGroupArn;

    // Act: unhealthy at 09:07:30 (as above), stopped at 09:07:45
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:15' }));
    standIn.advance(465 * SECOND - 1);
    const beforeStop = await targetStates(elbv2, tg);
    standIn.advance(1 + 15 * SECOND);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'STOPPED' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: stopped.taskArns ?? [] }));
    const afterStop = await targetStates(elbv2, tg);
    const running = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'RUNNING' }));
    const replacements = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: running.taskArns ?? [] }));
    standIn.advance(5 * 60 * SECOND);

    // Assess
    expect(beforeStop).toEqual(['unhealthy', 'unhealthy', 'unhealthy']);
    const elbKills = (described.tasks ?? []).filter((t) => t.stoppedReason?.startsWith(`Task failed ELB health checks in (target-group ${tg})`));
    expect(elbKills).toHaveLength(3);
    for (const task of elbKills) expect(task).toMatchObject({ taskDefinitionArn: expect.stringMatching(/riderapp:15$/), stopCode: 'ServiceSchedulerInitiated' });
    expect(afterStop).toEqual(['draining', 'draining', 'draining']);
    expect((replacements.tasks ?? []).map((t) => t.taskDefinitionArn?.replace(/^.*\//, ''))).toEqual(['riderapp:15', 'riderapp:15', 'riderapp:15']);
    expect(events.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change')).toEqual([]);
  });

  it('returns the alarm to OK once riderapp:14 replaced the regressed tasks', async () => {
    // Prepare
    const { standIn, ecs, events } = await start({ v15Behaviour: 'regression' }, TARGETS_STAY_UNHEALTHY);
    standIn.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    standIn.advance(600 * SECOND);

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:14' }));
    standIn.advance(420 * SECOND);

    // Assess
    const alarmStates = events
      .filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change')
      .map((e) => (e.detail as { state: { value: string } }).state.value);
    expect(alarmStates).toEqual(['ALARM', 'OK']);
    expect(standIn.model.summary(CLUSTER, SERVICE)).toMatchObject({ taskDefinition: TD(14), steady: true });
  });
});
