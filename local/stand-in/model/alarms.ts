/**
 * CloudWatch UnHealthyHostCount alarms on target groups (Maximum ≥ threshold for N periods) and the
 * "CloudWatch Alarm State Change" events they emit.
 */
import { type AlarmStateValue, unhealthyHostAlarmStateChange } from '../events';
import type { ModelCore } from './core';
import type { UnhealthyHostAlarm } from './types';

/** The account's alarms. */
export class Alarms {
  private readonly alarms = new Map<string, UnhealthyHostAlarm>();

  public constructor(private readonly m: ModelCore) {}

  /** Creates an UnHealthyHostCount alarm (Maximum ≥ threshold for N periods) on a target group. */
  public createUnhealthyHostAlarm(input: {
    name: string;
    targetGroupArn: string;
    threshold?: number;
    evaluationPeriods?: number;
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
      periodSeconds: input.periodSeconds ?? 60,
      state: 'OK',
      stateSince: this.m.now(),
      metricId: `m${this.m.ids.hex(8)}`,
    };
    this.alarms.set(alarm.name, alarm);
    return alarm;
  }

  /** An alarm by name. */
  public findAlarm(name: string): UnhealthyHostAlarm | undefined {
    return this.alarms.get(name);
  }

  /** Re-evaluates every alarm after target health changed. */
  public evaluate(): void {
    const at = this.m.now();
    for (const alarm of this.alarms.values()) {
      const unhealthy = this.unhealthyCount(alarm);
      if (unhealthy >= alarm.threshold) {
        if (alarm.breachSince !== undefined) continue;
        const since = at;
        alarm.breachSince = since;
        this.m.schedule(since + alarm.evaluationPeriods * alarm.periodSeconds * 1000, () => {
          if (alarm.breachSince !== since || alarm.state === 'ALARM') return;
          this.setAlarmState(alarm, 'ALARM', this.unhealthyCount(alarm));
        });
      } else {
        alarm.breachSince = undefined;
        if (alarm.state === 'ALARM') this.setAlarmState(alarm, 'OK', unhealthy);
      }
    }
  }

  private unhealthyCount(alarm: UnhealthyHostAlarm): number {
    const tg = this.m.health.getTargetGroup(alarm.targetGroupArn);
    return [...(tg?.targets.values() ?? [])].filter((t) => t.state === 'unhealthy').length;
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
  }
}
