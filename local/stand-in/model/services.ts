/**
 * Clusters and services: CreateService (optionally already steady), UpdateService (a new deployment
 * when the task definition changes or on forceNewDeployment; desired count changes scale),
 * TagResource and a compact summary for demos and assertions.
 */
import { ApiError } from '../protocols';
import type { ModelCore } from './core';
import type { ClusterRecord, CreateServiceInput, ServiceRecord, ServiceSummary, Tag, UpdateServiceInput } from './types';

/** Clusters and their services. */
export class Services {
  private readonly clusters = new Map<string, ClusterRecord>();

  public constructor(private readonly m: ModelCore) {}

  /** The name part of a cluster name or ARN (default "default"). */
  public clusterName(ref: string | undefined): string {
    if (ref === undefined || ref === '') return 'default';
    return ref.startsWith('arn:') ? ref.slice(ref.indexOf('/') + 1) : ref;
  }

  /** Creates (or returns) a cluster. */
  public createCluster(name: string): ClusterRecord {
    const existing = this.clusters.get(name);
    if (existing !== undefined) return existing;
    const cluster: ClusterRecord = { name, arn: this.m.ecsArn(`cluster/${name}`), services: new Map() };
    this.clusters.set(name, cluster);
    return cluster;
  }

  /** The cluster, or ClusterNotFoundException. */
  public getCluster(ref: string | undefined): ClusterRecord {
    const cluster = this.clusters.get(this.clusterName(ref));
    if (cluster === undefined) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  /** Every service of every cluster. */
  public all(): ServiceRecord[] {
    return [...this.clusters.values()].flatMap((c) => [...c.services.values()]);
  }

  /** The service ARN ECS would give `name` in `cluster`. */
  public serviceArn(cluster: string, name: string): string {
    return this.m.ecsArn(`service/${cluster}/${name}`);
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

  /** Adds or replaces tags on a task definition or service ARN; false when unknown. */
  public tagResource(resourceArn: string, tags: readonly Tag[]): boolean {
    const target: { tags: Tag[] } | undefined = resourceArn.includes(':task-definition/')
      ? this.m.registry.findTaskDefinition(resourceArn)
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

  /** Creates a Fargate service; steady (already running) when `steadySince` is given. */
  public createService(input: CreateServiceInput): ServiceRecord {
    const cluster = this.createCluster(this.clusterName(input.cluster));
    if (cluster.services.has(input.name)) throw new ApiError('InvalidParameterException', 'Creation of service was not idempotent.');
    const taskDefinition = this.m.registry.findTaskDefinition(input.taskDefinition);
    if (taskDefinition === undefined) throw new ApiError('ClientException', 'TaskDefinition not found.');
    for (const lb of input.loadBalancers ?? []) {
      if (this.m.health.getTargetGroup(lb.targetGroupArn) === undefined) throw new ApiError('InvalidParameterException', `Target group ${lb.targetGroupArn} not found.`);
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
        ...(input.deploymentAlarms === undefined ? {} : { alarms: input.deploymentAlarms }),
        maximumPercent: input.maximumPercent ?? 200,
        minimumHealthyPercent: input.minimumHealthyPercent ?? 100,
      },
      circuitBreakerThreshold: input.circuitBreakerThreshold,
      createdAt: input.createdAt ?? input.steadySince ?? this.m.now(),
      subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002', 'subnet-0a1b2c3d4e5f60003'],
      securityGroups: ['sg-0a1b2c3d4e5f60001'],
      deployments: [],
      events: [],
      tags: [...(input.tags ?? [])],
    };
    cluster.services.set(service.name, service);
    if (input.steadySince === undefined) {
      this.m.deployments.startDeployment(service, taskDefinition.arn);
      return service;
    }
    const at = input.steadySince;
    const timings = this.m.timings;
    const fargateStartMs = (timings.fargateStartMs.min + timings.fargateStartMs.max) / 2;
    const health = this.m.health;
    const deployment = this.m.deployments.newDeployment(service, taskDefinition.arn, at, []);
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
    const record = this.m.deployments.findServiceDeployment(deployment.serviceDeploymentArn)!;
    record.status = 'SUCCESSFUL';
    record.finishedAt = at + fargateStartMs + health.healthyDelayMs(service) + health.drainDelayMs(service);
    record.updatedAt = record.finishedAt;
    record.circuitBreaker.status = record.circuitBreaker.status === 'DISABLED' ? 'DISABLED' : 'MONITORING_COMPLETE';
    record.finalCounts = { requestedTaskCount: service.desiredCount, runningTaskCount: service.desiredCount, pendingTaskCount: 0 };
    service.deployments = [deployment];
    service.lastCompleted = { deploymentId: deployment.id, taskDefinitionArn: deployment.taskDefinitionArn, serviceRevisionArn: deployment.serviceRevisionArn };
    for (let i = 0; i < service.desiredCount; i++) {
      const task = this.m.tasks.createTask(service, deployment, at);
      task.lastStatus = 'RUNNING';
      task.pullStartedAt = at + fargateStartMs / 4;
      task.pullStoppedAt = at + fargateStartMs / 2;
      task.startedAt = at + fargateStartMs;
      for (const c of task.containers) c.lastStatus = 'RUNNING';
      task.passedHealthCheck = true;
      const healthySince = task.startedAt + health.healthyDelayMs(service);
      health.addHealthyTargets(service, task, healthySince);
      const recorded = { taskArn: task.arn, serviceArn: service.arn } as const;
      const taskInfo = { deploymentId: deployment.id, taskDefinitionArn: task.taskDefinitionArn, behaviour: task.behaviour } as const;
      this.m.record({ kind: 'task', at, ...recorded, ...taskInfo, status: 'PROVISIONING' });
      this.m.record({ kind: 'task', at: task.startedAt, ...recorded, ...taskInfo, status: 'RUNNING' });
      if (service.loadBalancers.length > 0) this.m.record({ kind: 'target', at: healthySince, ...recorded, state: 'healthy' });
    }
    this.m.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`, record.finishedAt);
    return service;
  }

  /** UpdateService: a new deployment when the task definition changes or on forceNewDeployment; desired count changes scale. */
  public updateService(input: UpdateServiceInput): ServiceRecord {
    this.m.tick();
    const service = this.getService(input.cluster, input.service);
    if (service.status !== 'ACTIVE') throw new ApiError('ServiceNotActiveException', 'Service was not ACTIVE.');
    let taskDefinitionArn = service.taskDefinitionArn;
    if (input.taskDefinition !== undefined) {
      const taskDefinition = this.m.registry.findTaskDefinition(input.taskDefinition);
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
        ...(current.alarms === undefined ? {} : { alarms: current.alarms }),
        maximumPercent: config.maximumPercent ?? current.maximumPercent,
        minimumHealthyPercent: config.minimumHealthyPercent ?? current.minimumHealthyPercent,
      };
    }
    if (taskDefinitionArn !== service.taskDefinitionArn || input.forceNewDeployment === true) {
      this.m.deployments.startDeployment(service, taskDefinitionArn);
    } else if (input.desiredCount !== undefined) {
      const primary = service.deployments[0];
      if (primary !== undefined) {
        primary.desiredCount = service.desiredCount;
        primary.updatedAt = this.m.now();
      }
      this.m.deployments.scheduleReconcile(service);
    }
    return service;
  }

  /** A compact view of a service. */
  public summary(clusterRef: string, serviceRef: string): ServiceSummary {
    this.m.tick();
    const service = this.getService(clusterRef, serviceRef);
    const deployments = service.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinitionArn,
      rolloutState: d.rolloutState,
      failedTasks: d.failedTasks,
      ...this.m.tasks.deploymentCounts(service, d.id),
    }));
    const targets = this.m.health.targetCounts(service);
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
}
