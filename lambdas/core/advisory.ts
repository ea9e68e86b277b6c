/**
 * The seed workflow's other rollback types as advice, never as actions: a database rollback
 * loses data and an infrastructure rollback can replace resources, so a person decides.
 * The text goes into the notification; the commands in it are exact, to copy and run.
 */
import type { RollbackRequest, RollbackType } from '../shared/types';

/** The newest automated snapshot of one DB instance taken before the failed deployment. */
export interface SnapshotRef {
  readonly identifier: string;
  readonly createdAt: string;
}

/** One RDS DB instance of the project and what it can be restored from. */
export interface DatabaseSnapshotFinding {
  readonly dbInstanceIdentifier: string;
  /** Set for an Aurora instance: the cluster is what gets restored. */
  readonly dbClusterIdentifier?: string;
  /** Undefined when no available automated snapshot was taken before the cut-off time. */
  readonly snapshot?: SnapshotRef;
  /** Set when automated backups are on, so a point-in-time restore is possible. */
  readonly latestRestorableTime?: string;
}

/** What the advice is built from. */
export interface AdvisoryInput {
  readonly rollbackType: RollbackType;
  readonly project: string;
  readonly region?: string;
  /** The cut-off: snapshots must be older than this (ISO-8601). */
  readonly failedDeploymentStartedAt?: string;
  /** True when the cut-off is the deployment's start, false when it is only the trigger's time. */
  readonly cutOffIsDeploymentStart?: boolean;
  /** The project's DB instances; undefined when they were not (or could not be) looked up. */
  readonly databases?: readonly DatabaseSnapshotFinding[];
  /** Why the RDS lookup failed, when it did. */
  readonly lookupError?: string;
}

/** True for the rollback types that ask for database advice. */
export function wantsDatabaseAdvice(type: RollbackType): boolean {
  return type === 'database' || type === 'full';
}

/** True for the rollback types that ask for infrastructure advice. */
export function wantsInfrastructureAdvice(type: RollbackType): boolean {
  return type === 'infrastructure' || type === 'full';
}

function isoSeconds(time: string): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? time : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A DB identifier for the restored copy: letters, digits, hyphens, at most 63 characters. */
function restoredIdentifier(base: string): string {
  const cleaned = `${base}-restored`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-');
  return cleaned.length <= 63 ? cleaned : `${cleaned.slice(0, 54).replace(/-+$/, '')}-restored`;
}

function regionFlag(region: string | undefined): string {
  return region === undefined ? '' : ` --region ${region}`;
}

function databaseAdvice(input: AdvisoryInput): string[] {
  const region = regionFlag(input.region);
  const cutOff = input.failedDeploymentStartedAt === undefined ? undefined : isoSeconds(input.failedDeploymentStartedAt);
  const cutOffText =
    cutOff === undefined
      ? 'the failed deployment'
      : input.cutOffIsDeploymentStart === true
        ? `the failed deployment started (${cutOff})`
        : `the rollback was triggered (${cutOff})`;
  const lines = [
    `Database rollback: not done automatically: data loss risk. A restore creates a new DB instance; every write after the restore point is lost, and the application must be pointed at the new endpoint by hand.`,
  ];
  if (input.databases === undefined) {
    lines.push(
      `The RDS snapshots could not be looked up${input.lookupError === undefined ? '' : ` (${input.lookupError})`}. Find the newest automated snapshot taken before ${cutOffText} with: aws rds describe-db-snapshots --snapshot-type automated --db-instance-identifier <instance>${region}`,
    );
    return lines;
  }
  if (input.databases.length === 0) {
    lines.push(`No RDS DB instance whose identifier contains "${input.project}" was found${input.region === undefined ? '' : ` in ${input.region}`}: nothing to restore.`);
    return lines;
  }
  const single = input.databases.length === 1;
  const restoredClusters = new Set<string>();
  for (const db of input.databases) {
    if (db.dbClusterIdentifier !== undefined) {
      if (restoredClusters.has(db.dbClusterIdentifier)) continue;
      restoredClusters.add(db.dbClusterIdentifier);
      const target = restoredIdentifier(single ? input.project : db.dbClusterIdentifier);
      const when = cutOff === undefined ? '--use-latest-restorable-time' : `--restore-to-time ${cutOff}`;
      lines.push(
        `${db.dbInstanceIdentifier} belongs to the Aurora cluster ${db.dbClusterIdentifier}: restore the cluster to the moment before ${cutOffText}:`,
        `  aws rds restore-db-cluster-to-point-in-time --source-db-cluster-identifier ${db.dbClusterIdentifier} --db-cluster-identifier ${target} ${when}${region}`,
        `  then add an instance to it: aws rds create-db-instance --db-cluster-identifier ${target} --db-instance-identifier ${target}-1 --db-instance-class <class> --engine <engine>${region}`,
      );
      continue;
    }
    const target = restoredIdentifier(single ? input.project : db.dbInstanceIdentifier);
    if (db.snapshot !== undefined) {
      lines.push(
        `${db.dbInstanceIdentifier}: the newest automated snapshot taken before ${cutOffText} is ${db.snapshot.identifier} (${isoSeconds(db.snapshot.createdAt)}). To restore it as a new instance, run:`,
        `  aws rds restore-db-instance-from-db-snapshot --db-instance-identifier ${target} --db-snapshot-identifier ${db.snapshot.identifier}${region}`,
      );
    } else {
      lines.push(
        `${db.dbInstanceIdentifier}: no automated snapshot taken before ${cutOffText} was found; check its backup retention (aws rds describe-db-instances --db-instance-identifier ${db.dbInstanceIdentifier}${region}).`,
      );
    }
    if (db.latestRestorableTime !== undefined && cutOff !== undefined) {
      lines.push(
        `  ${db.snapshot === undefined ? 'A' : 'Or a'} point-in-time restore to that moment: aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier ${db.dbInstanceIdentifier} --target-db-instance-identifier ${target} --restore-time ${cutOff}${region}`,
      );
    }
  }
  lines.push(
    '  Add --db-subnet-group-name and --vpc-security-group-ids to match the original instance; verify the data before switching the application over.',
  );
  return lines;
}

function infrastructureAdvice(): string[] {
  return [
    'Infrastructure rollback: not done automatically: review required. Infrastructure changes can replace or delete resources (and their data).',
    '  1. Check out the last known-good commit of the infrastructure code (git log), on a branch.',
    '  2. Review what would change: terraform plan with the previous .tfvars, or npx cdk diff.',
    '  3. Apply only after review: terraform apply, or npx cdk deploy. Do not run terraform destroy on a live project.',
  ];
}

/** The advice lines for a rollback type: none for application, database and/or infrastructure steps otherwise. */
export function buildAdvisories(input: AdvisoryInput): string[] {
  return [
    ...(wantsDatabaseAdvice(input.rollbackType) ? databaseAdvice(input) : []),
    ...(wantsInfrastructureAdvice(input.rollbackType) ? infrastructureAdvice() : []),
  ];
}

/** Finds the project's DB instances and, for each, the newest automated snapshot before `before`. */
export type DatabaseFinder = (project: string, before: Date) => Promise<readonly DatabaseSnapshotFinding[]>;

/** What adviceFor needs besides the request. */
export interface AdviceDeps {
  readonly project: string;
  /** findDatabaseSnapshots from lambdas/aws/rds-snapshots (or a stand-in in tests). */
  readonly findDatabases: DatabaseFinder;
  /** When the failed deployment started, if known; otherwise the trigger's time is the cut-off. */
  readonly failedDeploymentStartedAt?: string;
}

/**
 * The lines Notify appends to a notification for the request's rollback type: looks up the
 * RDS snapshots only for database/full, and never throws (a failed lookup becomes advice too).
 */
export async function adviceFor(
  request: Pick<RollbackRequest, 'rollbackType' | 'region' | 'trigger'>,
  deps: AdviceDeps,
): Promise<string[]> {
  const base = {
    rollbackType: request.rollbackType,
    project: deps.project,
    region: request.region,
    failedDeploymentStartedAt: deps.failedDeploymentStartedAt ?? request.trigger.time,
    cutOffIsDeploymentStart: deps.failedDeploymentStartedAt !== undefined,
  };
  if (!wantsDatabaseAdvice(request.rollbackType)) return buildAdvisories(base);
  try {
    const databases = await deps.findDatabases(deps.project, new Date(base.failedDeploymentStartedAt));
    return buildAdvisories({ ...base, databases });
  } catch (error) {
    return buildAdvisories({ ...base, lookupError: error instanceof Error ? error.message : String(error) });
  }
}
