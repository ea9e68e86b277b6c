/**
 * The CloudWatch metrics Notify emits (EMF: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * in one place so the dashboard (lib/constructs/dashboard.ts) queries exactly what is emitted.
 * A CloudWatch metric is identified by its namespace, name and its whole set of dimensions.
 */

/** Namespace of every metric (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'EcsAutoRollback';

/** Dimension names. `service` is Powertools' own (the POWERTOOLS_SERVICE_NAME, the same for every project). */
export const DIMENSION = {
  POWERTOOLS_SERVICE: 'service',
  PROJECT: 'Project',
  ECS_SERVICE: 'EcsService',
  OUTCOME: 'Outcome',
  REASON: 'Reason',
  STEP: 'Step',
} as const;

/** Metric names. */
export const METRIC = {
  /** Every ending, by Outcome (Succeeded, Skipped, DryRun, Failed). */
  ROLLBACKS: 'Rollbacks',
  /** A rollback that ended with the service recovered. */
  SUCCEEDED: 'RollbackSucceeded',
  /** A trigger that changed nothing, by Reason (a constant of lambdas/core/reasons.ts). */
  SKIPPED: 'RollbackSkipped',
  /** A rollback that failed, by the Step where it failed. */
  FAILED: 'RollbackFailed',
  /** Seconds from the first observable failure (the trigger's time) to recovered. */
  TIME_TO_RECOVERED: 'TimeToRecovered',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Outcome dimension values. */
export const OUTCOME = { SUCCEEDED: 'Succeeded', SKIPPED: 'Skipped', DRY_RUN: 'DryRun', FAILED: 'Failed' } as const;

export type Outcome = (typeof OUTCOME)[keyof typeof OUTCOME];

const { POWERTOOLS_SERVICE, PROJECT, ECS_SERVICE, OUTCOME: OUTCOME_DIMENSION, REASON, STEP } = DIMENSION;

/**
 * The dimension sets each metric is emitted with (Powertools' `service` included). A metric with
 * two sets is one EMF document that CloudWatch stores as two metrics: the project-wide one (for
 * totals and percentiles over all services) and the per-service one.
 */
export const METRIC_DIMENSION_SETS: Readonly<Record<MetricName, readonly (readonly string[])[]>> = {
  [METRIC.ROLLBACKS]: [
    [POWERTOOLS_SERVICE, PROJECT, OUTCOME_DIMENSION],
    [POWERTOOLS_SERVICE, PROJECT, ECS_SERVICE, OUTCOME_DIMENSION],
  ],
  [METRIC.SUCCEEDED]: [[POWERTOOLS_SERVICE, PROJECT, ECS_SERVICE]],
  [METRIC.SKIPPED]: [[POWERTOOLS_SERVICE, PROJECT, ECS_SERVICE, REASON]],
  [METRIC.FAILED]: [[POWERTOOLS_SERVICE, PROJECT, ECS_SERVICE, STEP]],
  [METRIC.TIME_TO_RECOVERED]: [
    [POWERTOOLS_SERVICE, PROJECT],
    [POWERTOOLS_SERVICE, PROJECT, ECS_SERVICE],
  ],
};
