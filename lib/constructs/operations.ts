import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * CloudWatch publishes alarm actions to a topic encrypted with a customer managed key only when the
 * key policy lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export const CLOUDWATCH_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'] as const;

/** Id of the synth warning about an existing operations topic (its key policy is out of our reach). */
export const IMPORTED_TOPIC_WARNING = '@ecs-auto-rollback/operationsTopicArn';
/** Id of the synth warning about an operations topic nobody is subscribed to. */
export const NO_SUBSCRIBER_WARNING = '@ecs-auto-rollback/operationsEmails';

/** Props of {@link OperationsAlarms}. */
export interface OperationsAlarmsProps {
  /** Used in the alarm names and the topic's display name. */
  readonly project: string;
  /** The rollback state machine whose failed, timed-out and aborted executions are alarmed on. */
  readonly stateMachine: sfn.IStateMachine;
  /** The rules' dead-letter queue: a visible message is a trigger that never started a rollback. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The trigger rules, by a short name used in the alarm's name; their FailedInvocations are alarmed on. */
  readonly rules: Readonly<Record<string, events.IRule>>;
  /** Subscribed by email to the new operations topic. @default [] */
  readonly emails?: readonly string[];
  /** Send the alarms to this existing topic instead of a new one. @default - a new encrypted topic */
  readonly topicArn?: string;
}

/**
 * The stack's alarms on its own failures, so no ending goes unheard: executions that FAILED, TIMED_OUT
 * or were ABORTED, events EventBridge could not deliver (the DLQ) and rule invocations that failed.
 * They go to an operations topic of their own (not the notification topic: one broken topic or key
 * must not silence both), encrypted with a key whose policy lets CloudWatch publish.
 */
export class OperationsAlarms extends Construct {
  /** Where the alarms are sent. */
  public readonly topic: sns.ITopic;
  /** The operations topic's key, when the stack created it. */
  public readonly key?: kms.Key;
  /** Executions that ended FAILED (ExecutionsFailed ≥ 1). */
  public readonly executionsFailed: cloudwatch.Alarm;
  /** Executions that hit the state machine's TimeoutSeconds (ExecutionsTimedOut ≥ 1). */
  public readonly executionsTimedOut: cloudwatch.Alarm;
  /** Executions stopped by someone (ExecutionsAborted ≥ 1). */
  public readonly executionsAborted: cloudwatch.Alarm;
  /** A trigger EventBridge gave up on (ApproximateNumberOfMessagesVisible ≥ 1 on the DLQ). */
  public readonly lostTriggers: cloudwatch.Alarm;
  /** One FailedInvocations alarm per trigger rule, by the rule's short name. */
  public readonly failedInvocations: Readonly<Record<string, cloudwatch.Alarm>>;
  /** Every alarm above. */
  public readonly alarms: readonly cloudwatch.Alarm[];

  public constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    if (props.topicArn !== undefined) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', props.topicArn);
      Annotations.of(this).addWarningV2(
        IMPORTED_TOPIC_WARNING,
        `operationsTopicArn: this stack cannot change the policies of the existing topic ${props.topicArn} or of its KMS key. ` +
          'The alarms reach it only if its topic policy lets cloudwatch.amazonaws.com publish and, when it is encrypted with a customer managed key, ' +
          `that key's policy lets cloudwatch.amazonaws.com use ${CLOUDWATCH_KEY_ACTIONS.join(' and ')} ` +
          '(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).',
      );
    } else {
      const account = Stack.of(this).account;
      const key = new kms.Key(this, 'Key', {
        description: `${props.project} ecs-auto-rollback operations alarms`,
        enableKeyRotation: true,
        pendingWindow: Duration.days(7),
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: [...CLOUDWATCH_KEY_ACTIONS],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
      const topic = new sns.Topic(this, 'Topic', {
        displayName: `${props.project} ECS rollback operations`,
        masterKey: key,
        enforceSSL: true,
      });
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
      const emails = props.emails ?? [];
      for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
      if (emails.length === 0) {
        Annotations.of(this).addWarningV2(
          NO_SUBSCRIBER_WARNING,
          'operationsEmails: nobody is subscribed to the operations topic (neither operationsEmails nor notificationEmails is set); ' +
            'the alarms on failed, timed-out and aborted rollbacks and on lost triggers reach no one until someone subscribes.',
        );
      }
      this.topic = topic;
      this.key = key;
    }

    const action = new actions.SnsAction(this.topic);
    const alarm = (alarmId: string, name: string, description: string, metric: cloudwatch.IMetric): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${props.project}-ecs-auto-rollback-${name}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      return created;
    };
    const minute = { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM };
    this.executionsFailed = alarm(
      'ExecutionsFailed',
      'executions-failed',
      'A rollback execution FAILED: its notification says where, unless notifying itself failed. Look at the execution in Step Functions.',
      props.stateMachine.metricFailed(minute),
    );
    this.executionsTimedOut = alarm(
      'ExecutionsTimedOut',
      'executions-timed-out',
      "A rollback execution ran past the state machine's TimeoutSeconds and was ended without a notification. Check the service and the lock.",
      props.stateMachine.metricTimedOut(minute),
    );
    this.executionsAborted = alarm(
      'ExecutionsAborted',
      'executions-aborted',
      'A rollback execution was stopped (ABORTED) without a notification. Check what it left running on the service.',
      props.stateMachine.metricAborted(minute),
    );
    this.lostTriggers = alarm(
      'LostTriggers',
      'lost-triggers',
      'EventBridge could not start a rollback, or the task-stop detector failed after its retries, and the event is in the dead-letter queue: a failed deployment, alarm or task stop was not acted on.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
    );
    const failedInvocations: Record<string, cloudwatch.Alarm> = {};
    for (const [name, rule] of Object.entries(props.rules)) {
      failedInvocations[name] = alarm(
        `FailedInvocations-${name}`,
        `${name}-failed-invocations`,
        `The ${name} rule failed to deliver to its target, the rollback state machine or the task-stop detector (FailedInvocations): a trigger may be retried or lost.`,
        new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          dimensionsMap: { RuleName: rule.ruleName },
          ...minute,
        }),
      );
    }
    this.failedInvocations = failedInvocations;
    this.alarms = [this.executionsFailed, this.executionsTimedOut, this.executionsAborted, this.lostTriggers, ...Object.values(failedInvocations)];
  }
}
