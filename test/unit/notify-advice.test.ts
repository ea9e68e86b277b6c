import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RdsReadClient } from '../../lambdas/aws/rds-read-client';
import { REASONS } from '../../lambdas/core/reasons';
import { deps, handler } from '../../lambdas/notify/handler';
import { adviceProject, notify } from '../../lambdas/notify/notify';
import type { RollbackRequest, RollbackState, RollbackType } from '../../lambdas/shared/types';

const TOPIC_ARN = vi.hoisted(() => {
  const arn = 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications';
  process.env.TOPIC_ARN = arn;
  process.env.PROJECT_NAME = 'riderapp';
  return arn;
});

const snsMock = mockClient(SNSClient);
const rdsMock = mockClient(RdsReadClient);

const ACCOUNT = '111122223333';
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
const REPO = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/riderapp`;
const STARTED = '2025-03-04T10:30:00.000Z';
const RESTORE_COMMAND =
  '  aws rds restore-db-instance-from-db-snapshot --db-instance-identifier riderapp-restored --db-snapshot-identifier rds:riderapp-db-2025-03-04-03-10 --region us-east-1';

function requestOf(rollbackType: RollbackType, overrides: Partial<RollbackRequest> = {}): RollbackRequest {
  return {
    trigger: { kind: 'manual', id: 'exec-1', time: STARTED, summary: `Manual ${rollbackType} rollback requested by octocat`, requestedBy: 'octocat' },
    region: 'us-east-1',
    cluster: 'riderapp-cluster',
    service: 'riderapp-service',
    serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] },
    dryRun: false,
    rollbackType,
    action: 'rollback',
    lockHeld: true,
    preparedAt: '2025-03-04T10:30:01.000Z',
    ...overrides,
  };
}

const base = {
  input: {},
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
  execution: { id: `arn:aws:states:us-east-1:${ACCOUNT}:execution:riderapp-rollback:exec-1`, startTime: STARTED },
};

/** What Prepare hands Notify for a database or infrastructure start: skip, advice only. */
const advisoryOnly = (rollbackType: RollbackType): RollbackState => ({
  ...base,
  request: requestOf(rollbackType, {
    action: 'skip',
    lockHeld: false,
    actionReason: REASONS.ADVISORY_ONLY,
    actionMessage: `A ${rollbackType} rollback is advice only: the application riderapp-cluster/riderapp-service is left as it is.`,
  }),
});

/** A rollback of the image that succeeded (application or full). */
const rolledBack = (rollbackType: RollbackType): RollbackState => ({
  ...base,
  request: requestOf(rollbackType),
  target: {
    outcome: 'rollback',
    source: 'deployment-history',
    reason: REASONS.PREVIOUS_SUCCESSFUL_DEPLOYMENT,
    message: 'riderapp:14 was the last successful deployment',
    current: { arn: `${TD}/riderapp:15`, family: 'riderapp', revision: 15, images: [{ containerName: 'app', image: `${REPO}:v1.5.0` }] },
    taskDefinitionArn: `${TD}/riderapp:14`,
    resolvedAt: '2025-03-04T10:30:02.000Z',
  },
  registration: { taskDefinitionArn: `${TD}/riderapp:14`, family: 'riderapp', revision: 14, registered: false, images: [{ containerName: 'app', image: `${REPO}:v1.4.0` }], registeredAt: '2025-03-04T10:30:03.000Z' },
  deployment: { deploymentId: 'ecs-svc/2222', taskDefinitionArn: `${TD}/riderapp:14`, startedAt: '2025-03-04T10:30:04.000Z' },
  stability: { status: 'COMPLETED', reason: REASONS.DEPLOYMENT_COMPLETED, message: 'completed', elapsedSeconds: 116, waitSeconds: 0, desiredCount: 3, runningCount: 3, checks: 9, checkedAt: '2025-03-04T10:32:00.000Z' },
});

/** The email text of the first Publish (the `default` entry of its MessageStructure=json message). */
const publishedMessage = (): string =>
  String((JSON.parse(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as { default?: string }).default);

beforeEach(() => {
  snsMock.reset();
  rdsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      { DBInstanceIdentifier: 'billing-db' },
      { DBInstanceIdentifier: 'riderapp-db', LatestRestorableTime: new Date('2025-03-04T10:25:00Z') },
    ],
  });
  rdsMock.on(DescribeDBSnapshotsCommand).resolves({
    DBSnapshots: [
      { DBSnapshotIdentifier: 'rds:riderapp-db-2025-03-03-03-10', SnapshotCreateTime: new Date('2025-03-03T03:10:00Z'), Status: 'available' },
      { DBSnapshotIdentifier: 'rds:riderapp-db-2025-03-04-03-10', SnapshotCreateTime: new Date('2025-03-04T03:10:00Z'), Status: 'available' },
    ],
  });
});

describe('Notify adds the advice of the rollback type', () => {
  it('tells how to restore riderapp-db from its newest snapshot when a database rollback was asked for', async () => {
    // Act
    await handler({ kind: 'skipped', state: advisoryOnly('database') });

    // Assess
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated' });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: '[riderapp] Rollback skipped: riderapp-service (AdvisoryOnly)',
    });
    const message = publishedMessage();
    expect(message).toContain('Rollback skipped for riderapp-service: nothing was changed.');
    expect(message).toContain('\nAdvice\nDatabase rollback: not done automatically: data loss risk.');
    expect(message.split('\n')).toContain(RESTORE_COMMAND);
    expect(message).not.toContain('Infrastructure rollback');
  });

  it('adds both advices, with the restore command, to a full rollback that succeeded', async () => {
    // Act
    await handler({ kind: 'success', state: rolledBack('full') });

    // Assess
    const message = publishedMessage();
    expect(message).toContain('Rollback succeeded: riderapp-service is back on riderapp:14 and healthy.');
    expect(message.split('\n')).toContain(RESTORE_COMMAND);
    expect(message).toContain('Infrastructure rollback: not done automatically: review required.');
  });

  it('gives the infrastructure steps without looking at RDS for an infrastructure rollback', async () => {
    // Act
    await handler({ kind: 'skipped', state: advisoryOnly('infrastructure') });

    // Assess
    expect(rdsMock).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
    expect(publishedMessage()).toContain('\nAdvice\nInfrastructure rollback: not done automatically: review required.');
  });

  it('makes no RDS call and adds no advice for an application rollback', async () => {
    // Act
    await handler({ kind: 'success', state: rolledBack('application') });

    // Assess
    expect(rdsMock).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
    expect(rdsMock).not.toHaveReceivedCommand(DescribeDBSnapshotsCommand);
    expect(publishedMessage()).not.toContain('Advice');
  });

  it('still notifies, saying the snapshots could not be looked up, when RDS denies access', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(Object.assign(new Error('not authorized to perform rds:DescribeDBInstances'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }));

    // Act
    await handler({ kind: 'skipped', state: advisoryOnly('database') });

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(publishedMessage()).toContain('The RDS snapshots could not be looked up');
  });

  it('names the project after the cluster when PROJECT_NAME is not set', async () => {
    // Act
    await notify(
      { kind: 'skipped', state: advisoryOnly('database') },
      { topicArn: TOPIC_ARN },
      deps,
    );

    // Assess
    expect(publishedMessage().split('\n')).toContain(RESTORE_COMMAND);
    expect(rdsMock).not.toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'billing-db' });
  });

  it.each([
    ['PROJECT_NAME when set', 'riderapp', { cluster: 'shared-cluster', service: 'riderapp-service' }, 'riderapp'],
    ['the cluster name before "-cluster"', undefined, { cluster: 'riderapp-cluster', service: 'riderapp-service' }, 'riderapp'],
    ['the service name when the cluster has no "-cluster" suffix', undefined, { cluster: 'default', service: 'riderapp-service' }, 'riderapp-service'],
  ])('takes the project from %s', (_source, projectName, request, expected) => {
    // Act & Assess
    expect(adviceProject(projectName, request)).toBe(expected);
  });
});
