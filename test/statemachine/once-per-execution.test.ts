/**
 * Issue #9 on the real ASL with the real handlers: a retry of the same execution goes on, the lock
 * never outlives its holder, side effects happen once per execution, endings say what happened.
 */
import { readFileSync } from 'node:fs';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoClient } from '../../lambdas/aws/clients';
import { claimKey } from '../../lambdas/aws/idempotency';
import type { LocalRunResult } from '../../statemachine/local';
import { type LossyClient, loseAnswers } from '../helpers/lost-answers';
import { type Engine, runRollback, startEngine } from './helpers/engine';
import { ecs, RiderappWorld, taskDefinitionArn, useWorldClock } from './helpers/riderapp-world';

const DEPLOYMENT_FAILED: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecs-deployment-failed.json', import.meta.url), 'utf8'),
);
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
