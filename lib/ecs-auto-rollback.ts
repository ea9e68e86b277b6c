import { Aws, ArnFormat, Duration, Fn, RemovalPolicy, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_DIGEST_IMMEDIATE, DEFAULT_DIGEST_WINDOW_MINUTES } from '../lambdas/core/digest';
import { PROJECT_TAG_KEY } from '../lambdas/shared/config';
import { METRICS_NAMESPACE } from '../lambdas/shared/metrics';
import type { ServiceConfig } from '../lambdas/shared/types';
import { assertExecutionBudget } from '../statemachine/budget';
import { readDefinitionText, type TaskFunctionId } from '../statemachine/definition';
import {
  ConfigError,
  checkText,
  type ProbeSettings,
  parseSettings,
  probeBudgetSeconds,
  SETTING_KEYS,
  type Settings,
  type TaskStopDetectorSettings,
  type UnhealthyHostAlarmSettings,
  unhealthyHostAlarmName,
} from './config';
import { RollbackDashboard } from './constructs/dashboard';
import { type TaskFunctionSettings, TaskFunctions } from './constructs/functions';
import { checkGitHubActions, type GitHubActionsOptions, GitHubActionsRole } from './constructs/github-actions-role';
import { LockReleaseRule } from './constructs/lock-release';
import { Notifications } from './constructs/notifications';
import { OperationsAlarms } from './constructs/operations';
import { ServicesConfigStore } from './constructs/services-config';
import { StateTable } from './constructs/state-table';
import { TaskStopDetector } from './constructs/detector';
import { RollbackTriggers, type UnhealthyHostAlarmSpec } from './constructs/triggers';
import { RollbackWorkflow } from './constructs/workflow';
import { executionTimeout, TASK_TIMEOUT_SECONDS } from './execution-budget';
import { addLimitsCheck } from './limits';
import { acknowledgeWildcards, attachGrants, fitsInline, type Grant, type PermissionInputs, type ServiceResources, taskGrants } from './permissions';

/** Powertools service name of every function. */
export const SERVICE_NAME = 'ecs-auto-rollback';
/** CloudWatch namespace of the rollback metrics (Notify writes them as EMF log lines: no IAM permission needed). */
export { METRICS_NAMESPACE } from '../lambdas/shared/metrics';
/** Timeout of the tasks whose ASL TimeoutSeconds is 60: a little less, so Lambda reports its own timeout. */
const TASK_TIMEOUT = Duration.seconds(TASK_TIMEOUT_SECONDS);

/**
 * One ECS service to watch and roll back. Give `service`, or `cluster` and `serviceName`.
 *
 * Values that are tokens at synth time (a service defined in the same app, an imported repository
 * whose name is a parameter, ...) are passed through to CloudFormation unchecked; values that are
 * text are validated like the configuration file's, and an error names the prop
 * (`services[0].serviceName: expected a service name, got "a/b"`).
 */
export interface WatchedService {
  /**
   * The ECS service (for example a `FargateService` of the same app, or `FargateService.fromFargateServiceAttributes`).
   * @default - `cluster` and `serviceName` name it
   */
  readonly service?: ecs.IBaseService;
  /**
   * The cluster of `serviceName` (a cluster or its name); only without `service`.
   * @default - `<project>-cluster`
   */
  readonly cluster?: ecs.ICluster | string;
  /**
   * The service's name in `cluster`; only without `service`.
   * @default - `<project>-service`
   */
  readonly serviceName?: string;
  /**
   * The ECR repository the service's images come from (rolled back to the image the previous deployment ran).
   * @default - the repository named `<project>` in the stack's account and region
   */
  readonly repository?: ecr.IRepository;
  /**
   * Containers whose image is rolled back.
   * @default - those whose image comes from `repository`
   */
  readonly containerNames?: readonly string[];
  /**
   * The service's target group: an UnHealthyHostCount alarm is created on it (with `loadBalancer`)
   * and ProbeHealth checks its targets.
   * @default - no alarm; ProbeHealth uses the service's own target groups
   */
  readonly targetGroup?: elbv2.ITargetGroup;
  /**
   * The Application Load Balancer of `targetGroup` (the alarm's LoadBalancer dimension).
   * @default - the load balancer `targetGroup` is attached to (an `ApplicationTargetGroup` behind a
   * listener, or one imported with `loadBalancerArns`); an error when there is none
   */
  readonly loadBalancer?: elbv2.IApplicationLoadBalancer;
  /**
   * An HTTP(S) URL that answers 2xx when the service is healthy, probed after a rollback.
   * @default - only the target group health is probed
   */
  readonly healthCheckUrl?: string;
  /**
   * Existing alarms whose ALARM state also rolls this service back.
   * @default - none
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * Task roles RegisterTaskDefinition may pass to ECS (the roles of the task definitions rolled back to).
   * @default - the task role of `service`'s task definition when `service` is a `BaseService` of this
   * app, else every role named `<project>-*` in the account
   */
  readonly taskRoles?: readonly iam.IRole[];
  /**
   * Execution roles RegisterTaskDefinition may pass to ECS.
   * @default - the execution role of `service`'s task definition when `service` is a `BaseService` of
   * this app, else every role named `<project>-*` in the account
   */
  readonly executionRoles?: readonly iam.IRole[];
}

/** Props of {@link EcsAutoRollback}. */
export interface EcsAutoRollbackProps {
  /**
   * Names the deployment: the state machine `<project>-ecs-auto-rollback` (what `ecs-rollback --project`
   * finds), the alarms `<project>-...-unhealthy-hosts`, the functions' PROJECT_NAME. 2-32 lowercase
   * letters, digits and hyphens, starting with a letter.
   */
  readonly project: string;
  /**
   * The services to watch.
   * @default - one service: `<project>-service` in `<project>-cluster`, images from `<project>`
   */
  readonly services?: readonly WatchedService[];
  /**
   * Publish outcomes to this existing topic instead of creating one.
   * @default - a new topic encrypted with a new customer managed KMS key
   */
  readonly topic?: sns.ITopic;
  /**
   * The customer managed KMS key of `topic`, so Notify may use it.
   * @default - none (an unencrypted or AWS managed key topic)
   */
  readonly topicKey?: kms.IKey;
  /**
   * Email addresses subscribed to the new topic (not with `topic`).
   * @default - none
   */
  readonly notificationEmails?: readonly string[];
  /**
   * Email addresses subscribed to the operations topic the system's own alarms go to.
   * @default - notificationEmails
   */
  readonly operationsEmails?: readonly string[];
  /**
   * Send the system's own alarms to this existing topic (ARN) instead of a new one.
   * @default - a new topic encrypted with a new customer managed KMS key
   */
  readonly operationsTopicArn?: string;
  /**
   * Seconds between the stability checks after UpdateService (1-3600, at most the stabilisation timeout).
   * @default 15
   */
  readonly pollIntervalSeconds?: number;
  /**
   * Minutes to wait for the rolled-back deployment to become stable (1-1440).
   * @default 15
   */
  readonly stabilizationTimeoutMinutes?: number;
  /**
   * Alarms roll back only this many minutes after a deployment; later they only notify (1-10080).
   * @default 60
   */
  readonly alarmRollbackWindowMinutes?: number;
  /**
   * After a rollback, further triggers for the service only notify for this many minutes (1-1440).
   * @default 30
   */
  readonly cooldownMinutes?: number;
  /**
   * Lifetime of the per-service lock, a safety net (ReleaseLock frees it); at least the longest rollback.
   * @default - 7200, or the longest rollback + 1800 when that is more
   */
  readonly lockTtlSeconds?: number;
  /**
   * The health probe after a rollback.
   * @default - 5 attempts, 5 s first backoff, 5 s request timeout
   */
  readonly probe?: Partial<ProbeSettings>;
  /**
   * The UnHealthyHostCount alarm created per target group.
   * @default - Maximum >= 1 for 2 of 2 periods of 60 s, missing data not breaching
   */
  readonly unhealthyHostAlarm?: Partial<UnhealthyHostAlarmSettings>;
  /**
   * The task-stop detector: counts the newest deployment's tasks that stopped because the version is
   * bad (failed ELB health checks, essential container exited, failed to start) and starts a rollback
   * at `threshold` of them within `windowMinutes` of the deployment's start.
   * @default - enabled, threshold 2, window 60 minutes, rolls back (notifyOnly false)
   */
  readonly taskStopDetector?: Partial<TaskStopDetectorSettings>;
  /**
   * Retention of every log group, in days (a CloudWatch Logs retention value, e.g. `logs.RetentionDays.ONE_MONTH`).
   * @default 30
   */
  readonly logRetentionDays?: logs.RetentionDays | number;
  /**
   * What happens to the state table (locks, cool-downs, idempotency records, all with a TTL) when it leaves the stack.
   * @default RemovalPolicy.DESTROY
   */
  readonly stateTableRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the log groups of the functions and the state machine when they leave the stack.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the new topic's KMS key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly topicKeyRemovalPolicy?: RemovalPolicy;
  /**
   * Create an IAM role that GitHub Actions workflows of this repository assume through GitHub's OIDC
   * provider (`aws-actions/configure-aws-credentials` with `role-to-assume`) to start and follow
   * manual rollbacks: allowed only what {@link EcsAutoRollback.grantStart} grants. Uses the account's
   * existing GitHub OIDC provider when given (there is one per account), else creates one.
   * @default - no role
   */
  readonly githubActions?: GitHubActionsOptions;
}

/** Name of the state machine deployed for a project (the one `ecs-rollback --project` finds). */
export function stateMachineName(project: string): string {
  return `${project}-ecs-auto-rollback`;
}

/** One watched service as the construct uses it: names and ARNs, text or tokens. */
interface ResolvedService {
  readonly field: string;
  readonly cluster: string;
  readonly service: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly ecrRepository: string;
  readonly repositoryArn: string;
  readonly containerNames?: readonly string[];
  readonly targetGroupArn?: string;
  /** `targetgroup/<name>/<id>` */
  readonly targetGroup?: string;
  /** `app/<name>/<id>` */
  readonly loadBalancer?: string;
  readonly healthCheckUrl?: string;
  readonly alarmNames: readonly string[];
  readonly passRoleArns: readonly string[];
}

/**
 * Automatic rollback of ECS services: EventBridge rules on ECS deployment failures and CloudWatch
 * alarms (one UnHealthyHostCount alarm per target group, plus your own) start a Step Functions state
 * machine whose eight Lambda functions roll the service back to its previous version, wait until it
 * is stable and healthy, and notify an SNS topic; a DynamoDB table holds the per-service lock and
 * cool-downs.
 *
 * Every role is least-privilege and scoped to the given services; the construct passes the cdk-nag
 * AwsSolutions checks on its own: the findings that remain (IAM5 wildcards that AWS requires, and
 * SQS3 on the dead-letter queue) are acknowledged with `Validations.of(...).acknowledge` and a
 * reason, which adds no rule pack to your app. Give it the id `Default` to keep the logical ids of a
 * stack deployed with the 0.1.0 `RollbackStack`.
 */
export class EcsAutoRollback extends Construct {
  /** The rollback state machine (start a manual rollback here, or with `ecs-rollback`). */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic every outcome is published to (the new one, or `props.topic`). */
  public readonly topic: sns.ITopic;
  /** The state table: per-service lock, cool-downs, idempotency records. */
  public readonly table: dynamodb.Table;
  /** The task functions, by task id. */
  public readonly functions: Readonly<Record<TaskFunctionId, lambda.Function>>;
  /** The UnHealthyHostCount alarms created (one per target group). */
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** Events EventBridge could not deliver to the state machine. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The services configuration item Prepare reads (written at deploy time). */
  public readonly servicesConfig: ServicesConfigStore;
  /** The settings in effect (defaults filled in). */
  public readonly settings: Settings;

  /** The parts, grouped as they appear in the construct tree. */
  public readonly stateTable: StateTable;
  public readonly notifications: Notifications;
  public readonly tasks: TaskFunctions;
  public readonly workflow: RollbackWorkflow;
  public readonly triggers: RollbackTriggers;
  /** The project's CloudWatch dashboard; add the system's own alarms with `dashboard.addAlarms()`. */
  public readonly dashboard: RollbackDashboard;
  /** Frees the lock of an execution that was stopped, timed out or failed. */
  public readonly lockRelease: LockReleaseRule;
  /** The alarms on the stack's own failures and the operations topic they go to. */
  public readonly operations: OperationsAlarms;
  /** The role GitHub Actions assumes for manual rollbacks (with `props.githubActions`). */
  public readonly githubActionsRole?: iam.Role;
  /** The task-stop detector; absent when `taskStopDetector.enabled` is false. */
  public readonly detector?: TaskStopDetector;

  public constructor(scope: Construct, id: string, props: EcsAutoRollbackProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const project = checkText('project', props.project, 'project');
    this.settings = parseSettings(settingsOf(props));
    const notificationEmails = checkText('notificationEmails', props.notificationEmails ?? [], 'notificationEmails');
    if (props.topic !== undefined && (props.notificationEmails ?? []).length > 0) {
      throw new ConfigError('notificationEmails', 'give either notificationEmails (a new topic) or topic (an existing topic), not both');
    }
    if (props.topicKey !== undefined && props.topic === undefined) {
      throw new ConfigError('topicKey', 'only applies with topic');
    }
    const config = this.settings;
    const services = this.resolveServices(project, props.services);
    const retention = config.logRetentionDays as logs.RetentionDays;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;

    this.stateTable = new StateTable(this, 'State', { removalPolicy: props.stateTableRemovalPolicy ?? RemovalPolicy.DESTROY });
    this.notifications = new Notifications(this, 'Notifications', {
      project,
      emails: notificationEmails,
      ...(props.topic !== undefined && { topic: props.topic }),
      ...(props.topicKey !== undefined && { topicKey: props.topicKey }),
      ...(props.topicKeyRemovalPolicy !== undefined && { keyRemovalPolicy: props.topicKeyRemovalPolicy }),
    });

    const alarms: UnhealthyHostAlarmSpec[] = [];
    const servicesConfig: ServiceConfig[] = services.map((service) => {
      const alarmNames: string[] = [];
      if (service.targetGroup !== undefined && service.loadBalancer !== undefined) {
        const alarmName = this.unhealthyHostAlarmName(project, service, services);
        alarms.push({ alarmName, targetGroup: service.targetGroup, loadBalancer: service.loadBalancer });
        alarmNames.push(alarmName);
      }
      alarmNames.push(...service.alarmNames.filter((name) => !alarmNames.includes(name)));
      return {
        cluster: service.cluster,
        service: service.service,
        ecrRepository: service.ecrRepository,
        ...(service.containerNames !== undefined && { containerNames: service.containerNames }),
        ...(service.targetGroupArn !== undefined && { targetGroupArn: service.targetGroupArn }),
        ...(service.healthCheckUrl !== undefined && { healthCheckUrl: service.healthCheckUrl }),
        alarmNames,
      };
    });

    const tableName = this.stateTable.table.tableName;
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
          STATE_TABLE_NAME: tableName,
          PROBE_ATTEMPTS: String(config.probe.attempts),
          PROBE_INTERVAL_SECONDS: String(config.probe.intervalSeconds),
          PROBE_TIMEOUT_SECONDS: String(config.probe.timeoutSeconds),
        },
      },
      Notify: {
        timeout: TASK_TIMEOUT,
        environment: {
          TOPIC_ARN: this.notifications.topic.topicArn,
          COOLDOWN_MINUTES: cooldown,
          STATE_TABLE_NAME: tableName,
          DIGEST_WINDOW_MINUTES: String(DEFAULT_DIGEST_WINDOW_MINUTES),
          DIGEST_IMMEDIATE: String(DEFAULT_DIGEST_IMMEDIATE),
        },
      },
      ReleaseLock: { timeout: TASK_TIMEOUT, environment: { STATE_TABLE_NAME: tableName, COOLDOWN_MINUTES: cooldown } },
    };
    this.servicesConfig = new ServicesConfigStore(this, 'ServicesConfig', {
      table: this.stateTable.table,
      services: servicesConfig,
      logRetention: retention,
    });
    this.tasks = new TaskFunctions(this, 'Tasks', {
      commonEnvironment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        PROJECT_NAME: project,
      },
      settings,
      logRetention: retention,
      logRemovalPolicy,
    });

    const inputs: PermissionInputs = {
      services: services.map((service) => this.serviceResources(service)),
      tableArn: this.stateTable.table.tableArn,
      taskDefinitionArns: stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' }),
      rdsArns: ['db', 'snapshot'].map((resource) =>
        stack.formatArn({ service: 'rds', resource, resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ),
      executionArns: stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachineName(project)}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    };
    // Every service's ARNs, inline, while they fit a role's inline policies; past that one ARN per
    // service for its deployments and revisions, split over size-checked managed policies.
    const exact = taskGrants(inputs);
    const grants = Object.values(exact).every((list) => fitsInline(this, list)) ? exact : taskGrants({ ...inputs, compact: true });
    for (const [taskId, taskGrantList] of Object.entries(grants) as [TaskFunctionId, Grant[]][]) {
      const role = this.tasks.roles[taskId];
      const packed = attachGrants(role, taskGrantList);
      if (taskId === 'Notify') this.notifications.grantPublish(role);
      acknowledgeWildcards(role, taskGrantList.filter((g) => g.perService !== true || packed.length === 0), [XRAY_GRANT]);
      for (const { policy, grants: policyGrants } of packed) acknowledgeWildcards(policy, policyGrants);
    }

    const { timeoutSeconds, budget } = executionTimeout({
      stabilizationTimeoutSeconds: config.stabilizationTimeoutMinutes * 60,
      pollIntervalSeconds: config.pollIntervalSeconds,
      probeBudgetSeconds: probeBudgetSeconds(config.probe),
    });
    assertExecutionBudget(config.lockTtlSeconds, timeoutSeconds, budget);
    this.workflow = new RollbackWorkflow(this, 'Workflow', {
      stateMachineName: stateMachineName(project),
      functions: this.tasks.functions,
      pollIntervalSeconds: config.pollIntervalSeconds,
      stabilizationTimeoutSeconds: config.stabilizationTimeoutMinutes * 60,
      timeoutSeconds,
      logRetention: retention,
      logRemovalPolicy,
    });
    acknowledgeWildcards(this.workflow.stateMachine.role, [XRAY_GRANT, LOG_DELIVERY_GRANT]);
    // ecs-rollback doctor/selftest find the state machine (and through CloudFormation's tag, the stack) by this tag.
    Tags.of(this.workflow.stateMachine.node.defaultChild as Construct).add(PROJECT_TAG_KEY, project);

    this.triggers = new RollbackTriggers(this, 'Triggers', {
      stateMachine: this.workflow.stateMachine,
      services: services.map((service) => ({ cluster: service.cluster, service: service.service })),
      unhealthyHostAlarms: alarms,
      alarmSettings: config.unhealthyHostAlarm,
      extraAlarmNames: services.flatMap((service) => service.alarmNames),
    });
    for (const rule of [...this.triggers.deploymentFailedRules, ...this.triggers.alarmRules]) {
      rule.node.addDependency(this.servicesConfig.resource);
    }
    this.lockRelease = new LockReleaseRule(this, 'LockRelease', {
      stateMachine: this.workflow.stateMachine,
      releaseLock: this.tasks.functions.ReleaseLock,
      deadLetterQueue: this.triggers.deadLetterQueue,
    });
    Validations.of(this.triggers.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the dead-letter queue of the EventBridge rules' state machine target; a DLQ has no DLQ of its own.",
    });

    if (config.taskStopDetector.enabled) {
      this.detector = new TaskStopDetector(this, 'TaskStopDetector', {
        services: services.map((service) => ({
          cluster: service.cluster,
          service: service.service,
          clusterArn: service.clusterArn,
          serviceArn: service.serviceArn,
        })),
        settings: config.taskStopDetector,
        stateMachine: this.workflow.stateMachine,
        tableArn: this.stateTable.table.tableArn,
        tableName,
        deadLetterQueue: this.triggers.deadLetterQueue,
        commonEnvironment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, PROJECT_NAME: project },
        logRetention: retention,
        logRemovalPolicy,
      });
      for (const rule of this.detector.rules) rule.node.addDependency(this.servicesConfig.resource);
      acknowledgeWildcards(this.detector.role, [this.detector.describeServicesGrant], [XRAY_GRANT]);
    }

    this.dashboard = new RollbackDashboard(this, 'Dashboard', {
      project,
      namespace: METRICS_NAMESPACE,
      powertoolsService: SERVICE_NAME,
      stateMachine: this.workflow.stateMachine,
      functions: { ...this.tasks.functions, ...(this.detector !== undefined && { DetectTaskStops: this.detector.function }) },
      deadLetterQueues: [this.triggers.deadLetterQueue],
    });

    this.operations = new OperationsAlarms(this, 'Operations', {
      project,
      stateMachine: this.workflow.stateMachine,
      deadLetterQueue: this.triggers.deadLetterQueue,
      rules: Object.fromEntries([
        ...this.triggers.deploymentFailedRules.map((rule, i) => [i === 0 ? 'deployment-failed' : `deployment-failed-${i + 1}`, rule] as const),
        ...this.triggers.alarmRules.map((rule, i) => [i === 0 ? 'alarm-state-change' : `alarm-state-change-${i + 1}`, rule] as const),
        ...(this.detector?.rules ?? []).map((rule, i) => [i === 0 ? 'task-stopped' : `task-stopped-${i + 1}`, rule] as const),
      ]),
      emails: props.operationsEmails ?? (props.topic === undefined ? (props.notificationEmails ?? []) : []),
      ...(props.operationsTopicArn !== undefined && { topicArn: props.operationsTopicArn }),
    });

    this.dashboard.addAlarms(...this.operations.alarms);

    addLimitsCheck(this, [{ stateMachine: this.workflow.stateMachine, definition: readDefinitionText() }]);

    this.stateMachine = this.workflow.stateMachine;
    this.topic = this.notifications.topic;
    this.table = this.stateTable.table;
    this.functions = this.tasks.functions;
    this.alarms = this.triggers.alarms;
    this.deadLetterQueue = this.triggers.deadLetterQueue;

    if (props.githubActions !== undefined) {
      const github = new GitHubActionsRole(this, 'GitHubActions', {
        ...checkGitHubActions('githubActions', props.githubActions),
        description: `GitHub Actions (${props.githubActions.repository}): start and follow manual rollbacks of ${stateMachineName(project)}`,
      });
      this.grantStart(github.role);
      acknowledgeWildcards(github.role, this.startGrants());
      this.githubActionsRole = github.role;
    }
  }

  /**
   * Lets `grantee` start a manual rollback and follow it as `ecs-rollback` does: StartExecution and
   * ListExecutions on the state machine, DescribeExecution and GetExecutionHistory on its executions,
   * and ListStateMachines (which has no resource-level permissions) to find it by project.
   */
  public grantStart(grantee: iam.IGrantable): iam.Grant {
    const [first, ...rest] = this.startGrants().map(({ statement }) =>
      iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources }),
    );
    return rest.reduce((all, grant) => all.combine(grant), first as iam.Grant);
  }

  /** What grantStart grants, with the reason of each wildcard (for cdk-nag's IAM5). */
  private startGrants(): Grant[] {
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const allow = (actions: string[], resources: string[]): iam.PolicyStatement => new iam.PolicyStatement({ actions, resources });
    return [
      { statement: allow(['states:StartExecution', 'states:ListExecutions'], [this.stateMachine.stateMachineArn]) },
      {
        statement: allow(['states:DescribeExecution', 'states:GetExecutionHistory'], [executions]),
        wildcardReason: "The executions of this state machine only (execution:<name>:*): their names are chosen when they start.",
      },
      {
        statement: allow(['states:ListStateMachines'], ['*']),
        wildcardReason: 'states:ListStateMachines has no resource-level permissions; ecs-rollback --project finds the state machine by name with it.',
      },
    ];
  }

  private resolveServices(project: string, given: readonly WatchedService[] | undefined): ResolvedService[] {
    const list = given ?? [{}];
    if (list.length === 0) throw new ConfigError('services', 'expected a non-empty array of services, got []');
    const resolved = list.map((service, index) => this.resolveService(project, `services[${index}]`, service, index));
    const seen = new Map<string, number>();
    resolved.forEach((service, index) => {
      if (Token.isUnresolved(service.cluster) || Token.isUnresolved(service.service)) return;
      const key = `${service.cluster}/${service.service}`;
      const first = seen.get(key);
      if (first !== undefined) throw new ConfigError(`services[${index}]`, `duplicate of services[${first}] ("${key}")`);
      seen.set(key, index);
    });
    return resolved;
  }

  private resolveService(project: string, field: string, props: WatchedService, index: number): ResolvedService {
    const stack = Stack.of(this);
    const ecsArn = (resource: string, resourceName: string): string => stack.formatArn({ service: 'ecs', resource, resourceName });
    let cluster: string;
    let service: string;
    let serviceArn: string;
    let clusterArn: string;
    if (props.service !== undefined) {
      if (props.cluster !== undefined || props.serviceName !== undefined) {
        throw new ConfigError(`${field}.service`, 'give either service or cluster and serviceName, not both');
      }
      cluster = props.service.cluster.clusterName;
      service = props.service.serviceName;
      serviceArn = props.service.serviceArn;
      clusterArn = props.service.cluster.clusterArn;
    } else {
      const givenCluster = props.cluster ?? `${project}-cluster`;
      cluster = typeof givenCluster === 'string' ? givenCluster : givenCluster.clusterName;
      service = props.serviceName ?? `${project}-service`;
      serviceArn = ecsArn('service', `${cluster}/${service}`);
      clusterArn = typeof givenCluster === 'string' ? ecsArn('cluster', cluster) : givenCluster.clusterArn;
    }
    checkText(`${field}.cluster`, cluster, 'cluster');
    checkText(`${field}.serviceName`, service, 'service');

    const repository = props.repository ?? ecr.Repository.fromRepositoryName(this, `Repository${index}`, project);
    checkText(`${field}.repository`, repository.repositoryName, 'ecrRepository');
    if (props.containerNames !== undefined) checkText(`${field}.containerNames`, props.containerNames, 'containerNames');
    if (props.healthCheckUrl !== undefined) checkText(`${field}.healthCheckUrl`, props.healthCheckUrl, 'healthCheckUrl');
    const alarmNames = (props.alarms ?? []).map((alarm) => alarm.alarmName);
    checkText(`${field}.alarms`, alarmNames, 'alarmNames');

    let targetGroup: string | undefined;
    let loadBalancer: string | undefined;
    if (props.targetGroup !== undefined) {
      targetGroup =
        'targetGroupFullName' in props.targetGroup
          ? (props.targetGroup as elbv2.TargetGroupBase).targetGroupFullName
          : fullName(props.targetGroup.targetGroupArn, TARGET_GROUP_FULL_NAME, (arn) => Fn.select(5, Fn.split(':', arn)));
      loadBalancer = loadBalancerFullName(props.targetGroup, props.loadBalancer);
      if (loadBalancer === undefined) {
        throw new ConfigError(
          `${field}.loadBalancer`,
          "required with targetGroup (the alarm's LoadBalancer dimension) when the target group is not attached to an Application Load Balancer",
        );
      }
    } else if (props.loadBalancer !== undefined) {
      throw new ConfigError(`${field}.targetGroup`, 'required with loadBalancer (the alarm watches a target group)');
    }

    const taskDefinition = (props.service as Partial<ecs.BaseService> | undefined)?.taskDefinition;
    const defaultRoles = [`arn:${Aws.PARTITION}:iam::${stack.account}:role/${project}-*`];
    const taskRoles =
      props.taskRoles?.map((role) => role.roleArn) ?? (taskDefinition !== undefined ? [taskDefinition.taskRole.roleArn] : defaultRoles);
    const executionRoles =
      props.executionRoles?.map((role) => role.roleArn) ??
      (taskDefinition !== undefined
        ? taskDefinition.executionRole !== undefined
          ? [taskDefinition.executionRole.roleArn]
          : []
        : defaultRoles);

    return {
      field,
      cluster,
      service,
      serviceArn,
      clusterArn,
      ecrRepository: repository.repositoryName,
      repositoryArn: repository.repositoryArn,
      ...(props.containerNames !== undefined && { containerNames: [...props.containerNames] }),
      ...(props.targetGroup !== undefined && { targetGroupArn: props.targetGroup.targetGroupArn }),
      ...(targetGroup !== undefined && { targetGroup }),
      ...(loadBalancer !== undefined && { loadBalancer }),
      ...(props.healthCheckUrl !== undefined && { healthCheckUrl: props.healthCheckUrl }),
      alarmNames,
      passRoleArns: [...taskRoles, ...executionRoles],
    };
  }

  /** See {@link unhealthyHostAlarmName}; a service whose names are tokens is named after its position. */
  private unhealthyHostAlarmName(project: string, service: ResolvedService, all: readonly ResolvedService[]): string {
    if (!Token.isUnresolved(service.service) && !Token.isUnresolved(service.cluster)) {
      return unhealthyHostAlarmName(project, service, all.filter((s) => !Token.isUnresolved(s.service)));
    }
    const index = all.indexOf(service);
    return `${project}-service${index}-unhealthy-hosts`;
  }

  private serviceResources(service: ResolvedService): ServiceResources {
    const stack = Stack.of(this);
    const ecsArn = (resource: string, resourceName: string): string => stack.formatArn({ service: 'ecs', resource, resourceName });
    return {
      serviceArn: service.serviceArn,
      clusterArn: service.clusterArn,
      serviceDeploymentArns: ecsArn('service-deployment', `${service.cluster}/${service.service}/*`),
      serviceRevisionArns: ecsArn('service-revision', `${service.cluster}/${service.service}/*`),
      serviceHistoryArns: ecsArn('service-*', `${service.cluster}/${service.service}/*`),
      clusterServiceDeploymentArns: ecsArn('service-deployment', `${service.cluster}/*`),
      taskArns: ecsArn('task', `${service.cluster}/*`),
      repositoryArn: service.repositoryArn,
      passRoleArns: service.passRoleArns,
    };
  }
}

/** The props that are settings of the configuration too, by their configuration names. */
function settingsOf(props: EcsAutoRollbackProps): Record<string, unknown> {
  return Object.fromEntries(SETTING_KEYS.filter((key) => props[key] !== undefined).map((key) => [key, props[key]]));
}

const TARGET_GROUP_FULL_NAME = /:(targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16})$/;
const LOAD_BALANCER_FULL_NAME = /:loadbalancer\/(app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16})$/;

/** The full name at the end of an ARN whose tail is text, else the CloudFormation functions that cut it out. */
function fullName(arn: string, pattern: RegExp, fromToken: (arn: string) => string): string {
  const match = pattern.exec(arn);
  if (match !== null) return match[1] as string;
  return fromToken(arn);
}

/** `app/<name>/<id>` of the given load balancer, else of the one the target group is attached to, when CDK knows it. */
function loadBalancerFullName(
  targetGroup: elbv2.ITargetGroup,
  loadBalancer: elbv2.IApplicationLoadBalancer | undefined,
): string | undefined {
  if (loadBalancer !== undefined && 'loadBalancerFullName' in loadBalancer) {
    return (loadBalancer as elbv2.ApplicationLoadBalancer).loadBalancerFullName;
  }
  if (loadBalancer === undefined && 'firstLoadBalancerFullName' in targetGroup) {
    try {
      return (targetGroup as elbv2.ApplicationTargetGroup).firstLoadBalancerFullName;
    } catch {
      // not attached to a listener: fall through to the ARNs it was imported with
    }
  }
  const arns = loadBalancer?.loadBalancerArn ?? attachedLoadBalancerArn(targetGroup);
  if (arns === undefined) return undefined;
  return fullName(arns, LOAD_BALANCER_FULL_NAME, (text) => {
    const parts = Fn.split('/', Fn.select(5, Fn.split(':', Fn.select(0, Fn.split(',', text)))));
    return Fn.join('/', [Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts)]);
  });
}

/** The load balancer ARN(s) a target group is attached to, when CDK knows them. */
function attachedLoadBalancerArn(targetGroup: elbv2.ITargetGroup): string | undefined {
  try {
    const arns = targetGroup.loadBalancerArns;
    if (LOAD_BALANCER_FULL_NAME.test(arns) || Token.isUnresolved(arns)) return arns;
    return arns.split(',')[0]?.trim() || undefined;
  } catch {
    return undefined;
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
