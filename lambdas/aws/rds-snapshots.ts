/**
 * RDS look-ups for the database advice: the project's DB instances and the newest automated
 * snapshot of each taken before a time. Read-only: nothing here restores anything.
 */
import type { DatabaseSnapshotFinding, SnapshotRef } from '../core/advisory';
import { awsCall } from './call';
import { sdkClientOptions } from './client-options';
import { type DbInstanceSummary, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RdsReadClient } from './rds-read-client';

let defaultClient: RdsReadClient | undefined;

/** The RDS client (the slim read client: lambdas/aws/rds-read-client.ts says why), created once per container on first use. */
export function rdsClient(): RdsReadClient {
  defaultClient ??= new RdsReadClient(sdkClientOptions('read'));
  return defaultClient;
}

/** DB instances whose identifier contains the project name (the seed's `contains(DBInstanceIdentifier, project)`). */
export async function findProjectDbInstances(project: string, client: RdsReadClient = rdsClient()): Promise<DbInstanceSummary[]> {
  const needle = project.toLowerCase();
  const found: DbInstanceSummary[] = [];
  let marker: string | undefined;
  do {
    const page = await awsCall('DescribeDBInstances', () =>
      client.send(new DescribeDBInstancesCommand({ MaxRecords: 100, Marker: marker })),
    );
    for (const instance of page.DBInstances ?? []) {
      if (instance.DBInstanceIdentifier?.toLowerCase().includes(needle)) found.push(instance);
    }
    marker = page.Marker;
  } while (marker !== undefined);
  return found;
}

/** The newest available automated snapshot of a DB instance created before `before`, if any. */
export async function newestAutomatedSnapshotBefore(
  dbInstanceIdentifier: string,
  before: Date,
  client: RdsReadClient = rdsClient(),
): Promise<SnapshotRef | undefined> {
  let newest: { identifier: string; createdAt: Date } | undefined;
  let marker: string | undefined;
  do {
    const page = await awsCall('DescribeDBSnapshots', () =>
      client.send(
        new DescribeDBSnapshotsCommand({
          DBInstanceIdentifier: dbInstanceIdentifier,
          SnapshotType: 'automated',
          MaxRecords: 100,
          Marker: marker,
        }),
      ),
    );
    for (const snapshot of page.DBSnapshots ?? []) {
      const createdAt = snapshot.SnapshotCreateTime;
      if (snapshot.DBSnapshotIdentifier === undefined || createdAt === undefined) continue;
      if (snapshot.Status !== undefined && snapshot.Status !== 'available') continue;
      if (createdAt.getTime() >= before.getTime()) continue;
      if (newest === undefined || createdAt.getTime() > newest.createdAt.getTime()) {
        newest = { identifier: snapshot.DBSnapshotIdentifier, createdAt };
      }
    }
    marker = page.Marker;
  } while (marker !== undefined);
  return newest === undefined ? undefined : { identifier: newest.identifier, createdAt: newest.createdAt.toISOString() };
}

/**
 * The project's DB instances, each with its newest automated snapshot before `before`
 * (Aurora instances: the cluster is named instead; their backups are cluster snapshots).
 */
export async function findDatabaseSnapshots(
  project: string,
  before: Date,
  client: RdsReadClient = rdsClient(),
): Promise<DatabaseSnapshotFinding[]> {
  const findings: DatabaseSnapshotFinding[] = [];
  for (const instance of await findProjectDbInstances(project, client)) {
    const id = instance.DBInstanceIdentifier as string;
    const latestRestorableTime = instance.LatestRestorableTime?.toISOString();
    if (instance.DBClusterIdentifier !== undefined) {
      findings.push({ dbInstanceIdentifier: id, dbClusterIdentifier: instance.DBClusterIdentifier, latestRestorableTime });
      continue;
    }
    const snapshot = await newestAutomatedSnapshotBefore(id, before, client);
    findings.push({ dbInstanceIdentifier: id, snapshot, latestRestorableTime });
  }
  return findings;
}
