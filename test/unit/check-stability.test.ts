import {
  type Deployment,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/check-stability/handler';
import { REASONS } from '../../lambdas/core/reasons';
import { HEALTH_WINDOW_POLL_SECONDS } from '../../lambdas/core/stability';
import { ValidationError } from '../../lambdas/shared/errors';
import type { RollbackState } from '../../lambdas/shared/types';
import { preparedRiderappRollback } from '../helpers/riderapp-state';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

const ACCOUNT = '111122223333';
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
const RIDERAPP_14 = `${TD}/riderapp:14`;
const RIDERAPP_15 = `${TD}/riderapp:15`;
const TARGET_GROUP = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/riderapp-tg/0123456789abcdef`;
const OTHER_TARGET_GROUP = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/riderapp-alb-tg/fedcba9876543210`;
const ROLLBACK_ID = 'ecs-svc/2222222222222222222';
const BAD_ID = 'ecs-svc/1111111111111111111';
const STARTED_AT = '2024-05-01T12:00:10.000Z';
const NEW_IPS = ['10.0.1.11', '10.0.2.12', '10.0.3.13'];
const OLD_IPS = ['10.0.1.21', '10.0.2.22', '10.0.3.23'];

function state(overrides: Partial<RollbackState> = {}, targetGroupArn: string | null = TARGET_GROUP): RollbackState {
  return {
    ...preparedRiderappRollback({
      serviceConfig: targetGroupArn === null ? {} : { targetGroupArn },
      trigger: { kind: 'deployment-failed', id: BAD_ID, time: '2024-05-01T11:59:50Z', summary: `ECS deployment ${BAD_ID} failed` },
    }),
    deployment: { deploymentId: ROLLBACK_ID, taskDefinitionArn: RIDERAPP_14, startedAt: STARTED_AT },
    ...overrides,
  };
}

function rollbackDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: ROLLBACK_ID,
    status: 'PRIMARY',
    taskDefinition: RIDERAPP_14,
    desiredCount: 3,
    runningCount: 3,
    pendingCount: 0,
    rolloutState: 'IN_PROGRESS',
    createdAt: new Date(STARTED_AT),
    ...overrides,
  };
}

const drainingBadDeployment: Deployment = {
  id: BAD_ID,
  status: 'ACTIVE',
  taskDefinition: RIDERAPP_15,
  desiredCount: 0,
  runningCount: 3,
  rolloutState: 'FAILED',
  rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
};

function serviceWith(deployments: Deployment[], overrides: Partial<Service> = {}): Service {
  return {
    serviceName: SERVICE,
    status: 'ACTIVE',
    desiredCount: 3,
    runningCount: deployments.reduce((n, d) => n + (d.runningCount ?? 0), 0),
    deployments,
    loadBalancers: [{ targetGroupArn: OTHER_TARGET_GROUP, containerName: 'app', containerPort: 8080 }],
    ...overrides,
  };
}

/** The rollback's tasks; `startedAt`: seconds after the deployment started that each task's containers started. */
function givenTasks(ips: string[], startedAt: number[] = []): void {
  const arns = ips.map((_, i) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${CLUSTER}/task${i}`);
  ecsMock.on(ListTasksCommand).resolves({ taskArns: arns });
  ecsMock.on(DescribeTasksCommand).resolves({
    tasks: ips.map((ip, i) => ({
      taskArn: arns[i],
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedBy: ROLLBACK_ID,
      ...(startedAt[i] === undefined ? {} : { startedAt: new Date(Date.parse(STARTED_AT) + (startedAt[i] ?? 0) * 1000) }),
      attachments: [
        {
          type: 'ElasticNetworkInterface',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-0abc' },
            { name: 'networkInterfaceId', value: `eni-0${i}` },
            { name: 'privateIPv4Address', value: ip },
          ],
        },
      ],
    })),
  });
}

function givenTargets(healthyNew: number, targetGroupArn = TARGET_GROUP): void {
  elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupArn }).resolves({
    TargetHealthDescriptions: [
      ...NEW_IPS.map((ip, i) => ({
        Target: { Id: ip, Port: 8080 },
        TargetHealth:
          i < healthyNew ? { State: 'healthy' as const } : { State: 'initial' as const, Reason: 'Elb.InitialHealthChecking' as const },
      })),
      ...OLD_IPS.map((ip) => ({
        Target: { Id: ip, Port: 8080 },
        TargetHealth: { State: 'draining' as const, Reason: 'Target.DeregistrationInProgress' as const },
      })),
    ],
  });
}

/** riderapp-tg checks every 30 s and needs 2 successes (DescribeTargetGroups). */
function givenHealthCheckSettings(targetGroupArn = TARGET_GROUP): void {
  elbMock.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [{ TargetGroupArn: targetGroupArn, TargetGroupName: 'riderapp-tg', HealthCheckIntervalSeconds: 30, HealthyThresholdCount: 5 }],
  });
}

function at(secondsAfterStart: number): void {
  vi.setSystemTime(new Date(Date.parse(STARTED_AT) + secondsAfterStart * 1000));
}

describe('CheckStability', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    at(60);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers IN_PROGRESS with a jittered wait of 5 to 30 s, keeping the last counts, when AWS throttled the look', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const previous = { status: 'IN_PROGRESS', reason: REASONS.DEPLOYMENT_IN_PROGRESS, message: '', elapsedSeconds: 45, waitSeconds: 3, desiredCount: 3, runningCount: 3, healthyTargets: 1, checks: 4, checkedAt: STARTED_AT } as const;

    // Act
    const result = await handler(state({ stability: previous }), {} as never);

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', reason: REASONS.LOOK_THROTTLED, desiredCount: 3, runningCount: 3, healthyTargets: 1, checks: 5 });
    expect(result.waitSeconds).toBeGreaterThanOrEqual(5);
    expect(result.waitSeconds).toBeLessThanOrEqual(30);
    expect(result.message).toContain('AWS throttled the look after 60 s');
  });

  it('lets a throttle go to the Retry (ThrottledAwsError) once the stabilisation timeout has passed', async () => {
    // Prepare
    at(600);
    ecsMock.on(DescribeServicesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const checking = handler(state(), {} as never);

    // Assess
    await expect(checking).rejects.toMatchObject({ name: 'ThrottledAwsError' });
  });

  it('does not turn another AWS error into a wait: a 500 still goes to the Retry as TransientAwsError', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).rejects(Object.assign(new Error('boom'), { name: 'ServerException', $fault: 'server', $metadata: { httpStatusCode: 500 } }));

    // Act
    const checking = handler(state(), {} as never);

    // Assess
    await expect(checking).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('reports COMPLETED when ECS completes the riderapp:14 rollback deployment', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment({ rolloutState: 'COMPLETED' })])] });

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'COMPLETED', reason: REASONS.DEPLOYMENT_COMPLETED, desiredCount: 3, runningCount: 3, checks: 1, elapsedSeconds: 60 });
    expect(ecsMock).not.toHaveReceivedCommand(ListTasksCommand);
  });

  it('declares riderapp:14 RECOVERED once its tasks are healthy targets while riderapp:15 tasks still drain', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS);
    givenTargets(3);

    // Act
    const result = await handler(state({ stability: { checks: 4 } as RollbackState['stability'] }));

    // Assess
    expect(result).toMatchObject({ status: 'RECOVERED', reason: REASONS.TARGETS_HEALTHY, healthyTargets: 3, checks: 5 });
    expect(result.message).toContain('old tasks still draining');
    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, { cluster: CLUSTER, startedBy: ROLLBACK_ID });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTasksCommand, { cluster: CLUSTER });
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP });
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetGroupsCommand);
  });

  it("waits until riderapp:14's targets may first turn healthy (the last task start + 30 s × 4), beyond the poll interval", async () => {
    // Prepare
    at(100);
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS, [48, 50, 49]);
    givenTargets(0);
    givenHealthCheckSettings();

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', healthyTargets: 0, waitSeconds: 70 });
    expect(result.message).toContain('targets expected healthy at 200 s; next check in 70 s');
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetGroupsCommand, 1);
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetGroupsCommand, { TargetGroupArns: [TARGET_GROUP] });
  });

  it('looks every few seconds inside the interval in which the targets may turn healthy', async () => {
    // Prepare
    at(185);
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS, [48, 50, 49]);
    givenTargets(2);
    givenHealthCheckSettings();

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', healthyTargets: 2, waitSeconds: HEALTH_WINDOW_POLL_SECONDS });
  });

  it('checks again within a few seconds once that interval has passed and riderapp:14 is still not healthy', async () => {
    // Prepare
    at(205);
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS, [48, 50, 49]);
    givenTargets(2);
    givenHealthCheckSettings();

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', healthyTargets: 2, waitSeconds: 8 });
  });

  it.each([
    ['DescribeTargetGroups is denied', () => elbMock.on(DescribeTargetGroupsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))],
    ['DescribeTargetGroups is throttled', () => elbMock.on(DescribeTargetGroupsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))],
    ['the target group has no health check settings', () => elbMock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: TARGET_GROUP }] })],
  ])('keeps the fixed 5 s bound when %s', async (_scenario, given) => {
    // Prepare
    at(100);
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS, [48, 50, 49]);
    givenTargets(0);
    given();

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', waitSeconds: 5 });
    expect(result.message).not.toContain('expected healthy');
  });

  it("uses the service's own target group when none is configured", async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS);
    givenTargets(3, OTHER_TARGET_GROUP);

    // Act
    const result = await handler(state({}, null));

    // Assess
    expect(result.status).toBe('RECOVERED');
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: OTHER_TARGET_GROUP });
  });

  it('keeps polling every few seconds while 2 of 3 riderapp:14 targets are healthy', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS);
    givenTargets(2);

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', reason: REASONS.DEPLOYMENT_IN_PROGRESS, healthyTargets: 2 });
    expect(result.waitSeconds).toBeGreaterThanOrEqual(1);
    expect(result.waitSeconds).toBeLessThanOrEqual(5);
  });

  it("waits half of 30 s × (5 − 1) while riderapp:14 tasks are still starting, reading only the target group's settings", async () => {
    // Prepare
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [serviceWith([rollbackDeployment({ runningCount: 1, pendingCount: 2 }), drainingBadDeployment])] });
    givenHealthCheckSettings();

    // Act
    const result = await handler(state({ stability: { checks: 1 } as RollbackState['stability'] }));

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', runningCount: 1, desiredCount: 3, checks: 2, waitSeconds: 60 });
    expect(ecsMock).not.toHaveReceivedCommand(ListTasksCommand);
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetGroupsCommand, 1);
  });

  it('waits up to the poll interval while riderapp:14 tasks are still starting and the settings cannot be read', async () => {
    // Prepare
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [serviceWith([rollbackDeployment({ runningCount: 1, pendingCount: 2 }), drainingBadDeployment])] });
    elbMock.on(DescribeTargetGroupsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    // Act
    const result = await handler(state({ stability: { checks: 1 } as RollbackState['stability'] }));

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', runningCount: 1, waitSeconds: 15 });
    expect(ecsMock).not.toHaveReceivedCommand(ListTasksCommand);
  });

  it('never waits past the stabilisation timeout', async () => {
    // Prepare
    at(591);
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment({ runningCount: 1 })])] });

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', waitSeconds: 9 });
  });

  it('waits for COMPLETED when the service has no target group', async () => {
    // Prepare
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment], { loadBalancers: [] })] });

    // Act
    const result = await handler(state({}, null));

    // Assess
    expect(result).toMatchObject({ status: 'IN_PROGRESS', waitSeconds: 15 });
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
  });

  it('reports TIMED_OUT when riderapp:14 is not healthy within the stabilisation timeout', async () => {
    // Prepare
    at(600);
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith([rollbackDeployment(), drainingBadDeployment])] });
    givenTasks(NEW_IPS);
    givenTargets(1);

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'TIMED_OUT', reason: REASONS.STABILIZATION_TIMEOUT, elapsedSeconds: 600, healthyTargets: 1 });
  });

  it("reports FAILED with ECS's reason when the riderapp:14 deployment fails", async () => {
    // Prepare
    const reason = 'ECS deployment circuit breaker: 3 tasks failed to start.';
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [serviceWith([rollbackDeployment({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason })])],
    });

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', reason: REASONS.DEPLOYMENT_FAILED });
    expect(result.message).toContain(reason);
  });

  it.each([
    ['someone deployed riderapp:16 over it', [rollbackDeployment({ status: 'ACTIVE' }), rollbackDeployment({ id: 'ecs-svc/333', taskDefinition: `${TD}/riderapp:16` })]],
    ['the deployment is gone from the service', [rollbackDeployment({ id: 'ecs-svc/333', taskDefinition: `${TD}/riderapp:16` })]],
  ])('reports DEPLOYMENT_REPLACED when %s', async (_scenario, deployments) => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [serviceWith(deployments)] });

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', reason: REASONS.DEPLOYMENT_REPLACED });
  });

  it.each([
    ['MISSING', { services: [], failures: [{ arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${CLUSTER}/${SERVICE}`, reason: 'MISSING' }] }],
    ['INACTIVE', { services: [serviceWith([], { status: 'INACTIVE' })] }],
    ['DRAINING', { services: [serviceWith([rollbackDeployment()], { status: 'DRAINING' })] }],
  ])('reports FAILED SERVICE_NOT_ACTIVE when the service is %s', async (status, response) => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves(response);

    // Act
    const result = await handler(state());

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', reason: REASONS.SERVICE_NOT_ACTIVE });
    expect(result.message).toContain(status);
  });

  it("follows ECS's own circuit-breaker rollback deployment the same way", async () => {
    // Prepare
    const ecsRollback = { deploymentId: 'ecs-svc/4444', taskDefinitionArn: RIDERAPP_14, startedAt: STARTED_AT };
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [serviceWith([rollbackDeployment({ id: 'ecs-svc/4444', rolloutState: 'COMPLETED' }), drainingBadDeployment])],
    });

    // Act
    const result = await handler(state({ deployment: ecsRollback }));

    // Assess
    expect(result).toMatchObject({ status: 'COMPLETED' });
    expect(result.message).toContain('ecs-svc/4444');
  });

  it('rejects a state without a deployment and calls nothing', async () => {
    // Prepare
    const { deployment: _omitted, ...withoutDeployment } = state();

    // Act & Assess
    await expect(handler(withoutDeployment as RollbackState)).rejects.toThrow(ValidationError);
    await expect(handler(withoutDeployment as RollbackState)).rejects.toThrow(/^deployment/);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
  });
});
