import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimKey, createTriggerClaims } from '../../lambdas/aws/idempotency';
import { checkDuplicateTrigger } from '../../lambdas/core/guards';
import { REASONS } from '../../lambdas/core/reasons';
import { TransientAwsError } from '../../lambdas/shared/errors';
import type { Trigger } from '../../lambdas/shared/types';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { lossyDynamo } from '../helpers/lost-answers';

const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:b';
const TRIGGER: Trigger = {
  kind: 'deployment-failed',
  id: 'deployment:ecs-svc/4520982937154920815',
  time: '2025-03-04T10:12:30.000Z',
  summary: 'ECS deployment ecs-svc/4520982937154920815 of riderapp-cluster/riderapp-service failed.',
  deploymentId: 'ecs-svc/4520982937154920815',
};

let dynamo: LocalDynamo;
let tableName: string;
let tables = 0;

const claims = () => createTriggerClaims({ tableName, client: dynamo.client });
const isClaimWrite = (input: Record<string, unknown>): boolean =>
  (input.Item as { id?: { S?: string } } | undefined)?.id?.S === claimKey(TRIGGER.id);

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

describe('trigger claims on DynamoDB (a conditional write on the claimer)', () => {
  it('hands a redelivered ECS failure event to the execution that claimed it first', async () => {
    // Prepare
    const first = await claims().claimTrigger(TRIGGER.id, EXECUTION_A);

    // Act
    const second = await claims().claimTrigger(TRIGGER.id, EXECUTION_B);

    // Assess
    expect(first).toEqual({ claimedBy: EXECUTION_A });
    expect(second).toEqual({ claimedBy: EXECUTION_A });
    expect(checkDuplicateTrigger(TRIGGER, EXECUTION_B, second)).toMatchObject({
      action: 'skip',
      reason: REASONS.DUPLICATE_TRIGGER,
    });
  });

  it('lets a Step Functions retry of the same execution through', async () => {
    // Prepare
    const store = claims();
    await store.claimTrigger(TRIGGER.id, EXECUTION_A);

    // Act
    const retry = await store.claimTrigger(TRIGGER.id, EXECUTION_A);

    // Assess
    expect(checkDuplicateTrigger(TRIGGER, EXECUTION_A, retry).action).toBe('rollback');
  });

  it('a retry of the same execution after a lost claim answer rolls back instead of skipping as a duplicate', async () => {
    // Prepare: the claim is written, but its answer never reaches Prepare
    const lossy = lossyDynamo(dynamo, [{ command: 'PutItemCommand', when: isClaimWrite }]);
    const firstAttempt = createTriggerClaims({ tableName, client: lossy.client }).claimTrigger(TRIGGER.id, EXECUTION_A);
    await expect(firstAttempt).rejects.toBeInstanceOf(TransientAwsError);
    expect(lossy.lost()).toBe(1);

    // Act: the state machine retries Prepare in the same execution
    const retry = await createTriggerClaims({ tableName, client: lossy.client }).claimTrigger(TRIGGER.id, EXECUTION_A);

    // Assess
    expect(retry).toEqual({ claimedBy: EXECUTION_A });
    expect(checkDuplicateTrigger(TRIGGER, EXECUTION_A, retry).action).toBe('rollback');
    expect(await claims().claimTrigger(TRIGGER.id, EXECUTION_B)).toEqual({ claimedBy: EXECUTION_A });
  });

  it('lets exactly one of two executions started by the same event at once go on', async () => {
    // Act
    const results = await Promise.all([
      claims().claimTrigger(TRIGGER.id, EXECUTION_A),
      claims().claimTrigger(TRIGGER.id, EXECUTION_B),
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
    await claims().claimTrigger(TRIGGER.id, EXECUTION_A);

    // Act
    await claims().releaseClaim(TRIGGER.id, EXECUTION_A);
    const again = await claims().claimTrigger(TRIGGER.id, EXECUTION_B);

    // Assess
    expect(again).toEqual({ claimedBy: EXECUTION_B });
  });

  it('does not release a claim that another execution holds', async () => {
    // Prepare
    await claims().claimTrigger(TRIGGER.id, EXECUTION_A);

    // Act
    await claims().releaseClaim(TRIGGER.id, EXECUTION_B);

    // Assess
    expect(await claims().claimTrigger(TRIGGER.id, EXECUTION_B)).toEqual({ claimedBy: EXECUTION_A });
  });

  it('hands an expired claim to the next execution', async () => {
    // Prepare
    const at = (iso: string) => createTriggerClaims({ tableName, client: dynamo.client, now: () => new Date(iso) });
    await at('2025-03-04T10:12:31Z').claimTrigger(TRIGGER.id, EXECUTION_A);

    // Act
    const later = await at('2025-03-06T10:12:32Z').claimTrigger(TRIGGER.id, EXECUTION_B);

    // Assess
    expect(later).toEqual({ claimedBy: EXECUTION_B });
  });

  it('keeps claims of different triggers apart', async () => {
    // Prepare
    await claims().claimTrigger(TRIGGER.id, EXECUTION_A);

    // Act
    const other = await claims().claimTrigger('alarm:riderapp-unhealthy-hosts@2025-03-04T10:20:04.988+0000', EXECUTION_B);

    // Assess
    expect(other).toEqual({ claimedBy: EXECUTION_B });
  });
});
