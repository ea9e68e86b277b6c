import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStateTable, type StateTable } from '../../lambdas/aws/state-table';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:b';
const T0 = new Date('2025-03-04T10:13:00Z');
const secondsLater = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

let dynamo: LocalDynamo;
let tableName: string;
let tables = 0;

const tableAt = (time: Date): StateTable => createStateTable({ tableName, client: dynamo.client, now: () => time });

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  tables += 1;
  tableName = await dynamo.createTable(`state-table-test-${tables}`);
});

describe('per-service lock on DynamoDB', () => {
  it('lets exactly one of two executions that start at once roll back riderapp-service', async () => {
    // Prepare
    const table = tableAt(T0);

    // Act
    const [a, b] = await Promise.all([
      table.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200),
      table.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200),
    ]);

    // Assess
    expect([a.acquired, b.acquired].filter(Boolean)).toHaveLength(1);
    const winner = a.acquired ? EXECUTION_A : EXECUTION_B;
    expect(a.holder).toBe(winner);
    expect(b.holder).toBe(winner);
  });

  it('gives the lock again to the execution that holds it (a Step Functions retry of Prepare)', async () => {
    // Prepare
    await tableAt(T0).acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

    // Act
    const retry = await tableAt(secondsLater(5)).acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

    // Assess
    expect(retry).toEqual({ acquired: true, holder: EXECUTION_A, expiresAt: secondsLater(5 + 7200).toISOString() });
  });

  it('keeps a crashed execution’s lock until its TTL, then lets another execution take it', async () => {
    // Prepare
    await tableAt(T0).acquireLock(CLUSTER, SERVICE, EXECUTION_A, 600);

    // Act
    const beforeExpiry = await tableAt(secondsLater(599)).acquireLock(CLUSTER, SERVICE, EXECUTION_B, 600);
    const afterExpiry = await tableAt(secondsLater(601)).acquireLock(CLUSTER, SERVICE, EXECUTION_B, 600);

    // Assess
    expect(beforeExpiry).toEqual({ acquired: false, holder: EXECUTION_A, expiresAt: secondsLater(600).toISOString() });
    expect(afterExpiry.acquired).toBe(true);
    expect(afterExpiry.holder).toBe(EXECUTION_B);
  });

  it('lets only the holder release the lock, and releasing a lock that is gone is not an error', async () => {
    // Prepare
    const table = tableAt(T0);
    await table.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

    // Act
    const byOther = await table.releaseLock(CLUSTER, SERVICE, EXECUTION_B);
    const stillHeld = await table.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200);
    const byHolder = await table.releaseLock(CLUSTER, SERVICE, EXECUTION_A);
    const again = await table.releaseLock(CLUSTER, SERVICE, EXECUTION_A);
    const free = await table.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200);

    // Assess
    expect(byOther).toBe(false);
    expect(stillHeld).toMatchObject({ acquired: false, holder: EXECUTION_A });
    expect(byHolder).toBe(true);
    expect(again).toBe(false);
    expect(free).toMatchObject({ acquired: true, holder: EXECUTION_B });
  });

  it('locks each service on its own', async () => {
    // Prepare
    const table = tableAt(T0);
    await table.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

    // Act
    const other = await table.acquireLock(CLUSTER, 'riderapp-worker', EXECUTION_B, 7200);

    // Assess
    expect(other.acquired).toBe(true);
  });
});

describe('cool-down and the loop guard records', () => {
  it('reports a running cool-down of riderapp-service and forgets it once it has ended', async () => {
    // Prepare
    const until = await tableAt(T0).startCooldown(CLUSTER, SERVICE, 30, EXECUTION_A);

    // Act
    const during = await tableAt(secondsLater(29 * 60)).cooldownUntil(CLUSTER, SERVICE);
    const afterwards = await tableAt(secondsLater(31 * 60)).cooldownUntil(CLUSTER, SERVICE);

    // Assess
    expect(until).toBe(secondsLater(30 * 60).toISOString());
    expect(during).toBe(until);
    expect(afterwards).toBeUndefined();
  });

  it('remembers the deployments this system started, and only those', async () => {
    // Prepare
    const table = tableAt(T0);
    await table.recordRollbackDeployment({
      deploymentId: 'ecs-svc/7390158264829103746',
      cluster: CLUSTER,
      service: SERVICE,
      executionId: EXECUTION_A,
    });

    // Act
    const own = await table.findOwnDeployment('ecs-svc/7390158264829103746');
    const humans = await table.isOwnDeployment('ecs-svc/4520982937154920815');

    // Assess
    expect(own).toEqual({
      deploymentId: 'ecs-svc/7390158264829103746',
      cluster: CLUSTER,
      service: SERVICE,
      executionId: EXECUTION_A,
      recordedAt: T0.toISOString(),
    });
    expect(humans).toBe(false);
  });
});
