import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type Deployment, DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AwsCallError,
  ServiceNotFoundError,
  ThrottledAwsError,
  ValidationError,
} from '../../lambdas/shared/errors';
import type { RollbackState } from '../../lambdas/shared/types';
import { handler } from '../../lambdas/update-service/handler';
import { EXECUTION_ID, EXECUTION_START, preparedRiderappRollback } from '../helpers/riderapp-state';

const TABLE = vi.hoisted(() => {
  process.env.STATE_TABLE_NAME = 'riderapp-rollback-state';
  return 'riderapp-rollback-state';
});

const ecsMock = mockClient(ECSClient);
const dynamoMock = mockClient(DynamoDBClient);

const ACCOUNT = '111122223333';
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
const RIDERAPP_14 = `${TD}/riderapp:14`;
const RIDERAPP_15 = `${TD}/riderapp:15`;
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
    ...preparedRiderappRollback(),
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
    dynamoMock.reset();
    dynamoMock.on(PutItemCommand).resolves({});
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
    ['throttling is retried by the state machine', { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, ThrottledAwsError],
    ['access denied goes to the failure path', { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, AwsCallError],
  ])('maps an UpdateService error: %s', async (_scenario, sdkError, expected) => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedDeployment] }] });
    ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error('denied or throttled'), sdkError));

    // Act & Assess
    await expect(handler(state())).rejects.toThrow(expected);
  });
});

describe('UpdateService records the rollback deployment for the loop guard', () => {
  const recordOf = (deploymentId: string) => ({
    TableName: TABLE,
    Item: expect.objectContaining({
      id: { S: `deployment#${deploymentId}` },
      deploymentId: { S: deploymentId },
      cluster: { S: CLUSTER },
      service: { S: SERVICE },
      executionId: { S: EXECUTION_ID },
    }),
  });

  beforeEach(() => {
    ecsMock.reset();
    dynamoMock.reset();
    dynamoMock.on(PutItemCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('records the riderapp:14 deployment it started, with cluster, service and execution', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedDeployment] }] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { serviceName: SERVICE, deployments: [rollbackDeployment] } });

    // Act
    await handler(state());

    // Assess
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, recordOf(ROLLBACK_ID));
  });

  it('records the deployment again when a retry finds it already started', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [rollbackDeployment, { ...failedDeployment, status: 'ACTIVE' }] }],
    });

    // Act
    await handler(state());

    // Assess
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, recordOf(ROLLBACK_ID));
  });

  it('records on the retry after DynamoDB throttled the first write, without a second UpdateService', async () => {
    // Prepare
    ecsMock
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedDeployment] }] })
      .resolves({
        services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [rollbackDeployment, { ...failedDeployment, status: 'ACTIVE' }] }],
      });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { serviceName: SERVICE, deployments: [rollbackDeployment] } });
    dynamoMock
      .on(PutItemCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))
      .resolves({});

    // Act
    await expect(handler(state())).rejects.toThrow(ThrottledAwsError);
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(dynamoMock).toHaveReceivedNthCommandWith(PutItemCommand, 2, recordOf(ROLLBACK_ID));
    expect(deployment.deploymentId).toBe(ROLLBACK_ID);
  });

  it('changes nothing when STATE_TABLE_NAME is not set', async () => {
    // Prepare
    vi.stubEnv('STATE_TABLE_NAME', '');
    vi.resetModules();
    const fresh = await import('../../lambdas/update-service/handler');
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [failedDeployment] }] });

    // Act
    const outcome = fresh.handler(state());

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('STATE_TABLE_NAME') });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('rejects a state without the execution id and calls nothing', async () => {
    // Prepare
    const withoutId = { ...state(), execution: { startTime: EXECUTION_START } } as unknown as RollbackState;

    // Act
    const outcome = handler(withoutId);

    // Assess
    await expect(outcome).rejects.toThrow(ValidationError);
    await expect(outcome).rejects.toThrow(/execution\.id/);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
  });
});
