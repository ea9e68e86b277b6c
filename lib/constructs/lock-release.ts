import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The statuses of an execution that ended outside the state machine's own ReleaseLock. */
export const ENDED_OUTSIDE_RELEASE = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** Props of {@link LockReleaseRule}. */
export interface LockReleaseRuleProps {
  /** The rollback state machine whose executions hold the locks. */
  readonly stateMachine: sfn.IStateMachine;
  /** ReleaseLock: frees the lock an execution holds, given the status-change event. */
  readonly releaseLock: lambda.IFunction;
  /** Where EventBridge puts an event it could not deliver. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Frees the lock of an execution that was stopped (ABORTED), timed out or failed, as soon as Step
 * Functions reports it ("Step Functions Execution Status Change", delivered best effort:
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html). Prepare taking over a
 * lock whose holder has ended is the guarantee; this rule frees it earlier, before the next trigger.
 */
export class LockReleaseRule extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: LockReleaseRuleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'ExecutionEnded', {
      description: 'Frees the per-service lock of a rollback execution that was stopped, timed out or failed.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [props.stateMachine.stateMachineArn],
          status: [...ENDED_OUTSIDE_RELEASE],
        },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.releaseLock, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 10,
        maxEventAge: Duration.hours(2),
      }),
    );
  }
}
