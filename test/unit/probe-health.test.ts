import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readProbeSettings } from '../../lambdas/core/health';
import { deps, handler } from '../../lambdas/probe-health/handler';
import { narrowProbeHealthInput, probeHealth } from '../../lambdas/probe-health/probe';
import { ConfigurationError } from '../../lambdas/shared/errors';
import type { RollbackState } from '../../lambdas/shared/types';
import { preparedRiderappRollback } from '../helpers/riderapp-state';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

const ACCOUNT = '111122223333';
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const RIDERAPP_14 = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/riderapp:14`;
const TARGET_GROUP = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/riderapp-tg/0123456789abcdef`;
const ROLLBACK_ID = 'ecs-svc/2222222222222222222';
const NEW_IPS = ['10.0.1.11', '10.0.2.12', '10.0.3.13'];

/** Status codes the local health endpoint answers, one per request; 'hang' never answers. */
let answers: Array<number | 'hang'> = [];
let requests = 0;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer === 'hang' || answer === undefined) return;
    res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'not ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function state(serviceConfig: { targetGroupArn?: string; healthCheckUrl?: string }): RollbackState {
  return {
    ...preparedRiderappRollback({ serviceConfig }),
    deployment: { deploymentId: ROLLBACK_ID, taskDefinitionArn: RIDERAPP_14, startedAt: '2024-05-01T12:00:07.000Z' },
    stability: {
      status: 'RECOVERED',
      reason: 'TargetsHealthy',
      message: `Deployment ${ROLLBACK_ID} (riderapp:14) recovered`,
      elapsedSeconds: 95,
      waitSeconds: 0,
      desiredCount: 3,
      runningCount: 3,
      checks: 9,
      checkedAt: '2024-05-01T12:01:42.000Z',
    },
  };
}

function givenService(withLoadBalancer: boolean): void {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: SERVICE,
        status: 'ACTIVE',
        desiredCount: 3,
        deployments: [{ id: ROLLBACK_ID, status: 'PRIMARY', taskDefinition: RIDERAPP_14, desiredCount: 3, runningCount: 3 }],
        loadBalancers: withLoadBalancer ? [{ targetGroupArn: TARGET_GROUP, containerName: 'app', containerPort: 8080 }] : [],
      },
    ],
  });
  const arns = NEW_IPS.map((_, i) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${CLUSTER}/task${i}`);
  ecsMock.on(ListTasksCommand).resolves({ taskArns: arns });
  ecsMock.on(DescribeTasksCommand).resolves({
    tasks: NEW_IPS.map((ip, i) => ({
      taskArn: arns[i],
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: ip }] }],
    })),
  });
}

function givenHealthyTargets(healthy: number): void {
  elbMock.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: NEW_IPS.map((ip, i) => ({
      Target: { Id: ip, Port: 8080 },
      TargetHealth:
        i < healthy
          ? { State: 'healthy' as const }
          : { State: 'unhealthy' as const, Reason: 'Target.ResponseCodeMismatch' as const },
    })),
  });
}

let sleeps: number[] = [];

describe('ProbeHealth', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
    answers = [200];
    requests = 0;
    sleeps = [];
    Object.assign(deps, {
      sleep: async (milliseconds: number) => {
        sleeps.push(milliseconds);
      },
    });
  });

  it('passes when the health URL answers 200', async () => {
    // Prepare
    givenService(false);
    const url = `${baseUrl}/health`;

    // Act
    const result = await handler(state({ healthCheckUrl: url }));

    // Assess
    expect(result.healthy).toBe(true);
    expect(result.checks).toEqual([{ kind: 'http', ok: true, subject: url, detail: 'HTTP 200' }]);
    expect(requests).toBe(1);
  });

  it('retries with exponential backoff and passes once the URL recovers', async () => {
    // Prepare
    givenService(false);
    answers = [503, 502, 200];

    // Act
    const result = await handler(state({ healthCheckUrl: `${baseUrl}/health` }));

    // Assess
    expect(result).toMatchObject({ healthy: true, attempts: 3 });
    expect(sleeps).toEqual([5000, 10000]);
  });

  it('fails after 5 attempts when the URL keeps answering 503', async () => {
    // Prepare
    givenService(false);
    answers = [503];

    // Act
    const result = await handler(state({ healthCheckUrl: `${baseUrl}/health` }));

    // Assess
    expect(result).toMatchObject({ healthy: false, attempts: 5 });
    expect(result.checks[0]?.detail).toBe('HTTP 503 after 5 attempts');
    expect(result.message).toContain('HTTP 503 after 5 attempts');
    expect(requests).toBe(5);
    expect(sleeps).toEqual([5000, 10000, 20000, 40000]);
  });

  it('fails with "timed out" when the URL does not answer in time', async () => {
    // Prepare
    givenService(false);
    answers = ['hang'];
    const input = narrowProbeHealthInput(state({ healthCheckUrl: `${baseUrl}/slow` }));

    // Act
    const result = await probeHealth(input, { attempts: 2, intervalSeconds: 1, timeoutSeconds: 0.2 }, deps);

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.checks[0]?.detail).toBe('timed out after 0.2 s (2 attempts)');
  });

  it('passes when all 3 riderapp:14 tasks are healthy targets', async () => {
    // Prepare
    givenService(true);
    givenHealthyTargets(3);

    // Act
    const result = await handler(state({}));

    // Assess
    expect(result.healthy).toBe(true);
    expect(result.checks).toEqual([{ kind: 'target-group', ok: true, subject: TARGET_GROUP, detail: '3/3 targets healthy' }]);
    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, { cluster: CLUSTER, startedBy: ROLLBACK_ID });
  });

  it('fails when only 1 of 3 riderapp:14 targets is healthy after every attempt', async () => {
    // Prepare
    givenService(true);
    givenHealthyTargets(1);

    // Act
    const result = await handler(state({ targetGroupArn: TARGET_GROUP }));

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.checks[0]?.detail).toBe('1/3 targets healthy (unhealthy: Target.ResponseCodeMismatch) after 5 attempts');
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 5);
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetGroupsCommand);
  });

  it('fails when the targets are healthy but the health URL answers 500: both must pass', async () => {
    // Prepare
    givenService(true);
    givenHealthyTargets(3);
    answers = [500];

    // Act
    const result = await handler(state({ healthCheckUrl: `${baseUrl}/health` }));

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.checks.map((c) => [c.kind, c.ok])).toEqual([
      ['target-group', true],
      ['http', false],
    ]);
  });

  it('passes on the ECS deployment state when nothing is configured to probe, and says so', async () => {
    // Prepare
    givenService(false);

    // Act
    const result = await handler(state({}));

    // Assess
    expect(result.healthy).toBe(true);
    expect(result.checks).toHaveLength(1);
    expect(result.checks[0]).toMatchObject({ kind: 'ecs-deployment', ok: true });
    expect(result.checks[0]?.detail).toContain('no target group or health URL configured');
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
    expect(requests).toBe(0);
  });
});

describe('probe settings', () => {
  it.each([
    [{}, { attempts: 5, intervalSeconds: 5, timeoutSeconds: 5 }],
    [{ PROBE_ATTEMPTS: '3', PROBE_INTERVAL_SECONDS: '2', PROBE_TIMEOUT_SECONDS: '10' }, { attempts: 3, intervalSeconds: 2, timeoutSeconds: 10 }],
  ])('reads %j as %j', (env, expected) => {
    // Act & Assess
    expect(readProbeSettings(env)).toEqual(expected);
  });

  it('names the variable that is not a positive number', () => {
    // Act & Assess
    expect(() => readProbeSettings({ PROBE_TIMEOUT_SECONDS: 'soon' })).toThrow(ConfigurationError);
    expect(() => readProbeSettings({ PROBE_TIMEOUT_SECONDS: 'soon' })).toThrow(/PROBE_TIMEOUT_SECONDS/);
  });
});
