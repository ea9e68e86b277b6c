/**
 * Issue #9 on the real ASL with the real handlers: a retry of the same execution goes on, the lock
 * never outlives its holder, side effects happen once per execution, endings say what happened.
 */
import { readFileSync } from 'node:fs';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoClient } from '../../lambdas/aws/clients';
import { claimKey } from '../../lambdas/aws/idempotency';
import { createStateTable } from '../../lambdas/aws/state-table';
import type { LocalRunResult } from '../../statemachine/local';
import { type LossyClient, loseAnswers } from '../helpers/lost-answers';
import { type Engine, runRollback, startEngine } from './helpers/engine';
import { ecs, RIDERAPP, RiderappWorld, sfn, taskDefinitionArn, useWorldClock } from './helpers/riderapp-world';

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
