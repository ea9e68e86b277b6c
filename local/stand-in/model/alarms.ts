/**
 * CloudWatch UnHealthyHostCount alarms on target groups, evaluated as CloudWatch does: the ALB
 * publishes one datapoint per minute (the Maximum of unhealthy targets in that minute), each
 * reaching CloudWatch some time after its minute ends (metricDelayMs, drawn per datapoint); the
 * alarm is evaluated every minute (alarmEvaluationIntervalMs) over its last evaluationPeriods
 * datapoints and goes into ALARM when datapointsToAlarm of them breach (M of N), back to OK when
 * fewer do. State changes emit "CloudWatch Alarm State Change" events, and ECS deployment alarms
 * hear of them.
 */
import { type AlarmStateValue, unhealthyHostAlarmStateChange } from '../events';
import type { ModelCore } from './core';
import type { TargetGroupRecord, UnhealthyHostAlarm } from './types';

/** Unhealthy targets of a target group from `at` on. */
interface CountChange {
  readonly at: number;
  readonly count: number;
}

/** The account's alarms. */
export class Alarms {
  private readonly alarms = new Map<string, UnhealthyHostAlarm>();
  /** Per target group ARN: its unhealthy target count over time. */
  private readonly counts = new Map<string, CountChange[]>();

  public constructor(private readonly m: ModelCore) {}

  /** Creates an UnHealthyHostCount alarm (Maximum ≥ threshold for N periods) on a target group. */
  public createUnhealthyHostAlarm(input: {
    name: string;
    targetGroupArn: string;
    threshold?: number;
    evaluationPeriods?: number;
    datapointsToAlarm?: number;
    periodSeconds?: number;
    description?: string;
  }): UnhealthyHostAlarm {
    if (this.m.health.getTargetGroup(input.targetGroupArn) === undefined) throw new Error(`alarm ${input.name}: unknown target group ${input.targetGroupArn}`);
    const alarm: UnhealthyHostAlarm = {
      name: input.name,
      description: input.description ?? `Unhealthy hosts in ${input.targetGroupArn.split(':').at(-1)}`,
      targetGroupArn: input.targetGroupArn,
      threshold: input.threshold ?? 1,
      evaluationPeriods: input.evaluationPeriods ?? 2,
      datapointsToAlarm: input.datapointsToAlarm ?? input.evaluationPeriods ?? 2,
      periodSeconds: input.periodSeconds ?? 60,
      state: 'OK',
      stateSince: this.m.now(),
      evaluationOffsetMs: Math.floor(this.m.random.next() * this.m.timings.alarmEvaluationIntervalMs),
      metricId: `m${this.m.ids.hex(8)}`,
    };
    this.alarms.set(alarm.name, alarm);
    return alarm;
  }

  /** An alarm by name. */
  public findAlarm(name: string): UnhealthyHostAlarm | undefined {
    return this.alarms.get(name);
  }

  /** Target health changed: records each target group's unhealthy count and keeps its alarms evaluating. */
  public evaluate(): void {
    const at = this.m.now();
    for (const alarm of this.alarms.values()) {
      const tg = this.m.health.getTargetGroup(alarm.targetGroupArn);
      if (tg === undefined) continue;
      const count = unhealthyTargets(tg);
      const changes = this.counts.get(tg.arn) ?? [];
      if (changes.at(-1)?.count !== count) changes.push({ at, count });
      this.counts.set(tg.arn, changes);
      this.scheduleEvaluation(alarm);
    }
  }

  /** Queues the alarm's next evaluation (its minute offset) unless one is queued. */
  private scheduleEvaluation(alarm: UnhealthyHostAlarm): void {
    if (alarm.nextEvaluationAt !== undefined) return;
    const every = this.m.timings.alarmEvaluationIntervalMs;
    const now = this.m.now();
    const at = Math.floor((now - alarm.evaluationOffsetMs) / every) * every + alarm.evaluationOffsetMs + every;
    alarm.nextEvaluationAt = at;
    this.m.schedule(at, () => this.evaluateAlarm(alarm));
  }

  /** One evaluation: the last evaluationPeriods datapoints that reached CloudWatch, M of N breaching. */
  private evaluateAlarm(alarm: UnhealthyHostAlarm): void {
    alarm.nextEvaluationAt = undefined;
    const now = this.m.now();
    const periodMs = alarm.periodSeconds * 1000;
    const datapoints: number[] = [];
    for (let end = Math.floor(now / periodMs) * periodMs; datapoints.length < alarm.evaluationPeriods && end > now - 3 * 3_600_000; end -= periodMs) {
      if (end + this.metricDelayMs(alarm, end) > now) continue;
      datapoints.push(this.maximum(alarm.targetGroupArn, end - periodMs, end));
    }
    const breaching = datapoints.filter((value) => value >= alarm.threshold).length;
    if (breaching >= alarm.datapointsToAlarm && alarm.state !== 'ALARM') this.setAlarmState(alarm, 'ALARM', datapoints[0] ?? 0);
    else if (breaching < alarm.datapointsToAlarm && alarm.state === 'ALARM') this.setAlarmState(alarm, 'OK', datapoints[0] ?? 0);
    const changes = this.counts.get(alarm.targetGroupArn) ?? [];
    const last = changes.at(-1);
    const horizon = (alarm.evaluationPeriods + 1) * periodMs + this.m.timings.metricDelayMs.max;
    if (alarm.state === 'ALARM' || (last !== undefined && (last.count > 0 || now - last.at < horizon))) this.scheduleEvaluation(alarm);
  }

  /** How late the datapoint of the period ending at `periodEnd` reaches the alarm (seeded per alarm and period). */
  private metricDelayMs(alarm: UnhealthyHostAlarm, periodEnd: number): number {
    const { min, max } = this.m.timings.metricDelayMs;
    if (max <= min) return min;
    let h = 2166136261 ^ periodEnd / 1000;
    for (const c of alarm.metricId) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) ^ this.m.seed;
    return min + ((((h ^ (h >>> 15)) >>> 0) % 10_000) / 10_000) * (max - min);
  }

  /** The Maximum of unhealthy targets in [from, to). */
  private maximum(targetGroupArn: string, from: number, to: number): number {
    let max = 0;
    let before = 0;
    for (const change of this.counts.get(targetGroupArn) ?? []) {
      if (change.at <= from) before = change.count;
      else if (change.at < to) max = Math.max(max, change.count);
    }
    return Math.max(max, before);
  }

  private setAlarmState(alarm: UnhealthyHostAlarm, to: AlarmStateValue, value: number): void {
    const at = this.m.now();
    const tg = this.m.health.getTargetGroup(alarm.targetGroupArn)!;
    const from = alarm.state;
    const fromTime = alarm.stateSince;
    alarm.state = to;
    alarm.stateSince = at;
    const lbArn = tg.loadBalancerArns[0] ?? '';
    this.m.emit(
      unhealthyHostAlarmStateChange(
        { id: this.m.ids.uuid(), account: this.m.account, region: this.m.region, time: at },
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
    this.m.deployments.alarmChanged(alarm.name, to);
  }
}

function unhealthyTargets(tg: TargetGroupRecord): number {
  return [...tg.targets.values()].filter((t) => t.state === 'unhealthy').length;
}
