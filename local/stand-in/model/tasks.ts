/**
 * Task lifecycle: a task is created PROVISIONING, turns PENDING and RUNNING after the Fargate start
 * time (or stops with TaskFailedToStart / EssentialContainerExited for missing and "bad" images),
 * and on stop drains from its target groups (DEACTIVATING) or stops after the stop time.
 * STOPPED tasks are forgotten after the retention time. A task that is told to stop (desiredStatus
 * STOPPED, with its stopCode and stoppedReason) and a task that reaches STOPPED each emit an
 * "ECS Task State Change" event, as ECS does.
 */
import { taskStateChange } from '../events';
import { taskShape } from '../task-shape';
import type { ModelCore } from './core';
import type { ContainerRecord, DeploymentRecord, ServiceRecord, TaskRecord } from './types';

const AVAILABILITY_ZONES = ['a', 'b', 'c'] as const;

/** The account's tasks. */
export class Tasks {
  private readonly tasks = new Map<string, TaskRecord>();
  private ipCounter = 10;

  public constructor(private readonly m: ModelCore) {}

  /** Tasks, newest first, filtered like ListTasks (desiredStatus RUNNING unless given). */
  public listTasks(filter: {
    cluster?: string;
    serviceName?: string;
    startedBy?: string;
    family?: string;
    desiredStatus?: 'RUNNING' | 'STOPPED' | 'PENDING';
  }): TaskRecord[] {
    const clusterName = this.m.services.clusterName(filter.cluster);
    const desired = filter.desiredStatus === 'PENDING' ? 'RUNNING' : (filter.desiredStatus ?? 'RUNNING');
    return [...this.tasks.values()]
      .filter((t) => t.clusterName === clusterName)
      .filter((t) => filter.serviceName === undefined || t.serviceName === serviceNameOf(filter.serviceName))
      .filter((t) => filter.startedBy === undefined || t.startedBy === filter.startedBy)
      .filter((t) => filter.family === undefined || t.taskDefinitionArn.includes(`:task-definition/${filter.family}:`))
      .filter((t) => t.desiredStatus === desired)
      .filter((t) => filter.desiredStatus !== 'PENDING' || t.lastStatus === 'PENDING' || t.lastStatus === 'PROVISIONING')
      .reverse();
  }

  /** A task by ARN or id within a cluster. */
  public findTask(clusterRef: string | undefined, ref: string): TaskRecord | undefined {
    const clusterName = this.m.services.clusterName(clusterRef);
    const id = ref.slice(ref.lastIndexOf('/') + 1);
    return [...this.tasks.values()].find((t) => t.id === id && t.clusterName === clusterName);
  }

  /** Every task a service has (any status), oldest first. */
  public serviceTasks(service: ServiceRecord): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.clusterName === service.clusterName && t.serviceName === service.name);
  }

  /** A service's tasks that should run (of one deployment when given). */
  public liveTasks(service: ServiceRecord, deploymentId?: string): TaskRecord[] {
    return this.serviceTasks(service).filter((t) => t.desiredStatus === 'RUNNING' && (deploymentId === undefined || t.deploymentId === deploymentId));
  }

  /** Running / pending counts of one deployment. */
  public deploymentCounts(service: ServiceRecord, deploymentId: string): { runningCount: number; pendingCount: number } {
    const tasks = this.serviceTasks(service).filter((t) => t.deploymentId === deploymentId);
    return {
      runningCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingCount: tasks.filter((t) => t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING').length,
    };
  }

  /** Creates a task record (PROVISIONING) of a deployment; nothing scheduled. */
  public createTask(service: ServiceRecord, deployment: DeploymentRecord, at: number): TaskRecord {
    const taskDefinition = this.m.registry.findTaskDefinition(deployment.taskDefinitionArn)!;
    const id = this.m.ids.hex(32);
    const azIndex = this.ipCounter % AVAILABILITY_ZONES.length;
    const ip = `10.0.${azIndex + 1}.${this.ipCounter++ % 250}`;
    let behaviour: TaskRecord['behaviour'] = 'good';
    let missingImage: string | undefined;
    const rank = { good: 0, regression: 1, bad: 2, missing: 3 } as const;
    const containers: ContainerRecord[] = taskDefinition.definition.containerDefinitions.map((c) => {
      const resolved = this.m.registry.imageBehaviour(c.image);
      if (rank[resolved.behaviour] > rank[behaviour]) behaviour = resolved.behaviour;
      if (resolved.behaviour === 'missing') missingImage ??= c.image;
      return { name: c.name, image: c.image, imageDigest: resolved.digest, lastStatus: 'PENDING' };
    });
    const task: TaskRecord = {
      arn: this.m.ecsArn(`task/${service.clusterName}/${id}`),
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
      eniId: `eni-${this.m.ids.hex(17)}`,
      subnetId: service.subnets[azIndex] ?? 'subnet-0a1b2c3d4e5f60001',
      macAddress: Array.from({ length: 6 }, () => this.m.ids.hex(2)).join(':'),
      availabilityZone: `${this.m.region}${AVAILABILITY_ZONES[azIndex]}`,
      behaviour,
      missingImage,
      containers,
      passedHealthCheck: false,
    };
    this.tasks.set(task.arn, task);
    return task;
  }

  /** Starts a task of a deployment now (PROVISIONING → PENDING → RUNNING over the Fargate start time). */
  public startTask(service: ServiceRecord, deployment: DeploymentRecord): TaskRecord {
    const at = this.m.now();
    const task = this.createTask(service, deployment, at);
    const start = this.m.draw(this.m.timings.fargateStartMs);
    this.recordTask(service, task, 'PROVISIONING', at);
    this.m.schedule(at + start / 4, () => {
      if (task.lastStatus !== 'PROVISIONING') return;
      task.lastStatus = 'PENDING';
      task.pullStartedAt = this.m.now();
    });
    this.m.schedule(at + start, () => this.finishStart(service, task));
    return task;
  }

  private finishStart(service: ServiceRecord, task: TaskRecord): void {
    if (task.desiredStatus !== 'RUNNING') return;
    const at = this.m.now();
    if (task.behaviour === 'missing' || task.behaviour === 'bad') {
      this.failTask(service, task);
      return;
    }
    task.lastStatus = 'RUNNING';
    task.pullStoppedAt = at;
    task.startedAt = at;
    for (const c of task.containers) c.lastStatus = 'RUNNING';
    if (service.loadBalancers.length === 0) task.passedHealthCheck = true;
    this.recordTask(service, task, 'RUNNING', at);
    this.m.health.registerTask(service, task, at);
    this.m.deployments.reconcile(service);
    this.m.alarms.evaluate();
  }

  private failTask(service: ServiceRecord, task: TaskRecord): void {
    const at = this.m.now();
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
    this.recordTask(service, task, 'FAILED', at);
    this.m.addServiceEvent(service, `(service ${service.name}) (task ${task.id}) failed to start: ${task.stoppedReason}.`, at);
    this.emitStateChange(task);
    this.m.schedule(at + this.m.timings.stoppedTaskRetentionMs, () => this.tasks.delete(task.arn));
    this.m.deployments.taskFailed(service, task, at);
  }

  /**
   * Stops a task: drains its targets (DEACTIVATING) or stops it (STOPPING), then STOPPED. The stop
   * code and reason are set when the stop is decided (the service scheduler's ServiceSchedulerInitiated
   * unless given, e.g. UserInitiated for StopTask, TerminationNotice for Fargate maintenance).
   */
  public stopTask(service: ServiceRecord, task: TaskRecord, reason: string, stopCode = 'ServiceSchedulerInitiated', exitCode = 0): void {
    if (task.desiredStatus === 'STOPPED') return;
    const at = this.m.now();
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = at;
    this.recordTask(service, task, 'STOPPING', at);
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    // A crashed essential container has exited before ECS decides to stop the task: its code is known at once.
    if (stopCode === 'EssentialContainerExited') for (const c of task.containers) c.exitCode = exitCode;
    const finish = () => {
      this.m.health.removeTask(service, task);
      const wasRunning = task.startedAt !== undefined;
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.m.now();
      for (const c of task.containers) {
        c.lastStatus = 'STOPPED';
        if (wasRunning) c.exitCode = exitCode;
      }
      this.recordTask(service, task, 'STOPPED', task.stoppedAt);
      this.emitStateChange(task);
      this.m.schedule(this.m.now() + this.m.timings.stoppedTaskRetentionMs, () => this.tasks.delete(task.arn));
      this.m.deployments.reconcile(service);
      this.m.alarms.evaluate();
    };
    if (task.lastStatus !== 'RUNNING') {
      finish();
      return;
    }
    const { drainMs, drained } = this.m.health.deregisterTask(service, task, at);
    for (const arn of drained) this.m.addServiceEvent(service, `(service ${service.name}) deregistered 1 targets in (target-group ${arn})`, at);
    this.m.addServiceEvent(service, `(service ${service.name}) has stopped 1 running tasks: (task ${task.id}).`, at);
    task.lastStatus = drained.length > 0 ? 'DEACTIVATING' : 'STOPPING';
    this.emitStateChange(task);
    this.m.schedule(at + (drained.length > 0 ? drainMs : this.m.timings.taskStopMs), finish);
    this.m.alarms.evaluate();
  }

  private recordTask(service: ServiceRecord, task: TaskRecord, status: 'PROVISIONING' | 'RUNNING' | 'FAILED' | 'STOPPING' | 'STOPPED', at: number): void {
    this.m.record({
      kind: 'task',
      at,
      taskArn: task.arn,
      serviceArn: service.arn,
      deploymentId: task.deploymentId,
      taskDefinitionArn: task.taskDefinitionArn,
      behaviour: task.behaviour,
      status,
    });
  }

  /**
   * Emits an ECS Task State Change event for the task as it is now. The event id is derived from the
   * task id and its state, so the seeded draws (ids, health-check phases) stay as they were.
   */
  private emitStateChange(task: TaskRecord): void {
    const taskDefinition = this.m.registry.findTaskDefinition(task.taskDefinitionArn);
    const ctx = {
      region: this.m.region,
      account: this.m.account,
      clusterArn: this.m.services.getCluster(task.clusterName).arn,
      cpu: taskDefinition?.definition['cpu'],
      memory: taskDefinition?.definition['memory'],
    };
    const suffix = task.lastStatus === 'STOPPED' ? '5' : '4';
    const id = `${task.id.slice(0, 8)}-${task.id.slice(8, 12)}-4${task.id.slice(13, 16)}-a${task.id.slice(17, 20)}-${task.id.slice(20, 31)}${suffix}`;
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    this.m.emit(taskStateChange({ id, account: this.m.account, region: this.m.region, time: this.m.now() }, taskShape(task, ctx, iso)));
  }
}

/** The name part of a service name or ARN. */
export function serviceNameOf(ref: string): string {
  return ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
}
