import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TreatMissingData, UnhealthyHostAlarmSettings } from '../config';
import { splitEventPatterns } from '../event-patterns';

/** How often EventBridge retries starting the state machine before it dead-letters the event. */
export const TARGET_RETRY_ATTEMPTS = 10;
/** How long EventBridge keeps retrying one event. */
export const TARGET_MAX_EVENT_AGE = Duration.hours(2);

/** One UnHealthyHostCount alarm to create. */
export interface UnhealthyHostAlarmSpec {
  readonly alarmName: string;
  /** `targetgroup/<name>/<id>` */
  readonly targetGroup: string;
  /** `app/<name>/<id>` */
  readonly loadBalancer: string;
}

/** Props of {@link RollbackTriggers}. */
export interface RollbackTriggersProps {
  /** The state machine both rules start, with the whole event as input. */
  readonly stateMachine: sfn.IStateMachine;
  /** The watched ECS services (names may be tokens). */
  readonly services: readonly { readonly cluster: string; readonly service: string }[];
  /** The UnHealthyHostCount alarms to create, one per configured target group. */
  readonly unhealthyHostAlarms: readonly UnhealthyHostAlarmSpec[];
  readonly alarmSettings: UnhealthyHostAlarmSettings;
  /** Existing alarms whose ALARM state also starts a rollback. */
  readonly extraAlarmNames: readonly string[];
}

const TREAT_MISSING_DATA: Record<TreatMissingData, cloudwatch.TreatMissingData> = {
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};

/**
 * The pattern of ECS SERVICE_DEPLOYMENT_FAILED events of these services in this account and Region.
 * A service is matched by the suffix `:service/<cluster>/<service>` of its ARN (cluster and service
 * names hold no `:` or `/`, so the suffix is exact), which keeps ~55 characters per service.
 */
export function deploymentFailedPattern(services: readonly { readonly cluster: string; readonly service: string }[]): events.EventPattern {
  return {
    source: ['aws.ecs'],
    detailType: ['ECS Deployment State Change'],
    account: [Aws.ACCOUNT_ID],
    region: [Aws.REGION],
    resources: services.map((s) => ({ suffix: `:service/${s.cluster}/${s.service}` }) as unknown as string),
    detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
  };
}

/** The pattern of these CloudWatch alarms entering ALARM. */
export function alarmPattern(alarmNames: readonly string[]): events.EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    detail: { alarmName: [...alarmNames], state: { value: ['ALARM'] } },
  };
}

/**
 * What starts a rollback: EventBridge rules on ECS SERVICE_DEPLOYMENT_FAILED of the watched
 * services, an UnHealthyHostCount alarm per target group, and rules on those alarms (and any extra
 * ones) entering ALARM. Services and alarms are split over as few rules as keep each pattern within
 * EventBridge's 2,048 characters (splitEventPatterns); only listed services and alarms match, so a
 * failure of another service in a watched cluster starts nothing. Every rule delivers to the state
 * machine with retries and a DLQ.
 */
export class RollbackTriggers extends Construct {
  /** The first deployment-failure rule. */
  public readonly deploymentFailedRule: events.Rule;
  /** Every deployment-failure rule (`DeploymentFailed`, `DeploymentFailed2`, ...). */
  public readonly deploymentFailedRules: readonly events.Rule[];
  /** The first alarm rule; absent when there is no alarm to watch. */
  public readonly alarmRule?: events.Rule;
  /** Every alarm rule (`AlarmStateChange`, `AlarmStateChange2`, ...). */
  public readonly alarmRules: readonly events.Rule[];
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** Events EventBridge could not deliver to the state machine. */
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: RollbackTriggersProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const target = (): targets.SfnStateMachine =>
      new targets.SfnStateMachine(props.stateMachine, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: TARGET_RETRY_ATTEMPTS,
        maxEventAge: TARGET_MAX_EVENT_AGE,
      });

    const ruleId = (base: string, index: number): string => (index === 0 ? base : `${base}${index + 1}`);
    this.deploymentFailedRules = splitEventPatterns(this, props.services, deploymentFailedPattern).map(
      (chunk, index, all) =>
        new events.Rule(this, ruleId('DeploymentFailed', index), {
          description: `ECS service deployment failed: start a rollback${part(index, all.length)}`,
          eventPattern: chunk.pattern,
          targets: [target()],
        }),
    );
    this.deploymentFailedRule = this.deploymentFailedRules[0] as events.Rule;

    const settings = props.alarmSettings;
    this.alarms = props.unhealthyHostAlarms.map(
      (spec) =>
        new cloudwatch.Alarm(this, `UnhealthyHosts-${spec.alarmName}`, {
          alarmName: spec.alarmName,
          alarmDescription: `Unhealthy targets in ${spec.targetGroup}: starts an ECS rollback`,
          metric: new cloudwatch.Metric({
            namespace: 'AWS/ApplicationELB',
            metricName: 'UnHealthyHostCount',
            dimensionsMap: { TargetGroup: spec.targetGroup, LoadBalancer: spec.loadBalancer },
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.seconds(settings.periodSeconds),
          }),
          threshold: settings.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: settings.evaluationPeriods,
          datapointsToAlarm: settings.datapointsToAlarm ?? settings.evaluationPeriods,
          treatMissingData: TREAT_MISSING_DATA[settings.treatMissingData],
        }),
    );

    const alarmNames = [...new Set([...props.unhealthyHostAlarms.map((a) => a.alarmName), ...props.extraAlarmNames])];
    this.alarmRules = splitEventPatterns(this, alarmNames, alarmPattern).map(
      (chunk, index, all) =>
        new events.Rule(this, ruleId('AlarmStateChange', index), {
          description: `A watched CloudWatch alarm entered ALARM: start a rollback${part(index, all.length)}`,
          eventPattern: chunk.pattern,
          targets: [target()],
        }),
    );
    if (this.alarmRules[0] !== undefined) this.alarmRule = this.alarmRules[0];
  }
}

function part(index: number, count: number): string {
  return count === 1 ? '' : ` (${index + 1} of ${count})`;
}
