import { describe, expect, it } from 'vitest';
import { adviceFor, buildAdvisories, type DatabaseSnapshotFinding } from '../../lambdas/core/advisory';
import type { RollbackRequest, RollbackType } from '../../lambdas/shared/types';

const DEPLOYMENT_STARTED = '2025-03-04T10:05:00.000Z';
const RIDERAPP_DB: DatabaseSnapshotFinding = {
  dbInstanceIdentifier: 'riderapp-db',
  snapshot: { identifier: 'rds:riderapp-db-2025-03-04-03-10', createdAt: '2025-03-04T03:10:00.000Z' },
  latestRestorableTime: '2025-03-04T10:25:00.000Z',
};

function request(rollbackType: RollbackType): Pick<RollbackRequest, 'rollbackType' | 'region' | 'trigger'> {
  return {
    rollbackType,
    region: 'us-east-1',
    trigger: { kind: 'manual', id: 'exec-1', time: '2025-03-04T10:30:00Z', summary: 'manual rollback by alice', requestedBy: 'alice' },
  };
}

describe('buildAdvisories', () => {
  it('gives no advice for an application rollback', () => {
    // Act
    const lines = buildAdvisories({ rollbackType: 'application', project: 'riderapp', databases: [RIDERAPP_DB] });

    // Assess
    expect(lines).toEqual([]);
  });

  it('puts the exact restore command for the newest snapshot before the failed deployment into the advice', () => {
    // Act
    const lines = buildAdvisories({
      rollbackType: 'database',
      project: 'riderapp',
      region: 'us-east-1',
      failedDeploymentStartedAt: DEPLOYMENT_STARTED,
      cutOffIsDeploymentStart: true,
      databases: [RIDERAPP_DB],
    });

    // Assess
    expect(lines[0]).toContain('not done automatically: data loss risk');
    expect(lines).toContain(
      'riderapp-db: the newest automated snapshot taken before the failed deployment started (2025-03-04T10:05:00Z) is rds:riderapp-db-2025-03-04-03-10 (2025-03-04T03:10:00Z). To restore it as a new instance, run:',
    );
    expect(lines).toContain(
      '  aws rds restore-db-instance-from-db-snapshot --db-instance-identifier riderapp-restored --db-snapshot-identifier rds:riderapp-db-2025-03-04-03-10 --region us-east-1',
    );
    expect(lines).toContain(
      '  Or a point-in-time restore to that moment: aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier riderapp-db --target-db-instance-identifier riderapp-restored --restore-time 2025-03-04T10:05:00Z --region us-east-1',
    );
  });

  it('says so when riderapp has no RDS instance', () => {
    // Act
    const lines = buildAdvisories({ rollbackType: 'database', project: 'riderapp', region: 'us-east-1', databases: [] });

    // Assess
    expect(lines).toEqual([
      expect.stringContaining('not done automatically: data loss risk'),
      'No RDS DB instance whose identifier contains "riderapp" was found in us-east-1: nothing to restore.',
    ]);
  });

  it('says so when no automated snapshot predates the deployment, and offers no snapshot command', () => {
    // Act
    const lines = buildAdvisories({
      rollbackType: 'database',
      project: 'riderapp',
      failedDeploymentStartedAt: DEPLOYMENT_STARTED,
      databases: [{ dbInstanceIdentifier: 'riderapp-db' }],
    });

    // Assess
    expect(lines.join('\n')).toContain('riderapp-db: no automated snapshot taken before the rollback was triggered (2025-03-04T10:05:00Z) was found');
    expect(lines.join('\n')).not.toContain('restore-db-instance-from-db-snapshot');
  });

  it('names each restored copy after its instance when riderapp has several databases', () => {
    // Act
    const lines = buildAdvisories({
      rollbackType: 'database',
      project: 'riderapp',
      databases: [RIDERAPP_DB, { ...RIDERAPP_DB, dbInstanceIdentifier: 'riderapp-payments', snapshot: { identifier: 'rds:riderapp-payments-2025-03-04-03-12', createdAt: '2025-03-04T03:12:00Z' } }],
    });

    // Assess
    const text = lines.join('\n');
    expect(text).toContain('--db-instance-identifier riderapp-db-restored --db-snapshot-identifier rds:riderapp-db-2025-03-04-03-10');
    expect(text).toContain('--db-instance-identifier riderapp-payments-restored --db-snapshot-identifier rds:riderapp-payments-2025-03-04-03-12');
  });

  it('restores the Aurora cluster, once, rather than its instances', () => {
    // Act
    const lines = buildAdvisories({
      rollbackType: 'database',
      project: 'riderapp',
      failedDeploymentStartedAt: DEPLOYMENT_STARTED,
      databases: [
        { dbInstanceIdentifier: 'riderapp-aurora-1', dbClusterIdentifier: 'riderapp-aurora' },
        { dbInstanceIdentifier: 'riderapp-aurora-2', dbClusterIdentifier: 'riderapp-aurora' },
      ],
    });

    // Assess
    const commands = lines.filter((line) => line.includes('restore-db-cluster-to-point-in-time'));
    expect(commands).toEqual([
      '  aws rds restore-db-cluster-to-point-in-time --source-db-cluster-identifier riderapp-aurora --db-cluster-identifier riderapp-aurora-restored --restore-to-time 2025-03-04T10:05:00Z',
    ]);
  });

  it('gives reviewed terraform/CDK steps for an infrastructure rollback', () => {
    // Act
    const lines = buildAdvisories({ rollbackType: 'infrastructure', project: 'riderapp' });

    // Assess
    expect(lines[0]).toContain('not done automatically: review required');
    expect(lines.join('\n')).toContain('terraform plan with the previous .tfvars, or npx cdk diff');
    expect(lines.join('\n')).not.toContain('data loss risk');
  });

  it('gives both database and infrastructure advice for a full rollback', () => {
    // Act
    const lines = buildAdvisories({ rollbackType: 'full', project: 'riderapp', databases: [RIDERAPP_DB] });

    // Assess
    expect(lines.join('\n')).toContain('restore-db-instance-from-db-snapshot');
    expect(lines.join('\n')).toContain('Infrastructure rollback: not done automatically');
  });
});

describe('adviceFor', () => {
  it('looks for snapshots older than the failed deployment when its start is known', async () => {
    // Prepare
    const asked: [string, string][] = [];
    const findDatabases = async (project: string, before: Date) => {
      asked.push([project, before.toISOString()]);
      return [RIDERAPP_DB];
    };

    // Act
    const lines = await adviceFor(request('database'), { project: 'riderapp', findDatabases, failedDeploymentStartedAt: DEPLOYMENT_STARTED });

    // Assess
    expect(asked).toEqual([['riderapp', DEPLOYMENT_STARTED]]);
    expect(lines.join('\n')).toContain('--db-snapshot-identifier rds:riderapp-db-2025-03-04-03-10 --region us-east-1');
  });

  it('uses the trigger time as the cut-off when the deployment start is unknown', async () => {
    // Prepare
    const asked: string[] = [];
    const findDatabases = async (_project: string, before: Date) => {
      asked.push(before.toISOString());
      return [RIDERAPP_DB];
    };

    // Act
    const lines = await adviceFor(request('full'), { project: 'riderapp', findDatabases });

    // Assess
    expect(asked).toEqual(['2025-03-04T10:30:00.000Z']);
    expect(lines.join('\n')).toContain('taken before the rollback was triggered (2025-03-04T10:30:00Z)');
  });

  it('does not look up RDS for an application or infrastructure rollback', async () => {
    // Prepare
    let lookups = 0;
    const findDatabases = async () => {
      lookups += 1;
      return [];
    };

    // Act
    const application = await adviceFor(request('application'), { project: 'riderapp', findDatabases });
    const infrastructure = await adviceFor(request('infrastructure'), { project: 'riderapp', findDatabases });

    // Assess
    expect(lookups).toBe(0);
    expect(application).toEqual([]);
    expect(infrastructure[0]).toContain('review required');
  });

  it('turns a failed RDS lookup into advice instead of failing the notification', async () => {
    // Prepare
    const findDatabases = async (): Promise<never> => {
      throw new Error('DescribeDBInstances: AccessDenied: not authorized to perform rds:DescribeDBInstances');
    };

    // Act
    const lines = await adviceFor(request('database'), { project: 'riderapp', findDatabases });

    // Assess
    expect(lines[0]).toContain('data loss risk');
    expect(lines[1]).toContain('could not be looked up (DescribeDBInstances: AccessDenied');
    expect(lines[1]).toContain('aws rds describe-db-snapshots --snapshot-type automated');
  });
});
