import { readFileSync } from 'node:fs';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type Deployment, DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { REASONS } from '../../lambdas/core/reasons';
import { type PrepareDeps, prepare } from '../../lambdas/prepare/prepare';
import { ValidationError } from '../../lambdas/shared/errors';
import type { RollbackState, RollbackType, ServiceConfig } from '../../lambdas/shared/types';
import { prepareDepsFor } from '../helpers/prepare-deps';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TABLE = 'riderapp-rollback-state';
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:manual-1';
const NOW = new Date('2025-03-04T10:21:00Z');
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const RIDERAPP: ServiceConfig = { cluster: CLUSTER, service: SERVICE, ecrRepository: 'riderapp', alarmNames: [] };

const manualStart = JSON.parse(
  readFileSync(new URL('../fixtures/events/manual-start.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const stateFor = (input: unknown): RollbackState => ({
  input,
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 1800 },
  execution: { id: EXECUTION, startTime: NOW.toISOString() },
});

const riderapp15: Deployment = {
  id: 'ecs-svc/4520982937154920815',
  status: 'PRIMARY',
  taskDefinition: TD(15),
  rolloutState: 'COMPLETED',
  createdAt: new Date('2025-03-04T10:00:00Z'),
};

const ecsMock = mockClient(ECSClient);
const dynamoMock = mockClient(DynamoDBClient);

const lockPuts = () =>
  dynamoMock.commandCalls(PutItemCommand).filter((call) => call.args[0].input.Item?.id?.S?.startsWith('lock#'));

let deps: PrepareDeps;

beforeEach(() => {
  ecsMock.reset();
  dynamoMock.reset();
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({});
  dynamoMock.on(GetItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves({});
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [{ serviceName: SERVICE, status: 'ACTIVE', deployments: [riderapp15] }],
    failures: [],
  });
  deps = prepareDepsFor(
    {
      services: [RIDERAPP],
      projectName: 'riderapp',
      stateTableName: TABLE,
      alarmRollbackWindowMinutes: 60,
      cooldownMinutes: 30,
      lockTtlSeconds: 7200,
    },
    new DynamoDBClient({ region: 'us-east-1' }),
    NOW,
  );
});

describe('Prepare by the seed’s rollback types', () => {
  it.each<[RollbackType, string]>([
    ['application', 'rolls back the image of riderapp-service'],
    ['full', 'rolls back the image of riderapp-service (the advice is added by Notify)'],
  ])('%s: %s, holding the lock', async (rollbackType) => {
    // Act
    const request = await prepare(stateFor({ ...manualStart, rollbackType }), deps);

    // Assess
    expect(request).toMatchObject({ action: 'rollback', rollbackType, lockHeld: true, target: { taskDefinition: 'riderapp:14' } });
    expect(request.actionReason).toBeUndefined();
    expect(lockPuts()).toHaveLength(1);
  });

  it.each<RollbackType>(['database', 'infrastructure'])(
    '%s: leaves riderapp-service as it is and only notifies, with the advice',
    async (rollbackType) => {
      // Act
      const request = await prepare(stateFor({ ...manualStart, rollbackType }), deps);

      // Assess
      expect(request).toMatchObject({
        action: 'skip',
        actionReason: REASONS.ADVISORY_ONLY,
        rollbackType,
        lockHeld: false,
        dryRun: false,
      });
      expect(request.actionMessage).toBe(
        `A ${rollbackType} rollback is advice only: the application ${CLUSTER}/${SERVICE} is left as it is, ` +
          `and the ${rollbackType} advice is in the notification.`,
      );
      expect(lockPuts()).toHaveLength(0);
      expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
    },
  );

  it('ends a dry run of a database rollback as advice only too', async () => {
    // Act
    const request = await prepare(stateFor({ project: 'riderapp', dryRun: true, rollbackType: 'database' }), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.ADVISORY_ONLY, dryRun: true, lockHeld: false });
  });

  it.each<RollbackType>(['database', 'infrastructure'])(
    'still asks a %s rollback for "confirm": "CONFIRM" and writes nothing without it',
    async (rollbackType) => {
      // Prepare
      const { confirm: _omitted, ...unconfirmed } = manualStart;

      // Act
      const outcome = prepare(stateFor({ ...unconfirmed, rollbackType }), deps);

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(ValidationError);
      await expect(outcome).rejects.toMatchObject({ field: 'confirm' });
      expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
    },
  );

  it.each<[RollbackType, string]>([
    [
      'application',
      'Manual rollback of riderapp-cluster/riderapp-service to task definition riderapp:14 requested by octocat',
    ],
    [
      'full',
      'Manual full rollback of riderapp-cluster/riderapp-service to task definition riderapp:14 (with database and infrastructure advice) requested by octocat',
    ],
    ['database', 'Manual database rollback advice for riderapp-cluster/riderapp-service (the service is not changed) requested by octocat'],
    [
      'infrastructure',
      'Manual infrastructure rollback advice for riderapp-cluster/riderapp-service (the service is not changed) requested by octocat',
    ],
  ])('summarises a %s start as "%s"', async (rollbackType, summary) => {
    // Act
    const request = await prepare(stateFor({ ...manualStart, rollbackType }), deps);

    // Assess
    expect(request.trigger.summary).toBe(`${summary}: riderapp:15 returns 500 on /rides`);
  });
});
