import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTriggerClaims } from '../../lambdas/aws/idempotency';
import { checkDuplicateTrigger } from '../../lambdas/core/guards';
import { REASONS } from '../../lambdas/core/reasons';
import type { Trigger } from '../../lambdas/shared/types';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';

const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:b';
const TRIGGER: Trigger = {
  kind: 'deployment-failed',
  id: 'deployment:ecs-svc/4520982937154920815',
  time: '2025-03-04T10:12:30.000Z',
  summary: 'ECS deployment ecs-svc/4520982937154920815 of riderapp-cluster/riderapp-service failed.',
  deploymentId: 'ecs-svc/4520982937154920815',
};
const context = { getRemainingTimeInMillis: () => 50_000 } as unknown as Context;

let dynamo: LocalDynamo;
let tableName: string;
let tables = 0;

const claims = () => createTriggerClaims({ tableName, client: dynamo.client });

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  tables += 1;
  tableName = await dynamo.createTable(`idempotency-test-${tables}`);
});

describe('trigger claims on DynamoDB (Powertools idempotency)', () => {
  it('hands a redelivered ECS failure event to the execution that claimed it first', async () => {
    // Prepare
    const first = await claims().claimTrigger(TRIGGER.id, EXECUTION_A, context);

    // Act
    const second = await claims().claimTrigger(TRIGGER.id, EXECUTION_B, context);

    // Assess
    expect(first).toEqual({ claimedBy: EXECUTION_A, concurrent: false });
    expect(second).toEqual({ claimedBy: EXECUTION_A, concurrent: false });
    expect(checkDuplicateTrigger(TRIGGER, EXECUTION_B, second)).toMatchObject({
      action: 'skip',
      reason: REASONS.DUPLICATE_TRIGGER,
    });
  });

  it('lets a Step Functions retry of the same execution through', async () => {
    // Prepare
    const store = claims();
    await store.claimTrigger(TRIGGER.id, EXECUTION_A, context);

    // Act
    const retry = await store.claimTrigger(TRIGGER.id, EXECUTION_A, context);

    // Assess
    expect(checkDuplicateTrigger(TRIGGER, EXECUTION_A, retry).action).toBe('rollback');
  });

  it('lets exactly one of two executions started by the same event at once go on', async () => {
    // Act
    const results = await Promise.all([
      claims().claimTrigger(TRIGGER.id, EXECUTION_A, context),
      claims().claimTrigger(TRIGGER.id, EXECUTION_B, context),
    ]);

    // Assess
    const verdicts = [
      checkDuplicateTrigger(TRIGGER, EXECUTION_A, results[0]),
      checkDuplicateTrigger(TRIGGER, EXECUTION_B, results[1]),
    ];
    expect(verdicts.filter((v) => v.action === 'rollback')).toHaveLength(1);
    expect(verdicts.filter((v) => v.action === 'skip' && v.reason === REASONS.DUPLICATE_TRIGGER)).toHaveLength(1);
  });

  it('hands the trigger to a new execution once the first one released its claim after failing', async () => {
    // Prepare
    await claims().claimTrigger(TRIGGER.id, EXECUTION_A, context);

    // Act
    await claims().releaseClaim(TRIGGER.id, EXECUTION_A);
    const again = await claims().claimTrigger(TRIGGER.id, EXECUTION_B, context);

    // Assess
    expect(again).toEqual({ claimedBy: EXECUTION_B, concurrent: false });
  });

  it('keeps claims of different triggers apart', async () => {
    // Prepare
    await claims().claimTrigger(TRIGGER.id, EXECUTION_A, context);

    // Act
    const other = await claims().claimTrigger('alarm:riderapp-unhealthy-hosts@2025-03-04T10:20:04.988+0000', EXECUTION_B, context);

    // Assess
    expect(other).toEqual({ claimedBy: EXECUTION_B, concurrent: false });
  });
});
