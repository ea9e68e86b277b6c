import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readDetectorConfig } from '../../lambdas/detect-task-stops/config';
import { handler } from '../../lambdas/detect-task-stops/handler';
import { ConfigurationError, ValidationError } from '../../lambdas/shared/errors';
import { TD, taskStopEvent, V15_DEPLOYMENT, V15_STARTED_AT } from '../helpers/task-events';

const STATE_MACHINE = vi.hoisted(() => {
  const arn = 'arn:aws:states:us-east-1:111122223333:stateMachine:riderapp-ecs-auto-rollback';
  process.env.STATE_TABLE_NAME = 'riderapp-rollback-state';
  process.env.STATE_MACHINE_ARN = arn;
  return arn;
});

const ecsMock = mockClient(ECSClient);
const dynamoMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);

const evidence = (taskId: string) => ({
  M: {
    taskId: { S: taskId },
    stopCode: { S: 'ServiceSchedulerInitiated' },
    stoppedReason: { S: 'Task failed ELB health checks in (target-group riderapp-tg)' },
    cause: { S: 'elb-health-check' },
    stoppedAt: { S: '2025-03-04T10:21:34.003Z' },
  },
});

beforeEach(() => {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'riderapp-service',
        status: 'ACTIVE',
        deployments: [
          { id: V15_DEPLOYMENT, status: 'PRIMARY', taskDefinition: TD(15), createdAt: new Date(V15_STARTED_AT), rolloutState: 'COMPLETED' },
        ],
      },
    ],
  });
  dynamoMock.on(GetItemCommand).resolves({});
  dynamoMock.on(UpdateItemCommand).resolves({
    Attributes: { stopCount: { N: '2' }, taskIds: { SS: ['t1', 't2'] }, evidence: { L: [evidence('t1'), evidence('t2')] } },
  });
});

afterEach(() => {
  ecsMock.reset();
  dynamoMock.reset();
  sfnMock.reset();
});

describe('detector handler', () => {
  it('starts the rollback state machine at the K-th stop under the deployment-derived name', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x`, startDate: new Date() });

    // Act
    const result = await handler(taskStopEvent({ taskId: 't2' }));

    // Assess
    expect(result.outcome).toBe('started');
    const [call] = sfnMock.commandCalls(StartExecutionCommand);
    expect(call?.args[0].input).toMatchObject({
      stateMachineArn: STATE_MACHINE,
      name: 'task-stops-riderapp-cluster-riderapp-service-ecs-svc-4520982937154920815',
    });
    expect(JSON.parse(call?.args[0].input.input ?? '{}').detail.stops.map((s: { taskId: string }) => s.taskId)).toEqual(['t1', 't2']);
  });

  it('takes ExecutionAlreadyExists as the rollback already started and records it', async () => {
    // Prepare
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));

    // Act
    const result = await handler(taskStopEvent({ taskId: 't2' }));

    // Assess
    expect(result).toMatchObject({
      outcome: 'already-started',
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:task-stops-riderapp-cluster-riderapp-service-ecs-svc-4520982937154920815`,
    });
    const marks = dynamoMock.commandCalls(UpdateItemCommand).filter((c) => c.args[0].input.UpdateExpression?.includes('#started'));
    expect(marks).toHaveLength(1);
  });

  it('changes nothing for a malformed event and names the field', async () => {
    // Prepare
    const event = taskStopEvent({ taskId: 't2' });
    delete (event.detail as Record<string, unknown>).taskDefinitionArn;

    // Act / Assess
    await expect(handler(event)).rejects.toThrow(ValidationError);
    await expect(handler(event)).rejects.toThrow('detail.taskDefinitionArn');
    expect(dynamoMock.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('does not even read the service for a stop that does not count (user StopTask)', async () => {
    // Act
    const result = await handler(taskStopEvent({ taskId: 't9', stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }));

    // Assess
    expect(result.outcome).toBe('not-counted');
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toHaveLength(0);
  });
});

describe('detector configuration', () => {
  it('defaults to K = 2 within 60 minutes, rolling back', () => {
    expect(readDetectorConfig({ STATE_TABLE_NAME: 't', STATE_MACHINE_ARN: STATE_MACHINE }).settings).toEqual({
      threshold: 2,
      windowMinutes: 60,
      notifyOnly: false,
    });
  });

  it.each([
    [{ DETECTOR_THRESHOLD: '0' }, 'DETECTOR_THRESHOLD'],
    [{ DETECTOR_NOTIFY_ONLY: 'yes' }, 'DETECTOR_NOTIFY_ONLY'],
    [{ STATE_MACHINE_ARN: '' }, 'STATE_MACHINE_ARN'],
  ])('names the bad variable in %j', (env, name) => {
    expect(() => readDetectorConfig({ STATE_TABLE_NAME: 't', STATE_MACHINE_ARN: STATE_MACHINE, ...env })).toThrow(ConfigurationError);
    expect(() => readDetectorConfig({ STATE_TABLE_NAME: 't', STATE_MACHINE_ARN: STATE_MACHINE, ...env })).toThrow(name);
  });
});
