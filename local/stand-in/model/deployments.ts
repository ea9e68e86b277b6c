/**
 * Deployments and the service scheduler. A rolling deployment (minimum 100 %, maximum 200 %) starts
 * new tasks, waits until they pass their health checks, then stops old tasks; when the last old task
 * has stopped the deployment is COMPLETED. Tasks that fail to start count towards the circuit
 * breaker, which fails the deployment (and rolls back to the last completed one when enabled).
 * With ECS deployment alarms, the deployment stays IN_PROGRESS for the bake time after steady
 * state, and an alarm in ALARM during the deployment or its bake time fails it (and rolls back
 * when enabled), noticed ecsAlarmPollMs late. Also the service deployments and service revisions
 * APIs' records.
 */
import { deploymentStateChange } from '../events';
import { ApiError } from '../protocols';
import type { ModelCore } from './core';
import type {
  DeploymentRecord,
  RevisionCounts,
  ServiceDeploymentRecord,
  ServiceDeploymentStatus,
  ServiceRecord,
  ServiceRevisionRecord,
  TaskRecord,
} from './types';

/** Rollback context of a deployment ECS's circuit breaker starts. */
export interface EcsRollback {
  readonly record: ServiceDeploymentRecord;
  readonly revisionArn: string;
  readonly reason: string;
}

/** Deployments, service deployments and service revisions. */
export class Deployments {
  private readonly serviceDeploymentRecords = new Map<string, ServiceDeploymentRecord>();
  private readonly serviceRevisions = new Map<string, ServiceRevisionRecord>();

  public constructor(private readonly m: ModelCore) {}

  // ---------------------------------------------------------------- reads

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
    const service = this.m.services.findService(record.clusterArn, record.serviceArn);
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
      const counts = this.m.tasks.deploymentCounts(service!, d.id);
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

  // ---------------------------------------------------------------- history

  /** Adds a finished deployment to a service's history (seeding what happened before the story starts). */
  public addHistoricalDeployment(
    clusterRef: string,
    serviceRef: string,
    input: { taskDefinition: string; startedAt: number; finishedAt: number; status: ServiceDeploymentStatus; statusReason?: string },
  ): ServiceDeploymentRecord {
    const service = this.m.services.getService(clusterRef, serviceRef);
    const taskDefinition = this.m.registry.findTaskDefinition(input.taskDefinition);
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

  private createRevision(service: ServiceRecord, taskDefinitionArn: string, at: number): ServiceRevisionRecord {
    const taskDefinition = this.m.registry.findTaskDefinition(taskDefinitionArn)!;
    const revision: ServiceRevisionRecord = {
      arn: this.m.ecsArn(`service-revision/${service.clusterName}/${service.name}/${this.m.ids.digits(19)}`),
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      taskDefinitionArn,
      createdAt: at,
      containerImages: taskDefinition.definition.containerDefinitions.map((c) => {
        const ecr = this.m.registry.lookupEcrImage(c.image);
        return { containerName: c.name, image: c.image, imageDigest: ecr !== undefined && ecr !== 'missing' ? ecr.digest : undefined };
      }),
    };
    this.serviceRevisions.set(revision.arn, revision);
    return revision;
  }

  private createServiceDeploymentRecord(service: ServiceRecord, targetRevisionArn: string, sourceRevisionArns: string[], at: number): ServiceDeploymentRecord {
    const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
    const record: ServiceDeploymentRecord = {
      arn: this.m.ecsArn(`service-deployment/${service.clusterName}/${service.name}/${this.m.ids.token(21)}`),
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

  // ---------------------------------------------------------------- starting deployments

  /** A new PRIMARY deployment record (with its revision and service deployment); the caller places it in the service. */
  public newDeployment(service: ServiceRecord, taskDefinitionArn: string, at: number, sourceRevisionArns: string[], rollback?: EcsRollback): DeploymentRecord {
    const id = `ecs-svc/${this.m.ids.digits(19)}`;
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
    this.m.record({ kind: 'primary', at, serviceArn: service.arn, deploymentId: id, taskDefinitionArn });
    return deployment;
  }

  /** Starts a deployment now: the previous ones turn ACTIVE (their service deployments STOPPED unless ECS rolls back). */
  public startDeployment(service: ServiceRecord, taskDefinitionArn: string, rollback?: EcsRollback): DeploymentRecord {
    const at = this.m.now();
    for (const previous of service.deployments) {
      if (previous.status === 'PRIMARY') previous.status = 'ACTIVE';
      previous.desiredCount = this.m.tasks.liveTasks(service, previous.id).length;
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
    const sources = [...new Set(service.deployments.filter((d) => this.m.tasks.liveTasks(service, d.id).length > 0).map((d) => d.serviceRevisionArn))];
    const deployment = this.newDeployment(service, taskDefinitionArn, at, sources, rollback);
    service.deployments = [deployment, ...service.deployments.filter((d) => d.id !== deployment.id)];
    this.m.emit(
      deploymentStateChange(
        { id: this.m.ids.uuid(), account: this.m.account, region: this.m.region, time: at, serviceArn: service.arn },
        { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: deployment.id, reason: deployment.rolloutStateReason },
      ),
    );
    this.scheduleReconcile(service);
    return deployment;
  }

  /** Runs the scheduler for a service as a job now. */
  public scheduleReconcile(service: ServiceRecord): void {
    this.m.schedule(this.m.now(), () => this.reconcile(service));
  }

  // ---------------------------------------------------------------- the scheduler

  /** The service scheduler: start, stop and complete, within minimum/maximum percent. */
  public reconcile(service: ServiceRecord): void {
    const primary = service.deployments[0];
    if (primary === undefined || service.status !== 'ACTIVE') return;
    const at = this.m.now();
    const tasks = this.m.tasks;
    const isHealthy = (t: TaskRecord) => this.m.health.isHealthy(service, t);
    if (primary.rolloutState !== 'FAILED') {
      const primaryLive = tasks.liveTasks(service, primary.id);
      const need = primary.desiredCount - primaryLive.length;
      if (need > 0) {
        const maxTotal = Math.floor((service.deploymentConfiguration.maximumPercent * service.desiredCount) / 100);
        const count = Math.min(need, Math.max(0, maxTotal - tasks.liveTasks(service).length));
        const started: TaskRecord[] = [];
        for (let i = 0; i < count; i++) started.push(tasks.startTask(service, primary));
        if (started.length > 0) {
          this.m.addServiceEvent(service, `(service ${service.name}) has started ${started.length} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`, at);
        }
      } else if (need < 0) {
        const surplus = [...primaryLive].sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b))).slice(0, -need);
        for (const task of surplus) tasks.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`);
      }
      const minHealthy = Math.ceil((service.deploymentConfiguration.minimumHealthyPercent * service.desiredCount) / 100);
      const old = service.deployments.slice(1).flatMap((d) => tasks.liveTasks(service, d.id));
      for (const task of old.filter((t) => !isHealthy(t))) {
        tasks.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`);
      }
      let canStop = tasks.liveTasks(service).filter((t) => isHealthy(t)).length - minHealthy;
      for (const task of old.filter((t) => isHealthy(t))) {
        if (canStop <= 0) break;
        tasks.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`);
        canStop -= 1;
      }
    }
    for (const d of service.deployments.slice(1)) {
      const live = tasks.liveTasks(service, d.id).length;
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
    const primaryLive = this.m.tasks.liveTasks(service, primary.id);
    if (primaryLive.length !== primary.desiredCount) return;
    if (!primaryLive.every((t) => t.lastStatus === 'RUNNING' && t.passedHealthCheck)) return;
    if (this.m.tasks.serviceTasks(service).some((t) => !primaryLive.includes(t) && t.lastStatus !== 'STOPPED')) return;
    const at = this.m.now();
    const alarms = service.deploymentConfiguration.alarms;
    if (alarms?.enable === true && alarms.alarmNames.length > 0 && this.m.timings.ecsBakeTimeMs > 0) {
      if (primary.bakeUntil === undefined) {
        primary.bakeUntil = at + this.m.timings.ecsBakeTimeMs;
        this.m.schedule(primary.bakeUntil, () => this.checkCompletion(service));
      }
      if (at < primary.bakeUntil) return;
    }
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
    this.m.addServiceEvent(service, `(service ${service.name}) (deployment ${primary.id}) deployment completed.`, at);
    this.m.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`, at);
    this.m.emit(
      deploymentStateChange(
        { id: this.m.ids.uuid(), account: this.m.account, region: this.m.region, time: at, serviceArn: service.arn },
        { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: primary.id, reason: `ECS deployment ${primary.id} completed.` },
      ),
    );
  }

  // ---------------------------------------------------------------- deployment alarms

  /** An alarm changed state: ECS fails (and may roll back) each deployment in progress or baking that watches it. */
  public alarmChanged(alarmName: string, state: string): void {
    if (state !== 'ALARM') return;
    for (const service of this.m.services.all()) {
      const alarms = service.deploymentConfiguration.alarms;
      if (alarms?.enable !== true || !alarms.alarmNames.includes(alarmName)) continue;
      const primary = service.deployments[0];
      if (primary === undefined || primary.rolloutState !== 'IN_PROGRESS') continue;
      this.m.schedule(this.m.now() + this.m.draw(this.m.timings.ecsAlarmPollMs), () => {
        if (service.deployments[0] !== primary || primary.rolloutState !== 'IN_PROGRESS') return;
        if (this.m.alarms.findAlarm(alarmName)?.state !== 'ALARM') return;
        this.failDeployment(service, primary, alarmName);
        this.reconcile(service);
      });
    }
  }

  // ---------------------------------------------------------------- StopServiceDeployment

  /**
   * StopServiceDeployment with stopType ROLLBACK
   * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html,
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html): a
   * PENDING / IN_PROGRESS service deployment moves to ROLLBACK_REQUESTED and ECS "rolls back the
   * service deployment to the previous service revision"; one already STOP_REQUESTED,
   * ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS continues; any other status is a ConflictException.
   *
   * What AWS does not say, and what the model assumes (estimates):
   * | question | assumption | why |
   * |-|-|-|
   * | which revision | the deployment's first source revision (the service revision it replaced) | "previous service revision"; a rolling update has one source unless a deployment was itself interrupted |
   * | which tasks keep running | tasks of the source revision keep running and count toward the rollback; the stopped deployment's tasks are drained as in any new deployment | the same mechanism as the circuit breaker's rollback, which "reuses" the old revision (ECS guide, service revisions) |
   * | the legacy deployments list | the stopped deployment turns ACTIVE with rolloutState FAILED ("Service deployment stopped: rolling back"), a new PRIMARY deployment of the source revision starts | as the circuit breaker's rollback shows it |
   * | events | SERVICE_DEPLOYMENT_IN_PROGRESS for the rollback deployment; no SERVICE_DEPLOYMENT_FAILED for the stopped one | no documented event for a requested stop |
   * | ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS | at once (the next scheduler pass) | no documented delay |
   */
  public stopServiceDeployment(arn: string, stopType: string): ServiceDeploymentRecord {
    const record = this.serviceDeploymentRecords.get(arn);
    if (record === undefined) throw new ApiError('ServiceDeploymentNotFoundException', `The service deployment ${arn} does not exist.`);
    if (stopType !== 'ROLLBACK') throw new ApiError('InvalidParameterException', `stopType ${stopType} is not modelled by the stand-in (only ROLLBACK is documented).`);
    if (['STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'].includes(record.status)) return record;
    if (record.status !== 'PENDING' && record.status !== 'IN_PROGRESS') {
      throw new ApiError('ConflictException', `The service deployment is ${record.status} and cannot be stopped.`);
    }
    const service = this.m.services.all().find((s) => s.arn === record.serviceArn);
    const sourceArn = record.sourceServiceRevisionArns[0];
    const source = sourceArn === undefined ? undefined : this.serviceRevisions.get(sourceArn);
    if (service === undefined || source === undefined) {
      throw new ApiError('ConflictException', 'The service deployment has no previous service revision to roll back to.');
    }
    const at = this.m.now();
    const reason = `Service deployment rolled back because StopServiceDeployment was requested with stopType ROLLBACK.`;
    record.status = 'ROLLBACK_REQUESTED';
    record.statusReason = reason;
    record.updatedAt = at;
    const deployment = service.deployments.find((d) => d.serviceDeploymentArn === arn);
    if (deployment !== undefined) {
      deployment.rolloutState = 'FAILED';
      deployment.rolloutStateReason = 'Service deployment stopped: rolling back to the previous service revision.';
      deployment.updatedAt = at;
    }
    this.m.addServiceEvent(service, `(service ${service.name}) (deployment ${deployment?.id ?? arn}) rolling back: StopServiceDeployment (ROLLBACK).`, at);
    this.m.schedule(at, () => {
      record.status = 'ROLLBACK_IN_PROGRESS';
      record.updatedAt = this.m.now();
      record.rollback = { reason, startedAt: this.m.now(), serviceRevisionArn: source.arn };
      this.startDeployment(service, source.taskDefinitionArn, { record, revisionArn: source.arn, reason });
    });
    return record;
  }

  // ---------------------------------------------------------------- the circuit breaker

  /** Counts a task that failed to start against its deployment and trips the circuit breaker at its threshold. */
  public taskFailed(service: ServiceRecord, task: TaskRecord, at: number): void {
    const deployment = service.deployments.find((d) => d.id === task.deploymentId);
    if (deployment === undefined) return;
    deployment.failedTasks += 1;
    deployment.updatedAt = at;
    const record = this.serviceDeploymentRecords.get(deployment.serviceDeploymentArn);
    if (record !== undefined && record.circuitBreaker.status === 'MONITORING') record.circuitBreaker.failureCount += 1;
    this.m.schedule(at, () => {
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

  private failDeployment(service: ServiceRecord, deployment: DeploymentRecord, alarmName?: string): void {
    const at = this.m.now();
    const byAlarm = alarmName !== undefined;
    const reason = byAlarm ? `ECS deployment alarms: alarm ${alarmName} is in ALARM.` : 'ECS deployment circuit breaker: tasks failed to start.';
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = reason;
    deployment.updatedAt = at;
    if (!byAlarm) for (const task of this.m.tasks.liveTasks(service, deployment.id)) this.m.tasks.stopTask(service, task, reason);
    const record = this.serviceDeploymentRecords.get(deployment.serviceDeploymentArn);
    if (record !== undefined) {
      record.circuitBreaker.status = 'TRIGGERED';
      record.updatedAt = at;
      record.finalCounts = { requestedTaskCount: deployment.desiredCount, runningTaskCount: 0, pendingTaskCount: 0 };
    }
    const failure = byAlarm ? `alarm ${alarmName} in ALARM` : 'tasks failed to start';
    this.m.addServiceEvent(service, `(service ${service.name}) (deployment ${deployment.id}) deployment failed: ${failure}.`, at);
    this.m.emit(
      deploymentStateChange(
        { id: this.m.ids.uuid(), account: this.m.account, region: this.m.region, time: at, serviceArn: service.arn },
        { eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: deployment.id, reason: byAlarm ? reason : 'ECS deployment circuit breaker: task failed to start.' },
      ),
    );
    if (record === undefined) return;
    const target = service.lastCompleted;
    const rollback = byAlarm ? service.deploymentConfiguration.alarms?.rollback === true : service.deploymentConfiguration.deploymentCircuitBreaker.rollback;
    if (rollback && target !== undefined && !deployment.isEcsRollback && target.deploymentId !== deployment.id) {
      const rollbackReason = byAlarm
        ? `ECS deployment alarms: rolling back to deploymentId ${target.deploymentId}.`
        : `ECS deployment circuit breaker: rolling back to deploymentId ${target.deploymentId}.`;
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
}
