/** Notify's metrics: one EMF document per metric and dimension set, exactly those of lambdas/shared/metrics.ts. */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Ending } from '../core/ending';
import { DIMENSION, METRIC, METRIC_DIMENSION_SETS, type MetricName } from '../shared/metrics';

/** Where the ending happened. */
export interface MetricSubject {
  readonly project: string;
  readonly ecsService: string;
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * Emits a metric once per dimension set, each as its own EMF document (Powertools' singleMetric):
 * one document with overlapping dimension sets makes Powertools warn on every invocation.
 */
function emit(metrics: Metrics, name: MetricName, unit: Unit, value: number, values: Readonly<Record<string, string>>): void {
  for (const set of METRIC_DIMENSION_SETS[name]) {
    const single = metrics.singleMetric();
    for (const dimension of set) {
      if (dimension !== DIMENSION.POWERTOOLS_SERVICE) single.addDimension(dimension, values[dimension] ?? 'unknown');
    }
    single.addMetric(name, unit, value);
  }
}

/** Counts the ending (Rollbacks by Outcome, and the ending's own metric) and, after a success, the time to recovered. */
export function recordEnding(metrics: Metrics, subject: MetricSubject, ending: Ending): void {
  const values = {
    [DIMENSION.PROJECT]: subject.project,
    [DIMENSION.ECS_SERVICE]: subject.ecsService,
    [DIMENSION.OUTCOME]: ending.outcome,
    ...(ending.reason === undefined ? {} : { [DIMENSION.REASON]: ending.reason }),
    ...(ending.step === undefined ? {} : { [DIMENSION.STEP]: ending.step }),
  };
  emit(metrics, METRIC.ROLLBACKS, MetricUnit.Count, 1, values);
  if (ending.outcome === 'Succeeded') emit(metrics, METRIC.SUCCEEDED, MetricUnit.Count, 1, values);
  if (ending.outcome === 'Skipped') emit(metrics, METRIC.SKIPPED, MetricUnit.Count, 1, values);
  if (ending.outcome === 'Failed') emit(metrics, METRIC.FAILED, MetricUnit.Count, 1, values);
  if (ending.timeToRecoveredSeconds !== undefined) {
    emit(metrics, METRIC.TIME_TO_RECOVERED, MetricUnit.Seconds, ending.timeToRecoveredSeconds, values);
  }
}
