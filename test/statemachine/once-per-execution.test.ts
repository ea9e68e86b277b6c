/**
 * Issue #9 on the real ASL with the real handlers: a retry of the same execution goes on, the lock
 * never outlives its holder, side effects happen once per execution, endings say what happened.
 */
import { readFileSync } from 'node:fs';
import { RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoClient } from '../../lambdas/aws/clients';
import { claimKey } from '../../lambdas/aws/idempotency';
import { createStateTable, lockKey } from '../../lambdas/aws/state-table';
import { REPEATED_NOTE } from '../../lambdas/notify/notify';
import type { LocalRunResult } from '../../statemachine/local';
import { type LossyClient, loseAnswers } from '../helpers/lost-answers';
import { type Engine, runRollback, startEngine } from './helpers/engine';
import {
  ecs,
  RIDERAPP,
  RiderappWorld,
  responseLost,
  sfn,
  sns,
  taskDefinitionArn,
  throttling,
  useWorldClock,
} from './helpers/riderapp-world';

const DEPLOYMENT_FAILED: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecs-deployment-failed.json', import.meta.url), 'utf8'),
);
const CONFIRMED_MANUAL_START = { cluster: RIDERAPP.cluster, service: RIDERAPP.service, confirm: 'CONFIRM', requestedBy: 'octocat' };
const FAILED_DEPLOYMENT_TRIGGER = `deployment:${(DEPLOYMENT_FAILED.detail as { deploymentId: string }).deploymentId}`;

let engine: Engine;
let runs = 0;
let lossy: LossyClient<ReturnType<typeof dynamoClient>> | undefined;

function run(world: RiderappWorld, input: unknown): Promise<LocalRunResult> {
  runs += 1;
  return runRollback(engine, world, { input, executionName: `once-${runs}` });
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
  lossy?.remove();
  lossy = undefined;
  vi.useRealTimers();
});

describe('trigger claims: a retry of the same execution goes on', () => {
  it('a retry of the same execution after a lost claim answer rolls back instead of skipping as a duplicate', async () => {
    // Prepare: DynamoDB stores Prepare's claim, the answer is lost on the way back
    const world = new RiderappWorld();
    const key = claimKey(FAILED_DEPLOYMENT_TRIGGER);
    lossy = loseAnswers(dynamoClient(), [
      { command: 'PutItemCommand', when: (input) => (input.Item as { id?: { S?: string } }).id?.S === key },
    ]);

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(lossy.lost()).toBe(1);
    expect(result.retried).toEqual(['Prepare']);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ request: { action: 'rollback', lockHeld: true } });
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: taskDefinitionArn(14) });
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
    expect(world.published().map((m) => m.MessageAttributes?.status?.StringValue)).toEqual(['success']);
  });

  it('a second execution for the same event after the first one claimed it is still skipped as a duplicate', async () => {
    // Prepare
    const world = new RiderappWorld();
    const first = await run(world, DEPLOYMENT_FAILED);

    // Act
    const second = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ request: { action: 'skip', actionReason: 'DuplicateTrigger' } });
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });
});

describe('the lock never outlives its holder', () => {
  it('an execution whose Prepare crashes after taking the lock frees it on the way out, so the next confirmed start rolls back', async () => {
    // Prepare: Prepare does its work (claim, guards, lock), then the runtime dies before it answers
    const world = new RiderappWorld();
    const prepare = engine.handlers.Prepare;
    engine.handlers.Prepare = async (event, context) => {
      await prepare(event, context);
      throw Object.assign(new Error('RequestId: 1f0e Error: Runtime exited with error: signal: killed'), { name: 'Runtime.ExitError' });
    };
    const crashed = await run(world, DEPLOYMENT_FAILED).finally(() => {
      engine.handlers.Prepare = prepare;
    });

    // Act
    const next = await run(world, CONFIRMED_MANUAL_START);

    // Assess
    expect(crashed.status).toBe('FAILED');
    expect(crashed.statesEntered).toContain('FailedAtPrepare');
    expect(next.status).toBe('SUCCEEDED');
    expect(next.output).toMatchObject({ request: { action: 'rollback', lockHeld: true } });
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
  });

  it('takes over the lock left by an execution that was stopped, instead of skipping as RollbackInProgress', async () => {
    // Prepare: a stopped execution still holds the lock (its status-change event was never delivered)
    const world = new RiderappWorld();
    const stopped = 'arn:aws:states:us-east-1:111122223333:execution:ecs-auto-rollback:stopped-by-hand';
    const table = createStateTable({ tableName: engine.dynamo.tableName, client: engine.dynamo.client });
    await table.acquireLock(RIDERAPP.cluster, RIDERAPP.service, stopped, 7200);
    sfn.on(DescribeExecutionCommand, { executionArn: stopped }).resolves({ status: 'ABORTED' });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ request: { action: 'rollback', lockHeld: true } });
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(world.published().map((m) => m.MessageAttributes?.status?.StringValue)).toEqual(['success']);
  });

  it('still skips as RollbackInProgress while the holder is RUNNING', async () => {
    // Prepare
    const world = new RiderappWorld();
    const running = 'arn:aws:states:us-east-1:111122223333:execution:ecs-auto-rollback:still-running';
    const table = createStateTable({ tableName: engine.dynamo.tableName, client: engine.dynamo.client });
    await table.acquireLock(RIDERAPP.cluster, RIDERAPP.service, running, 7200);

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.output).toMatchObject({ request: { action: 'skip', actionReason: 'RollbackInProgress' } });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: running });
  });
});

describe('every side effect once per execution', () => {
  it('registers one task definition revision when the RegisterTaskDefinition answer was lost after ECS registered it', async () => {
    // Prepare: no ECS history, so the rollback registers a copy of riderapp:15 with the previous image
    const world = new RiderappWorld({ history: 'none', ecrImages: 'all' }).fail({
      state: 'RegisterTaskDefinition',
      command: RegisterTaskDefinitionCommand,
      error: responseLost,
      afterEffect: true,
    });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.retried).toEqual(['RegisterTaskDefinition']);
    expect(result.status).toBe('SUCCEEDED');
    expect(world.registeredRevisions()).toEqual([16]);
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: taskDefinitionArn(16) });
  });

  it('starts one deployment when the UpdateService answer was lost: the SDK does not repeat the call, the retry finds the deployment', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'UpdateService', command: UpdateServiceCommand, error: responseLost, afterEffect: true });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(world.deploymentsStarted()).toBe(1);
  });

  it('publishes the notification again, saying so, when the answer to the first Publish was lost (two messages beat none)', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'NotifySuccess', command: PublishCommand, error: responseLost, afterEffect: true });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    const [first, second] = world.published();
    expect(first?.Message).not.toContain(REPEATED_NOTE);
    expect(second?.Message).toContain(REPEATED_NOTE);
    expect(result.output).toMatchObject({ notification: { kind: 'success', repeated: true } });
  });

  it('publishes once, without a note, when SNS throttled the first Publish (it did not take the message)', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'NotifySuccess', command: PublishCommand, error: throttling });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(world.published()).toHaveLength(1);
    expect(world.published()[0]?.Message).not.toContain(REPEATED_NOTE);
    expect(result.output?.notification?.repeated).toBeUndefined();
  });

  it('does not publish twice when Notify fails after SNS took the message and is retried', async () => {
    // Prepare: Notify publishes, then its invocation fails in a way the state machine retries
    const world = new RiderappWorld();
    const notify = engine.handlers.Notify;
    let calls = 0;
    engine.handlers.Notify = async (event, context) => {
      calls += 1;
      const answer = await notify(event, context);
      if (calls === 1) throw Object.assign(new Error('Lambda is unable to send the response'), { name: 'Lambda.ServiceException' });
      return answer;
    };

    // Act
    const result = await run(world, DEPLOYMENT_FAILED).finally(() => {
      engine.handlers.Notify = notify;
    });

    // Assess
    expect(result.retried).toEqual(['NotifySuccess']);
    expect(result.status).toBe('SUCCEEDED');
    expect(world.published()).toHaveLength(1);
    expect(result.output).toMatchObject({ notification: { kind: 'success', publishedBefore: true } });
  });
});

describe('endings that say what really happened', () => {
  it('does not end as LockReleaseFailed when DynamoDB freed the lock but its answer was lost', async () => {
    // Prepare: the lock's DeleteItem commits, the answer is lost on the way back
    const world = new RiderappWorld();
    const key = lockKey(RIDERAPP.cluster, RIDERAPP.service);
    lossy = loseAnswers(dynamoClient(), [{ command: 'DeleteItemCommand', when: (input) => (input.Key as { id?: { S?: string } }).id?.S === key }]);

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);
    const next = await run(world, CONFIRMED_MANUAL_START);

    // Assess
    expect(lossy.lost()).toBe(1);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).not.toContain('LockReleaseFailed');
    expect(world.runningTaskDefinition()).toBe('riderapp:14');
    expect(next.output?.request?.actionReason).not.toBe('RollbackInProgress');
  });

  it('does not end as NotificationFailed when Notify crashed after SNS took its message', async () => {
    // Prepare: every Notify attempt publishes (only the first reaches SNS: the others see the record), then the runtime dies
    const world = new RiderappWorld();
    const notify = engine.handlers.Notify;
    engine.handlers.Notify = async (event, context) => {
      await notify(event, context);
      throw Object.assign(new Error('Runtime exited with error: signal: killed'), { name: 'Runtime.ExitError' });
    };

    // Act
    const result = await run(world, DEPLOYMENT_FAILED).finally(() => {
      engine.handlers.Notify = notify;
    });

    // Assess
    expect(world.published()).toHaveLength(1);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ lockRelease: { released: true, notificationPublished: true } });
  });

  it('still ends as NotificationFailed when no message went out', async () => {
    // Prepare
    const world = new RiderappWorld();
    const notify = engine.handlers.Notify;
    engine.handlers.Notify = async () => {
      throw Object.assign(new Error('Runtime exited with error: signal: killed'), { name: 'Runtime.ExitError' });
    };

    // Act
    const result = await run(world, DEPLOYMENT_FAILED).finally(() => {
      engine.handlers.Notify = notify;
    });

    // Assess
    expect(world.published()).toHaveLength(0);
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('NotificationFailed');
  });

  it('starts no cool-down when UpdateService failed before ECS took the call', async () => {
    // Prepare: ECS rejects UpdateService (nothing deployed)
    const world = new RiderappWorld().fail({ state: 'UpdateService', command: UpdateServiceCommand, error: () => accessDeniedUpdate() });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(world.deploymentsStarted()).toBe(0);
    const table = createStateTable({ tableName: engine.dynamo.tableName, client: engine.dynamo.client });
    expect(await table.cooldownUntil(RIDERAPP.cluster, RIDERAPP.service)).toBeUndefined();
  });

  it('starts the cool-down when UpdateService timed out after ECS started the deployment', async () => {
    // Prepare: the call takes effect, then the Task times out (not retried)
    const world = new RiderappWorld().fail({
      state: 'UpdateService',
      command: UpdateServiceCommand,
      error: () => Object.assign(new Error('Task timed out'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }),
      afterEffect: true,
    });

    // Act
    const result = await run(world, DEPLOYMENT_FAILED);

    // Assess
    expect(world.deploymentsStarted()).toBe(1);
    const table = createStateTable({ tableName: engine.dynamo.tableName, client: engine.dynamo.client });
    expect(await table.cooldownUntil(RIDERAPP.cluster, RIDERAPP.service)).toBeDefined();
    expect(result.status).toBe('FAILED');
  });
});

function accessDeniedUpdate(): Error {
  return Object.assign(new Error('User is not authorized to perform: ecs:UpdateService'), {
    name: 'AccessDeniedException',
    $fault: 'client' as const,
    $metadata: { httpStatusCode: 400 },
  });
}
