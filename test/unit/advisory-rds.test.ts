import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RdsReadClient, RdsServiceException } from '../../lambdas/aws/rds-read-client';
import { findDatabaseSnapshots, newestAutomatedSnapshotBefore } from '../../lambdas/aws/rds-snapshots';
import { AwsCallError, ThrottledAwsError } from '../../lambdas/shared/errors';

const rdsMock = mockClient(RdsReadClient);
const client = new RdsReadClient({ region: 'us-east-1' });
const DEPLOYMENT_STARTED = new Date('2025-03-04T10:05:00Z');

function snapshot(id: string, created: string, status = 'available') {
  return { DBSnapshotIdentifier: id, DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated', SnapshotCreateTime: new Date(created), Status: status };
}

describe('RDS snapshots for the database advice', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('finds riderapp-db and its newest automated snapshot taken before the failed deployment', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: 'billing-db' },
        { DBInstanceIdentifier: 'riderapp-db', LatestRestorableTime: new Date('2025-03-04T10:25:00Z') },
      ],
    });
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        snapshot('rds:riderapp-db-2025-03-02-03-10', '2025-03-02T03:10:00Z'),
        snapshot('rds:riderapp-db-2025-03-04-03-10', '2025-03-04T03:10:00Z'),
        snapshot('rds:riderapp-db-2025-03-04-10-20', '2025-03-04T10:20:00Z'),
        snapshot('rds:riderapp-db-2025-03-04-09-00', '2025-03-04T09:00:00Z', 'creating'),
      ],
    });

    // Act
    const findings = await findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, client);

    // Assess
    expect(findings).toEqual([
      {
        dbInstanceIdentifier: 'riderapp-db',
        snapshot: { identifier: 'rds:riderapp-db-2025-03-04-03-10', createdAt: '2025-03-04T03:10:00.000Z' },
        latestRestorableTime: '2025-03-04T10:25:00.000Z',
      },
    ]);
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated' });
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBSnapshotsCommand, 1);
  });

  it('reads every page of instances and snapshots', async () => {
    // Prepare
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'billing-db' }], Marker: 'page-2' })
      .resolves({ DBInstances: [{ DBInstanceIdentifier: 'riderapp-db' }] });
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [snapshot('rds:riderapp-db-2025-03-03-03-10', '2025-03-03T03:10:00Z')], Marker: 's-2' })
      .resolves({ DBSnapshots: [snapshot('rds:riderapp-db-2025-03-04-03-10', '2025-03-04T03:10:00Z')] });

    // Act
    const findings = await findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, client);

    // Assess
    expect(findings.map((f) => f.snapshot?.identifier)).toEqual(['rds:riderapp-db-2025-03-04-03-10']);
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { Marker: 'page-2' });
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { Marker: 's-2' });
  });

  it('returns no snapshot when every automated snapshot is newer than the deployment', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [snapshot('rds:riderapp-db-2025-03-04-10-20', '2025-03-04T10:20:00Z')] });

    // Act
    const found = await newestAutomatedSnapshotBefore('riderapp-db', DEPLOYMENT_STARTED, client);

    // Assess
    expect(found).toBeUndefined();
  });

  it('names the Aurora cluster and does not look for instance snapshots', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'riderapp-aurora-1', DBClusterIdentifier: 'riderapp-aurora' }],
    });

    // Act
    const findings = await findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, client);

    // Assess
    expect(findings).toEqual([{ dbInstanceIdentifier: 'riderapp-aurora-1', dbClusterIdentifier: 'riderapp-aurora', latestRestorableTime: undefined }]);
    expect(rdsMock).not.toHaveReceivedCommand(DescribeDBSnapshotsCommand);
  });

  it.each([
    ['AccessDenied', 'client', 403, AwsCallError],
    ['Throttling', 'client', 400, ThrottledAwsError],
  ] as const)('maps an RDS %s error to %O', async (name, fault, status, errorClass) => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).rejects(new RdsServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: 'no' }));

    // Act
    const result = findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, client);

    // Assess
    await expect(result).rejects.toBeInstanceOf(errorClass);
  });
});
