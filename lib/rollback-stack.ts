import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from './config';
import type { TaskFunctions } from './constructs/functions';
import type { Notifications } from './constructs/notifications';
import type { StateTable } from './constructs/state-table';
import type { RollbackTriggers } from './constructs/triggers';
import type { RollbackWorkflow } from './constructs/workflow';
import { EcsAutoRollback } from './ecs-auto-rollback';

export { METRICS_NAMESPACE, SERVICE_NAME, stateMachineName } from './ecs-auto-rollback';

/** Props of {@link RollbackStack}. */
export interface RollbackStackProps extends StackProps {
  readonly config: AppConfig;
}

/** Name of the stack deployed for a project. */
export function stackName(project: string): string {
  return `${project}-ecs-auto-rollback`;
}

/**
 * One project's stack (`cdk deploy -c project=<name>`): an {@link EcsAutoRollback} built from the
 * configuration, and the stack outputs. The construct's id `Default` keeps the logical ids of a
 * stack deployed before the construct existed.
 */
export class RollbackStack extends Stack {
  public readonly rollback: EcsAutoRollback;

  public constructor(scope: Construct, id: string, props: RollbackStackProps) {
    super(scope, id, props);
    this.rollback = new EcsAutoRollback(this, 'Default', { config: props.config });

    new CfnOutput(this, 'StateMachineArn', {
      value: this.rollback.workflow.stateMachine.stateMachineArn,
      description: 'Start a manual rollback here (Step Functions console or aws stepfunctions start-execution)',
    });
    new CfnOutput(this, 'TopicArn', { value: this.rollback.notifications.topic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.rollback.triggers.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.rollback.dashboard.dashboardUrl,
      description: 'CloudWatch dashboard: rollbacks by ending and service, time to recovered, the system health',
    });
  }

  public get table(): StateTable {
    return this.rollback.table;
  }

  public get notifications(): Notifications {
    return this.rollback.notifications;
  }

  public get functions(): TaskFunctions {
    return this.rollback.functions;
  }

  public get workflow(): RollbackWorkflow {
    return this.rollback.workflow;
  }

  public get triggers(): RollbackTriggers {
    return this.rollback.triggers;
  }
}
