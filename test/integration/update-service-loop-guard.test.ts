import { readFileSync } from 'node:fs';
import { type Deployment, DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStateTable, recordRollbackDeployment } from '../../lambdas/aws/state-table';
import { REASONS } from '../../lambdas/core/reasons';
import { type PrepareDeps, prepare } from '../../lambdas/prepare/prepare';
import type { RollbackState, ServiceConfig } from '../../lambdas/shared/types';
import { deps as updateServiceDeps, handler as updateService } from '../../lambdas/update-service/handler';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { prepareDepsFor } from '../helpers/prepare-deps';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const ROLLBACK_EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:rollback-1';
const NEXT_EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:after-failure';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const SERVICE_CONFIG: ServiceConfig = { cluster: CLUSTER, service: SERVICE, ecrRepository: 'riderapp', alarmNames: [] };

const failedEvent = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecs-deployment-failed.json', import.meta.url), 'utf8'),
) as { detail: { deploymentId: string } };
/** The deployment the rollback started is the one whose failure the fixture reports. */
const ROLLBACK_DEPLOYMENT_ID = failedEvent.detail.deploymentId;

const failedRiderapp15: Deployment = {
  id: 'ecs-svc/1111111111111111111',
  status: 'PRIMARY',
  taskDefinition: TD(15),
  rolloutState: 'FAILED',
  createdAt: new Date('2025-03-04T10:00:00Z'),
};
const rollbackToRiderapp14: Deployment = {
  id: ROLLBACK_DEPLOYMENT_ID,
  status: 'PRIMARY',
  taskDefinition: TD(14),
  rolloutState: 'IN_PROGRESS',
  createdAt: new Date('2025-03-04T10:05:07Z'),
};

const rollbackState: RollbackState = {
  input: { cluster: CLUSTER, service: SERVICE, confirm: 'CONFIRM' },
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 1800 },
  execution: { id: ROLLBACK_EXECUTION, startTime: '2025-03-04T10:05:00.000Z' },
  request: {
    trigger: { kind: 'manual', id: ROLLBACK_EXECUTION, time: '2025-03-04T10:05:00.000Z', summary: 'Manual rollback' },
    region: 'us-east-1',
    cluster: CLUSTER,
    service: SERVICE,
    serviceConfig: SERVICE_CONFIG,
    dryRun: false,
    rollbackType: 'application',
    action: 'rollback',
    lockHeld: true,
    preparedAt: '2025-03-04T10:05:01.000Z',
  },
  registration: {
    taskDefinitionArn: TD(14),
    family: 'riderapp',
    revision: 14,
    registered: false,
    images: [{ containerName: 'app', image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp:v1.4.0' }],
    registeredAt: '2025-03-04T10:05:03.000Z',
  },
};

const ecsMock = mockClient(ECSClient);
let dynamo: LocalDynamo;
let tables = 0;
let tableName: string;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  ecsMock.reset();
  tables += 1;
  tableName = await dynamo.createTable(`update-service-test-${tables}`);
  vi.spyOn(updateServiceDeps, 'stateTableName').mockReturnValue(tableName);
  vi.spyOn(updateServiceDeps, 'recordRollbackDeployment').mockImplementation((record, options) =>
    recordRollbackDeployment(record, { ...options, client: dynamo.client }),
  );
});

afterEach(() => {
  vi.restoreAllMocks();
});

function prepareDeps(): PrepareDeps {
  return prepareDepsFor(
    {
      services: [SERVICE_CONFIG],
      projectName: 'riderapp',
      stateTableName: tableName,
      alarmRollbackWindowMinutes: 60,
      cooldownMinutes: 30,
      lockTtlSeconds: 7200,
    },
    dynamo.client,
  );
}

describe('Loop guard: UpdateService records its deployment, Prepare reads it (dynalite)', () => {
  it('reports, and does not roll back again, the failure of the riderapp:14 deployment a rollback started', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolvesOnce({
      services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedRiderapp15] }],
    });
    ecsMock.on(UpdateServiceCommand).resolves({
      service: { serviceName: SERVICE, deployments: [rollbackToRiderapp14, { ...failedRiderapp15, status: 'ACTIVE' }] },
    });
    const deployment = await updateService(rollbackState);
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: SERVICE,
          status: 'ACTIVE',
          deployments: [{ ...rollbackToRiderapp14, rolloutState: 'FAILED' }, { ...failedRiderapp15, status: 'ACTIVE' }],
        },
      ],
    });
    const failureOfTheRollback: RollbackState = {
      input: failedEvent,
      settings: rollbackState.settings,
      execution: { id: NEXT_EXECUTION, startTime: '2025-03-04T10:21:00.000Z' },
    };
    const stateTable = createStateTable({ tableName, client: dynamo.client });

    // Act
    const request = await prepare(failureOfTheRollback, prepareDeps());

    // Assess
    expect(deployment.deploymentId).toBe(ROLLBACK_DEPLOYMENT_ID);
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.OWN_DEPLOYMENT_FAILED, lockHeld: false });
    expect(request.actionMessage).toContain(ROLLBACK_EXECUTION);
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(await stateTable.acquireLock(CLUSTER, SERVICE, 'probe', 60)).toMatchObject({ acquired: true });
  });

  it('rolls back a failed deployment that no rollback started (the record names only its own deployment)', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedRiderapp15] }],
    });
    ecsMock.on(UpdateServiceCommand).resolves({
      service: { serviceName: SERVICE, deployments: [{ ...rollbackToRiderapp14, id: 'ecs-svc/9999999999999999999' }] },
    });
    await updateService(rollbackState);
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [{ ...failedRiderapp15, id: failedEvent.detail.deploymentId }] }],
    });
    const failure: RollbackState = {
      input: failedEvent,
      settings: rollbackState.settings,
      execution: { id: NEXT_EXECUTION, startTime: '2025-03-04T10:21:00.000Z' },
    };

    // Act
    const request = await prepare(failure, prepareDeps());

    // Assess
    expect(request).toMatchObject({ action: 'rollback', lockHeld: true });
  });
});
