import { readFileSync } from 'node:fs';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StateTable } from '../../lambdas/aws/state-table';
import { REASONS } from '../../lambdas/core/reasons';
import { type PrepareDeps, prepare } from '../../lambdas/prepare/prepare';
import { type ExecutionStatusChange, releaseLock, releaseLockOfEndedExecution } from '../../lambdas/release-lock/release';
import type { RollbackState, ServiceConfig } from '../../lambdas/shared/types';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { prepareDepsFor } from '../helpers/prepare-deps';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:b';
const NOW = new Date('2025-03-04T10:21:00Z');
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const SERVICE_CONFIG: ServiceConfig = {
  cluster: CLUSTER,
  service: SERVICE,
  ecrRepository: 'riderapp',
  alarmNames: ['riderapp-unhealthy-hosts'],
};

const event = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));

const stateFor = (input: unknown, executionId: string): RollbackState => ({
  input,
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 1800 },
  execution: { id: executionId, startTime: NOW.toISOString() },
});

const ecsMock = mockClient(ECSClient);
let dynamo: LocalDynamo;
let stateTable: StateTable;
let deps: PrepareDeps;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  ecsMock.reset();
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: SERVICE,
        status: 'ACTIVE',
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
        deployments: [
          {
            id: 'ecs-svc/4520982937154920815',
            status: 'PRIMARY',
            taskDefinition: TD(15),
            rolloutState: 'FAILED',
            rolloutStateReason: 'ECS deployment circuit breaker: task failed to start.',
            createdAt: new Date('2025-03-04T10:00:00Z'),
          },
          {
            id: 'ecs-svc/1187736251029384756',
            status: 'ACTIVE',
            taskDefinition: TD(14),
            rolloutState: 'COMPLETED',
            createdAt: new Date('2025-03-01T09:00:00Z'),
          },
        ],
      },
    ],
    failures: [],
  });
  tables += 1;
  const tableName = await dynamo.createTable(`prepare-test-${tables}`);
  deps = prepareDepsFor(
    {
      services: [SERVICE_CONFIG],
      projectName: 'riderapp',
      stateTableName: tableName,
      alarmRollbackWindowMinutes: 60,
      cooldownMinutes: 30,
      lockTtlSeconds: 7200,
    },
    dynamo.client,
    NOW,
  );
  stateTable = deps.stateTable;
});

describe('Prepare on DynamoDB (dynalite) with ECS mocked', () => {
  it('rolls back after a failed deployment and holds the lock of riderapp-service', async () => {
    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed'), EXECUTION_A), deps);

    // Assess
    expect(request).toMatchObject({ action: 'rollback', lockHeld: true, cluster: CLUSTER, service: SERVICE });
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200)).toMatchObject({
      acquired: false,
      holder: EXECUTION_A,
    });
  });

  it('skips a second delivery of the same ECS failure event as a duplicate, without touching the lock', async () => {
    // Prepare
    await prepare(stateFor(event('ecs-deployment-failed'), EXECUTION_A), deps);
    await stateTable.releaseLock(CLUSTER, SERVICE, EXECUTION_A);

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed'), EXECUTION_B), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.DUPLICATE_TRIGGER, lockHeld: false });
    expect(request.actionMessage).toContain(EXECUTION_A);
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, 'probe', 60)).toMatchObject({ acquired: true });
  });

  it('reports, and does not roll back again, the failure of a rollback deployment this system started', async () => {
    // Prepare
    await stateTable.recordRollbackDeployment({
      deploymentId: 'ecs-svc/4520982937154920815',
      cluster: CLUSTER,
      service: SERVICE,
      executionId: EXECUTION_A,
    });

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed'), EXECUTION_B), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.OWN_DEPLOYMENT_FAILED, lockHeld: false });
    expect(request.actionMessage).toContain('reported, not rolled back again');
  });

  it('turns an alarm during the cool-down after a rollback into a notification', async () => {
    // Prepare
    const until = await stateTable.startCooldown(CLUSTER, SERVICE, 30, EXECUTION_A);

    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change'), EXECUTION_B), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.COOLDOWN_ACTIVE, lockHeld: false });
    expect(request.actionMessage).toContain(until);
  });

  it('lets a confirmed manual start through a running cool-down', async () => {
    // Prepare
    await stateTable.startCooldown(CLUSTER, SERVICE, 30, EXECUTION_A);

    // Act
    const request = await prepare(stateFor(event('manual-start'), EXECUTION_B), deps);

    // Assess
    expect(request).toMatchObject({ action: 'rollback', lockHeld: true, target: { taskDefinition: 'riderapp:14' } });
  });

  it('skips an alarm while another execution holds the lock, naming that execution', async () => {
    // Prepare
    await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change'), EXECUTION_B), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.ROLLBACK_IN_PROGRESS, lockHeld: false });
    expect(request.actionMessage).toContain(EXECUTION_A);
  });

  it('takes no lock for a dry run', async () => {
    // Act
    const request = await prepare(stateFor(event('manual-dry-run'), EXECUTION_A), deps);

    // Assess
    expect(request).toMatchObject({ action: 'rollback', dryRun: true, lockHeld: false });
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200)).toMatchObject({ acquired: true });
  });
});

describe('the lock never outlives its holder (takeover and release by holder, on dynalite)', () => {
  const withStatuses = (statuses: Record<string, string>): PrepareDeps => ({
    ...deps,
    executionStatus: async (arn) => statuses[arn] ?? 'RUNNING',
  });

  it.each(['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED', 'MISSING'])(
    'takes over the lock of riderapp-service from an execution that ended as %s, so the next rollback is not skipped',
    async (status) => {
      // Prepare: execution A took the lock and ended without releasing it
      await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

      // Act
      const request = await prepare(stateFor(event('cloudwatch-alarm-state-change'), EXECUTION_B), withStatuses({ [EXECUTION_A]: status }));

      // Assess
      expect(request).toMatchObject({ action: 'rollback', lockHeld: true });
      expect(await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200)).toMatchObject({ acquired: false, holder: EXECUTION_B });
    },
  );

  it.each(['RUNNING', 'PENDING_REDRIVE'])('leaves the lock to a holder that is %s (RollbackInProgress)', async (status) => {
    // Prepare
    await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);

    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change'), EXECUTION_B), withStatuses({ [EXECUTION_A]: status }));

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.ROLLBACK_IN_PROGRESS, lockHeld: false });
    expect(request.actionMessage).toContain(EXECUTION_A);
  });

  it('lets exactly one of two executions take over the lock of an ended holder', async () => {
    // Prepare
    await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);
    const ended = withStatuses({ [EXECUTION_A]: 'ABORTED' });
    const EXECUTION_C = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:c';

    // Act
    const results = await Promise.all([
      stateTable.takeOverLock(CLUSTER, SERVICE, EXECUTION_A, EXECUTION_B, 7200),
      ended.stateTable.takeOverLock(CLUSTER, SERVICE, EXECUTION_A, EXECUTION_C, 7200),
    ]);

    // Assess
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
    const winner = results.find((r) => r.acquired)?.holder;
    expect(results.find((r) => !r.acquired)?.holder).toBe(winner);
  });

  it('ReleaseLock frees the lock of an execution whose Prepare result never arrived (no $.request)', async () => {
    // Prepare: Prepare took the lock, then failed (its result is not in the state)
    await prepare(stateFor(event('ecs-deployment-failed'), EXECUTION_A), deps);

    // Act
    const result = await releaseLock(
      { execution: { id: EXECUTION_A, startTime: NOW.toISOString() }, failure: { step: 'Prepare', error: 'States.Timeout', cause: '' } },
      { stateTable, cooldownMinutes: 30 },
    );

    // Assess
    expect(result).toEqual({ released: true });
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200)).toMatchObject({ acquired: true });
    expect(await stateTable.cooldownUntil(CLUSTER, SERVICE)).toBeUndefined();
  });

  it('frees the lock of an execution that was stopped when its status-change event arrives', async () => {
    // Prepare
    await prepare(stateFor(event('ecs-deployment-failed'), EXECUTION_A), deps);

    // Act
    const result = await releaseLockOfEndedExecution(statusChange(EXECUTION_A, 'ABORTED'), { stateTable });

    // Assess
    expect(result).toEqual({ released: true, service: `${CLUSTER}/${SERVICE}` });
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_B, 7200)).toMatchObject({ acquired: true });
  });

  it('leaves a lock alone when the status-change event names an execution that does not hold it', async () => {
    // Prepare: A held the lock once, then B took it over
    await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200);
    await stateTable.takeOverLock(CLUSTER, SERVICE, EXECUTION_A, EXECUTION_B, 7200);

    // Act
    const result = await releaseLockOfEndedExecution(statusChange(EXECUTION_A, 'TIMED_OUT'), { stateTable });

    // Assess
    expect(result).toEqual({ released: false });
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, EXECUTION_A, 7200)).toMatchObject({ acquired: false, holder: EXECUTION_B });
  });
});

function statusChange(executionArn: string, status: string): ExecutionStatusChange {
  return {
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn, status },
  };
}
