/**
 * The stateful, time-driven model of the AWS resources the Lambdas touch: ECS clusters, services,
 * task definitions, tasks, deployments and their history (service deployments and revisions),
 * ECR repositories and images, ALB target groups and UnHealthyHostCount alarms.
 *
 * Time comes from a {@link ModelClock}. Work is queued at modelled instants and runs lazily, in
 * time order, on every request and on `tick()`. A rolling deployment (minimum 100 %, maximum
 * 200 %) starts new tasks (Fargate start time), registers them in the target group, waits for
 * interval × healthy threshold, then stops old tasks, which drain for the deregistration delay;
 * when the last old task has stopped the deployment is COMPLETED. Images marked "bad" fail to
 * start, and the circuit breaker fails the deployment (and rolls back when enabled); images
 * marked "regression" turn unhealthy in the target group some time after they became healthy.
 */
import type { ModelClock } from './clock';
import {
  type AlarmStateValue,
  deploymentStateChange,
  type EventListener,
  type StandInEvent,
  unhealthyHostAlarmStateChange,
} from './events';
import { commitSha, IdGenerator, sha256Digest } from './ids';
import { ApiError } from './protocols';

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

interface Job {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-f0-9]{64}))?$/;
const AVAILABILITY_ZONES = ['a', 'b', 'c'] as const;

/** The modelled AWS account. */
export class AwsModel {
  public readonly clock: ModelClock;
  public readonly account: string;
  public readonly region: string;
  public readonly timings: Timings;
  /** Every event emitted so far, in order. */
  public readonly emitted: StandInEvent[] = [];

  private readonly ids: IdGenerator;
  private readonly listeners = new Set<EventListener>();
  private readonly queue: Job[] = [];
  private jobSeq = 0;
  private ticking = false;
  private time: number;
  private ipCounter = 10;

  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  private readonly repositories = new Map<string, EcrRepository>();
  private readonly targetGroups = new Map<string, TargetGroupRecord>();
  private readonly alarms = new Map<string, UnhealthyHostAlarm>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly serviceDeploymentRecords = new Map<string, ServiceDeploymentRecord>();
  private readonly serviceRevisions = new Map<string, ServiceRevisionRecord>();
  private readonly foreignImageBehaviours = new Map<string, ImageBehaviour>();
  private readonly loadBalancers = new Map<string, string>();

  public constructor(options: ModelOptions) {
    this.clock = options.clock;
    this.account = options.account ?? '111122223333';
    this.region = options.region ?? 'us-east-1';
    this.ids = new IdGenerator(options.seed ?? 1);
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.time = this.clock.now();
  }

  // ---------------------------------------------------------------- time and events

  /** Modelled now, as the model sees it (the time of the job running, or the clock). */
  public now(): number {
    return this.ticking ? this.time : Math.max(this.time, this.clock.now());
  }

  /** Runs every queued job due by the clock's now, in time order. */
  public tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock.now();
      for (let job = this.queue[0]; job !== undefined && job.at <= now; job = this.queue[0]) {
        this.queue.shift();
        this.time = Math.max(this.time, job.at);
        job.run();
      }
      this.time = Math.max(this.time, now);
    } finally {
      this.ticking = false;
    }
  }

  /** Moves the clock forward by `ms` and runs what became due. */
  public advance(ms: number): void {
    this.clock.advance(ms);
    this.tick();
  }

  /** Modelled time of the next queued job (undefined when nothing is pending). */
  public nextJobAt(): number | undefined {
    return this.queue[0]?.at;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  public onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(at: number, run: () => void): void {
    const job: Job = { at, seq: this.jobSeq++, run };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > at) i--;
    this.queue.splice(i, 0, job);
  }

  private emit(event: StandInEvent): void {
    this.emitted.push(event);
    for (const listener of this.listeners) listener(event);
  }

  // ---------------------------------------------------------------- ARNs and lookups

  private ecsArn(resource: string): string {
    return `arn:aws:ecs:${this.region}:${this.account}:${resource}`;
  }

  /** The name part of a cluster name or ARN (default "default"). */
  public clusterName(ref: string | undefined): string {
    if (ref === undefined || ref === '') return 'default';
    return ref.startsWith('arn:') ? ref.slice(ref.indexOf('/') + 1) : ref;
  }

  /** Creates (or returns) a cluster. */
  public createCluster(name: string): ClusterRecord {
    const existing = this.clusters.get(name);
    if (existing !== undefined) return existing;
    const cluster: ClusterRecord = { name, arn: this.ecsArn(`cluster/${name}`), services: new Map() };
    this.clusters.set(name, cluster);
    return cluster;
  }

  /** The cluster, or ClusterNotFoundException. */
  public getCluster(ref: string | undefined): ClusterRecord {
    const cluster = this.clusters.get(this.clusterName(ref));
    if (cluster === undefined) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  /** The service ARN ECS would give `name` in `cluster`. */
  public serviceArn(cluster: string, name: string): string {
    return this.ecsArn(`service/${cluster}/${name}`);
  }

  /** A service by name or ARN, or undefined. */
  public findService(clusterRef: string | undefined, serviceRef: string): ServiceRecord | undefined {
    const cluster = this.clusters.get(this.clusterName(clusterRef));
    const name = serviceRef.startsWith('arn:') ? serviceRef.slice(serviceRef.lastIndexOf('/') + 1) : serviceRef;
    return cluster?.services.get(name);
  }

  /** An ACTIVE service, or ClusterNotFoundException / ServiceNotFoundException. */
  public getService(clusterRef: string | undefined, serviceRef: string): ServiceRecord {
    this.getCluster(clusterRef);
    const service = this.findService(clusterRef, serviceRef);
    if (service === undefined) throw new ApiError('ServiceNotFoundException', 'Service not found.');
    return service;
  }

  // ---------------------------------------------------------------- task definitions

  /** Registers the next revision of a family (seeding may skip ahead to a given revision). */
  public registerTaskDefinition(input: TaskDefinitionInput, options: { registeredAt?: number; revision?: number } = {}): TaskDefinitionRecord {
    const registeredAt = options.registeredAt ?? this.now();
    if (typeof input.family !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(input.family)) {
      throw new ApiError('ClientException', 'Family contains invalid characters or is missing.');
    }
    if (!Array.isArray(input.containerDefinitions) || input.containerDefinitions.length === 0) {
      throw new ApiError('ClientException', 'Container list cannot be empty.');
    }
    for (const container of input.containerDefinitions) {
      if (typeof container.name !== 'string' || container.name === '') throw new ApiError('ClientException', 'Container.name should not be null or empty.');
      if (typeof container.image !== 'string' || container.image === '') throw new ApiError('ClientException', 'Container.image should not be null or empty.');
    }
    const revisions = this.taskDefinitions.get(input.family) ?? [];
    const next = (revisions.at(-1)?.revision ?? 0) + 1;
    if (options.revision !== undefined && options.revision < next) throw new Error(`${input.family}: revision ${options.revision} is already taken`);
    const revision = options.revision ?? next;
    const { tags, ...definition } = input;
    const record: TaskDefinitionRecord = {
      arn: this.ecsArn(`task-definition/${input.family}:${revision}`),
      family: input.family,
      revision,
      status: 'ACTIVE',
      registeredAt,
      definition: structuredClone(definition) as unknown as TaskDefinitionRecord['definition'],
      tags: (tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    };
    revisions.push(record);
    this.taskDefinitions.set(input.family, revisions);
    return record;
  }

  /** A task definition by `family`, `family:revision` or ARN; undefined when unknown. */
  public findTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    const name = ref.startsWith('arn:') ? ref.slice(ref.indexOf('/') + 1) : ref;
    const [family, revisionText] = name.split(':');
    const revisions = this.taskDefinitions.get(family ?? '');
    if (revisions === undefined) return undefined;
    if (revisionText === undefined) return [...revisions].reverse().find((r) => r.status === 'ACTIVE');
    return revisions.find((r) => String(r.revision) === revisionText);
  }

  /** Every revision of a family, oldest first. */
  public taskDefinitionRevisions(family: string): readonly TaskDefinitionRecord[] {
    return this.taskDefinitions.get(family) ?? [];
  }

  /** Adds or replaces tags on a task definition or service ARN; false when unknown. */
  public tagResource(resourceArn: string, tags: readonly Tag[]): boolean {
    const target: { tags: Tag[] } | undefined = resourceArn.includes(':task-definition/')
      ? this.findTaskDefinition(resourceArn)
      : resourceArn.includes(':service/')
        ? this.findService(resourceArn.split('/')[1], resourceArn.split('/')[2] ?? '')
        : undefined;
    if (target === undefined) return false;
    for (const tag of tags) {
      target.tags = target.tags.filter((t) => t.key !== tag.key);
      target.tags.push({ key: tag.key, value: tag.value });
    }
    return true;
  }

  // ---------------------------------------------------------------- ECR

  /** Creates (or returns) an ECR repository. */
  public createRepository(name: string, createdAt = this.now()): EcrRepository {
    const existing = this.repositories.get(name);
    if (existing !== undefined) return existing;
    const repository: EcrRepository = {
      name,
      arn: `arn:aws:ecr:${this.region}:${this.account}:repository/${name}`,
      uri: `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${name}`,
      createdAt,
      images: [],
    };
    this.repositories.set(name, repository);
    return repository;
  }

  /** A repository by name, or undefined. */
  public findRepository(name: string): EcrRepository | undefined {
    return this.repositories.get(name);
  }

  /** Every repository. */
  public listRepositories(): readonly EcrRepository[] {
    return [...this.repositories.values()];
  }

  /** Pushes an image; its tags move from older images, as `docker push` does. */
  public pushImage(
    repositoryName: string,
    image: { tags: readonly string[]; behaviour?: ImageBehaviour; pushedAt?: number; digest?: string; sizeInBytes?: number },
  ): EcrImage {
    const repository = this.repositories.get(repositoryName) ?? this.createRepository(repositoryName);
    const pushedAt = image.pushedAt ?? this.now();
    for (const other of repository.images) other.tags = other.tags.filter((t) => !image.tags.includes(t));
    const record: EcrImage = {
      digest: image.digest ?? sha256Digest(`${repositoryName}:${image.tags.join(',')}:${pushedAt}`),
      tags: [...image.tags],
      pushedAt,
      sizeInBytes: image.sizeInBytes ?? 48_000_000 + Math.floor(this.ids.next() * 4_000_000),
      behaviour: image.behaviour ?? 'good',
    };
    repository.images.push(record);
    return record;
  }

  /** Marks how an image behaves: an ECR image URI (tag or digest) or any other image reference. */
  public markImage(imageRef: string, behaviour: ImageBehaviour): void {
    const ecr = this.lookupEcrImage(imageRef);
    if (ecr !== undefined && ecr !== 'missing') ecr.behaviour = behaviour;
    else this.foreignImageBehaviours.set(imageRef, behaviour);
  }

  /** The ECR image an image reference names; 'missing' for our registry but unknown; undefined for other registries. */
  public lookupEcrImage(imageRef: string): EcrImage | 'missing' | undefined {
    const match = ECR_IMAGE.exec(imageRef);
    if (match === null || match[1] !== this.account || match[2] !== this.region) return undefined;
    const repository = this.repositories.get(match[3]!);
    if (repository === undefined) return 'missing';
    const digest = match[5];
    const tag = match[4] ?? (digest === undefined ? 'latest' : undefined);
    const found = repository.images.find((i) => (digest !== undefined ? i.digest === digest : i.tags.includes(tag!)));
    return found ?? 'missing';
  }

  private imageBehaviour(imageRef: string): { behaviour: ImageBehaviour | 'missing'; digest?: string } {
    const ecr = this.lookupEcrImage(imageRef);
    if (ecr === 'missing') return { behaviour: 'missing' };
    if (ecr !== undefined) return { behaviour: ecr.behaviour, digest: ecr.digest };
    return { behaviour: this.foreignImageBehaviours.get(imageRef) ?? 'good' };
  }

  // ---------------------------------------------------------------- ELBv2 and CloudWatch

  /** Creates an ALB (by name) and returns its ARN. */
  public createLoadBalancer(name: string): string {
    const existing = this.loadBalancers.get(name);
    if (existing !== undefined) return existing;
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${this.account}:loadbalancer/app/${name}/${this.ids.hex(16)}`;
    this.loadBalancers.set(name, arn);
    return arn;
  }

  /** Creates a target group (defaults: HTTP 8080, ip targets, timings' health check and deregistration delay). */
  public createTargetGroup(input: {
    name: string;
    port?: number;
    loadBalancerName?: string;
    healthCheckPath?: string;
    healthCheckIntervalSeconds?: number;
    healthyThresholdCount?: number;
    unhealthyThresholdCount?: number;
    deregistrationDelaySeconds?: number;
  }): TargetGroupRecord {
    const loadBalancerArns = input.loadBalancerName === undefined ? [] : [this.createLoadBalancer(input.loadBalancerName)];
    const record: TargetGroupRecord = {
      arn: `arn:aws:elasticloadbalancing:${this.region}:${this.account}:targetgroup/${input.name}/${this.ids.hex(16)}`,
      name: input.name,
      port: input.port ?? 8080,
      protocol: 'HTTP',
      vpcId: 'vpc-0a1b2c3d4e5f67890',
      targetType: 'ip',
      healthCheckPath: input.healthCheckPath ?? '/health',
      healthCheckIntervalSeconds: input.healthCheckIntervalSeconds ?? this.timings.healthCheckIntervalSeconds,
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: input.healthyThresholdCount ?? this.timings.healthyThresholdCount,
      unhealthyThresholdCount: input.unhealthyThresholdCount ?? this.timings.unhealthyThresholdCount,
      deregistrationDelaySeconds: input.deregistrationDelaySeconds ?? this.timings.deregistrationDelaySeconds,
      loadBalancerArns,
      targets: new Map(),
    };
    this.targetGroups.set(record.arn, record);
    return record;
  }

  /** A target group by ARN or name. */
  public findTargetGroup(ref: string): TargetGroupRecord | undefined {
    return this.targetGroups.get(ref) ?? [...this.targetGroups.values()].find((t) => t.name === ref);
  }

  /** Every target group. */
  public listTargetGroups(): readonly TargetGroupRecord[] {
    return [...this.targetGroups.values()];
  }

  /** Creates an UnHealthyHostCount alarm (Maximum ≥ threshold for N periods) on a target group. */
  public createUnhealthyHostAlarm(input: {
    name: string;
    targetGroupArn: string;
    threshold?: number;
    evaluationPeriods?: number;
    periodSeconds?: number;
    description?: string;
  }): UnhealthyHostAlarm {
    if (!this.targetGroups.has(input.targetGroupArn)) throw new Error(`alarm ${input.name}: unknown target group ${input.targetGroupArn}`);
    const alarm: UnhealthyHostAlarm = {
      name: input.name,
      description: input.description ?? `Unhealthy hosts in ${input.targetGroupArn.split(':').at(-1)}`,
      targetGroupArn: input.targetGroupArn,
      threshold: input.threshold ?? 1,
      evaluationPeriods: input.evaluationPeriods ?? 2,
      periodSeconds: input.periodSeconds ?? 60,
      state: 'OK',
      stateSince: this.now(),
      metricId: `m${this.ids.hex(8)}`,
    };
    this.alarms.set(alarm.name, alarm);
    return alarm;
  }

  /** An alarm by name. */
  public findAlarm(name: string): UnhealthyHostAlarm | undefined {
    return this.alarms.get(name);
  }

  // ---------------------------------------------------------------- services

  /** Creates a Fargate service; steady (already running) when `steadySince` is given. */
  public createService(input: CreateServiceInput): ServiceRecord {
    const cluster = this.createCluster(this.clusterName(input.cluster));
    if (cluster.services.has(input.name)) throw new ApiError('InvalidParameterException', 'Creation of service was not idempotent.');
    const taskDefinition = this.findTaskDefinition(input.taskDefinition);
    if (taskDefinition === undefined) throw new ApiError('ClientException', 'TaskDefinition not found.');
    for (const lb of input.loadBalancers ?? []) {
      if (!this.targetGroups.has(lb.targetGroupArn)) throw new ApiError('InvalidParameterException', `Target group ${lb.targetGroupArn} not found.`);
    }
    const service: ServiceRecord = {
      name: input.name,
      arn: this.serviceArn(cluster.name, input.name),
      clusterName: cluster.name,
      clusterArn: cluster.arn,
      status: 'ACTIVE',
      desiredCount: input.desiredCount,
      taskDefinitionArn: taskDefinition.arn,
      loadBalancers: [...(input.loadBalancers ?? [])],
      deploymentConfiguration: {
        deploymentCircuitBreaker: input.circuitBreaker ?? { enable: true, rollback: false },
        maximumPercent: input.maximumPercent ?? 200,
        minimumHealthyPercent: input.minimumHealthyPercent ?? 100,
      },
      circuitBreakerThreshold: input.circuitBreakerThreshold,
      createdAt: input.createdAt ?? input.steadySince ?? this.now(),
      subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002', 'subnet-0a1b2c3d4e5f60003'],
      securityGroups: ['sg-0a1b2c3d4e5f60001'],
      deployments: [],
      events: [],
      tags: [...(input.tags ?? [])],
    };
    cluster.services.set(service.name, service);
    if (input.steadySince === undefined) {
      this.startDeployment(service, taskDefinition.arn);
      return service;
    }
    const at = input.steadySince;
    const deployment = this.newDeployment(service, taskDefinition.arn, at, []);
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
    const record = this.serviceDeploymentRecords.get(deployment.serviceDeploymentArn)!;
    record.status = 'SUCCESSFUL';
    record.finishedAt = at + this.timings.fargateStartMs + this.healthyDelayMs(service) + this.drainDelayMs(service);
    record.updatedAt = record.finishedAt;
    record.circuitBreaker.status = record.circuitBreaker.status === 'DISABLED' ? 'DISABLED' : 'MONITORING_COMPLETE';
    record.finalCounts = { requestedTaskCount: service.desiredCount, runningTaskCount: service.desiredCount, pendingTaskCount: 0 };
    service.deployments = [deployment];
    service.lastCompleted = { deploymentId: deployment.id, taskDefinitionArn: deployment.taskDefinitionArn, serviceRevisionArn: deployment.serviceRevisionArn };
    for (let i = 0; i < service.desiredCount; i++) {
      const task = this.createTask(service, deployment, at);
      task.lastStatus = 'RUNNING';
      task.pullStartedAt = at + this.timings.fargateStartMs / 4;
      task.pullStoppedAt = at + this.timings.fargateStartMs / 2;
      task.startedAt = at + this.timings.fargateStartMs;
      for (const c of task.containers) c.lastStatus = 'RUNNING';
      task.passedHealthCheck = true;
      for (const lb of service.loadBalancers) {
        const tg = this.targetGroups.get(lb.targetGroupArn)!;
        tg.targets.set(`${task.ip}:${lb.containerPort}`, {
          id: task.ip,
          port: lb.containerPort,
          availabilityZone: task.availabilityZone,
          state: 'healthy',
          taskArn: task.arn,
          since: task.startedAt + this.healthyDelayMs(service),
        });
      }
    }
    this.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`, record.finishedAt);
    return service;
  }

  /** Adds a finished deployment to a service's history (seeding what happened before the story starts). */
  public addHistoricalDeployment(
    clusterRef: string,
    serviceRef: string,
    input: { taskDefinition: string; startedAt: number; finishedAt: number; status: ServiceDeploymentStatus; statusReason?: string },
  ): ServiceDeploymentRecord {
    const service = this.getService(clusterRef, serviceRef);
    const taskDefinition = this.findTaskDefinition(input.taskDefinition);
    if (taskDefinition === undefined) throw new Error(`unknown task definition ${input.taskDefinition}`);
    const revision = this.createRevision(service, taskDefinition.arn, input.startedAt);
    const record = this.createServiceDeploymentRecord(service, revision.arn, [], input.startedAt);
    record.status = input.status;
    record.statusReason = input.statusReason;
    record.finishedAt = input.finishedAt;
    record.updatedAt = input.finishedAt;
    record.circuitBreaker.status = record.circuitBreaker.status === 'DISABLED' ? 'DISABLED' : 'MONITORING_COMPLETE';
    record.finalCounts = { requestedTaskCount: service.desiredCount, runningTaskCount: input.status === 'SUCCESSFUL' ? service.desiredCount : 0, pendingTaskCount: 0 };
    return record;
  }

  /** Deploys a task definition as a user would (UpdateService); returns the new deployment id. */
  public deploy(clusterRef: string, serviceRef: string, taskDefinition: string): string {
    const service = this.updateService({ cluster: clusterRef, service: serviceRef, taskDefinition, forceNewDeployment: true });
    return service.deployments[0]!.id;
  }

  /** UpdateService: a new deployment when the task definition changes or on forceNewDeployment; desired count changes scale. */
  public updateService(input: UpdateServiceInput): ServiceRecord {
    this.tick();
    const service = this.getService(input.cluster, input.service);
    if (service.status !== 'ACTIVE') throw new ApiError('ServiceNotActiveException', 'Service was not ACTIVE.');
    let taskDefinitionArn = service.taskDefinitionArn;
    if (input.taskDefinition !== undefined) {
      const taskDefinition = this.findTaskDefinition(input.taskDefinition);
      if (taskDefinition === undefined) throw new ApiError('ClientException', 'TaskDefinition not found.');
      if (taskDefinition.status !== 'ACTIVE') throw new ApiError('ClientException', `TaskDefinition is ${taskDefinition.status.toLowerCase()}`);
      taskDefinitionArn = taskDefinition.arn;
    }
    if (input.desiredCount !== undefined) {
      if (!Number.isInteger(input.desiredCount) || input.desiredCount < 0) {
        throw new ApiError('InvalidParameterException', 'desiredCount must be a non-negative integer.');
      }
      service.desiredCount = input.desiredCount;
    }
    const config = input.deploymentConfiguration;
    if (config !== undefined) {
      const current = service.deploymentConfiguration;
      service.deploymentConfiguration = {
        deploymentCircuitBreaker: {
          enable: config.deploymentCircuitBreaker?.enable ?? current.deploymentCircuitBreaker.enable,
          rollback: config.deploymentCircuitBreaker?.rollback ?? current.deploymentCircuitBreaker.rollback,
        },
        maximumPercent: config.maximumPercent ?? current.maximumPercent,
        minimumHealthyPercent: config.minimumHealthyPercent ?? current.minimumHealthyPercent,
      };
    }
    if (taskDefinitionArn !== service.taskDefinitionArn || input.forceNewDeployment === true) {
      this.startDeployment(service, taskDefinitionArn);
    } else if (input.desiredCount !== undefined) {
      const primary = service.deployments[0];
      if (primary !== undefined) {
        primary.desiredCount = service.desiredCount;
        primary.updatedAt = this.now();
      }
      this.scheduleReconcile(service);
    }
    return service;
  }

  /** Tasks, newest first, filtered like ListTasks (desiredStatus RUNNING unless given). */
  public listTasks(filter: {
    cluster?: string;
    serviceName?: string;
    startedBy?: string;
    family?: string;
    desiredStatus?: 'RUNNING' | 'STOPPED' | 'PENDING';
  }): TaskRecord[] {
    const clusterName = this.clusterName(filter.cluster);
    const desired = filter.desiredStatus === 'PENDING' ? 'RUNNING' : (filter.desiredStatus ?? 'RUNNING');
    return [...this.tasks.values()]
      .filter((t) => t.clusterName === clusterName)
      .filter((t) => filter.serviceName === undefined || t.serviceName === this.serviceNameOf(filter.serviceName))
      .filter((t) => filter.startedBy === undefined || t.startedBy === filter.startedBy)
      .filter((t) => filter.family === undefined || t.taskDefinitionArn.includes(`:task-definition/${filter.family}:`))
      .filter((t) => t.desiredStatus === desired)
      .filter((t) => filter.desiredStatus !== 'PENDING' || t.lastStatus === 'PENDING' || t.lastStatus === 'PROVISIONING')
      .reverse();
  }

  /** A task by ARN or id within a cluster. */
  public findTask(clusterRef: string | undefined, ref: string): TaskRecord | undefined {
    const clusterName = this.clusterName(clusterRef);
    const id = ref.slice(ref.lastIndexOf('/') + 1);
    return [...this.tasks.values()].find((t) => t.id === id && t.clusterName === clusterName);
  }

  /** Every task a service has (any status), oldest first. */
  public serviceTasks(service: ServiceRecord): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.clusterName === service.clusterName && t.serviceName === service.name);
  }

  /** Running / pending counts of one deployment. */
  public deploymentCounts(service: ServiceRecord, deploymentId: string): { runningCount: number; pendingCount: number } {
    const tasks = this.serviceTasks(service).filter((t) => t.deploymentId === deploymentId);
    return {
      runningCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingCount: tasks.filter((t) => t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING').length,
    };
  }

  /** A service's deployment history, newest first. */
  public serviceDeployments(service: ServiceRecord): ServiceDeploymentRecord[] {
    return [...this.serviceDeploymentRecords.values()].filter((r) => r.serviceArn === service.arn).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** A service deployment by ARN. */
  public findServiceDeployment(arn: string): ServiceDeploymentRecord | undefined {
    return this.serviceDeploymentRecords.get(arn);
  }

  /** A service revision by ARN. */
  public findServiceRevision(arn: string): ServiceRevisionRecord | undefined {
    return this.serviceRevisions.get(arn);
  }

  /** Requested / running / pending counts of a revision within a service deployment. */
  public revisionCounts(record: ServiceDeploymentRecord, revisionArn: string): RevisionCounts {
    const service = this.findService(record.clusterArn, record.serviceArn);
    const deployments = (service?.deployments ?? []).filter(
      (d) => d.serviceRevisionArn === revisionArn && (d.serviceDeploymentArn === record.arn || revisionArn !== record.targetServiceRevisionArn),
    );
    if (deployments.length === 0) {
      if (revisionArn === record.targetServiceRevisionArn && record.finalCounts !== undefined) return record.finalCounts;
      return { requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 };
    }
    let requested = 0;
    let running = 0;
    let pending = 0;
    for (const d of deployments) {
      const counts = this.deploymentCounts(service!, d.id);
      requested += d.desiredCount;
      running += counts.runningCount;
      pending += counts.pendingCount;
    }
    return { requestedTaskCount: requested, runningTaskCount: running, pendingTaskCount: pending };
  }

  /** Failed tasks that trip the circuit breaker: ECS's 50 % of desired, at least 3, at most 200. */
  public circuitBreakerThreshold(service: ServiceRecord): number {
    return service.circuitBreakerThreshold ?? Math.min(200, Math.max(3, Math.ceil(service.desiredCount * 0.5)));
  }

  /** A compact view of a service. */
  public summary(clusterRef: string, serviceRef: string): ServiceSummary {
    this.tick();
    const service = this.getService(clusterRef, serviceRef);
    const deployments = service.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinitionArn,
      rolloutState: d.rolloutState,
      failedTasks: d.failedTasks,
      ...this.deploymentCounts(service, d.id),
    }));
    const targets: Record<TargetState, number> = { initial: 0, healthy: 0, unhealthy: 0, unused: 0, draining: 0, unavailable: 0 };
    for (const lb of service.loadBalancers) {
      for (const target of this.targetGroups.get(lb.targetGroupArn)?.targets.values() ?? []) targets[target.state] += 1;
    }
    const runningCount = deployments.reduce((n, d) => n + d.runningCount, 0);
    const pendingCount = deployments.reduce((n, d) => n + d.pendingCount, 0);
    const primary = deployments[0];
    const steady =
      deployments.length === 1 &&
      primary?.rolloutState === 'COMPLETED' &&
      runningCount === service.desiredCount &&
      targets.unhealthy === 0 &&
      targets.initial === 0 &&
      targets.draining === 0;
    return { taskDefinition: service.taskDefinitionArn, desiredCount: service.desiredCount, runningCount, pendingCount, deployments, targets, steady };
  }

  // ---------------------------------------------------------------- deployments

  private serviceNameOf(ref: string): string {
    return ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
  }

  private healthyDelayMs(service: ServiceRecord): number {
    const delays = service.loadBalancers.map((lb) => {
      const tg = this.targetGroups.get(lb.targetGroupArn)!;
      return tg.healthCheckIntervalSeconds * tg.healthyThresholdCount * 1000;
    });
    return Math.max(0, ...delays);
  }

  private drainDelayMs(service: ServiceRecord): number {
    return Math.max(0, ...service.loadBalancers.map((lb) => (this.targetGroups.get(lb.targetGroupArn)?.deregistrationDelaySeconds ?? 0) * 1000));
  }

  private createRevision(service: ServiceRecord, taskDefinitionArn: string, at: number): ServiceRevisionRecord {
    const taskDefinition = this.findTaskDefinition(taskDefinitionArn)!;
    const revision: ServiceRevisionRecord = {
      arn: this.ecsArn(`service-revision/${service.clusterName}/${service.name}/${this.ids.digits(19)}`),
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      taskDefinitionArn,
      createdAt: at,
      containerImages: taskDefinition.definition.containerDefinitions.map((c) => {
        const ecr = this.lookupEcrImage(c.image);
        return { containerName: c.name, image: c.image, imageDigest: ecr !== undefined && ecr !== 'missing' ? ecr.digest : undefined };
      }),
    };
    this.serviceRevisions.set(revision.arn, revision);
    return revision;
  }

  private createServiceDeploymentRecord(service: ServiceRecord, targetRevisionArn: string, sourceRevisionArns: string[], at: number): ServiceDeploymentRecord {
    const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
    const record: ServiceDeploymentRecord = {
      arn: this.ecsArn(`service-deployment/${service.clusterName}/${service.name}/${this.ids.token(21)}`),
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      createdAt: at,
      startedAt: at,
      updatedAt: at,
      sourceServiceRevisionArns: sourceRevisionArns,
      targetServiceRevisionArn: targetRevisionArn,
      status: 'IN_PROGRESS',
      circuitBreaker: { status: breaker.enable ? 'MONITORING' : 'DISABLED', failureCount: 0, threshold: this.circuitBreakerThreshold(service) },
      deploymentConfiguration: structuredClone(service.deploymentConfiguration),
    };
    this.serviceDeploymentRecords.set(record.arn, record);
    return record;
  }

  private newDeployment(
    service: ServiceRecord,
    taskDefinitionArn: string,
    at: number,
    sourceRevisionArns: string[],
    rollback?: { record: ServiceDeploymentRecord; revisionArn: string; reason: string },
  ): DeploymentRecord {
    const id = `ecs-svc/${this.ids.digits(19)}`;
    const revisionArn = rollback?.revisionArn ?? this.createRevision(service, taskDefinitionArn, at).arn;
    const record = rollback?.record ?? this.createServiceDeploymentRecord(service, revisionArn, sourceRevisionArns, at);
    const deployment: DeploymentRecord = {
      id,
      status: 'PRIMARY',
      taskDefinitionArn,
      desiredCount: service.desiredCount,
      failedTasks: 0,
      createdAt: at,
      updatedAt: at,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: rollback?.reason ?? `ECS deployment ${id} in progress.`,
      serviceDeploymentArn: record.arn,
      serviceRevisionArn: revisionArn,
      isEcsRollback: rollback !== undefined,
    };
    service.taskDefinitionArn = taskDefinitionArn;
    service.currentServiceDeploymentArn = record.arn;
    return deployment;
  }

  private startDeployment(service: ServiceRecord, taskDefinitionArn: string, rollback?: { record: ServiceDeploymentRecord; revisionArn: string; reason: string }): DeploymentRecord {
    const at = this.now();
    for (const previous of service.deployments) {
      if (previous.status === 'PRIMARY') previous.status = 'ACTIVE';
      previous.desiredCount = this.liveTasks(service, previous.id).length;
      previous.updatedAt = at;
      const record = this.serviceDeploymentRecords.get(previous.serviceDeploymentArn);
      if (rollback === undefined && record !== undefined && (record.status === 'IN_PROGRESS' || record.status === 'PENDING' || record.status === 'ROLLBACK_IN_PROGRESS')) {
        record.status = 'STOPPED';
        record.statusReason = 'Service deployment stopped because a new service deployment started.';
        record.stoppedAt = at;
        record.updatedAt = at;
        record.finalCounts = this.revisionCounts(record, record.targetServiceRevisionArn);
      }
    }
    const sources = [...new Set(service.deployments.filter((d) => this.liveTasks(service, d.id).length > 0).map((d) => d.serviceRevisionArn))];
    const deployment = this.newDeployment(service, taskDefinitionArn, at, sources, rollback);
    service.deployments = [deployment, ...service.deployments.filter((d) => d.id !== deployment.id)];
    this.emit(
      deploymentStateChange(
        { id: this.ids.uuid(), account: this.account, region: this.region, time: at, serviceArn: service.arn },
        { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: deployment.id, reason: deployment.rolloutStateReason },
      ),
    );
    this.scheduleReconcile(service);
    return deployment;
  }

  private scheduleReconcile(service: ServiceRecord): void {
    this.schedule(this.now(), () => this.reconcile(service));
  }

  private liveTasks(service: ServiceRecord, deploymentId?: string): TaskRecord[] {
    return this.serviceTasks(service).filter((t) => t.desiredStatus === 'RUNNING' && (deploymentId === undefined || t.deploymentId === deploymentId));
  }

  private isHealthy(service: ServiceRecord, task: TaskRecord): boolean {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return false;
    return service.loadBalancers.every((lb) => this.targetGroups.get(lb.targetGroupArn)?.targets.get(`${task.ip}:${lb.containerPort}`)?.state === 'healthy');
  }

  /** The service scheduler: start, stop and complete, within minimum/maximum percent. */
  private reconcile(service: ServiceRecord): void {
    const primary = service.deployments[0];
    if (primary === undefined || service.status !== 'ACTIVE') return;
    const at = this.now();
    if (primary.rolloutState !== 'FAILED') {
      const primaryLive = this.liveTasks(service, primary.id);
      const need = primary.desiredCount - primaryLive.length;
      if (need > 0) {
        const maxTotal = Math.floor((service.deploymentConfiguration.maximumPercent * service.desiredCount) / 100);
        const count = Math.min(need, Math.max(0, maxTotal - this.liveTasks(service).length));
        const started: TaskRecord[] = [];
        for (let i = 0; i < count; i++) started.push(this.startTask(service, primary));
        if (started.length > 0) {
          this.addServiceEvent(service, `(service ${service.name}) has started ${started.length} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`, at);
        }
      } else if (need < 0) {
        const surplus = [...primaryLive].sort((a, b) => Number(this.isHealthy(service, a)) - Number(this.isHealthy(service, b))).slice(0, -need);
        for (const task of surplus) this.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`);
      }
      const minHealthy = Math.ceil((service.deploymentConfiguration.minimumHealthyPercent * service.desiredCount) / 100);
      const old = service.deployments.slice(1).flatMap((d) => this.liveTasks(service, d.id));
      for (const task of old.filter((t) => !this.isHealthy(service, t))) {
        this.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`);
      }
      let canStop = this.liveTasks(service).filter((t) => this.isHealthy(service, t)).length - minHealthy;
      for (const task of old.filter((t) => this.isHealthy(service, t))) {
        if (canStop <= 0) break;
        this.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`);
        canStop -= 1;
      }
    }
    for (const d of service.deployments.slice(1)) {
      const live = this.liveTasks(service, d.id).length;
      if (d.desiredCount !== live) {
        d.desiredCount = live;
        d.updatedAt = at;
      }
    }
    this.checkCompletion(service);
  }

  private checkCompletion(service: ServiceRecord): void {
    const primary = service.deployments[0];
    if (primary === undefined || primary.rolloutState !== 'IN_PROGRESS') return;
    const primaryLive = this.liveTasks(service, primary.id);
    if (primaryLive.length !== primary.desiredCount) return;
    if (!primaryLive.every((t) => t.lastStatus === 'RUNNING' && t.passedHealthCheck)) return;
    if (this.serviceTasks(service).some((t) => !primaryLive.includes(t) && t.lastStatus !== 'STOPPED')) return;
    const at = this.now();
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    primary.updatedAt = at;
    service.deployments = [primary];
    service.lastCompleted = { deploymentId: primary.id, taskDefinitionArn: primary.taskDefinitionArn, serviceRevisionArn: primary.serviceRevisionArn };
    const record = this.serviceDeploymentRecords.get(primary.serviceDeploymentArn);
    if (record !== undefined) {
      record.status = primary.isEcsRollback ? 'ROLLBACK_SUCCESSFUL' : 'SUCCESSFUL';
      record.finishedAt = at;
      record.updatedAt = at;
      if (record.circuitBreaker.status === 'MONITORING') record.circuitBreaker.status = 'MONITORING_COMPLETE';
      record.finalCounts = { requestedTaskCount: primary.desiredCount, runningTaskCount: primaryLive.length, pendingTaskCount: 0 };
    }
    this.addServiceEvent(service, `(service ${service.name}) (deployment ${primary.id}) deployment completed.`, at);
    this.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`, at);
    this.emit(
      deploymentStateChange(
        { id: this.ids.uuid(), account: this.account, region: this.region, time: at, serviceArn: service.arn },
        { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: primary.id, reason: `ECS deployment ${primary.id} completed.` },
      ),
    );
  }

  private failDeployment(service: ServiceRecord, deployment: DeploymentRecord): void {
    const at = this.now();
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = reason;
    deployment.updatedAt = at;
    for (const task of this.liveTasks(service, deployment.id)) this.stopTask(service, task, reason);
    const record = this.serviceDeploymentRecords.get(deployment.serviceDeploymentArn);
    if (record !== undefined) {
      record.circuitBreaker.status = 'TRIGGERED';
      record.updatedAt = at;
      record.finalCounts = { requestedTaskCount: deployment.desiredCount, runningTaskCount: 0, pendingTaskCount: 0 };
    }
    this.addServiceEvent(service, `(service ${service.name}) (deployment ${deployment.id}) deployment failed: tasks failed to start.`, at);
    this.emit(
      deploymentStateChange(
        { id: this.ids.uuid(), account: this.account, region: this.region, time: at, serviceArn: service.arn },
        { eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: deployment.id, reason: 'ECS deployment circuit breaker: task failed to start.' },
      ),
    );
    if (record === undefined) return;
    const target = service.lastCompleted;
    if (service.deploymentConfiguration.deploymentCircuitBreaker.rollback && target !== undefined && !deployment.isEcsRollback) {
      const rollbackReason = `ECS deployment circuit breaker: rolling back to deploymentId ${target.deploymentId}.`;
      record.status = 'ROLLBACK_IN_PROGRESS';
      record.statusReason = rollbackReason;
      record.rollback = { reason: rollbackReason, startedAt: at, serviceRevisionArn: target.serviceRevisionArn };
      this.startDeployment(service, target.taskDefinitionArn, { record, revisionArn: target.serviceRevisionArn, reason: rollbackReason });
      return;
    }
    record.status = deployment.isEcsRollback ? 'ROLLBACK_FAILED' : 'STOPPED';
    record.statusReason = reason;
    record.finishedAt = at;
    record.stoppedAt = at;
  }

  // ---------------------------------------------------------------- tasks

  private createTask(service: ServiceRecord, deployment: DeploymentRecord, at: number): TaskRecord {
    const taskDefinition = this.findTaskDefinition(deployment.taskDefinitionArn)!;
    const id = this.ids.hex(32);
    const azIndex = this.ipCounter % AVAILABILITY_ZONES.length;
    const ip = `10.0.${azIndex + 1}.${this.ipCounter++ % 250}`;
    let behaviour: TaskRecord['behaviour'] = 'good';
    let missingImage: string | undefined;
    const rank = { good: 0, regression: 1, bad: 2, missing: 3 } as const;
    const containers: ContainerRecord[] = taskDefinition.definition.containerDefinitions.map((c) => {
      const resolved = this.imageBehaviour(c.image);
      if (rank[resolved.behaviour] > rank[behaviour]) behaviour = resolved.behaviour;
      if (resolved.behaviour === 'missing') missingImage ??= c.image;
      return { name: c.name, image: c.image, imageDigest: resolved.digest, lastStatus: 'PENDING' };
    });
    const task: TaskRecord = {
      arn: this.ecsArn(`task/${service.clusterName}/${id}`),
      id,
      clusterName: service.clusterName,
      serviceName: service.name,
      deploymentId: deployment.id,
      taskDefinitionArn: deployment.taskDefinitionArn,
      startedBy: deployment.id,
      group: `service:${service.name}`,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      createdAt: at,
      ip,
      eniId: `eni-${this.ids.hex(17)}`,
      subnetId: service.subnets[azIndex] ?? 'subnet-0a1b2c3d4e5f60001',
      macAddress: Array.from({ length: 6 }, () => this.ids.hex(2)).join(':'),
      availabilityZone: `${this.region}${AVAILABILITY_ZONES[azIndex]}`,
      behaviour,
      missingImage,
      containers,
      passedHealthCheck: false,
    };
    this.tasks.set(task.arn, task);
    return task;
  }

  private startTask(service: ServiceRecord, deployment: DeploymentRecord): TaskRecord {
    const at = this.now();
    const task = this.createTask(service, deployment, at);
    const start = this.timings.fargateStartMs;
    this.schedule(at + start / 4, () => {
      if (task.lastStatus !== 'PROVISIONING') return;
      task.lastStatus = 'PENDING';
      task.pullStartedAt = this.now();
    });
    this.schedule(at + start, () => this.finishStart(service, task));
    return task;
  }

  private finishStart(service: ServiceRecord, task: TaskRecord): void {
    if (task.desiredStatus !== 'RUNNING') return;
    const at = this.now();
    if (task.behaviour === 'missing' || task.behaviour === 'bad') {
      this.failTask(service, task);
      return;
    }
    task.lastStatus = 'RUNNING';
    task.pullStoppedAt = at;
    task.startedAt = at;
    for (const c of task.containers) c.lastStatus = 'RUNNING';
    if (service.loadBalancers.length === 0) task.passedHealthCheck = true;
    for (const lb of service.loadBalancers) {
      const tg = this.targetGroups.get(lb.targetGroupArn);
      if (tg === undefined) continue;
      const target: TargetRecord = {
        id: task.ip,
        port: lb.containerPort,
        availabilityZone: task.availabilityZone,
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: 'Target registration is in progress',
        taskArn: task.arn,
        since: at,
      };
      tg.targets.set(`${target.id}:${target.port}`, target);
      this.addServiceEvent(service, `(service ${service.name}) registered 1 targets in (target-group ${tg.arn})`, at);
      const healthyAt = at + tg.healthCheckIntervalSeconds * tg.healthyThresholdCount * 1000;
      this.schedule(Math.min(healthyAt, at + 10_000), () => {
        if (target.state !== 'initial') return;
        target.reason = 'Elb.InitialHealthChecking';
        target.description = 'Initial health checks in progress';
      });
      this.schedule(healthyAt, () => this.targetHealthy(service, task, tg, target));
    }
    this.reconcile(service);
    this.evaluateAlarms();
  }

  private targetHealthy(service: ServiceRecord, task: TaskRecord, tg: TargetGroupRecord, target: TargetRecord): void {
    if (target.state !== 'initial' || tg.targets.get(`${target.id}:${target.port}`) !== target) return;
    const at = this.now();
    target.state = 'healthy';
    target.reason = undefined;
    target.description = undefined;
    target.since = at;
    task.passedHealthCheck = this.isHealthy(service, task);
    if (task.behaviour === 'regression') {
      const unhealthyAt = at + this.timings.regressionAfterMs + tg.healthCheckIntervalSeconds * tg.unhealthyThresholdCount * 1000;
      this.schedule(unhealthyAt, () => {
        if (target.state !== 'healthy' || tg.targets.get(`${target.id}:${target.port}`) !== target) return;
        target.state = 'unhealthy';
        target.reason = 'Target.ResponseCodeMismatch';
        target.description = 'Health checks failed with these codes: [500]';
        target.since = this.now();
        this.addServiceEvent(service, `(service ${service.name}) (task ${task.id}) is unhealthy in (target-group ${tg.arn}) due to (reason Health checks failed with these codes: [500]).`, this.now());
        this.evaluateAlarms();
      });
    }
    this.reconcile(service);
    this.evaluateAlarms();
  }

  private failTask(service: ServiceRecord, task: TaskRecord): void {
    const at = this.now();
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = at;
    task.stoppedAt = at;
    if (task.behaviour === 'missing') {
      const reason = `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ${task.missingImage}: not found`;
      task.stopCode = 'TaskFailedToStart';
      task.stoppedReason = reason;
      for (const c of task.containers) {
        c.lastStatus = 'STOPPED';
        if (c.image === task.missingImage) c.reason = reason;
      }
    } else {
      task.stopCode = 'EssentialContainerExited';
      task.stoppedReason = 'Essential container in task exited';
      for (const c of task.containers) {
        c.lastStatus = 'STOPPED';
        c.exitCode = 1;
      }
    }
    this.addServiceEvent(service, `(service ${service.name}) (task ${task.id}) failed to start: ${task.stoppedReason}.`, at);
    this.schedule(at + this.timings.stoppedTaskRetentionMs, () => this.tasks.delete(task.arn));
    const deployment = service.deployments.find((d) => d.id === task.deploymentId);
    if (deployment === undefined) return;
    deployment.failedTasks += 1;
    deployment.updatedAt = at;
    const record = this.serviceDeploymentRecords.get(deployment.serviceDeploymentArn);
    if (record !== undefined && record.circuitBreaker.status === 'MONITORING') record.circuitBreaker.failureCount += 1;
    this.schedule(at, () => {
      const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
      if (
        breaker.enable &&
        deployment.status === 'PRIMARY' &&
        deployment.rolloutState === 'IN_PROGRESS' &&
        deployment.failedTasks >= this.circuitBreakerThreshold(service)
      ) {
        this.failDeployment(service, deployment);
      }
      this.reconcile(service);
    });
  }

  private stopTask(service: ServiceRecord, task: TaskRecord, reason: string): void {
    if (task.desiredStatus === 'STOPPED') return;
    const at = this.now();
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = at;
    const finish = () => {
      for (const lb of service.loadBalancers) {
        const tg = this.targetGroups.get(lb.targetGroupArn);
        const key = `${task.ip}:${lb.containerPort}`;
        if (tg?.targets.get(key)?.taskArn === task.arn) tg.targets.delete(key);
      }
      const wasRunning = task.startedAt !== undefined;
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.now();
      task.stopCode = 'ServiceSchedulerInitiated';
      task.stoppedReason = reason;
      for (const c of task.containers) {
        c.lastStatus = 'STOPPED';
        if (wasRunning) c.exitCode = 0;
      }
      this.schedule(this.now() + this.timings.stoppedTaskRetentionMs, () => this.tasks.delete(task.arn));
      this.reconcile(service);
      this.evaluateAlarms();
    };
    if (task.lastStatus !== 'RUNNING') {
      finish();
      return;
    }
    let drainMs = 0;
    const drained: string[] = [];
    for (const lb of service.loadBalancers) {
      const tg = this.targetGroups.get(lb.targetGroupArn);
      const target = tg?.targets.get(`${task.ip}:${lb.containerPort}`);
      if (tg === undefined || target === undefined || target.taskArn !== task.arn) continue;
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.description = 'Target deregistration is in progress';
      target.since = at;
      drainMs = Math.max(drainMs, tg.deregistrationDelaySeconds * 1000);
      drained.push(tg.arn);
    }
    for (const arn of drained) this.addServiceEvent(service, `(service ${service.name}) deregistered 1 targets in (target-group ${arn})`, at);
    this.addServiceEvent(service, `(service ${service.name}) has stopped 1 running tasks: (task ${task.id}).`, at);
    task.lastStatus = drained.length > 0 ? 'DEACTIVATING' : 'STOPPING';
    this.schedule(at + (drained.length > 0 ? drainMs : this.timings.taskStopMs), finish);
    this.evaluateAlarms();
  }

  private addServiceEvent(service: ServiceRecord, message: string, at: number): void {
    service.events.unshift({ id: this.ids.uuid(), createdAt: at, message });
    if (service.events.length > 100) service.events.length = 100;
  }

  // ---------------------------------------------------------------- alarms

  private evaluateAlarms(): void {
    const at = this.now();
    for (const alarm of this.alarms.values()) {
      const tg = this.targetGroups.get(alarm.targetGroupArn);
      const unhealthy = [...(tg?.targets.values() ?? [])].filter((t) => t.state === 'unhealthy').length;
      if (unhealthy >= alarm.threshold) {
        if (alarm.breachSince !== undefined) continue;
        const since = at;
        alarm.breachSince = since;
        this.schedule(since + alarm.evaluationPeriods * alarm.periodSeconds * 1000, () => {
          if (alarm.breachSince !== since || alarm.state === 'ALARM') return;
          const count = [...(this.targetGroups.get(alarm.targetGroupArn)?.targets.values() ?? [])].filter((t) => t.state === 'unhealthy').length;
          this.setAlarmState(alarm, 'ALARM', count);
        });
      } else {
        alarm.breachSince = undefined;
        if (alarm.state === 'ALARM') this.setAlarmState(alarm, 'OK', unhealthy);
      }
    }
  }

  private setAlarmState(alarm: UnhealthyHostAlarm, to: AlarmStateValue, value: number): void {
    const at = this.now();
    const tg = this.targetGroups.get(alarm.targetGroupArn)!;
    const from = alarm.state;
    const fromTime = alarm.stateSince;
    alarm.state = to;
    alarm.stateSince = at;
    const lbArn = tg.loadBalancerArns[0] ?? '';
    this.emit(
      unhealthyHostAlarmStateChange(
        { id: this.ids.uuid(), account: this.account, region: this.region, time: at },
        {
          name: alarm.name,
          description: alarm.description,
          targetGroupDimension: tg.arn.slice(tg.arn.indexOf('targetgroup/')),
          loadBalancerDimension: lbArn.slice(lbArn.indexOf('loadbalancer/') + 'loadbalancer/'.length),
          periodSeconds: alarm.periodSeconds,
          threshold: alarm.threshold,
          evaluationPeriods: alarm.evaluationPeriods,
          metricId: alarm.metricId,
        },
        { from, fromTime, to, value },
      ),
    );
  }

  /** A 40-hex commit-like SHA, deterministic per label (for seeding image tags). */
  public static commitLike(label: string): string {
    return commitSha(label);
  }
}
