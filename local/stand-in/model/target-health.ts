/**
 * Application Load Balancers, target groups and target health. A started task's targets are
 * registered (initial); each target is checked every interval from its own phase (drawn once:
 * AWS does not say when the first check runs), so it turns healthy at registration +
 * (phase + healthy threshold − 1) × interval. A "regression" image starts failing requests some
 * time after it turned healthy; its next check fails and it turns unhealthy after the unhealthy
 * threshold of failed checks. A stopping task's targets drain for the deregistration delay.
 */
import type { ModelCore } from './core';
import type { ServiceRecord, TargetGroupRecord, TargetRecord, TargetState, TaskRecord } from './types';

/** Load balancers, target groups and the health of their targets. */
export class TargetHealth {
  private readonly targetGroups = new Map<string, TargetGroupRecord>();
  private readonly loadBalancers = new Map<string, string>();

  public constructor(private readonly m: ModelCore) {}

  /** Creates an ALB (by name) and returns its ARN. */
  public createLoadBalancer(name: string): string {
    const existing = this.loadBalancers.get(name);
    if (existing !== undefined) return existing;
    const arn = `arn:aws:elasticloadbalancing:${this.m.region}:${this.m.account}:loadbalancer/app/${name}/${this.m.ids.hex(16)}`;
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
    const timings = this.m.timings;
    const loadBalancerArns = input.loadBalancerName === undefined ? [] : [this.createLoadBalancer(input.loadBalancerName)];
    const record: TargetGroupRecord = {
      arn: `arn:aws:elasticloadbalancing:${this.m.region}:${this.m.account}:targetgroup/${input.name}/${this.m.ids.hex(16)}`,
      name: input.name,
      port: input.port ?? 8080,
      protocol: 'HTTP',
      vpcId: 'vpc-0a1b2c3d4e5f67890',
      targetType: 'ip',
      healthCheckPath: input.healthCheckPath ?? '/health',
      healthCheckIntervalSeconds: input.healthCheckIntervalSeconds ?? timings.healthCheckIntervalSeconds,
      healthCheckTimeoutSeconds: timings.healthCheckTimeoutSeconds,
      healthyThresholdCount: input.healthyThresholdCount ?? timings.healthyThresholdCount,
      unhealthyThresholdCount: input.unhealthyThresholdCount ?? timings.unhealthyThresholdCount,
      deregistrationDelaySeconds: input.deregistrationDelaySeconds ?? timings.deregistrationDelaySeconds,
      loadBalancerArns,
      targets: new Map(),
    };
    this.targetGroups.set(record.arn, record);
    return record;
  }

  /** A target group by ARN. */
  public getTargetGroup(arn: string): TargetGroupRecord | undefined {
    return this.targetGroups.get(arn);
  }

  /** A target group by ARN or name. */
  public findTargetGroup(ref: string): TargetGroupRecord | undefined {
    return this.targetGroups.get(ref) ?? [...this.targetGroups.values()].find((t) => t.name === ref);
  }

  /** Every target group. */
  public listTargetGroups(): readonly TargetGroupRecord[] {
    return [...this.targetGroups.values()];
  }

  /** A running task whose every target is healthy. */
  public isHealthy(service: ServiceRecord, task: TaskRecord): boolean {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return false;
    return service.loadBalancers.every((lb) => this.targetGroups.get(lb.targetGroupArn)?.targets.get(`${task.ip}:${lb.containerPort}`)?.state === 'healthy');
  }

  /** Interval × healthy threshold of the slowest target group of a service (0 without load balancer). */
  public healthyDelayMs(service: ServiceRecord): number {
    const delays = service.loadBalancers.map((lb) => {
      const tg = this.targetGroups.get(lb.targetGroupArn)!;
      return tg.healthCheckIntervalSeconds * tg.healthyThresholdCount * 1000;
    });
    return Math.max(0, ...delays);
  }

  /** The longest deregistration delay of a service's target groups. */
  public drainDelayMs(service: ServiceRecord): number {
    return Math.max(0, ...service.loadBalancers.map((lb) => (this.targetGroups.get(lb.targetGroupArn)?.deregistrationDelaySeconds ?? 0) * 1000));
  }

  /** Targets of a service already healthy (a service created steady). */
  public addHealthyTargets(service: ServiceRecord, task: TaskRecord, since: number): void {
    for (const lb of service.loadBalancers) {
      const tg = this.targetGroups.get(lb.targetGroupArn)!;
      tg.targets.set(`${task.ip}:${lb.containerPort}`, {
        id: task.ip,
        port: lb.containerPort,
        availabilityZone: task.availabilityZone,
        state: 'healthy',
        taskArn: task.arn,
        since,
      });
    }
  }

  /** Registers a task that just started RUNNING in its service's target groups and schedules its health checks. */
  public registerTask(service: ServiceRecord, task: TaskRecord, at: number): void {
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
      this.record(service, target, at);
      this.m.addServiceEvent(service, `(service ${service.name}) registered 1 targets in (target-group ${tg.arn})`, at);
      const intervalMs = tg.healthCheckIntervalSeconds * 1000;
      const firstCheckAt = at + this.m.draw(this.m.timings.healthCheckPhase) * intervalMs;
      const healthyAt = firstCheckAt + (tg.healthyThresholdCount - 1) * intervalMs;
      this.m.schedule(Math.min(healthyAt, at + 10_000), () => {
        if (target.state !== 'initial') return;
        target.reason = 'Elb.InitialHealthChecking';
        target.description = 'Initial health checks in progress';
      });
      this.m.schedule(healthyAt, () => this.targetHealthy(service, task, tg, target, firstCheckAt));
    }
  }

  private targetHealthy(service: ServiceRecord, task: TaskRecord, tg: TargetGroupRecord, target: TargetRecord, firstCheckAt: number): void {
    if (target.state !== 'initial' || tg.targets.get(`${target.id}:${target.port}`) !== target) return;
    const at = this.m.now();
    target.state = 'healthy';
    target.reason = undefined;
    target.description = undefined;
    target.since = at;
    this.record(service, target, at);
    task.passedHealthCheck = this.isHealthy(service, task);
    if (task.behaviour === 'regression') {
      const intervalMs = tg.healthCheckIntervalSeconds * 1000;
      const failingAt = at + this.m.timings.regressionAfterMs;
      const firstFailedCheckAt = firstCheckAt + Math.ceil((failingAt - firstCheckAt) / intervalMs) * intervalMs;
      const unhealthyAt = firstFailedCheckAt + (tg.unhealthyThresholdCount - 1) * intervalMs;
      const stillServing = () => target.state === 'healthy' && tg.targets.get(`${target.id}:${target.port}`) === target;
      this.m.schedule(failingAt, () => {
        if (stillServing()) this.m.record({ kind: 'failing', at: failingAt, taskArn: task.arn, serviceArn: service.arn });
      });
      this.m.schedule(firstFailedCheckAt, () => {
        if (stillServing()) this.m.record({ kind: 'check-failed', at: firstFailedCheckAt, taskArn: task.arn, serviceArn: service.arn });
      });
      this.m.schedule(unhealthyAt, () => {
        if (!stillServing()) return;
        target.state = 'unhealthy';
        target.reason = 'Target.ResponseCodeMismatch';
        target.description = 'Health checks failed with these codes: [500]';
        target.since = this.m.now();
        this.record(service, target, target.since);
        this.m.addServiceEvent(
          service,
          `(service ${service.name}) (task ${task.id}) is unhealthy in (target-group ${tg.arn}) due to (reason Health checks failed with these codes: [500]).`,
          this.m.now(),
        );
        this.m.alarms.evaluate();
        const stopAfter = this.m.timings.unhealthyTaskStopMs;
        if (stopAfter !== undefined) {
          this.m.schedule(this.m.now() + stopAfter, () => {
            if (target.state !== 'unhealthy' || task.desiredStatus !== 'RUNNING') return;
            this.m.tasks.stopTask(service, task, `Task failed ELB health checks in (target-group ${tg.arn})`);
            this.m.deployments.reconcile(service);
          });
        }
      });
    }
    this.m.deployments.reconcile(service);
    this.m.alarms.evaluate();
  }

  private record(service: ServiceRecord, target: TargetRecord, at: number): void {
    this.m.record({ kind: 'target', at, taskArn: target.taskArn, serviceArn: service.arn, state: target.state });
  }

  /**
   * Starts draining a stopping task's targets; returns the longest deregistration delay (ms) and
   * the ARNs of the target groups it drains from (empty when it had no registered target).
   */
  public deregisterTask(service: ServiceRecord, task: TaskRecord, at: number): { drainMs: number; drained: string[] } {
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
      this.record(service, target, at);
      drainMs = Math.max(drainMs, tg.deregistrationDelaySeconds * 1000);
      drained.push(tg.arn);
    }
    return { drainMs, drained };
  }

  /** Removes a stopped task's targets. */
  public removeTask(service: ServiceRecord, task: TaskRecord): void {
    for (const lb of service.loadBalancers) {
      const tg = this.targetGroups.get(lb.targetGroupArn);
      const key = `${task.ip}:${lb.containerPort}`;
      const target = tg?.targets.get(key);
      if (tg === undefined || target?.taskArn !== task.arn) continue;
      tg.targets.delete(key);
      this.m.record({ kind: 'target', at: this.m.now(), taskArn: task.arn, serviceArn: service.arn, state: 'unused' });
    }
  }

  /** Targets of a service's target groups, by state. */
  public targetCounts(service: ServiceRecord): Record<TargetState, number> {
    const targets: Record<TargetState, number> = { initial: 0, healthy: 0, unhealthy: 0, unused: 0, draining: 0, unavailable: 0 };
    for (const lb of service.loadBalancers) {
      for (const target of this.targetGroups.get(lb.targetGroupArn)?.targets.values() ?? []) targets[target.state] += 1;
    }
    return targets;
  }
}
