import { type Deployment, DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError, ServiceNotFoundError, TransientAwsError, ValidationError } from '../../lambdas/shared/errors';
import type { RollbackState } from '../../lambdas/shared/types';
import { handler } from '../../lambdas/update-service/handler';

const ecsMock = mockClient(ECSClient);

const ACCOUNT = '111122223333';
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
const RIDERAPP_14 = `${TD}/riderapp:14`;
const RIDERAPP_15 = `${TD}/riderapp:15`;
const EXECUTION_START = '2024-05-01T12:00:00.000Z';
const ROLLBACK_ID = 'ecs-svc/2222222222222222222';

const failedDeployment: Deployment = {
  id: 'ecs-svc/1111111111111111111',
  status: 'PRIMARY',
  taskDefinition: RIDERAPP_15,
  rolloutState: 'FAILED',
  createdAt: new Date('2024-05-01T11:50:00.000Z'),
};

const rollbackDeployment: Deployment = {
  id: ROLLBACK_ID,
  status: 'PRIMARY',
  taskDefinition: RIDERAPP_14,
  rolloutState: 'IN_PROGRESS',
  createdAt: new Date('2024-05-01T12:00:07.000Z'),
};

function state(overrides: Partial<RollbackState> = {}): RollbackState {
  return {
    input: {},
    settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
    execution: { id: `arn:aws:states:us-east-1:${ACCOUNT}:execution:riderapp-rollback:exec-1`, startTime: EXECUTION_START },
    request: {
      cluster: CLUSTER,
      service: SERVICE,
      region: 'us-east-1',
      serviceConfig: { cluster: CLUSTER, service: SERVICE, ecrRepository: 'riderapp', alarmNames: [] },
      trigger: { kind: 'deployment-failed', id: 'evt-1', time: '2024-05-01T11:59:50Z', summary: 'ECS deployment failed' },
      dryRun: false,
      rollbackType: 'application',
      action: 'rollback',
      lockHeld: true,
      preparedAt: '2024-05-01T12:00:01.000Z',
    },
    registration: {
      taskDefinitionArn: RIDERAPP_14,
      family: 'riderapp',
      revision: 14,
      registered: false,
      images: [{ containerName: 'app', image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/riderapp:v1.4.0` }],
      registeredAt: '2024-05-01T12:00:05.000Z',
    },
    ...overrides,
  };
}

describe('UpdateService', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('rolls back riderapp:15 to riderapp:14 with one UpdateService and returns the new deployment', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedDeployment] }] });
    ecsMock.on(UpdateServiceCommand).resolves({
      service: { serviceName: SERVICE, deployments: [rollbackDeployment, { ...failedDeployment, status: 'ACTIVE' }] },
    });

    // Act
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: CLUSTER, service: SERVICE, taskDefinition: RIDERAPP_14 });
    expect(deployment).toEqual({ deploymentId: ROLLBACK_ID, taskDefinitionArn: RIDERAPP_14, startedAt: '2024-05-01T12:00:07.000Z' });
  });

  it('does not update the service a second time when a retry finds the riderapp:14 deployment it started', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [rollbackDeployment, { ...failedDeployment, status: 'ACTIVE' }] }],
    });

    // Act
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(deployment.deploymentId).toBe(ROLLBACK_ID);
  });

  it('updates the service when riderapp:14 is PRIMARY only from before this execution', async () => {
    // Prepare
    const earlier = { ...rollbackDeployment, id: 'ecs-svc/0000', createdAt: new Date('2024-05-01T10:00:00.000Z') };
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [earlier] }] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { serviceName: SERVICE, deployments: [rollbackDeployment] } });

    // Act
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(deployment.deploymentId).toBe(ROLLBACK_ID);
  });

  it('changes nothing when ECS does not know the service', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });

    // Act & Assess
    await expect(handler(state())).rejects.toThrow(ServiceNotFoundError);
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('rejects a state without a registration and calls nothing', async () => {
    // Prepare
    const { registration: _omitted, ...withoutRegistration } = state();

    // Act & Assess
    await expect(handler(withoutRegistration as RollbackState)).rejects.toThrow(ValidationError);
    await expect(handler(withoutRegistration as RollbackState)).rejects.toThrow(/registration\.taskDefinitionArn/);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
  });

  it.each([
    ['throttling is retried by the state machine', { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, TransientAwsError],
    ['access denied goes to the failure path', { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, AwsCallError],
  ])('maps an UpdateService error: %s', async (_scenario, sdkError, expected) => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedDeployment] }] });
    ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error('denied or throttled'), sdkError));

    // Act & Assess
    await expect(handler(state())).rejects.toThrow(expected);
  });
});
