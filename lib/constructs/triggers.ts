import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TreatMissingData, UnhealthyHostAlarmSettings } from '../config';

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
  /** ARNs of the watched ECS services (`arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`). */
  readonly serviceArns: readonly string[];
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
 * What starts a rollback: an EventBridge rule on ECS SERVICE_DEPLOYMENT_FAILED for the watched
 * services, an UnHealthyHostCount alarm per target group, and a rule on those alarms (and any
 * extra ones) entering ALARM. Both rules deliver to the state machine with retries and a DLQ.
 */
export class RollbackTriggers extends Construct {
  public readonly deploymentFailedRule: events.Rule;
  /** Absent when there is no alarm to watch. */
  public readonly alarmRule?: events.Rule;
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

    this.deploymentFailedRule = new events.Rule(this, 'DeploymentFailed', {
      description: 'ECS service deployment failed: start a rollback',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [...props.serviceArns],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
      targets: [target()],
    });

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
    if (alarmNames.length > 0) {
      this.alarmRule = new events.Rule(this, 'AlarmStateChange', {
        description: 'A watched CloudWatch alarm entered ALARM: start a rollback',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: alarmNames, state: { value: ['ALARM'] } },
        },
        targets: [target()],
      });
    }
  }
}
