/**
 * The stateful, time-driven model of the AWS resources the Lambdas touch: ECS clusters, services,
 * task definitions, tasks, deployments and their history (service deployments and revisions),
 * ECR repositories and images, ALB target groups and UnHealthyHostCount alarms.
 *
 * Time comes from a ModelClock (`../clock.ts`). Work is queued at modelled instants and runs lazily, in
 * time order, on every request and on `tick()`. A rolling deployment (minimum 100 %, maximum
 * 200 %) starts new tasks (Fargate start time), registers them in the target group, waits for
 * interval × healthy threshold, then stops old tasks, which drain for the deregistration delay;
 * when the last old task has stopped the deployment is COMPLETED. Images marked "bad" fail to
 * start, and the circuit breaker fails the deployment (and rolls back when enabled); images
 * marked "regression" turn unhealthy in the target group some time after they became healthy.
 *
 * This file is the public face ({@link AwsModel}); the behaviour lives in one file per resource:
 * `services.ts`, `deployments.ts`, `tasks.ts`, `target-health.ts`, `alarms.ts`, `registry.ts`
 * (task definitions and ECR), with time, the job queue and events in `core.ts`.
 */
import { commitSha } from '../ids';
import { ModelCore } from './core';
import type {
  ClusterRecord,
  CreateServiceInput,
  EcrImage,
  EcrRepository,
  ImageBehaviour,
  ModelOptions,
  RevisionCounts,
  ServiceDeploymentRecord,
  ServiceDeploymentStatus,
  ServiceRecord,
  ServiceRevisionRecord,
  ServiceSummary,
  Tag,
  TargetGroupRecord,
  TaskDefinitionInput,
  TaskDefinitionRecord,
  TaskRecord,
  UnhealthyHostAlarm,
  UpdateServiceInput,
} from './types';

export * from './types';

/** The modelled AWS account. */
export class AwsModel extends ModelCore {
  public constructor(options: ModelOptions) {
    super(options);
  }

  // ---------------------------------------------------------------- clusters and services

  /** The name part of a cluster name or ARN (default "default"). */
  public clusterName(ref: string | undefined): string {
    return this.services.clusterName(ref);
  }

  /** Creates (or returns) a cluster. */
  public createCluster(name: string): ClusterRecord {
    return this.services.createCluster(name);
  }

  /** The cluster, or ClusterNotFoundException. */
  public getCluster(ref: string | undefined): ClusterRecord {
    return this.services.getCluster(ref);
  }

  /** The service ARN ECS would give `name` in `cluster`. */
  public serviceArn(cluster: string, name: string): string {
    return this.services.serviceArn(cluster, name);
  }

  /** A service by name or ARN, or undefined. */
  public findService(clusterRef: string | undefined, serviceRef: string): ServiceRecord | undefined {
    return this.services.findService(clusterRef, serviceRef);
  }

  /** An ACTIVE service, or ClusterNotFoundException / ServiceNotFoundException. */
  public getService(clusterRef: string | undefined, serviceRef: string): ServiceRecord {
    return this.services.getService(clusterRef, serviceRef);
  }

  /** Adds or replaces tags on a task definition or service ARN; false when unknown. */
  public tagResource(resourceArn: string, tags: readonly Tag[]): boolean {
    return this.services.tagResource(resourceArn, tags);
  }

  /** Creates a Fargate service; steady (already running) when `steadySince` is given. */
  public createService(input: CreateServiceInput): ServiceRecord {
    return this.services.createService(input);
  }

  /** Deploys a task definition as a user would (UpdateService); returns the new deployment id. */
  public deploy(clusterRef: string, serviceRef: string, taskDefinition: string): string {
    const service = this.updateService({ cluster: clusterRef, service: serviceRef, taskDefinition, forceNewDeployment: true });
    return service.deployments[0]!.id;
  }

  /** UpdateService: a new deployment when the task definition changes or on forceNewDeployment; desired count changes scale. */
  public updateService(input: UpdateServiceInput): ServiceRecord {
    return this.services.updateService(input);
  }

  /** A compact view of a service. */
  public summary(clusterRef: string, serviceRef: string): ServiceSummary {
    return this.services.summary(clusterRef, serviceRef);
  }

  // ---------------------------------------------------------------- task definitions and ECR

  /** Registers the next revision of a family (seeding may skip ahead to a given revision). */
  public registerTaskDefinition(input: TaskDefinitionInput, options: { registeredAt?: number; revision?: number } = {}): TaskDefinitionRecord {
    return this.registry.registerTaskDefinition(input, options);
  }

  /** A task definition by `family`, `family:revision` or ARN; undefined when unknown. */
  public findTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    return this.registry.findTaskDefinition(ref);
  }

  /** Every revision of a family, oldest first. */
  public taskDefinitionRevisions(family: string): readonly TaskDefinitionRecord[] {
    return this.registry.taskDefinitionRevisions(family);
  }

  /** Creates (or returns) an ECR repository. */
  public createRepository(name: string, createdAt = this.now()): EcrRepository {
    return this.registry.createRepository(name, createdAt);
  }

  /** A repository by name, or undefined. */
  public findRepository(name: string): EcrRepository | undefined {
    return this.registry.findRepository(name);
  }

  /** Every repository. */
  public listRepositories(): readonly EcrRepository[] {
    return this.registry.listRepositories();
  }

  /** Pushes an image; its tags move from older images, as `docker push` does. */
  public pushImage(
    repositoryName: string,
    image: { tags: readonly string[]; behaviour?: ImageBehaviour; pushedAt?: number; digest?: string; sizeInBytes?: number },
  ): EcrImage {
    return this.registry.pushImage(repositoryName, image);
  }

  /** Marks how an image behaves: an ECR image URI (tag or digest) or any other image reference. */
  public markImage(imageRef: string, behaviour: ImageBehaviour): void {
    this.registry.markImage(imageRef, behaviour);
  }

  /** The ECR image an image reference names; 'missing' for our registry but unknown; undefined for other registries. */
  public lookupEcrImage(imageRef: string): EcrImage | 'missing' | undefined {
    return this.registry.lookupEcrImage(imageRef);
  }

  // ---------------------------------------------------------------- ELBv2 and CloudWatch

  /** Creates an ALB (by name) and returns its ARN. */
  public createLoadBalancer(name: string): string {
    return this.health.createLoadBalancer(name);
  }

  /** Creates a target group (defaults: HTTP 8080, ip targets, timings' health check and deregistration delay). */
  public createTargetGroup(input: Parameters<ModelCore['health']['createTargetGroup']>[0]): TargetGroupRecord {
    return this.health.createTargetGroup(input);
  }

  /** A target group by ARN or name. */
  public findTargetGroup(ref: string): TargetGroupRecord | undefined {
    return this.health.findTargetGroup(ref);
  }

  /** Every target group. */
  public listTargetGroups(): readonly TargetGroupRecord[] {
    return this.health.listTargetGroups();
  }

  /** Creates an UnHealthyHostCount alarm (Maximum ≥ threshold for N periods) on a target group. */
  public createUnhealthyHostAlarm(input: Parameters<ModelCore['alarms']['createUnhealthyHostAlarm']>[0]): UnhealthyHostAlarm {
    return this.alarms.createUnhealthyHostAlarm(input);
  }

  /** An alarm by name. */
  public findAlarm(name: string): UnhealthyHostAlarm | undefined {
    return this.alarms.findAlarm(name);
  }

  // ---------------------------------------------------------------- tasks

  /** Tasks, newest first, filtered like ListTasks (desiredStatus RUNNING unless given). */
  public listTasks(filter: Parameters<ModelCore['tasks']['listTasks']>[0]): TaskRecord[] {
    return this.tasks.listTasks(filter);
  }

  /** A task by ARN or id within a cluster. */
  public findTask(clusterRef: string | undefined, ref: string): TaskRecord | undefined {
    return this.tasks.findTask(clusterRef, ref);
  }

  /**
   * Stops a running task of a service from outside the scheduler: a person's StopTask
   * (UserInitiated, "Task stopped by user"), Fargate retiring it for maintenance
   * (TerminationNotice), or its essential container crashing (EssentialContainerExited with an exit
   * code); the scheduler then starts a replacement.
   */
  public stopServiceTask(
    clusterRef: string,
    taskRef: string,
    stop: { stopCode: 'UserInitiated' | 'TerminationNotice' | 'SpotInterruption' | 'EssentialContainerExited'; reason: string; exitCode?: number },
  ): TaskRecord {
    const task = this.tasks.findTask(clusterRef, taskRef);
    if (task === undefined) throw new Error(`unknown task ${taskRef}`);
    const service = this.services.getService(task.clusterName, task.serviceName);
    this.tasks.stopTask(service, task, stop.reason, stop.stopCode, stop.exitCode ?? 0);
    this.deployments.scheduleReconcile(service);
    return task;
  }

  /** Every task a service has (any status), oldest first. */
  public serviceTasks(service: ServiceRecord): TaskRecord[] {
    return this.tasks.serviceTasks(service);
  }

  /** Running / pending counts of one deployment. */
  public deploymentCounts(service: ServiceRecord, deploymentId: string): { runningCount: number; pendingCount: number } {
    return this.tasks.deploymentCounts(service, deploymentId);
  }

  // ---------------------------------------------------------------- deployments

  /** Adds a finished deployment to a service's history (seeding what happened before the story starts). */
  public addHistoricalDeployment(
    clusterRef: string,
    serviceRef: string,
    input: { taskDefinition: string; startedAt: number; finishedAt: number; status: ServiceDeploymentStatus; statusReason?: string },
  ): ServiceDeploymentRecord {
    return this.deployments.addHistoricalDeployment(clusterRef, serviceRef, input);
  }

  /** A service's deployment history, newest first. */
  public serviceDeployments(service: ServiceRecord): ServiceDeploymentRecord[] {
    return this.deployments.serviceDeployments(service);
  }

  /** A service deployment by ARN. */
  public findServiceDeployment(arn: string): ServiceDeploymentRecord | undefined {
    return this.deployments.findServiceDeployment(arn);
  }

  /** StopServiceDeployment (local/stand-in/model/deployments.ts: what is modelled and what is assumed). */
  public stopServiceDeployment(arn: string, stopType: string): ServiceDeploymentRecord {
    return this.deployments.stopServiceDeployment(arn, stopType);
  }

  /** A service revision by ARN. */
  public findServiceRevision(arn: string): ServiceRevisionRecord | undefined {
    return this.deployments.findServiceRevision(arn);
  }

  /** Requested / running / pending counts of a revision within a service deployment. */
  public revisionCounts(record: ServiceDeploymentRecord, revisionArn: string): RevisionCounts {
    return this.deployments.revisionCounts(record, revisionArn);
  }

  /** Failed tasks that trip the circuit breaker: ECS's 50 % of desired, at least 3, at most 200. */
  public circuitBreakerThreshold(service: ServiceRecord): number {
    return this.deployments.circuitBreakerThreshold(service);
  }

  /** A 40-hex commit-like SHA, deterministic per label (for seeding image tags). */
  public static commitLike(label: string): string {
    return commitSha(label);
  }
}
