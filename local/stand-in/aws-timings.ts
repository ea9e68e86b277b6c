/**
 * Every modelled AWS duration, in ONE table, each with its source. Where AWS documents no figure,
 * the entry is a labelled estimate (`estimate` says why and which values the bench's sensitivity
 * rows try instead). The stand-in's model (target health, Fargate start, CloudWatch alarms, ECS
 * deployment alarms) and the local harness (EventBridge delivery, Lambda invocations, API latency)
 * read their defaults from here; a scenario may set other values and must name them.
 */

/** A figure AWS does not document: why this value, and the values the sensitivity rows try. */
export interface Estimate {
  readonly why: string;
  /**
   * Other values (same unit and shape as `value`) the bench runs to show how much the figure matters;
   * `'never'` for a delay: the behaviour does not happen at all.
   */
  readonly sensitivity: readonly SensitivityValue[];
}

/** A value a sensitivity row tries. */
export type SensitivityValue = number | Range | 'never';

/** Uniform between min and max (inclusive of min). */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** One row of the table. */
export interface TimingFact<V extends number | Range = number | Range> {
  readonly label: string;
  readonly value: V;
  readonly unit: 's' | 'ms' | 'count' | 'min';
  /** The AWS page the value comes from (for an estimate: the page that says no figure is documented, or the nearest one). */
  readonly source: string;
  readonly estimate?: Estimate;
}

const ELB_TG = 'https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/elasticloadbalancingv2/aws.sdk.kotlin.services.elasticloadbalancingv2.model/-create-target-group-request';

/** The table. Keys are what code reads; `label` and `source` are what BENCHMARKS.md prints. */
export const AWS_TIMINGS = {
  healthCheckIntervalSeconds: {
    label: 'ALB target group health check interval',
    value: 30,
    unit: 's',
    source: `${ELB_TG}/-builder/health-check-interval-seconds.html`,
  },
  healthCheckTimeoutSeconds: {
    label: 'ALB health check timeout (HTTP target group)',
    value: 6,
    unit: 's',
    source: `${ELB_TG}/-builder/health-check-timeout-seconds.html`,
  },
  healthyThresholdCount: {
    label: 'ALB healthy threshold (consecutive successes)',
    value: 5,
    unit: 'count',
    source: `${ELB_TG}/healthy-threshold-count.html`,
  },
  unhealthyThresholdCount: {
    label: 'ALB unhealthy threshold (consecutive failures)',
    value: 2,
    unit: 'count',
    source: `${ELB_TG}/-builder/unhealthy-threshold-count.html`,
  },
  deregistrationDelaySeconds: {
    label: 'ALB deregistration delay',
    value: 300,
    unit: 's',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/modify-target-group-health-settings.html',
  },
  healthCheckPhaseSeconds: {
    label: "first health check of a new target after its registration (each target's phase)",
    value: { min: 0, max: 30 },
    unit: 's',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html',
    estimate: {
      why: 'AWS says checks run about every interval per target but not when the first one runs: uniform over one interval',
      sensitivity: [
        { min: 0, max: 0.001 },
        { min: 29.999, max: 30 },
      ],
    },
  },
  fargateStartSeconds: {
    label: 'Fargate task start (PROVISIONING → RUNNING, image pull included)',
    value: { min: 30, max: 75 },
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html',
    estimate: {
      why: 'AWS documents no Fargate start time (it depends on the image pull; no layer cache)',
      sensitivity: [
        { min: 15, max: 30 },
        { min: 60, max: 150 },
      ],
    },
  },
  taskStopSeconds: {
    label: 'task stop without load balancer (stopTimeout, SIGTERM → SIGKILL)',
    value: 30,
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html',
  },
  unhealthyTaskStopSeconds: {
    label: 'ECS stops a task whose load balancer target turned unhealthy (the service scheduler replaces it), after',
    value: 15,
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html',
    estimate: {
      why: 'AWS: "The service scheduler also replaces tasks determined to be unhealthy after ... a load balancer target group health check fails", not after how long',
      sensitivity: [5, 60, 'never'],
    },
  },
  albMetricPeriodSeconds: {
    label: 'ALB CloudWatch metrics (UnHealthyHostCount) period',
    value: 60,
    unit: 's',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html',
  },
  albMetricDelaySeconds: {
    label: 'ALB metric datapoint available to alarms after its minute ends',
    value: { min: 30, max: 90 },
    unit: 's',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html',
    estimate: {
      why: 'AWS documents the 60 s interval, not how late a datapoint arrives',
      sensitivity: [
        { min: 5, max: 15 },
        { min: 120, max: 180 },
      ],
    },
  },
  alarmEvaluationIntervalSeconds: {
    label: 'CloudWatch alarm evaluation cadence (period ≥ 60 s)',
    value: 60,
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html',
  },
  ecsAlarmPollSeconds: {
    label: 'ECS deployment alarms: how late ECS acts on an alarm in ALARM',
    value: { min: 0, max: 60 },
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html',
    estimate: {
      why: 'AWS documents that ECS watches the alarms, not how often it reads them',
      sensitivity: [
        { min: 0, max: 1 },
        { min: 60, max: 180 },
      ],
    },
  },
  ecsBakeTimeSeconds: {
    label: 'ECS deployment alarms: bake time after steady state (rolling update)',
    value: 600,
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html',
    estimate: {
      why: 'ECS computes it from the alarm configuration and it cannot be set; AWS gives no formula',
      sensitivity: [120, 1800],
    },
  },
  eventBridgeDeliveryMs: {
    label: 'EventBridge: event emitted → Step Functions execution started',
    value: { min: 200, max: 1000 },
    unit: 'ms',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html',
    estimate: {
      why: 'AWS documents delivery guarantees and retries, not latency',
      sensitivity: [
        { min: 50, max: 100 },
        { min: 2000, max: 5000 },
      ],
    },
  },
  lambdaColdInitMs: {
    label: 'Lambda cold start: runtime init before the bundle loads (the measured bundle load is added)',
    value: { min: 100, max: 300 },
    unit: 'ms',
    source: 'https://docs.aws.amazon.com/lambda/latest/operatorguide/execution-environments.html',
    estimate: {
      why: 'AWS: cold starts vary from under 100 ms to over 1 s; the runtime part is not broken out',
      sensitivity: [
        { min: 50, max: 100 },
        { min: 800, max: 1200 },
      ],
    },
  },
  lambdaWarmInvokeMs: {
    label: 'Lambda warm invocation overhead (besides its API calls)',
    value: { min: 5, max: 30 },
    unit: 'ms',
    source: 'https://docs.aws.amazon.com/lambda/latest/operatorguide/execution-environments.html',
    estimate: {
      why: 'AWS documents warm reuse, no invocation overhead figure',
      sensitivity: [
        { min: 1, max: 2 },
        { min: 100, max: 200 },
      ],
    },
  },
  lambdaReuseIdleMinutes: {
    label: 'Lambda execution environment reused while idle less than',
    value: 5,
    unit: 'min',
    source: 'https://docs.aws.amazon.com/lambda/latest/operatorguide/execution-environments.html',
    estimate: {
      why: 'AWS: environments are retained for a non-deterministic period',
      sensitivity: [0, 60],
    },
  },
  apiCallMs: {
    label: 'AWS API call latency (ECS, ELBv2, ECR, SNS, DynamoDB), per call',
    value: { min: 20, max: 120 },
    unit: 'ms',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html',
    estimate: {
      why: 'AWS documents no API latency',
      sensitivity: [
        { min: 5, max: 10 },
        { min: 200, max: 500 },
      ],
    },
  },
  humanReportMinutes: {
    label: "seed: failures reported after they start (the seed's own example: 2:00 PM deploy, 2:15 PM reported)",
    value: 15,
    unit: 'min',
    source: '/work/shared/seed (Real-World Example)',
    estimate: {
      why: "a person's reaction, from the seed's example, not an AWS figure",
      sensitivity: [1, 5, 15],
    },
  },
  humanStartMinutes: {
    label: "seed: rollback started after the report (the seed's example: 2:15 → 2:17 PM)",
    value: 2,
    unit: 'min',
    source: '/work/shared/seed (Real-World Example)',
    estimate: {
      why: "a person's action, from the seed's example, not an AWS figure",
      sensitivity: [1, 2, 5],
    },
  },
} as const satisfies Record<string, TimingFact>;

/** The table's keys. */
export type TimingKey = keyof typeof AWS_TIMINGS;

/** A number drawn uniformly from a range (or the number itself) with a [0, 1) source. */
export function draw(value: number | Range, random: () => number): number {
  return typeof value === 'number' ? value : value.min + (value.max - value.min) * random();
}

/** The middle of a range (or the number). */
export function middle(value: number | Range): number {
  return typeof value === 'number' ? value : (value.min + value.max) / 2;
}

/** "30 s", "30–75 s", "never" */
export function formatFigure(value: SensitivityValue, unit: string): string {
  if (value === 'never') return 'never';
  const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(x < 1 ? 3 : 1));
  return typeof value === 'number' ? `${n(value)} ${unit}` : `${n(value.min)}–${n(value.max)} ${unit}`;
}

/** A target group's health check settings. */
export interface HealthCheckSettings {
  readonly intervalSeconds: number;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
}

/**
 * What health check settings imply, as the stand-in's target health model plays them
 * (model/target-health.ts): a new target turns healthy after its first check (at a uniformly drawn
 * phase within one interval of its registration, `healthCheckPhaseSeconds`) plus (healthy threshold
 * − 1) intervals; a target that starts failing turns unhealthy after up to one interval until the
 * next check plus (unhealthy threshold − 1) intervals
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 * `ecs-rollback doctor` reports these times from the same formula the bench's runs play.
 */
export function healthCheckTimes(settings: HealthCheckSettings): { readonly healthyAfterSeconds: Range; readonly unhealthyAfterSeconds: Range } {
  const { intervalSeconds: interval, healthyThresholdCount: healthy, unhealthyThresholdCount: unhealthy } = settings;
  return {
    healthyAfterSeconds: { min: (healthy - 1) * interval, max: healthy * interval },
    unhealthyAfterSeconds: { min: (unhealthy - 1) * interval, max: unhealthy * interval },
  };
}
