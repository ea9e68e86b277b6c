import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { deps, handler } from '../../lambdas/notify/handler';
import { ThrottledAwsError, ValidationError } from '../../lambdas/shared/errors';
import type { NotificationKind, NotifyInput, RollbackState } from '../../lambdas/shared/types';

const TOPIC_ARN = vi.hoisted(() => {
  const arn = 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications';
  process.env.TOPIC_ARN = arn;
  process.env.PROJECT_NAME = 'riderapp';
  return arn;
});

const snsMock = mockClient(SNSClient);

const ACCOUNT = '111122223333';
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
const REPO = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/riderapp`;

const prepared: RollbackState = {
  input: {},
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
  execution: { id: `arn:aws:states:us-east-1:${ACCOUNT}:execution:riderapp-rollback:0f1e2d3c`, startTime: '2024-05-01T12:00:00.000Z' },
  request: {
    trigger: { kind: 'manual', id: 'exec-0f1e2d3c', time: '2024-05-01T12:00:00Z', summary: 'Manual rollback requested by alice', requestedBy: 'alice' },
    region: 'us-east-1',
    cluster: 'riderapp-cluster',
    service: 'riderapp-service',
    serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] },
    dryRun: false,
    rollbackType: 'application',
    action: 'rollback',
    lockHeld: true,
    preparedAt: '2024-05-01T12:00:01.000Z',
  },
  target: {
    outcome: 'rollback',
    source: 'explicit-task-definition',
    reason: 'ExplicitTaskDefinition',
    message: 'riderapp:14 was asked for',
    current: { arn: `${TD}/riderapp:15`, family: 'riderapp', revision: 15, images: [{ containerName: 'app', image: `${REPO}:v1.5.0` }] },
    taskDefinitionArn: `${TD}/riderapp:14`,
    resolvedAt: '2024-05-01T12:00:02.000Z',
  },
};

const rolledBack: RollbackState = {
  ...prepared,
  registration: { taskDefinitionArn: `${TD}/riderapp:14`, family: 'riderapp', revision: 14, registered: false, images: [{ containerName: 'app', image: `${REPO}:v1.4.0` }], registeredAt: '2024-05-01T12:00:03.000Z' },
  deployment: { deploymentId: 'ecs-svc/2222', taskDefinitionArn: `${TD}/riderapp:14`, startedAt: '2024-05-01T12:00:04.000Z' },
  stability: { status: 'COMPLETED', reason: 'DeploymentCompleted', message: 'Deployment ecs-svc/2222 (riderapp:14) completed', elapsedSeconds: 116, waitSeconds: 0, desiredCount: 3, runningCount: 3, checks: 9, checkedAt: '2024-05-01T12:02:00.000Z' },
  health: { healthy: true, attempts: 1, message: 'Healthy', checkedAt: '2024-05-01T12:02:02.000Z', checks: [{ kind: 'http', ok: true, subject: 'https://riderapp.example.com/health', detail: 'HTTP 200' }] },
};

const cases: Array<[NotificationKind, RollbackState, string, string]> = [
  ['success', rolledBack, '[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:14', 'HTTP 200'],
  ['skipped', { ...prepared, target: { ...prepared.target!, outcome: 'skip', reason: 'AlreadyOnTarget', message: 'riderapp-service already runs riderapp:14' } }, '[riderapp] Rollback skipped: riderapp-service (AlreadyOnTarget)', 'already runs riderapp:14'],
  ['dry-run', { ...prepared, request: { ...prepared.request!, dryRun: true } }, '[riderapp] Rollback dry run: riderapp-service riderapp:15 -> riderapp:14', 'Deploy riderapp:14 as it is'],
  ['failure', { ...rolledBack, health: undefined, failure: { step: 'CheckStability', error: 'StabilizationTimeout', cause: 'not stable after 600 s' } }, '[riderapp] Rollback failed at CheckStability: riderapp-service', 'not stable after 600 s'],
];

/** The entries of the MessageStructure=json message of the last Publish. */
function publishedMessage(): Record<string, string> {
  const calls = snsMock.commandCalls(PublishCommand);
  return JSON.parse(calls.at(-1)?.args[0].input.Message ?? '{}') as Record<string, string>;
}

describe('Notify', () => {
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  });

  it.each(cases)('publishes the %s notification to the topic with filterable attributes', async (kind, state, subject, bodyText) => {
    // Act
    const result = await handler({ kind, state });

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: subject,
      MessageStructure: 'json',
      MessageAttributes: expect.objectContaining({
        status: { DataType: 'String', StringValue: kind },
        project: { DataType: 'String', StringValue: 'riderapp' },
        cluster: { DataType: 'String', StringValue: 'riderapp-cluster' },
        service: { DataType: 'String', StringValue: 'riderapp-service' },
        trigger: { DataType: 'String', StringValue: 'manual' },
      }),
    });
    const message = publishedMessage();
    expect(message.default).toContain(bodyText);
    expect(Object.keys(message).sort()).toEqual(['default', 'https']); // email gets default (API_Publish): the body once
    expect(JSON.parse(message.https ?? '')).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(result).toMatchObject({ kind, subject, messageId: 'msg-1' });
  });

  it('reports a malformed event that Prepare rejected, with the validation error and "unknown" attributes', async () => {
    // Prepare
    const state = {
      input: 'not json at all',
      settings: prepared.settings,
      execution: prepared.execution,
      failure: {
        step: 'Prepare',
        error: 'ValidationError',
        cause: JSON.stringify({ errorType: 'ValidationError', errorMessage: 'input: expected an object, got a string' }),
      },
    } as RollbackState;

    // Act
    await handler({ kind: 'failure', state });

    // Assess
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[riderapp] Rollback failed at Prepare: ValidationError',
      MessageAttributes: expect.objectContaining({
        status: { DataType: 'String', StringValue: 'failure' },
        cluster: { DataType: 'String', StringValue: 'unknown' },
        service: { DataType: 'String', StringValue: 'unknown' },
      }),
    });
    expect(publishedMessage().default).toContain('input: expected an object, got a string');
  });

  it('lets the state machine retry when SNS throttles, and counts nothing', async () => {
    // Prepare
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    const addMetric = vi.spyOn(deps.metrics, 'singleMetric');

    // Act & Assess
    await expect(handler({ kind: 'success', state: rolledBack })).rejects.toThrow(ThrottledAwsError);
    expect(addMetric).not.toHaveBeenCalled();
    addMetric.mockRestore();
  });

  it('rejects an unknown kind and publishes nothing', async () => {
    // Act & Assess
    await expect(handler({ kind: 'celebration', state: rolledBack } as unknown as NotifyInput)).rejects.toThrow(ValidationError);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });
});
