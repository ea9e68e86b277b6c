/**
 * The records of the modelled AWS account (what DescribeServices, DescribeTargetHealth & co. show)
 * and the modelled durations. Pure data: behaviour lives in the sibling files.
 */
import type { ModelClock } from '../clock';
import type { AlarmStateValue } from '../events';

/** How an image behaves when a task runs it. */
export type ImageBehaviour = 'good' | 'bad' | 'regression';

/** Modelled durations; defaults from AWS. */
export interface Timings {
  /** Fargate task start (PROVISIONING → RUNNING). @default 60_000 */
  readonly fargateStartMs: number;
  /** Target group health check interval of new target groups. @default 30 */
  readonly healthCheckIntervalSeconds: number;
  /** Consecutive successes to turn healthy. @default 2 (ALB default is 5; the seed story uses 2) */
  readonly healthyThresholdCount: number;
  /** Consecutive failures to turn unhealthy. @default 2 */
  readonly unhealthyThresholdCount: number;
  /** Deregistration delay of new target groups. @default 300 */
  readonly deregistrationDelaySeconds: number;
  /** Time a task without load balancer takes to stop (SIGTERM → exit). @default 30_000 */
  readonly taskStopMs: number;
  /** For "regression" images: time after turning healthy before health checks start failing. @default 300_000 */
  readonly regressionAfterMs: number;
  /** After this long, STOPPED tasks are forgotten (ECS shows them for about an hour). @default 3_600_000 */
  readonly stoppedTaskRetentionMs: number;
}

export const DEFAULT_TIMINGS: Timings = {
  fargateStartMs: 60_000,
  healthCheckIntervalSeconds: 30,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
  deregistrationDelaySeconds: 300,
  taskStopMs: 30_000,
  regressionAfterMs: 300_000,
  stoppedTaskRetentionMs: 3_600_000,
};

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
  readonly periodSeconds: number;
  state: AlarmStateValue;
  stateSince: number;
  breachSince?: number;
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

export interface DeploymentConfiguration {
  readonly deploymentCircuitBreaker: { readonly enable: boolean; readonly rollback: boolean };
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
