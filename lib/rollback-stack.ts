import { ArnFormat, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AppConfig, ServiceSettings } from './config';
import type { TaskFunctions } from './constructs/functions';
import type { Notifications } from './constructs/notifications';
import type { OperationsAlarms } from './constructs/operations';
import type { StateTable } from './constructs/state-table';
import type { TaskStopDetector } from './constructs/detector';
import type { RollbackTriggers } from './constructs/triggers';
import type { RollbackWorkflow } from './constructs/workflow';
import { EcsAutoRollback, type EcsAutoRollbackProps, type WatchedService } from './ecs-auto-rollback';

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
 * configuration (names and ARNs imported as CDK references), and the stack outputs. The construct's
 * id `Default` keeps the logical ids of a stack deployed before the construct existed.
 */
export class RollbackStack extends Stack {
  public readonly rollback: EcsAutoRollback;

  public constructor(scope: Construct, id: string, props: RollbackStackProps) {
    super(scope, id, props);
    this.rollback = new EcsAutoRollback(this, 'Default', propsFromConfig(new Construct(this, 'Imported'), props.config));

    new CfnOutput(this, 'StateMachineArn', {
      value: this.rollback.stateMachine.stateMachineArn,
      description: 'Start a manual rollback here (Step Functions console or aws stepfunctions start-execution)',
    });
    new CfnOutput(this, 'TopicArn', { value: this.rollback.topic.topicArn });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.rollback.operations.topic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.rollback.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.rollback.dashboard.dashboardUrl,
      description: 'CloudWatch dashboard: rollbacks by ending and service, time to recovered, the system health',
    });
    if (this.rollback.githubActionsRole !== undefined) {
      new CfnOutput(this, 'GitHubActionsRoleArn', {
        value: this.rollback.githubActionsRole.roleArn,
        description: 'role-to-assume of aws-actions/configure-aws-credentials (repository variable ECS_ROLLBACK_ROLE_ARN)',
      });
    }
  }

  public get table(): StateTable {
    return this.rollback.stateTable;
  }

  public get notifications(): Notifications {
    return this.rollback.notifications;
  }

  public get functions(): TaskFunctions {
    return this.rollback.tasks;
  }

  public get workflow(): RollbackWorkflow {
    return this.rollback.workflow;
  }

  public get triggers(): RollbackTriggers {
    return this.rollback.triggers;
  }

  public get operations(): OperationsAlarms {
    return this.rollback.operations;
  }

  public get detector(): TaskStopDetector | undefined {
    return this.rollback.detector;
  }
}

/** The construct's props for a validated configuration; the references it needs are imported into `scope`. */
export function propsFromConfig(scope: Construct, config: AppConfig): EcsAutoRollbackProps {
  const stack = Stack.of(scope);
  return {
    project: config.project,
    services: config.services.map((service, index) => watchedService(scope, `Service${index}`, service)),
    ...(config.topicArn !== undefined && { topic: sns.Topic.fromTopicArn(scope, 'Topic', config.topicArn) }),
    ...(config.topicKmsKeyArn !== undefined && { topicKey: kms.Key.fromKeyArn(scope, 'TopicKey', config.topicKmsKeyArn) }),
    notificationEmails: config.notificationEmails,
    operationsEmails: config.operationsEmails,
    ...(config.operationsTopicArn !== undefined && { operationsTopicArn: config.operationsTopicArn }),
    pollIntervalSeconds: config.pollIntervalSeconds,
    stabilizationTimeoutMinutes: config.stabilizationTimeoutMinutes,
    alarmRollbackWindowMinutes: config.alarmRollbackWindowMinutes,
    cooldownMinutes: config.cooldownMinutes,
    lockTtlSeconds: config.lockTtlSeconds,
    probe: config.probe,
    unhealthyHostAlarm: config.unhealthyHostAlarm,
    taskStopDetector: config.taskStopDetector,
    logRetentionDays: config.logRetentionDays,
    ...(config.githubActions !== undefined && {
      githubActions: {
        repository: config.githubActions.repository,
        ...(config.githubActions.environments !== undefined && { environments: config.githubActions.environments }),
        ...(config.githubActions.oidcProviderArn !== undefined && {
          oidcProvider: iam.OidcProviderNative.fromOidcProviderArn(scope, 'GitHubOidcProvider', config.githubActions.oidcProviderArn),
        }),
      },
    }),
  };

  function watchedService(parent: Construct, id: string, service: ServiceSettings): WatchedService {
    const scope = new Construct(parent, id);
    const roles = (kind: string, arns: readonly string[] | undefined): iam.IRole[] | undefined =>
      arns?.map((arn, index) => iam.Role.fromRoleArn(scope, `${kind}${index}`, arn, { mutable: false }));
    const taskRoles = roles('TaskRole', service.taskRoleArns);
    const executionRoles = roles('ExecutionRole', service.executionRoleArns);
    return {
      cluster: service.cluster,
      serviceName: service.service,
      repository: ecr.Repository.fromRepositoryName(scope, 'Repository', service.ecrRepository),
      ...(service.containerNames !== undefined && { containerNames: service.containerNames }),
      ...(service.targetGroup !== undefined &&
        service.loadBalancer !== undefined && {
          targetGroup: elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(scope, 'TargetGroup', {
            targetGroupArn:
              service.targetGroupArn ??
              stack.formatArn({ service: 'elasticloadbalancing', resource: service.targetGroup, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
            loadBalancerArns: stack.formatArn({ service: 'elasticloadbalancing', resource: 'loadbalancer', resourceName: service.loadBalancer }),
          }),
        }),
      ...(service.healthCheckUrl !== undefined && { healthCheckUrl: service.healthCheckUrl }),
      alarms: service.alarmNames.map((name, index) => cloudwatch.Alarm.fromAlarmName(scope, `Alarm${index}`, name)),
      ...(taskRoles !== undefined && { taskRoles }),
      ...(executionRoles !== undefined && { executionRoles }),
    };
  }
}
