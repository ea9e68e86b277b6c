import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLocalServer } from '../helpers/local-server';
import { ALLOW_LOOPBACK_ENV, loopbackAllowed } from '../../lambdas/aws/http-probe';
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

/** Status codes the local health endpoint answers, one per request; 'hang' never answers; a string redirects there. */
let answers: Array<number | 'hang' | { redirect: string }> = [];
let requests = 0;
let paths: string[] = [];

const server = useLocalServer((req, res) => {
  requests += 1;
  paths.push(req.url ?? '');
  const answer = answers.length > 1 ? answers.shift() : answers[0];
  if (answer === 'hang' || answer === undefined) return;
  if (typeof answer === 'object') {
    res.writeHead(302, { location: answer.redirect }).end();
    return;
  }
  res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'not ok');
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
    paths = [];
    sleeps = [];
    vi.stubEnv(ALLOW_LOOPBACK_ENV, 'true');
    Object.assign(deps, {
      sleep: async (milliseconds: number) => {
        sleeps.push(milliseconds);
      },
    });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('passes when the health URL answers 200', async () => {
    // Prepare
    givenService(false);
    const url = `${server.url}/health`;

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
    const result = await handler(state({ healthCheckUrl: `${server.url}/health` }));

    // Assess
    expect(result).toMatchObject({ healthy: true, attempts: 3 });
    expect(sleeps).toEqual([5000, 10000]);
  });

  it('fails after 5 attempts when the URL keeps answering 503', async () => {
    // Prepare
    givenService(false);
    answers = [503];

    // Act
    const result = await handler(state({ healthCheckUrl: `${server.url}/health` }));

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
    const input = narrowProbeHealthInput(state({ healthCheckUrl: `${server.url}/slow` }));

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
    const result = await handler(state({ healthCheckUrl: `${server.url}/health` }));

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
  it('does not follow a redirect to another host (a 302 to the metadata address) and fails, naming where it pointed', async () => {
    // Prepare
    givenService(false);
    answers = [{ redirect: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }];

    // Act
    const result = await handler(state({ healthCheckUrl: `${server.url}/health` }));

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.checks[0]?.detail).toBe(
      'HTTP 302 redirect to http://169.254.169.254/latest/meta-data/iam/security-credentials/ not followed (another host) (5 attempts)',
    );
    expect(paths.every((path) => path === '/health')).toBe(true);
  });

  it('follows a redirect on the same host and passes when it answers 200', async () => {
    // Prepare
    givenService(false);
    answers = [{ redirect: '/health/ready' }, 200];

    // Act
    const result = await handler(state({ healthCheckUrl: `${server.url}/health` }));

    // Assess
    expect(result.healthy).toBe(true);
    expect(paths).toEqual(['/health', '/health/ready']);
  });

  it.each([
    ['the instance metadata address', ['169.254.169.254'], 'resolves to 169.254.169.254, the instance metadata address'],
    ['a private address', ['10.0.1.11'], 'resolves to 10.0.1.11, a private address'],
    ['loopback', ['127.0.0.1'], 'resolves to 127.0.0.1, a loopback address'],
    ['IPv6 link-local among public addresses', ['203.0.113.10', 'fe80::1'], 'resolves to fe80::1, a link-local address'],
  ])('refuses a name that resolves to %s at probe time and requests nothing', async (_what, addresses, why) => {
    // Prepare
    givenService(false);
    vi.unstubAllEnvs();
    const fetchSpy = vi.fn<typeof fetch>();
    const resolve = vi.fn(async () => addresses);
    const input = narrowProbeHealthInput(state({ healthCheckUrl: 'https://health.riderapp.example.com/ready?token=abc123' }));

    // Act
    const result = await probeHealth(input, { attempts: 5, intervalSeconds: 1, timeoutSeconds: 1 }, { ...deps, fetch: fetchSpy, resolve });

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.checks[0]).toMatchObject({ kind: 'http', ok: false, subject: 'https://health.riderapp.example.com/ready?…' });
    expect(result.checks[0]?.detail).toContain(`health.riderapp.example.com ${why}`);
    expect(resolve).toHaveBeenCalledWith('health.riderapp.example.com');
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(JSON.stringify(result)).not.toContain('abc123');
  });

  it('requests a name that resolves to public addresses only', async () => {
    // Prepare
    givenService(false);
    const fetchSpy = vi.fn<typeof fetch>(async () => new Response('ok', { status: 200 }));
    const input = narrowProbeHealthInput(state({ healthCheckUrl: 'https://health.riderapp.example.com/ready' }));

    // Act
    const result = await probeHealth(input, { attempts: 1, intervalSeconds: 1, timeoutSeconds: 1 }, {
      ...deps,
      fetch: fetchSpy,
      resolve: async () => ['203.0.113.10', '2001:db8::10'],
    });

    // Assess
    expect(result.healthy).toBe(true);
    expect(fetchSpy).toHaveBeenCalledWith('https://health.riderapp.example.com/ready', expect.objectContaining({ redirect: 'manual' }));
  });

  it('keeps the query token out of the result a person reads (notification, log)', async () => {
    // Prepare
    givenService(false);
    answers = [503];

    // Act
    const result = await handler(state({ healthCheckUrl: `${server.url}/health?token=abc123` }));

    // Assess
    expect(result.checks[0]?.subject).toBe(`${server.url}/health?…`);
    expect(JSON.stringify(result)).not.toContain('abc123');
  });

  it('probes the full URL from the services configuration when the state carries it redacted (no token in the Step Functions history)', async () => {
    // Prepare: Prepare put the URL without its query into the state; the configuration has the token
    givenService(false);
    const configured = vi.fn(async () => `${server.url}/health?token=abc123`);
    const input = narrowProbeHealthInput(state({ healthCheckUrl: `${server.url}/health?…` }));

    // Act
    const result = await probeHealth(input, { attempts: 1, intervalSeconds: 1, timeoutSeconds: 1 }, { ...deps, configuredHealthCheckUrl: configured });

    // Assess
    expect(configured).toHaveBeenCalledWith(CLUSTER, SERVICE);
    expect(paths).toEqual(['/health?token=abc123']);
    expect(result.healthy).toBe(true);
    expect(JSON.stringify(result)).not.toContain('abc123');
  });

  it('fails naming the field, and requests nothing, when the configuration no longer has the redacted URL the state carries', async () => {
    // Prepare: the health URL was changed by a deployment since Prepare
    givenService(false);
    const input = narrowProbeHealthInput(state({ healthCheckUrl: `${server.url}/health?…` }));
    const configured = async () => `${server.url}/ready?token=abc123`;

    // Act
    const probing = probeHealth(input, { attempts: 1, intervalSeconds: 1, timeoutSeconds: 1 }, { ...deps, configuredHealthCheckUrl: configured });

    // Assess
    await expect(probing).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('request.serviceConfig.healthCheckUrl') });
    expect(paths).toEqual([]);
  });

  it('refuses 127.0.0.1 unless the local-test allowance is set, and never inside AWS Lambda', async () => {
    // Prepare
    givenService(false);
    vi.unstubAllEnvs();

    // Act
    const refused = await handler(state({ healthCheckUrl: `${server.url}/health` }));

    // Assess
    expect(refused.healthy).toBe(false);
    expect(refused.checks[0]?.detail).toContain('127.0.0.1, a loopback address');
    expect(requests).toBe(0);
    expect(loopbackAllowed({ [ALLOW_LOOPBACK_ENV]: 'true' })).toBe(true);
    expect(loopbackAllowed({ [ALLOW_LOOPBACK_ENV]: 'true', AWS_LAMBDA_FUNCTION_NAME: 'riderapp-ecs-auto-rollback-probe-health' })).toBe(false);
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
