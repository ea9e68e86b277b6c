/**
 * The records of the modelled AWS account (what DescribeServices, DescribeTargetHealth & co. show)
 * and the modelled durations. Pure data: behaviour lives in the sibling files.
 */
import type { ModelClock } from '../clock';
import { AWS_TIMINGS } from '../aws-timings';
import type { AlarmStateValue } from '../events';

/** How an image behaves when a task runs it. */
export type ImageBehaviour = 'good' | 'bad' | 'regression';

/** Uniform between min and max (a fixed value when they are equal). */
export interface DurationRange {
  readonly min: number;
  readonly max: number;
}

/** Modelled durations; defaults from AWS_TIMINGS (aws-timings.ts: the one table with every source). */
export interface Timings {
  /** Fargate task start (PROVISIONING → RUNNING), drawn per task. @default 30–75 s (estimate) */
  readonly fargateStartMs: DurationRange;
  /** Target group health check interval of new target groups. @default 30 */
  readonly healthCheckIntervalSeconds: number;
  /** Health check timeout of new target groups. @default 6 (HTTP) */
  readonly healthCheckTimeoutSeconds: number;
  /** Consecutive successes to turn healthy. @default 5 */
  readonly healthyThresholdCount: number;
  /** Consecutive failures to turn unhealthy. @default 2 */
  readonly unhealthyThresholdCount: number;
  /** Deregistration delay of new target groups. @default 300 */
  readonly deregistrationDelaySeconds: number;
  /**
   * A new target's first health check after its registration, as a share of the interval, drawn per
   * target (its check phase): it turns healthy at registration + (phase + threshold − 1) × interval.
   * @default 0–1 (estimate: uniform over one interval)
   */
  readonly healthCheckPhase: DurationRange;
  /** Time a task without load balancer takes to stop (SIGTERM → exit). @default 30_000 */
  readonly taskStopMs: number;
  /** For "regression" images: time after turning healthy before requests and health checks start failing. @default 300_000 */
  readonly regressionAfterMs: number;
  /** After this long, STOPPED tasks are forgotten (ECS shows them for about an hour). @default 3_600_000 */
  readonly stoppedTaskRetentionMs: number;
  /** How late a one-minute ALB datapoint reaches CloudWatch alarms after its minute ends, drawn per datapoint. @default 30–90 s (estimate) */
  readonly metricDelayMs: DurationRange;
  /** CloudWatch evaluates alarms with a period of 60 s or more every minute. @default 60_000 */
  readonly alarmEvaluationIntervalMs: number;
  /** ECS deployment alarms: how late ECS acts on an alarm in ALARM, drawn per alarm change. @default 0–60 s (estimate) */
  readonly ecsAlarmPollMs: DurationRange;
  /** ECS deployment alarms: bake time after steady state before COMPLETED (rolling update). @default 600_000 (estimate) */
  readonly ecsBakeTimeMs: number;
  /**
   * How long after a target turns unhealthy the service scheduler stops its task ("Task failed ELB
   * health checks in (target-group …)", ServiceSchedulerInitiated) and starts a replacement, as ECS
   * does for a service that uses the load balancer's health check; undefined: never (a scenario
   * that needs targets to stay unhealthy). AWS documents the replacement, not its delay.
   * @default 15_000 (estimate, AWS_TIMINGS.unhealthyTaskStopSeconds)
   */
  readonly unhealthyTaskStopMs: number | undefined;
}

const range = (value: number | { readonly min: number; readonly max: number }, scale: number): DurationRange =>
  typeof value === 'number' ? { min: value * scale, max: value * scale } : { min: value.min * scale, max: value.max * scale };

const T = AWS_TIMINGS;

export const DEFAULT_TIMINGS: Timings = {
  fargateStartMs: range(T.fargateStartSeconds.value, 1000),
  healthCheckIntervalSeconds: T.healthCheckIntervalSeconds.value,
  healthCheckTimeoutSeconds: T.healthCheckTimeoutSeconds.value,
  healthyThresholdCount: T.healthyThresholdCount.value,
  unhealthyThresholdCount: T.unhealthyThresholdCount.value,
  deregistrationDelaySeconds: T.deregistrationDelaySeconds.value,
  healthCheckPhase: range(T.healthCheckPhaseSeconds.value, 1 / T.healthCheckIntervalSeconds.value),
  taskStopMs: T.taskStopSeconds.value * 1000,
  regressionAfterMs: 300_000,
  stoppedTaskRetentionMs: 3_600_000,
  metricDelayMs: range(T.albMetricDelaySeconds.value, 1000),
  alarmEvaluationIntervalMs: T.alarmEvaluationIntervalSeconds.value * 1000,
  ecsAlarmPollMs: range(T.ecsAlarmPollSeconds.value, 1000),
  ecsBakeTimeMs: T.ecsBakeTimeSeconds.value * 1000,
  unhealthyTaskStopMs: T.unhealthyTaskStopSeconds.value * 1000,
};

/** A fixed duration (min = max). */
export function fixed(ms: number): DurationRange {
  return { min: ms, max: ms };
}

/**
 * What happened to the account's tasks, targets and deployments, in order (the bench measures what
 * users feel from it): task lifecycle, target health changes, a task starting to fail requests, its
 * first failing health check, and each service's PRIMARY deployment.
 */
export type ModelTransition =
  | {
      readonly kind: 'task';
      readonly at: number;
      readonly taskArn: string;
      readonly serviceArn: string;
      readonly deploymentId: string;
      readonly taskDefinitionArn: string;
      readonly behaviour: ImageBehaviour | 'missing';
      readonly status: 'PROVISIONING' | 'RUNNING' | 'FAILED' | 'STOPPING' | 'STOPPED';
    }
  | { readonly kind: 'target'; readonly at: number; readonly taskArn: string; readonly serviceArn: string; readonly state: TargetState }
  | { readonly kind: 'failing' | 'check-failed'; readonly at: number; readonly taskArn: string; readonly serviceArn: string }
  | { readonly kind: 'primary'; readonly at: number; readonly serviceArn: string; readonly deploymentId: string; readonly taskDefinitionArn: string };

/** Options of {@link AwsModel}. */
export interface ModelOptions {
  readonly clock: ModelClock;
  /** @default '111122223333' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Seed of the id generator. @default 1 */
  readonly seed?: number;
  readonly timings?: Partial<Timings>;
}

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface ContainerDefinitionInput {
  readonly name: string;
  readonly image: string;
  readonly portMappings?: readonly { readonly containerPort?: number; readonly hostPort?: number; readonly protocol?: string; readonly [key: string]: unknown }[];
  readonly [key: string]: unknown;
}

/** RegisterTaskDefinition input, as ECS takes it. */
export interface TaskDefinitionInput {
  readonly family: string;
  readonly containerDefinitions: readonly ContainerDefinitionInput[];
  readonly tags?: readonly Tag[];
  readonly [key: string]: unknown;
}

export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';

export interface TaskDefinitionRecord {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  status: TaskDefinitionStatus;
  readonly registeredAt: number;
  /** The registered definition (RegisterTaskDefinition input without tags). */
  readonly definition: Record<string, unknown> & { containerDefinitions: ContainerDefinitionInput[] };
  tags: Tag[];
}

export interface EcrImage {
  readonly digest: string;
  tags: string[];
  readonly pushedAt: number;
  readonly sizeInBytes: number;
  behaviour: ImageBehaviour;
}

export interface EcrRepository {
  readonly name: string;
  readonly arn: string;
  readonly uri: string;
  readonly createdAt: number;
  readonly images: EcrImage[];
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetRecord {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone: string;
  state: TargetState;
  reason?: string;
  description?: string;
  readonly taskArn: string;
  since: number;
}

export interface TargetGroupRecord {
  readonly arn: string;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly vpcId: string;
  readonly targetType: 'ip' | 'instance';
  readonly healthCheckPath: string;
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckTimeoutSeconds: number;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
  readonly deregistrationDelaySeconds: number;
  readonly loadBalancerArns: string[];
  /** Keyed by `id:port`. */
  readonly targets: Map<string, TargetRecord>;
}

export interface UnhealthyHostAlarm {
  readonly name: string;
  readonly description: string;
  readonly targetGroupArn: string;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** M of N: breaching datapoints within evaluationPeriods that set ALARM (defaults to evaluationPeriods). */
  readonly datapointsToAlarm: number;
  readonly periodSeconds: number;
  state: AlarmStateValue;
  stateSince: number;
  /** When the next evaluation is queued (undefined: none, nothing to evaluate). */
  nextEvaluationAt?: number;
  /** Offset of the alarm's evaluations within the minute (drawn once). */
  readonly evaluationOffsetMs: number;
  readonly metricId: string;
}

export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';

export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  readonly imageDigest?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
}

export interface TaskRecord {
  readonly arn: string;
  readonly id: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  readonly startedBy: string;
  readonly group: string;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  readonly createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  readonly ip: string;
  readonly eniId: string;
  readonly subnetId: string;
  readonly macAddress: string;
  readonly availabilityZone: string;
  readonly behaviour: ImageBehaviour | 'missing';
  readonly missingImage?: string;
  readonly containers: ContainerRecord[];
  /** True once every target of the task was healthy at least once (or the service has no LB). */
  passedHealthCheck: boolean;
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** A deployment as DescribeServices lists it (`ecs-svc/<19 digits>`). */
export interface DeploymentRecord {
  readonly id: string;
  status: DeploymentStatus;
  readonly taskDefinitionArn: string;
  desiredCount: number;
  failedTasks: number;
  readonly createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  readonly serviceDeploymentArn: string;
  readonly serviceRevisionArn: string;
  /** Started by ECS's circuit breaker rollback. */
  readonly isEcsRollback: boolean;
  /** Steady and baking (deployment alarms): COMPLETED at this time unless an alarm fails it. */
  bakeUntil?: number;
}

export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'IN_PROGRESS'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

export interface RevisionCounts {
  readonly requestedTaskCount: number;
  readonly runningTaskCount: number;
  readonly pendingTaskCount: number;
}

/** A service deployment as the service deployments API shows it. */
export interface ServiceDeploymentRecord {
  readonly arn: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly createdAt: number;
  readonly startedAt: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  readonly sourceServiceRevisionArns: string[];
  readonly targetServiceRevisionArn: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  rollback?: { readonly reason: string; readonly startedAt: number; readonly serviceRevisionArn: string };
  readonly circuitBreaker: { status: 'DISABLED' | 'MONITORING' | 'MONITORING_COMPLETE' | 'TRIGGERED'; failureCount: number; readonly threshold: number };
  readonly deploymentConfiguration: DeploymentConfiguration;
  /** Counts frozen when the deployment finished. */
  finalCounts?: RevisionCounts;
}

export interface ServiceRevisionRecord {
  readonly arn: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly createdAt: number;
  readonly containerImages: { readonly containerName: string; readonly image: string; readonly imageDigest?: string }[];
}

export interface LoadBalancerBinding {
  readonly targetGroupArn: string;
  readonly containerName: string;
  readonly containerPort: number;
}

/** ECS deployment alarms (deploymentConfiguration.alarms). */
export interface DeploymentAlarms {
  readonly alarmNames: readonly string[];
  readonly enable: boolean;
  readonly rollback: boolean;
}

export interface DeploymentConfiguration {
  readonly deploymentCircuitBreaker: { readonly enable: boolean; readonly rollback: boolean };
  /** ECS watches these alarms during the deployment and its bake time. */
  readonly alarms?: DeploymentAlarms;
  readonly maximumPercent: number;
  readonly minimumHealthyPercent: number;
}

export interface ServiceEventRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly message: string;
}

export interface ServiceRecord {
  readonly name: string;
  readonly arn: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinitionArn: string;
  readonly loadBalancers: LoadBalancerBinding[];
  deploymentConfiguration: DeploymentConfiguration;
  /** The deployment controller (DescribeServices deploymentController.type). @default 'ECS' */
  deploymentController?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  /** Failed tasks that trip the circuit breaker; undefined → ECS's formula. */
  circuitBreakerThreshold?: number;
  readonly createdAt: number;
  readonly subnets: string[];
  readonly securityGroups: string[];
  /** PRIMARY first. */
  deployments: DeploymentRecord[];
  readonly events: ServiceEventRecord[];
  currentServiceDeploymentArn?: string;
  /** The last deployment that reached COMPLETED (ECS rolls back to it). */
  lastCompleted?: { readonly deploymentId: string; readonly taskDefinitionArn: string; readonly serviceRevisionArn: string };
  tags: Tag[];
}

export interface ClusterRecord {
  readonly name: string;
  readonly arn: string;
  readonly services: Map<string, ServiceRecord>;
}

/** Options of {@link AwsModel.createService}. */
export interface CreateServiceInput {
  readonly cluster: string;
  readonly name: string;
  readonly taskDefinition: string;
  readonly desiredCount: number;
  readonly loadBalancers?: readonly LoadBalancerBinding[];
  readonly circuitBreaker?: { readonly enable: boolean; readonly rollback: boolean };
  /** ECS deployment alarms. @default none */
  readonly deploymentAlarms?: DeploymentAlarms;
  readonly circuitBreakerThreshold?: number;
  readonly maximumPercent?: number;
  readonly minimumHealthyPercent?: number;
  /** Create it already steady: tasks RUNNING and healthy since this modelled time. Otherwise an initial deployment starts now. */
  readonly steadySince?: number;
  readonly createdAt?: number;
  readonly tags?: readonly Tag[];
}

/** UpdateService input, as ECS takes it. */
export interface UpdateServiceInput {
  readonly cluster?: string;
  readonly service: string;
  readonly taskDefinition?: string;
  readonly desiredCount?: number;
  readonly forceNewDeployment?: boolean;
  readonly deploymentConfiguration?: {
    readonly deploymentCircuitBreaker?: { readonly enable?: boolean; readonly rollback?: boolean };
    readonly maximumPercent?: number;
    readonly minimumHealthyPercent?: number;
  };
}

/** A compact view of a service for demos and assertions. */
export interface ServiceSummary {
  readonly taskDefinition: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly deployments: readonly {
    readonly id: string;
    readonly status: DeploymentStatus;
    readonly taskDefinition: string;
    readonly rolloutState: RolloutState;
    readonly runningCount: number;
    readonly pendingCount: number;
    readonly failedTasks: number;
  }[];
  readonly targets: Readonly<Record<TargetState, number>>;
  /** One PRIMARY COMPLETED deployment, all desired tasks running, every target healthy. */
  readonly steady: boolean;
}
