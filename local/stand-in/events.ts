/**
 * EventBridge events the modelled AWS emits, shaped like the samples in the AWS docs:
 * "ECS Deployment State Change", "ECS Task State Change" and "CloudWatch Alarm State Change".
 */

/** An EventBridge event envelope. */
export interface EventBridgeEvent<TDetailType extends string = string, TDetail = unknown> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': TDetailType;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: TDetail;
}

export type DeploymentEventName = 'SERVICE_DEPLOYMENT_IN_PROGRESS' | 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED';

/** `detail` of an ECS Deployment State Change event. */
export interface DeploymentStateChangeDetail {
  readonly eventType: 'INFO' | 'ERROR';
  readonly eventName: DeploymentEventName;
  readonly deploymentId: string;
  readonly updatedAt: string;
  readonly reason: string;
}

export type DeploymentStateChangeEvent = EventBridgeEvent<'ECS Deployment State Change', DeploymentStateChangeDetail>;

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One state of an alarm as CloudWatch reports it in events. */
export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  readonly reasonData: string;
  readonly timestamp: string;
}

/** `detail` of a CloudWatch Alarm State Change event. */
export interface AlarmStateChangeDetail {
  readonly alarmName: string;
  readonly state: AlarmState;
  readonly previousState: AlarmState;
  readonly configuration: {
    readonly description: string;
    readonly metrics: {
      readonly id: string;
      readonly metricStat: {
        readonly metric: { readonly namespace: string; readonly name: string; readonly dimensions: Record<string, string> };
        readonly period: number;
        readonly stat: string;
      };
      readonly returnData: boolean;
    }[];
  };
}

export type AlarmStateChangeEvent = EventBridgeEvent<'CloudWatch Alarm State Change', AlarmStateChangeDetail>;

/**
 * `detail` of an ECS Task State Change event: the task in ECS's Task shape with ISO timestamps, plus
 * `updatedAt` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
 */
export interface TaskStateChangeDetail {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly group?: string;
  readonly startedBy?: string;
  readonly desiredStatus: string;
  readonly lastStatus: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly updatedAt: string;
  readonly [member: string]: unknown;
}

export type TaskStateChangeEvent = EventBridgeEvent<'ECS Task State Change', TaskStateChangeDetail>;

/** Every event the model emits. */
export type StandInEvent = DeploymentStateChangeEvent | AlarmStateChangeEvent | TaskStateChangeEvent;

/** Called synchronously, in modelled-time order, for every event. */
export type EventListener = (event: StandInEvent) => void;

/** ISO-8601 without milliseconds, as EventBridge writes `time`. */
export function eventTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CloudWatch's alarm timestamp format: 2019-10-02T17:04:40.989+0000. */
export function alarmTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

interface EnvelopeInput {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly time: number;
}

/** An ECS Deployment State Change event for one deployment of a service. */
export function deploymentStateChange(
  envelope: EnvelopeInput & { readonly serviceArn: string },
  detail: { eventName: DeploymentEventName; deploymentId: string; reason: string },
): DeploymentStateChangeEvent {
  return {
    version: '0',
    id: envelope.id,
    'detail-type': 'ECS Deployment State Change',
    source: 'aws.ecs',
    account: envelope.account,
    time: eventTime(envelope.time),
    region: envelope.region,
    resources: [envelope.serviceArn],
    detail: {
      eventType: detail.eventName === 'SERVICE_DEPLOYMENT_FAILED' ? 'ERROR' : 'INFO',
      eventName: detail.eventName,
      deploymentId: detail.deploymentId,
      updatedAt: eventTime(envelope.time),
      reason: detail.reason,
    },
  };
}

/** A CloudWatch Alarm State Change event for an UnHealthyHostCount alarm. */
export function unhealthyHostAlarmStateChange(
  envelope: EnvelopeInput,
  alarm: {
    readonly name: string;
    readonly description: string;
    readonly targetGroupDimension: string;
    readonly loadBalancerDimension: string;
    readonly periodSeconds: number;
    readonly threshold: number;
    readonly evaluationPeriods: number;
    readonly metricId: string;
  },
  change: { readonly from: AlarmStateValue; readonly fromTime: number; readonly to: AlarmStateValue; readonly value: number },
): AlarmStateChangeEvent {
  const crossed = change.to === 'ALARM';
  const datapoints = Array.from({ length: alarm.evaluationPeriods }, () => change.value.toFixed(1)).join(', ');
  const reason =
    `Threshold Crossed: ${alarm.evaluationPeriods} out of the last ${alarm.evaluationPeriods} datapoints [${datapoints}] ` +
    `was ${crossed ? '' : 'not '}greater than or equal to the threshold (${alarm.threshold.toFixed(1)}) ` +
    `(minimum ${alarm.evaluationPeriods} datapoint${alarm.evaluationPeriods === 1 ? '' : 's'} for ${change.from} -> ${change.to} transition).`;
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: alarmTimestamp(envelope.time),
    statistic: 'Maximum',
    period: alarm.periodSeconds,
    recentDatapoints: Array.from({ length: alarm.evaluationPeriods }, () => change.value),
    threshold: alarm.threshold,
    evaluatedDatapoints: [{ timestamp: alarmTimestamp(envelope.time), sampleCount: 1, value: change.value }],
  });
  return {
    version: '0',
    id: envelope.id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: envelope.account,
    time: eventTime(envelope.time),
    region: envelope.region,
    resources: [`arn:aws:cloudwatch:${envelope.region}:${envelope.account}:alarm:${alarm.name}`],
    detail: {
      alarmName: alarm.name,
      state: { value: change.to, reason, reasonData, timestamp: alarmTimestamp(envelope.time) },
      previousState: {
        value: change.from,
        reason: `Alarm ${alarm.name} was ${change.from}.`,
        reasonData: '{}',
        timestamp: alarmTimestamp(change.fromTime),
      },
      configuration: {
        description: alarm.description,
        metrics: [
          {
            id: alarm.metricId,
            metricStat: {
              metric: {
                namespace: 'AWS/ApplicationELB',
                name: 'UnHealthyHostCount',
                dimensions: { TargetGroup: alarm.targetGroupDimension, LoadBalancer: alarm.loadBalancerDimension },
              },
              period: alarm.periodSeconds,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

/** An ECS Task State Change event: `resources` is the task ARN, `detail` the task (ISO times) and `updatedAt`. */
export function taskStateChange(envelope: EnvelopeInput, task: Record<string, unknown>): TaskStateChangeEvent {
  const detail = JSON.parse(JSON.stringify({ ...task, updatedAt: new Date(envelope.time).toISOString() })) as TaskStateChangeDetail;
  return {
    version: '0',
    id: envelope.id,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: envelope.account,
    time: eventTime(envelope.time),
    region: envelope.region,
    resources: [detail.taskArn],
    detail,
  };
}
