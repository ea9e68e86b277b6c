import { shortImage } from '../../lambdas/core/message';
import { readFileSync } from 'node:fs';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsCallError, CRASH_ERROR_NAMES } from '../../lambdas/shared/errors';
import type { TaskFunctionId } from '../../statemachine/definition';
import type { LocalRunResult, TaskHandler } from '../../statemachine/local';
import { type Engine, runRollback, startEngine } from './helpers/engine';
import {
  accessDenied,
  type Fault,
  ecs,
  imageDigest,
  RIDERAPP,
  RiderappWorld,
  responseLost,
  taskDefinitionArn,
  throttling,
  useWorldClock,
  type WorldOptions,
} from './helpers/riderapp-world';

const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));

const DEPLOYMENT_FAILED = event('ecs-deployment-failed');
const MANUAL_START = event('manual-start');
const MANUAL_DRY_RUN = event('manual-dry-run');
const CONFIRMED_MANUAL_START = { cluster: RIDERAPP.cluster, service: RIDERAPP.service, confirm: 'CONFIRM', requestedBy: 'octocat' };

const PREPARED = ['LoadSettings', 'Prepare', 'RouteRequest'];
const DEPLOYED = [...PREPARED, 'ResolveTarget', 'TargetDecision', 'RegisterTaskDefinition', 'UpdateService'];
const HEALTHY_AND_NOTIFIED = ['ProbeHealth', 'HealthDecision', 'NotifySuccess', 'ReleaseLock', 'Outcome', 'Done'];
const NOTIFIED_FAILURE = ['NotifyFailure', 'ReleaseLock', 'Outcome', 'RollbackFailed'];

/** The states of `inProgress` checks that wait, then the check that decides. */
function polls(inProgress: number): string[] {
  const waiting = Array.from({ length: inProgress }, () => ['CheckStability', 'StabilityDecision', 'WaitForStability']);
  return [...waiting.flat(), 'CheckStability', 'StabilityDecision'];
}

/** The one SNS message of the execution. */
function theNotification(world: RiderappWorld): { subject: string; body: string; status: string | undefined } {
  const published = world.published();
  expect(published).toHaveLength(1);
  const [message] = published;
  const structured = message?.MessageStructure === 'json' ? (JSON.parse(message.Message ?? '{}') as { default?: string }) : undefined;
  return {
    subject: message?.Subject ?? '',
    body: structured?.default ?? message?.Message ?? '',
    status: message?.MessageAttributes?.status?.StringValue,
  };
}

function expectOneUpdateServiceTo(revision: number): void {
  expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
    cluster: RIDERAPP.cluster,
    service: RIDERAPP.service,
    taskDefinition: taskDefinitionArn(revision),
  });
}

function expectNoChange(): void {
  expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
}

let engine: Engine;
let runs = 0;

/** Runs the real ASL with the real handlers against `world`, under a fresh execution name. */
function run(world: RiderappWorld, input: unknown, settings?: Parameters<typeof runRollback>[2]['settings']): Promise<LocalRunResult> {
  runs += 1;
  return runRollback(engine, world, { input, executionName: `rollback-${runs}`, ...(settings === undefined ? {} : { settings }) });
}

beforeAll(async () => {
  engine = await startEngine();
});

afterAll(async () => {
  await engine?.close();
});

beforeEach(async () => {
  await engine.clearStateTable();
  useWorldClock();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('rollback state machine: the real ASL with the real handlers', () => {
  it('rolls back riderapp:15 to riderapp:14 after a failed deployment', async () => {
    // Prepare
    const world = new RiderappWorld({ history: 'riderapp:14 successful', inProgressChecks: 2, outcome: 'recovered' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.statesEntered).toEqual([
      'LoadSettings',
      'Prepare',
      'RouteRequest',
      'ResolveTarget',
      'TargetDecision',
      'RegisterTaskDefinition',
      'UpdateService',
      'CheckStability',
      'StabilityDecision',
      'WaitForStability',
      'CheckStability',
      'StabilityDecision',
      'WaitForStability',
      'CheckStability',
      'StabilityDecision',
      'ProbeHealth',
      'HealthDecision',
      'NotifySuccess',
      'ReleaseLock',
      'Outcome',
      'Done',
    ]);
    expect(result.status).toBe('SUCCEEDED');
    expectOneUpdateServiceTo(14);
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
    expect(result.output).toMatchObject({
      target: { source: 'deployment-history', taskDefinitionArn: taskDefinitionArn(14) },
      stability: { status: 'RECOVERED', checks: 3 },
      health: { healthy: true },
      lockRelease: { released: true },
    });
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:14');
    expect(notification.status).toBe('success');
    expect(notification.body).toContain(RIDERAPP.failedDeploymentId);
  });

  it('rolls back to riderapp:13 when a manual start names that revision', async () => {
    // Prepare
    const world = new RiderappWorld();

    // Act
    const result = await run(world, { ...MANUAL_START, target: { taskDefinition: 'riderapp:13' } });

    // Assess
    expect(result.statesEntered).toEqual([...DEPLOYED, ...polls(2), ...HEALTHY_AND_NOTIFIED]);
    expect(result.status).toBe('SUCCEEDED');
    expectOneUpdateServiceTo(13);
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:13');
    expect(notification.body).toContain('octocat');
  });

  it('registers riderapp:16 with the previous ECR image pinned by digest when ECS has no history', async () => {
    // Prepare
    const world = new RiderappWorld({ history: 'none', ecrImages: 'all' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.statesEntered).toEqual([...DEPLOYED, ...polls(2), ...HEALTHY_AND_NOTIFIED]);
    expect(result.status).toBe('SUCCEEDED');
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
      family: 'riderapp',
      containerDefinitions: expect.arrayContaining([
        expect.objectContaining({ name: 'app', image: `${RIDERAPP.repositoryUri}@${imageDigest(14)}` }),
      ]),
    });
    expectOneUpdateServiceTo(16);
    expect(theNotification(world).subject).toBe('[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:16');
  });

  it("follows ECS's own circuit-breaker rollback without UpdateService and reports its success", async () => {
    // Prepare
    const world = new RiderappWorld({ ecsRollingBack: true, inProgressChecks: 2, outcome: 'recovered' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.statesEntered).toEqual([...PREPARED, 'FollowEcsRollback', ...polls(2), ...HEALTHY_AND_NOTIFIED]);
    expect(result.status).toBe('SUCCEEDED');
    expectNoChange();
    expect(result.output).toMatchObject({
      request: { action: 'watch', actionReason: 'EcsRollbackInProgress' },
      deployment: { deploymentId: RIDERAPP.ecsRollbackDeploymentId, taskDefinitionArn: taskDefinitionArn(14) },
      lockRelease: { released: true },
    });
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] ECS rollback succeeded: riderapp-service -> riderapp:14');
    expect(notification.status).toBe('success');
  });

  it('notifies the failure at CheckStability when the rollback deployment FAILED', async () => {
    // Prepare
    const world = new RiderappWorld({ inProgressChecks: 2, outcome: 'failed' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.statesEntered).toEqual([...DEPLOYED, ...polls(2), 'DeploymentNotStable', ...NOTIFIED_FAILURE]);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('DeploymentFailed');
    expect(result.error?.Cause).toContain('tasks failed to start');
    expectOneUpdateServiceTo(14);
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback failed at CheckStability: riderapp-service');
    expect(notification.status).toBe('failure');
    expect(notification.body).toContain('DeploymentFailed');
  });

  it('notifies a stabilisation timeout when the rollback tasks never start', async () => {
    // Prepare
    const world = new RiderappWorld({ outcome: 'stuck' });
    const settings = { pollIntervalSeconds: 10, stabilizationTimeoutSeconds: 60 };

    // Act
    const result = await run(world, DEPLOYMENT_FAILED, settings);

    // Assess
    expect(result.statesEntered.slice(0, DEPLOYED.length)).toEqual(DEPLOYED);
    expect(result.statesEntered.slice(-7)).toEqual([
      'CheckStability',
      'StabilityDecision',
      'DeploymentNotStable',
      ...NOTIFIED_FAILURE,
    ]);
    expect(result.statesEntered.filter((s) => s === 'WaitForStability').length).toBeGreaterThan(1);
    expect(result.statesEntered).not.toContain('ProbeHealth');
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('StabilizationTimeout');
    expect(result.error?.Cause).toContain('timeout 60 s');
    expectOneUpdateServiceTo(14);
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback failed at CheckStability: riderapp-service');
    expect(notification.body).toContain('StabilizationTimeout');
  });

  it('notifies the failure at ProbeHealth when the rollback tasks are unhealthy targets', async () => {
    // Prepare
    const world = new RiderappWorld({ inProgressChecks: 2, outcome: 'completed', healthAfterCompletion: 'unhealthy' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.statesEntered).toEqual([
      ...DEPLOYED,
      ...polls(2),
      'ProbeHealth',
      'HealthDecision',
      'HealthProbeFailed',
      ...NOTIFIED_FAILURE,
    ]);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('HealthProbeFailed');
    expectOneUpdateServiceTo(14);
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback failed at ProbeHealth: riderapp-service');
    expect(notification.status).toBe('failure');
    expect(notification.body).toContain('0/3 targets healthy');
  });

  it('skips and changes nothing when there is no previous version', async () => {
    // Prepare
    const world = new RiderappWorld({ history: 'none', ecrImages: 'current only' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.statesEntered).toEqual([
      ...PREPARED,
      'ResolveTarget',
      'TargetDecision',
      'NotifySkipped',
      'ReleaseLock',
      'Outcome',
      'Done',
    ]);
    expect(result.status).toBe('SUCCEEDED');
    expectNoChange();
    expect(result.output).toMatchObject({ target: { outcome: 'skip', reason: 'NoPreviousVersion' }, lockRelease: { released: true } });
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback skipped: riderapp-service (NoPreviousVersion)');
    expect(notification.status).toBe('skipped');
  });

  it.each<[string, WorldOptions, string]>([
    ['the last successful deployment', { history: 'riderapp:14 successful' }, 'Deploy riderapp:14 as it is'],
    [
      'the previous ECR image',
      { history: 'none', ecrImages: 'all' },
      `Register a copy of riderapp:15 with image ${shortImage(`${RIDERAPP.repositoryUri}@${imageDigest(14)}`)}`,
    ],
  ])('notifies the plan of a dry run to %s and changes nothing', async (_target, options, planStep) => {
    // Prepare
    const world = new RiderappWorld(options);

    // Act
    const result = await run(world, MANUAL_DRY_RUN);

    // Assess
    expect(result.statesEntered).toEqual([
      ...PREPARED,
      'ResolveTarget',
      'TargetDecision',
      'NotifyDryRun',
      'ReleaseLock',
      'Outcome',
      'Done',
    ]);
    expect(result.status).toBe('SUCCEEDED');
    expectNoChange();
    expect(result.output).toMatchObject({ request: { dryRun: true, lockHeld: false } });
    const notification = theNotification(world);
    expect(notification.subject).toBe('[riderapp] Rollback dry run: riderapp-service riderapp:15 -> riderapp:14');
    expect(notification.status).toBe('dry-run');
    expect(notification.body).toContain(planStep);
    expect(notification.body).toContain('UpdateService riderapp-service in riderapp-cluster: riderapp:15 -> riderapp:14');
  });
});

describe('rollback state machine: retries, failures and bad input', () => {
  it.each<[string, Fault['command'], Fault['state'], boolean, number]>([
    ['the first DescribeServices of Prepare', DescribeServicesCommand, 'Prepare', false, 1],
    ['the first DescribeServices of ResolveTarget', DescribeServicesCommand, 'ResolveTarget', false, 1],
    ['the UpdateService call (ECS rejects it)', UpdateServiceCommand, 'UpdateService', false, 2],
    ['the SNS Publish of the success notification', PublishCommand, 'NotifySuccess', false, 1],
  ])('retries after one ThrottlingException in %s and still rolls back once', async (_where, command, state, afterEffect, updateServiceCalls) => {
    // Prepare
    const world = new RiderappWorld().fail({ state, command, error: throttling, afterEffect });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.retried).toEqual([state]);
    expect(result.caught).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered.at(-1)).toBe('Done');
    expect(world.deploymentsStarted()).toBe(1);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, updateServiceCalls);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: taskDefinitionArn(14) });
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
    expect(theNotification(world).status).toBe('success');
  });

  it('looks again later, without a Retry, when the first DescribeServices of CheckStability is throttled, and still rolls back once', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'CheckStability', command: DescribeServicesCommand, error: throttling, afterEffect: false });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.retried).toEqual([]);
    expect(result.caught).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered.filter((s) => s === 'CheckStability').length).toBeGreaterThanOrEqual(2);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
    expect(theNotification(world).status).toBe('success');
  });

  it('does not call UpdateService again when its response was lost after ECS started the deployment', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'UpdateService', command: UpdateServiceCommand, error: responseLost, afterEffect: true });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.retried).toEqual(['UpdateService']);
    expect(result.status).toBe('SUCCEEDED');
    expectOneUpdateServiceTo(14);
    expect(world.deploymentsStarted()).toBe(1);
    expect(result.output).toMatchObject({ deployment: { deploymentId: RIDERAPP.rollbackDeploymentId } });
  });

  it.each<[string, Fault['command'], number]>([
    ['Prepare', DescribeServicesCommand, 0],
    ['ResolveTarget', DescribeServicesCommand, 0],
    ['RegisterTaskDefinition', DescribeTaskDefinitionCommand, 0],
    ['UpdateService', DescribeServicesCommand, 0],
    ['CheckStability', DescribeServicesCommand, 1],
    ['ProbeHealth', DescribeServicesCommand, 1],
  ])('notifies the failure at %s on an unexpected AWS error and releases the lock', async (state, command, updateServiceCalls) => {
    // Prepare
    const world = new RiderappWorld().fail({ state, command, error: () => accessDenied() });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.caught).toEqual([state]);
    expect(result.retried).toEqual([]);
    const failedAt = result.statesEntered.indexOf(`FailedAt${state}`);
    expect(result.statesEntered.slice(failedAt - 1)).toEqual([state, `FailedAt${state}`, ...NOTIFIED_FAILURE]);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('AwsCallError');
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, updateServiceCalls);
    const notification = theNotification(world);
    expect(notification.subject).toBe(`[riderapp] Rollback failed at ${state}: riderapp-service`);
    expect(notification.status).toBe('failure');
    expect(notification.body).toContain('AccessDeniedException');

    // Act: a second execution for the same service
    const second = await run(world, CONFIRMED_MANUAL_START);

    // Assess: it took the lock the first one released
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ request: { action: 'rollback', lockHeld: true } });
  });

  it('rolls back when the same ECS failure event is started again after Prepare failed on an AWS error', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'Prepare', command: DescribeServicesCommand, error: () => accessDenied() });
    const first = await run(world, DEPLOYMENT_FAILED);

    // Act
    const second = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(first.status).toBe('FAILED');
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ request: { action: 'rollback', lockHeld: true } });
    expectOneUpdateServiceTo(14);
  });

  it('fails the execution as LockReleaseFailed, after the success notification, when the lock cannot be released', async () => {
    // Prepare
    const world = new RiderappWorld();
    const releaseLock = engine.handlers.ReleaseLock;
    engine.handlers.ReleaseLock = async () => {
      throw new AwsCallError('DynamoDB.DeleteItem(lock)', 'AccessDeniedException: not authorized to perform: dynamodb:DeleteItem');
    };

    // Act
    const result = await run(world, DEPLOYMENT_FAILED).finally(() => {
      engine.handlers.ReleaseLock = releaseLock;
    });

    // Assess
    expect(result.caught).toEqual(['ReleaseLock']);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('LockReleaseFailed');
    expect(result.error?.Cause).toContain('dynamodb:DeleteItem');
    expect(theNotification(world).status).toBe('success');
  });

  it.each<[string, unknown, string]>([
    ['an ECS event without resources', { ...DEPLOYMENT_FAILED, resources: undefined }, 'resources'],
    ['a manual start without CONFIRM', { cluster: RIDERAPP.cluster, service: RIDERAPP.service, target: { taskDefinition: 'riderapp:14' } }, 'confirm'],
    ['a manual start for an unknown service', { ...CONFIRMED_MANUAL_START, service: 'payments-service' }, 'service'],
  ])('rejects %s at Prepare, names the field and changes nothing', async (_input, input, field) => {
    // Prepare
    const world = new RiderappWorld();

    // Act
    const result = await run(world, input);

    // Assess
    expect(result.statesEntered).toEqual(['LoadSettings', 'Prepare', 'FailedAtPrepare', ...NOTIFIED_FAILURE]);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('ValidationError');
    expectNoChange();
    const notification = theNotification(world);
    expect(notification.subject).toContain('Rollback failed at Prepare');
    expect(notification.status).toBe('failure');
    expect(notification.body).toMatch(new RegExp(`^ +Message +${field}: `, 'm'));
    expect(notification.body).toContain('Nothing: the service was not updated.');
  });
});

describe('rollback state machine: timeouts and crashes (each retried once)', () => {
  /** A handler whose first invocation never answers (it hangs before doing anything); later ones are `real`. */
  function hangingOnce(real: TaskHandler): { handler: TaskHandler; release: () => void } {
    let calls = 0;
    let release = (): void => undefined;
    const handler: TaskHandler = (input, context) => {
      calls += 1;
      if (calls > 1) return real(input, context);
      return new Promise((resolve) => {
        release = () => resolve(undefined);
      });
    };
    return { handler, release: () => release() };
  }

  /** A handler that dies `times` times as Lambda reports it (`name`), then runs `real`. */
  function crashing(real: TaskHandler, name: string, times: number): TaskHandler {
    let calls = 0;
    return async (input, context) => {
      calls += 1;
      if (calls > times) return real(input, context);
      const crash = new Error(name === 'Sandbox.Timedout' ? 'Task timed out after 50.00 seconds' : 'Runtime exited with error: signal: killed');
      crash.name = name;
      throw crash;
    };
  }

  it.each<[TaskFunctionId, string]>([
    ['ResolveTarget', 'ResolveTarget'],
    ['CheckStability', 'CheckStability'],
    ['Notify', 'NotifySuccess'],
  ])('rolls back riderapp:15 to riderapp:14 when %s hangs once past its Task timeout (States.Timeout)', async (fn, state) => {
    // Prepare
    const world = new RiderappWorld();
    const hang = hangingOnce(engine.handlers[fn]);
    runs += 1;

    // Act
    const result = await runRollback(engine, world, {
      input: DEPLOYMENT_FAILED,
      executionName: `rollback-${runs}`,
      handlers: { [fn]: hang.handler },
      taskTimeoutSeconds: { [state]: 1 },
    }).finally(hang.release);

    // Assess
    expect(result.retried).toEqual([state]);
    expect(result.caught).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expectOneUpdateServiceTo(14);
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
    expect(theNotification(world).status).toBe('success');
  });

  it.each(CRASH_ERROR_NAMES.filter((name) => name !== 'States.Timeout'))(
    'rolls back riderapp:15 to riderapp:14 when ResolveTarget crashes once with %s',
    async (name) => {
      // Prepare
      const world = new RiderappWorld();
      runs += 1;

      // Act
      const result = await runRollback(engine, world, {
        input: DEPLOYMENT_FAILED,
        executionName: `rollback-${runs}`,
        handlers: { ResolveTarget: crashing(engine.handlers.ResolveTarget, name, 1) },
      });

      // Assess
      expect(result.retried).toEqual(['ResolveTarget']);
      expect(result.status).toBe('SUCCEEDED');
      expectOneUpdateServiceTo(14);
      expect(theNotification(world).status).toBe('success');
    },
  );

  it('notifies the failure and releases the lock when ResolveTarget crashes twice in a row (Runtime.ExitError)', async () => {
    // Prepare
    const world = new RiderappWorld();
    runs += 1;

    // Act
    const result = await runRollback(engine, world, {
      input: DEPLOYMENT_FAILED,
      executionName: `rollback-${runs}`,
      handlers: { ResolveTarget: crashing(engine.handlers.ResolveTarget, 'Runtime.ExitError', 2) },
    });

    // Assess
    expect(result.retried).toEqual(['ResolveTarget']);
    expect(result.caught).toEqual(['ResolveTarget']);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('Runtime.ExitError');
    expectNoChange();
    expect(theNotification(world).subject).toBe('[riderapp] Rollback failed at ResolveTarget: riderapp-service');

    // Act: the next start for the service is not held back by a lock
    const second = await run(world, CONFIRMED_MANUAL_START);

    // Assess
    expect(second.output).toMatchObject({ request: { action: 'rollback', lockHeld: true } });
  });
});
