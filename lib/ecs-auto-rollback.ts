import { Aws, ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/shared/metrics';
import type { ServiceConfig } from '../lambdas/shared/types';
import { readDefinitionText, type TaskFunctionId } from '../statemachine/definition';
import { type AppConfig, probeBudgetSeconds, type ServiceSettings, unhealthyHostAlarmName } from './config';
import { RollbackDashboard } from './constructs/dashboard';
import { type TaskFunctionSettings, TaskFunctions } from './constructs/functions';
import { Notifications } from './constructs/notifications';
import { ServicesConfigStore } from './constructs/services-config';
import { StateTable } from './constructs/state-table';
import { RollbackTriggers, type UnhealthyHostAlarmSpec } from './constructs/triggers';
import { RollbackWorkflow } from './constructs/workflow';
import { addLimitsCheck } from './limits';
import { acknowledgeWildcards, attachGrants, fitsInline, type Grant, type PermissionInputs, type ServiceResources, taskGrants } from './permissions';

/** Powertools service name of every function. */
export const SERVICE_NAME = 'ecs-auto-rollback';
/** CloudWatch namespace of the rollback metrics (Notify writes them as EMF log lines: no IAM permission needed). */
export { METRICS_NAMESPACE } from '../lambdas/shared/metrics';
/** Timeout of the tasks whose ASL TimeoutSeconds is 60: a little less, so Lambda reports its own timeout. */
const TASK_TIMEOUT = Duration.seconds(50);

/** Props of {@link EcsAutoRollback}. */
export interface EcsAutoRollbackProps {
  /** The validated configuration (lib/config.ts loadConfig). */
  readonly config: AppConfig;
}

/** Name of the state machine deployed for a project (the one `ecs-rollback --project` finds). */
export function stateMachineName(project: string): string {
  return `${project}-ecs-auto-rollback`;
}

/**
 * One project's watcher: state table, notifications, the eight task functions with least-privilege
 * roles, the state machine, and the triggers (ECS deployment failure, UnHealthyHostCount alarms).
 * Its construct id `Default` adds nothing to logical ids, so the project stack keeps today's ids.
 */
export class EcsAutoRollback extends Construct {
  public readonly table: StateTable;
  /** The services configuration item Prepare reads (written at deploy time). */
  public readonly servicesConfig: ServicesConfigStore;
  public readonly notifications: Notifications;
  public readonly functions: TaskFunctions;
  public readonly workflow: RollbackWorkflow;
  public readonly triggers: RollbackTriggers;
  /** The project's CloudWatch dashboard; add the system's own alarms with `dashboard.addAlarms()`. */
  public readonly dashboard: RollbackDashboard;

  public constructor(scope: Construct, id: string, props: EcsAutoRollbackProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const config = props.config;
    const retention = config.logRetentionDays as logs.RetentionDays;

    this.table = new StateTable(this, 'State');
    this.notifications = new Notifications(this, 'Notifications', {
      project: config.project,
      emails: config.notificationEmails,
      ...(config.topicArn !== undefined && { topicArn: config.topicArn }),
      ...(config.topicKmsKeyArn !== undefined && { topicKmsKeyArn: config.topicKmsKeyArn }),
    });

    const alarms: UnhealthyHostAlarmSpec[] = [];
    const servicesConfig: ServiceConfig[] = config.services.map((service) => {
      const alarmNames: string[] = [];
      if (service.targetGroup !== undefined && service.loadBalancer !== undefined) {
        const alarmName = unhealthyHostAlarmName(config.project, service, config.services);
        alarms.push({ alarmName, targetGroup: service.targetGroup, loadBalancer: service.loadBalancer });
        alarmNames.push(alarmName);
      }
      alarmNames.push(...service.alarmNames.filter((name) => !alarmNames.includes(name)));
      return {
        cluster: service.cluster,
        service: service.service,
        ecrRepository: service.ecrRepository,
        ...(service.containerNames !== undefined && { containerNames: service.containerNames }),
        ...(service.targetGroup !== undefined && { targetGroupArn: this.targetGroupArn(service) }),
        ...(service.healthCheckUrl !== undefined && { healthCheckUrl: service.healthCheckUrl }),
        alarmNames,
      };
    });

    const tableName = this.table.table.tableName;
    const cooldown = String(config.cooldownMinutes);
    const settings: Record<TaskFunctionId, TaskFunctionSettings> = {
      Prepare: {
        timeout: TASK_TIMEOUT,
        environment: {
          STATE_TABLE_NAME: tableName,
          ALARM_ROLLBACK_WINDOW_MINUTES: String(config.alarmRollbackWindowMinutes),
          COOLDOWN_MINUTES: cooldown,
          LOCK_TTL_SECONDS: String(config.lockTtlSeconds),
        },
      },
      ResolveTarget: { timeout: TASK_TIMEOUT, environment: {} },
      RegisterTaskDefinition: { timeout: TASK_TIMEOUT, environment: {} },
      UpdateService: { timeout: TASK_TIMEOUT, environment: { STATE_TABLE_NAME: tableName, COOLDOWN_MINUTES: cooldown } },
      CheckStability: { timeout: TASK_TIMEOUT, environment: {} },
      ProbeHealth: {
        timeout: Duration.seconds(probeBudgetSeconds(config.probe)),
        environment: {
          PROBE_ATTEMPTS: String(config.probe.attempts),
          PROBE_INTERVAL_SECONDS: String(config.probe.intervalSeconds),
          PROBE_TIMEOUT_SECONDS: String(config.probe.timeoutSeconds),
        },
      },
      Notify: { timeout: TASK_TIMEOUT, environment: { TOPIC_ARN: this.notifications.topic.topicArn, COOLDOWN_MINUTES: cooldown } },
      ReleaseLock: { timeout: TASK_TIMEOUT, environment: { STATE_TABLE_NAME: tableName, COOLDOWN_MINUTES: cooldown } },
    };
    this.servicesConfig = new ServicesConfigStore(this, 'ServicesConfig', {
      table: this.table.table,
      services: servicesConfig,
      logRetention: retention,
    });
    this.functions = new TaskFunctions(this, 'Tasks', {
      commonEnvironment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        PROJECT_NAME: config.project,
      },
      settings,
      logRetention: retention,
    });

    const inputs: PermissionInputs = {
      services: config.services.map((service) => this.serviceResources(config.project, service)),
      tableArn: this.table.table.tableArn,
      taskDefinitionArns: stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' }),
      rdsArns: ['db', 'snapshot'].map((resource) =>
        stack.formatArn({ service: 'rds', resource, resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ),
    };
    // Every service's ARNs, inline, while they fit a role's inline policies; past that one ARN per
    // service for its deployments and revisions, split over size-checked managed policies.
    const exact = taskGrants(inputs);
    const grants = Object.values(exact).every((list) => fitsInline(this, list)) ? exact : taskGrants({ ...inputs, compact: true });
    for (const [taskId, taskGrantList] of Object.entries(grants) as [TaskFunctionId, Grant[]][]) {
      const role = this.functions.roles[taskId];
      const packed = attachGrants(role, taskGrantList);
      if (taskId === 'Notify') this.notifications.grantPublish(role);
      acknowledgeWildcards(role, taskGrantList.filter((g) => g.perService !== true || packed.length === 0), [XRAY_GRANT]);
      for (const { policy, grants: policyGrants } of packed) acknowledgeWildcards(policy, policyGrants);
    }

    this.workflow = new RollbackWorkflow(this, 'Workflow', {
      stateMachineName: stateMachineName(config.project),
      functions: this.functions.functions,
      pollIntervalSeconds: config.pollIntervalSeconds,
      stabilizationTimeoutSeconds: config.stabilizationTimeoutMinutes * 60,
      logRetention: retention,
    });
    acknowledgeWildcards(this.workflow.stateMachine.role, [XRAY_GRANT, LOG_DELIVERY_GRANT]);

    this.triggers = new RollbackTriggers(this, 'Triggers', {
      stateMachine: this.workflow.stateMachine,
      services: config.services.map((service) => ({ cluster: service.cluster, service: service.service })),
      unhealthyHostAlarms: alarms,
      alarmSettings: config.unhealthyHostAlarm,
      extraAlarmNames: config.services.flatMap((service) => service.alarmNames),
    });
    for (const rule of [...this.triggers.deploymentFailedRules, ...this.triggers.alarmRules]) {
      rule.node.addDependency(this.servicesConfig.resource);
    }
    Validations.of(this.triggers.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the dead-letter queue of the EventBridge rules' state machine target; a DLQ has no DLQ of its own.",
    });

    this.dashboard = new RollbackDashboard(this, 'Dashboard', {
      project: config.project,
      namespace: METRICS_NAMESPACE,
      powertoolsService: SERVICE_NAME,
      stateMachine: this.workflow.stateMachine,
      functions: this.functions.functions,
      deadLetterQueues: [this.triggers.deadLetterQueue],
    });

    addLimitsCheck(this, [{ stateMachine: this.workflow.stateMachine, definition: readDefinitionText() }]);
  }

  private serviceArn(service: ServiceSettings): string {
    return Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${service.cluster}/${service.service}` });
  }

  private targetGroupArn(service: ServiceSettings): string {
    return (
      service.targetGroupArn ??
      Stack.of(this).formatArn({ service: 'elasticloadbalancing', resource: service.targetGroup as string, arnFormat: ArnFormat.NO_RESOURCE_NAME })
    );
  }

  private serviceResources(project: string, service: ServiceSettings): ServiceResources {
    const stack = Stack.of(this);
    const ecs = (resource: string, resourceName: string): string => stack.formatArn({ service: 'ecs', resource, resourceName });
    const defaultRoles = [`arn:${Aws.PARTITION}:iam::${stack.account}:role/${project}-*`];
    return {
      serviceArn: this.serviceArn(service),
      clusterArn: ecs('cluster', service.cluster),
      serviceDeploymentArns: ecs('service-deployment', `${service.cluster}/${service.service}/*`),
      serviceRevisionArns: ecs('service-revision', `${service.cluster}/${service.service}/*`),
      serviceHistoryArns: ecs('service-*', `${service.cluster}/${service.service}/*`),
      taskArns: ecs('task', `${service.cluster}/*`),
      repositoryArn: stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: service.ecrRepository }),
      passRoleArns: [...(service.taskRoleArns ?? defaultRoles), ...(service.executionRoleArns ?? defaultRoles)],
    };
  }
}

/** What Lambda and Step Functions add for X-Ray tracing. */
const XRAY_GRANT: Grant = {
  statement: new iam.PolicyStatement({
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
    resources: ['*'],
  }),
  wildcardReason: 'X-Ray trace and sampling actions have no resource-level permissions (added by CDK for tracing).',
};

/** What Step Functions needs to deliver its execution logs to CloudWatch Logs. */
const LOG_DELIVERY_GRANT: Grant = {
  statement: new iam.PolicyStatement({ actions: ['logs:CreateLogDelivery'], resources: ['*'] }),
  wildcardReason:
    'CloudWatch Logs vended-log delivery actions (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) have no resource-level permissions (added by CDK for state machine logging).',
};
