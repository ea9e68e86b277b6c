import { readFileSync } from 'node:fs';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  type PutItemCommandInput,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Deployment, DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimKey } from '../../lambdas/aws/idempotency';
import { REASONS } from '../../lambdas/core/reasons';
import { handler } from '../../lambdas/prepare/handler';
import { type PrepareDeps, prepare } from '../../lambdas/prepare/prepare';
import { ServiceNotFoundError, ThrottledAwsError, ValidationError } from '../../lambdas/shared/errors';
import type { RollbackState, ServiceConfig } from '../../lambdas/shared/types';
import { prepareDepsFor } from '../helpers/prepare-deps';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TABLE = 'riderapp-rollback-state';
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:b';
const NOW = new Date('2025-03-04T10:21:00Z');
const FAILED_ID = 'ecs-svc/4520982937154920815';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const RIDERAPP: ServiceConfig = {
  cluster: CLUSTER,
  service: SERVICE,
  ecrRepository: 'riderapp',
  alarmNames: ['riderapp-unhealthy-hosts'],
};
const epoch = (iso: string): string => String(Math.floor(Date.parse(iso) / 1000));

const event = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));

const stateFor = (input: unknown, executionId = EXECUTION_A): RollbackState => ({
  input,
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 1800 },
  execution: { id: executionId, startTime: NOW.toISOString() },
});

const failedRiderapp15: Deployment = {
  id: FAILED_ID,
  status: 'PRIMARY',
  taskDefinition: TD(15),
  rolloutState: 'FAILED',
  rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
  createdAt: new Date('2025-03-04T10:00:00Z'),
};
const stableRiderapp14: Deployment = {
  id: 'ecs-svc/1187736251029384756',
  status: 'ACTIVE',
  taskDefinition: TD(14),
  rolloutState: 'COMPLETED',
  createdAt: new Date('2025-03-01T09:00:00Z'),
};

const ecsMock = mockClient(ECSClient);
const dynamoMock = mockClient(DynamoDBClient);

const describes = (deployments: Deployment[], rollback = false) =>
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: SERVICE,
        status: 'ACTIVE',
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback } },
        deployments,
      },
    ],
    failures: [],
  });

const keyOf = (input: { Item?: PutItemCommandInput['Item'] }): string => input.Item?.id?.S ?? '';

/** The claim of the failure event's trigger, held by another execution. */
const claimedByOther = (executionId: string) => {
  const id = claimKey(`deployment:${FAILED_ID}`);
  dynamoMock.on(PutItemCommand).callsFake((input) => {
    if (keyOf(input) === id) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    return {};
  });
  dynamoMock.on(GetItemCommand, { Key: { id: { S: id } } }).resolves({
    Item: { id: { S: id }, claimedBy: { S: executionId }, expiration: { N: String(Math.floor(NOW.getTime() / 1000) + 3600) } },
  });
};

const lockTaken = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const putsTo = (prefix: string) =>
  dynamoMock.commandCalls(PutItemCommand).filter((call) => keyOf(call.args[0].input).startsWith(prefix));

let deps: PrepareDeps;

beforeEach(() => {
  ecsMock.reset();
  dynamoMock.reset();
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({});
  dynamoMock.on(GetItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves({});
  describes([failedRiderapp15, stableRiderapp14]);
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

describe('Prepare decides what to do with a trigger', () => {
  it('rolls back riderapp-service after riderapp:15 failed, holding the lock for 2 hours', async () => {
    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    expect(request).toEqual({
      trigger: expect.objectContaining({ kind: 'deployment-failed', id: `deployment:${FAILED_ID}` }),
      region: 'us-east-1',
      account: '111122223333',
      cluster: CLUSTER,
      service: SERVICE,
      serviceConfig: RIDERAPP,
      dryRun: false,
      rollbackType: 'application',
      action: 'rollback',
      actionMessage: expect.any(String),
      lockHeld: true,
      preparedAt: NOW.toISOString(),
    });
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: {
        id: { S: 'lock#riderapp-cluster/riderapp-service' },
        holder: { S: EXECUTION_A },
        acquiredAt: { S: NOW.toISOString() },
        expiration: { N: epoch('2025-03-04T12:21:00Z') },
      },
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] });
  });

  it('carries the health URL without its query string (tokens) or credentials into the state people read in the console', async () => {
    // Prepare
    const config = { ...deps.config, services: [{ ...RIDERAPP, healthCheckUrl: 'https://health.riderapp.example.com/ready?token=abc123#x' }] };

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), { ...deps, config });

    // Assess
    expect(request.serviceConfig.healthCheckUrl).toBe('https://health.riderapp.example.com/ready?…#…');
    expect(JSON.stringify(request)).not.toContain('abc123');
  });

  it('skips a copy of an ECS failure event that another execution already handles, and takes no lock', async () => {
    // Prepare
    claimedByOther(EXECUTION_B);

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.DUPLICATE_TRIGGER, lockHeld: false });
    expect(request.actionMessage).toContain(EXECUTION_B);
    expect(putsTo('lock#')).toHaveLength(0);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
  });

  it('reports, not rolls back again, a failed deployment that an earlier rollback started', async () => {
    // Prepare
    dynamoMock.on(GetItemCommand, { Key: { id: { S: `deployment#${FAILED_ID}` } } }).resolves({
      Item: {
        id: { S: `deployment#${FAILED_ID}` },
        executionId: { S: EXECUTION_B },
        cluster: { S: CLUSTER },
        service: { S: SERVICE },
        expiration: { N: epoch('2025-04-01T00:00:00Z') },
      },
    });

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.OWN_DEPLOYMENT_FAILED, lockHeld: false });
    expect(putsTo('lock#')).toHaveLength(0);
  });

  it('follows ECS’s circuit breaker rolling back to riderapp:14 instead of fighting it', async () => {
    // Prepare
    describes(
      [
        {
          id: 'ecs-svc/7390158264829103746',
          status: 'PRIMARY',
          taskDefinition: TD(14),
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1187736251029384756.',
          createdAt: new Date('2025-03-04T10:12:31Z'),
        },
        { ...failedRiderapp15, status: 'ACTIVE' },
      ],
      true,
    );

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    expect(request).toMatchObject({
      action: 'watch',
      actionReason: REASONS.ECS_ROLLBACK_IN_PROGRESS,
      lockHeld: true,
      watch: {
        deploymentId: 'ecs-svc/7390158264829103746',
        taskDefinitionArn: TD(14),
        startedAt: '2025-03-04T10:12:31.000Z',
      },
    });
  });

  it('only notifies for a late failure event of riderapp:15 once a person has deployed riderapp:16', async () => {
    // Prepare
    const deployed16: Deployment = {
      id: 'ecs-svc/2946100584310029384',
      status: 'PRIMARY',
      taskDefinition: TD(16),
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment ecs-svc/2946100584310029384 in progress.',
      createdAt: new Date('2025-03-04T10:18:00Z'),
    };
    describes([deployed16, { ...failedRiderapp15, status: 'ACTIVE' }]);

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.DEPLOYMENT_SUPERSEDED, lockHeld: false });
    expect(request.actionMessage).toContain('ecs-svc/2946100584310029384');
    expect(request.actionMessage).toContain('riderapp:16');
    expect(putsTo('lock#')).toHaveLength(0);
  });

  it('only notifies for an alarm 95 minutes after the last deployment', async () => {
    // Prepare
    describes([{ ...stableRiderapp14, status: 'PRIMARY', createdAt: new Date('2025-03-04T08:45:00Z') }]);

    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.ALARM_OUTSIDE_WINDOW, lockHeld: false });
    expect(putsTo('lock#')).toHaveLength(0);
  });

  it('rolls back for an alarm 20 minutes after riderapp:15 was deployed', async () => {
    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'rollback', lockHeld: true, trigger: { kind: 'alarm' } });
  });

  it('reports, not rolls back again, an alarm after its cool-down that follows a rollback this system made', async () => {
    // Prepare
    const ownRollbackId = 'ecs-svc/6061187735472618029';
    describes([{ ...stableRiderapp14, id: ownRollbackId, status: 'PRIMARY', createdAt: new Date('2025-03-04T09:40:00Z') }]);
    dynamoMock.on(GetItemCommand, { Key: { id: { S: `deployment#${ownRollbackId}` } } }).resolves({
      Item: {
        id: { S: `deployment#${ownRollbackId}` },
        executionId: { S: EXECUTION_B },
        cluster: { S: CLUSTER },
        service: { S: SERVICE },
        expiration: { N: epoch('2025-04-01T00:00:00Z') },
      },
    });

    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.OWN_DEPLOYMENT_FAILED, lockHeld: false });
    expect(request.actionMessage).toContain(ownRollbackId);
    expect(request.actionMessage).toContain(EXECUTION_B);
    expect(putsTo('lock#')).toHaveLength(0);
  });

  it('only notifies for an alarm during the cool-down after a rollback', async () => {
    // Prepare
    dynamoMock.on(GetItemCommand, { Key: { id: { S: 'cooldown#riderapp-cluster/riderapp-service' } } }).resolves({
      Item: {
        id: { S: 'cooldown#riderapp-cluster/riderapp-service' },
        until: { S: '2025-03-04T10:40:00.000Z' },
        expiration: { N: epoch('2025-03-04T10:40:00Z') },
      },
    });

    // Act
    const request = await prepare(stateFor(event('cloudwatch-alarm-state-change')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.COOLDOWN_ACTIVE, lockHeld: false });
    expect(request.actionMessage).toContain('2025-03-04T10:40:00.000Z');
  });

  it('skips while another execution holds the lock of riderapp-service, naming it', async () => {
    // Prepare
    dynamoMock.on(PutItemCommand).callsFake((input) => {
      if (keyOf(input).startsWith('lock#')) throw lockTaken();
      return {};
    });
    dynamoMock.on(GetItemCommand, { Key: { id: { S: 'lock#riderapp-cluster/riderapp-service' } } }).resolves({
      Item: {
        id: { S: 'lock#riderapp-cluster/riderapp-service' },
        holder: { S: EXECUTION_B },
        expiration: { N: epoch('2025-03-04T12:00:00Z') },
      },
    });

    // Act
    const request = await prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'skip', actionReason: REASONS.ROLLBACK_IN_PROGRESS, lockHeld: false });
    expect(request.actionMessage).toContain(EXECUTION_B);
  });

  it('plans a dry run without taking the lock', async () => {
    // Act
    const request = await prepare(stateFor(event('manual-dry-run')), deps);

    // Assess
    expect(request).toMatchObject({ action: 'rollback', dryRun: true, lockHeld: false });
    expect(putsTo('lock#')).toHaveLength(0);
  });

  it.each([
    { scenario: 'a completed deployment event', input: event('ecs-deployment-completed'), field: 'detail.eventName' },
    { scenario: 'an unconfirmed manual start', input: { cluster: CLUSTER, service: SERVICE }, field: 'confirm' },
    { scenario: 'a manual start of an unknown service', input: { service: 'riderapp-api', dryRun: true }, field: 'service' },
  ])('changes nothing for $scenario (ValidationError on $field)', async ({ input, field }) => {
    // Act
    const outcome = prepare(stateFor(input), deps);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ValidationError);
    await expect(outcome).rejects.toMatchObject({ field });
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
  });

  it('fails with ServiceNotFoundError when ECS does not know riderapp-service, holding no lock', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [],
      failures: [{ arn: `arn:aws:ecs:us-east-1:111122223333:service/${CLUSTER}/${SERVICE}`, reason: 'MISSING' }],
    });

    // Act
    const outcome = prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ServiceNotFoundError);
    expect(putsTo('lock#')).toHaveLength(0);
  });

  it('reports ECS throttling as a ThrottledAwsError so the state machine retries Prepare with its throttling budget', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const outcome = prepare(stateFor(event('ecs-deployment-failed')), deps);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ThrottledAwsError);
  });
});

describe('Prepare handler', () => {
  beforeAll(() => {
    vi.stubEnv('PROJECT_NAME', 'riderapp');
    vi.stubEnv('STATE_TABLE_NAME', TABLE);
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('reads the services configuration item of the state table and returns the request for $.request', async () => {
    // Prepare
    dynamoMock.on(GetItemCommand, { TableName: TABLE, Key: { id: { S: 'config#services' } } }).resolves({
      Item: { id: { S: 'config#services' }, servicesConfig: { S: JSON.stringify([RIDERAPP]) } },
    });

    // Act
    const request = await handler(stateFor(event('manual-start')));

    // Assess
    expect(request).toMatchObject({ action: 'rollback', lockHeld: true, cluster: CLUSTER, service: SERVICE });
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ id: { S: 'lock#riderapp-cluster/riderapp-service' } }),
    });
  });
});
