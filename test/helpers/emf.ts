/** Runs Notify with metrics switched on and returns the EMF documents it printed (CloudWatch's view of them). */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import { deps, handler } from '../../lambdas/notify/handler';
import type { NotifyInput } from '../../lambdas/shared/types';

/** One EMF document as printed. */
export interface EmfDocument {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: ReadonlyArray<readonly string[]>;
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [key: string]: unknown;
}

/** A metric as CloudWatch stores it: namespace, name, one dimension set with values, the value. */
export interface StoredMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: unknown;
}

/** The metrics an EMF document creates: one per metric and dimension set. */
export function storedMetrics(documents: readonly EmfDocument[]): StoredMetric[] {
  return documents.flatMap((document) =>
    document._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.flatMap((metric) =>
        directive.Dimensions.map((set) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit,
          dimensions: Object.fromEntries(set.map((d) => [d, String(document[d])])),
          value: document[metric.Name],
        })),
      ),
    ),
  );
}

/** Invokes the real Notify handler with Powertools metrics enabled, as in Lambda; returns what it printed as EMF (and on stderr, in `warnings`). */
export async function notifyEmf(input: NotifyInput, warnings: string[] = []): Promise<EmfDocument[]> {
  const printed: string[] = [];
  const previous = { disabled: process.env.POWERTOOLS_METRICS_DISABLED, metrics: deps.metrics };
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  (deps as { metrics: Metrics }).metrics = new Metrics({ namespace: 'EcsAutoRollback', serviceName: 'ecs-auto-rollback' });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
  const warn = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => {
    warnings.push(String(chunk));
    return true;
  }) as typeof process.stderr.write);
  try {
    await handler(input);
  } finally {
    write.mockRestore();
    warn.mockRestore();
    process.env.POWERTOOLS_METRICS_DISABLED = previous.disabled;
    (deps as { metrics: Metrics }).metrics = previous.metrics;
  }
  return printed
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}
