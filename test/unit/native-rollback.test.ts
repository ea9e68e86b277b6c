import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { checkStability } from '../../lambdas/check-stability/check';
import { chooseRollbackMethod } from '../../lambdas/core/native-rollback';
import type { RollbackState } from '../../lambdas/shared/types';
import { handler } from '../../lambdas/update-service/handler';
import { EXECUTION_START, preparedRiderappRollback } from '../helpers/riderapp-state';

vi.hoisted(() => {
  process.env.STATE_TABLE_NAME = 'riderapp-rollback-state';
});

const ecsMock = mockClient(ECSClient);
const dynamoMock = mockClient(DynamoDBClient);

const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const SD = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/riderapp-cluster/riderapp-service/r9i43YFjvgF_xlg7m2eJ1r';
const REV = (n: number) => `arn:aws:ecs:us-east-1:111122223333:service-revision/riderapp-cluster/riderapp-service/${n}`;

const inFlight: Deployment = {
  id: 'ecs-svc/1111111111111111111',
  status: 'PRIMARY',
  taskDefinition: TD(15),
  rolloutState: 'IN_PROGRESS',
  createdAt: new Date('2024-05-01T11:58:00.000Z'),
};
const ecsRollback: Deployment = {
  id: 'ecs-svc/3333333333333333333',
  status: 'PRIMARY',
  taskDefinition: TD(14),
  rolloutState: 'IN_PROGRESS',
  rolloutStateReason: 'ECS deployment rolling back.',
  createdAt: new Date('2024-05-01T12:00:06.000Z'),
};

function state(overrides: Partial<RollbackState> = {}): RollbackState {
  return {
    ...preparedRiderappRollback(),
    target: {
      outcome: 'rollback',
      source: 'active-deployment',
      reason: 'ActiveDeploymentInFlight',
      message: 'riderapp:14',
      current: { arn: TD(15), family: 'riderapp', revision: 15, images: [] },
      taskDefinitionArn: TD(14),
      resolvedAt: '2024-05-01T12:00:03.000Z',
    },
    registration: {
      taskDefinitionArn: TD(14),
      family: 'riderapp',
      revision: 14,
      registered: false,
      images: [],
      registeredAt: '2024-05-01T12:00:05.000Z',
    },
    ...overrides,
  };
}

/** ECS with riderapp:15 still rolling out over riderapp:14 (service deployment SD IN_PROGRESS). */
function deploymentInFlight(status = 'IN_PROGRESS'): void {
  ecsMock.on(ListServiceDeploymentsCommand).resolves({
    serviceDeployments: [{ serviceDeploymentArn: SD, status: status as 'IN_PROGRESS', createdAt: inFlight.createdAt }],
  });
  ecsMock.on(DescribeServiceDeploymentsCommand).resolves({
    serviceDeployments: [
      {
        serviceDeploymentArn: SD,
        status: status as 'IN_PROGRESS',
        targetServiceRevision: { arn: REV(15) },
        sourceServiceRevisions: [{ arn: REV(14) }],
      },
    ],
  });
  ecsMock.on(DescribeServiceRevisionsCommand).resolves({
    serviceRevisions: [
      { serviceRevisionArn: REV(15), taskDefinition: TD(15) },
      { serviceRevisionArn: REV(14), taskDefinition: TD(14) },
    ],
  });
}

beforeEach(() => {
  ecsMock.reset();
  dynamoMock.reset();
  dynamoMock.on(PutItemCommand).resolves({});
});

describe('rolling back a deployment still in flight', () => {
  it('asks ECS to roll riderapp:15 back (StopServiceDeployment, ROLLBACK) instead of UpdateService, and follows its deployment', async () => {
    // Prepare
    deploymentInFlight();
    ecsMock.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD });
    ecsMock
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [inFlight] }] })
      .resolves({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [ecsRollback, { ...inFlight, status: 'ACTIVE' }] }] });

    // Act
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).toHaveReceivedCommandWith(StopServiceDeploymentCommand, { serviceDeploymentArn: SD, stopType: 'ROLLBACK' });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(deployment).toEqual({
      deploymentId: ecsRollback.id,
      taskDefinitionArn: TD(14),
      startedAt: '2024-05-01T12:00:06.000Z',
      method: 'stop-service-deployment',
      serviceDeploymentArn: SD,
    });
    const recorded = dynamoMock.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.deploymentId?.S);
    expect(recorded).toEqual([ecsRollback.id]);
  });

  it('uses UpdateService for an explicit target even while a deployment is in flight', async () => {
    // Prepare
    deploymentInFlight();
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [inFlight] }] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ ...ecsRollback, id: 'ecs-svc/4444' }] } });
    const base = state();
    const request = { ...base.request!, target: { taskDefinition: 'riderapp:14' } };

    // Act
    await handler({ ...base, request });

    // Assess
    expect(ecsMock).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  it('uses UpdateService when no deployment is in flight (riderapp:15 completed)', async () => {
    // Prepare
    ecsMock.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [{ ...inFlight, rolloutState: 'COMPLETED' }] }] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ ...ecsRollback, id: 'ecs-svc/4444' }] } });

    // Act
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
    expect(deployment.method).toBeUndefined();
  });

  it('continues the rollback it asked for when a retry finds it ROLLBACK_REQUESTED (never UpdateService on top)', async () => {
    // Prepare
    deploymentInFlight('ROLLBACK_REQUESTED');
    ecsMock.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD });
    ecsMock
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [inFlight] }] })
      .resolves({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [ecsRollback] }] });

    // Act
    const deployment = await handler(state());

    // Assess
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(deployment.deploymentId).toBe(ecsRollback.id);
  });

  it('decides by the revision the deployment replaces: a copy with a swapped image is deployed with UpdateService', () => {
    expect(
      chooseRollbackMethod({
        explicitTarget: false,
        targetSource: 'ecr',
        targetTaskDefinitionArn: TD(16),
        inFlight: { serviceDeploymentArn: SD, status: 'IN_PROGRESS', targetTaskDefinition: TD(15), sourceTaskDefinitions: [TD(14)] },
      }).method,
    ).toBe('update-service');
  });
});

describe('following an ECS-native rollback', () => {
  it('reports FAILED when ECS ends the rollback ROLLBACK_FAILED', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'riderapp-service', status: 'ACTIVE', deployments: [ecsRollback] }] });
    const followed = {
      deploymentId: ecsRollback.id ?? '',
      taskDefinitionArn: TD(14),
      startedAt: EXECUTION_START,
      method: 'stop-service-deployment' as const,
      serviceDeploymentArn: SD,
    };

    // Act
    const result = await checkStability(
      {
        request: { cluster: 'riderapp-cluster', service: 'riderapp-service', serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] } },
        deployment: followed,
        settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 900 },
      },
      {
        ecs: () => new ECSClient({ region: 'us-east-1' }),
        elbv2: () => {
          throw new Error('not used');
        },
        now: () => new Date('2024-05-01T12:01:00.000Z'),
        serviceDeploymentStatus: async () => 'ROLLBACK_FAILED',
      },
    );

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', reason: 'DeploymentFailed' });
    expect(result.message).toContain('ROLLBACK_FAILED');
  });
});
