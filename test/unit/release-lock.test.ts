import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStateTable } from '../../lambdas/aws/state-table';
import { handler } from '../../lambdas/release-lock/handler';
import { releaseLock, type ReleaseLockDeps } from '../../lambdas/release-lock/release';
import { ThrottledAwsError } from '../../lambdas/shared/errors';
import type { RollbackRequest, RollbackState } from '../../lambdas/shared/types';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TABLE = 'riderapp-rollback-state';
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:a';
const NOW = new Date('2025-03-04T10:30:00Z');
const TD14 = 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14';

const request = (overrides: Partial<RollbackRequest> = {}): RollbackRequest => ({
  trigger: {
    kind: 'deployment-failed',
    id: 'deployment:ecs-svc/4520982937154920815',
    time: '2025-03-04T10:12:30.000Z',
    summary: 'ECS deployment ecs-svc/4520982937154920815 of riderapp-cluster/riderapp-service failed.',
  },
  region: 'us-east-1',
  cluster: CLUSTER,
  service: SERVICE,
  serviceConfig: { cluster: CLUSTER, service: SERVICE, ecrRepository: 'riderapp', alarmNames: [] },
  dryRun: false,
  rollbackType: 'application',
  action: 'rollback',
  lockHeld: true,
  preparedAt: '2025-03-04T10:13:00.000Z',
  ...overrides,
});

const deployment = { deploymentId: 'ecs-svc/7390158264829103746', taskDefinitionArn: TD14, startedAt: '2025-03-04T10:14:00.000Z' };

const stateWith = (extra: Partial<RollbackState>): RollbackState => ({
  input: {},
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 1800 },
  execution: { id: EXECUTION_A, startTime: '2025-03-04T10:12:35.000Z' },
  ...extra,
});

const dynamoMock = mockClient(DynamoDBClient);
let deps: ReleaseLockDeps;

const lockDeletes = () =>
  dynamoMock.commandCalls(DeleteItemCommand).filter((call) => call.args[0].input.Key?.id?.S?.startsWith('lock#') === true);

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves({});
  dynamoMock.on(GetItemCommand).resolves({});
  deps = {
    stateTable: createStateTable({ tableName: TABLE, client: new DynamoDBClient({ region: 'us-east-1' }), now: () => NOW }),
    cooldownMinutes: 30,
  };
});

describe('ReleaseLock', () => {
  it('starts a 30-minute cool-down after rolling riderapp-service back, then frees its lock', async () => {
    // Act
    const result = await releaseLock(stateWith({ request: request(), deployment }), deps);

    // Assess
    expect(result).toEqual({ released: true, cooldownUntil: '2025-03-04T11:00:00.000Z' });
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({
        id: { S: 'cooldown#riderapp-cluster/riderapp-service' },
        until: { S: '2025-03-04T11:00:00.000Z' },
      }),
    });
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: { id: { S: 'lock#riderapp-cluster/riderapp-service' } },
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeValues: { ':holder': { S: EXECUTION_A } },
    });
    const order = dynamoMock.calls().map((call) => (call.args[0] instanceof PutItemCommand ? 'cool-down' : 'release'));
    expect(order.slice(0, 2)).toEqual(['cool-down', 'release']);
  });

  it.each([
    { scenario: 'ECS lists the deployment it started for riderapp:14', deployments: [{ taskDefinition: TD14, createdAt: new Date('2025-03-04T10:14:00Z') }], cooldown: true },
    { scenario: 'ECS lists no deployment of riderapp:14 since the execution started', deployments: [{ taskDefinition: TD14, createdAt: new Date('2025-03-01T09:00:00Z') }], cooldown: false },
    { scenario: 'the service cannot be read', deployments: 'error' as const, cooldown: true },
  ])('after UpdateService failed, starts the cool-down only when it took effect: $scenario', async ({ deployments, cooldown }) => {
    // Prepare
    const failure = { step: 'UpdateService', error: 'States.Timeout', cause: 'Task timed out after 60.00 seconds' };
    const registration = { taskDefinitionArn: TD14, family: 'riderapp', revision: 14, registered: false, images: [], registeredAt: '2025-03-04T10:13:30.000Z' };
    const checked: ReleaseLockDeps = {
      ...deps,
      serviceDeployments: async () => {
        if (deployments === 'error') throw new Error('AccessDeniedException');
        return deployments;
      },
    };

    // Act
    const result = await releaseLock(stateWith({ request: request(), failure, registration }), checked);

    // Assess
    expect(result.released).toBe(true);
    expect(result.cooldownUntil !== undefined).toBe(cooldown);
  });

  it('starts the cool-down when UpdateService failed after its call may have started a deployment', async () => {
    // Prepare
    const failure = { step: 'UpdateService', error: 'States.Timeout', cause: 'Task timed out after 60.00 seconds' };

    // Act
    const result = await releaseLock(stateWith({ request: request(), failure }), deps);

    // Assess
    expect(result).toEqual({ released: true, cooldownUntil: '2025-03-04T11:00:00.000Z' });
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ id: { S: 'cooldown#riderapp-cluster/riderapp-service' } }),
    });
  });

  it.each([
    { scenario: 'after following ECS’s own rollback', state: stateWith({ request: request({ action: 'watch' }), deployment }) },
    { scenario: 'when the rollback failed before UpdateService', state: stateWith({ request: request() }) },
  ])('frees the lock without a cool-down $scenario', async ({ state }) => {
    // Act
    const result = await releaseLock(state, deps);

    // Assess
    expect(result).toEqual({ released: true });
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
    expect(lockDeletes()).toHaveLength(1);
  });

  it.each([
    { scenario: 'Prepare failed (no request)', state: stateWith({}) },
    { scenario: 'the trigger was skipped without the lock', state: stateWith({ request: request({ action: 'skip', lockHeld: false }) }) },
    { scenario: 'it was a dry run', state: stateWith({ request: request({ dryRun: true, lockHeld: false }) }) },
  ])('touches nothing when $scenario', async ({ state }) => {
    // Act
    const result = await releaseLock(state, deps);

    // Assess
    expect(result).toEqual({ released: false });
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
    expect(lockDeletes()).toHaveLength(0);
  });

  it('frees the lock it holds, found by its execution id, when Prepare failed after taking it (no request)', async () => {
    // Prepare: the record Prepare wrote next to the lock
    dynamoMock.on(GetItemCommand, { Key: { id: { S: `lockholder#${EXECUTION_A}` } } }).resolves({
      Item: { id: { S: `lockholder#${EXECUTION_A}` }, cluster: { S: CLUSTER }, service: { S: SERVICE }, expiration: { N: '1900000000' } },
    });

    // Act
    const result = await releaseLock(stateWith({}), deps);

    // Assess
    expect(result).toEqual({ released: true });
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: { id: { S: 'lock#riderapp-cluster/riderapp-service' } },
      ExpressionAttributeValues: { ':holder': { S: EXECUTION_A } },
    });
    expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('does not fail when the lock is already gone (expired, or taken over)', async () => {
    // Prepare
    dynamoMock
      .on(DeleteItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const result = await releaseLock(stateWith({ request: request({ action: 'watch' }) }), deps);

    // Assess
    expect(result).toEqual({ released: false });
  });

  it('reports DynamoDB throttling as a ThrottledAwsError so the state machine retries', async () => {
    // Prepare
    dynamoMock
      .on(DeleteItemCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const outcome = releaseLock(stateWith({ request: request({ action: 'watch' }) }), deps);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ThrottledAwsError);
  });
});

describe('ReleaseLock handler', () => {
  beforeAll(() => {
    vi.stubEnv('STATE_TABLE_NAME', TABLE);
    vi.stubEnv('COOLDOWN_MINUTES', '45');
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('does nothing, and needs no configuration, when Prepare failed', async () => {
    // Act
    const result = await handler(stateWith({}));

    // Assess
    expect(result).toEqual({ released: false });
    expect(lockDeletes()).toHaveLength(0);
  });

  it('uses COOLDOWN_MINUTES and STATE_TABLE_NAME from the environment', async () => {
    // Act
    const result = await handler(stateWith({ request: request(), deployment }));

    // Assess
    const item = dynamoMock.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    expect(result.released).toBe(true);
    expect(Date.parse(item?.until?.S ?? '') - Date.parse(item?.startedAt?.S ?? '')).toBe(45 * 60_000);
    expect(result.cooldownUntil).toBe(item?.until?.S);
    expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: TABLE });
  });
});
