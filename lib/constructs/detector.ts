import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import type { TaskStopDetectorSettings } from '../config';
import { bundledFunction, FUNCTION_RUNTIME } from './functions';
import { splitEventPatterns } from '../event-patterns';
import { allow, fitsInline, type Grant } from '../permissions';
import { TARGET_MAX_EVENT_AGE, TARGET_RETRY_ATTEMPTS } from './triggers';

/** A watched service: its cluster ARN and name. */
export interface DetectedService {
  readonly clusterArn: string;
  readonly cluster: string;
  readonly service: string;
  /** `arn:<partition>:ecs:<region>:<account>:service/<cluster>/<service>` */
  readonly serviceArn: string;
}

/** Props of {@link TaskStopDetector}. */
export interface TaskStopDetectorProps {
  readonly services: readonly DetectedService[];
  readonly settings: TaskStopDetectorSettings;
  /** The rollback state machine the detector starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** The state table (counts, loop guard records). */
  readonly tableArn: string;
  readonly tableName: string;
  /** Events EventBridge could not deliver to the detector, and invocations that failed after Lambda's retries. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly commonEnvironment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The ECS Task State Change pattern of these services' stopping tasks (desiredStatus STOPPED) in one
 * cluster: clusterArn and group together, so a service of the same name in another cluster does not match.
 */
export function taskStopPattern(clusterArn: string, services: readonly string[]): events.EventPattern {
  return {
    source: ['aws.ecs'],
    detailType: ['ECS Task State Change'],
    detail: { clusterArn: [clusterArn], group: services.map((service) => `service:${service}`), desiredStatus: ['STOPPED'] },
  };
}

/**
 * The patterns for the watched services: one per cluster, each split by splitEventPatterns over as
 * few patterns as keep each within EventBridge's 2,048 characters (tokens at their longest).
 */
export function taskStopPatterns(scope: IConstruct, services: readonly Pick<DetectedService, 'clusterArn' | 'service'>[]): events.EventPattern[] {
  const byCluster = new Map<string, string[]>();
  for (const s of services) byCluster.set(s.clusterArn, [...(byCluster.get(s.clusterArn) ?? []), s.service]);
  return [...byCluster].flatMap(([clusterArn, names]) =>
    splitEventPatterns(scope, names, (group) => taskStopPattern(clusterArn, group)).map((chunk) => chunk.pattern),
  );
}

/**
 * The task-stop detector: a small function and the EventBridge rules that feed it the watched
 * services' stopping tasks. Its role reads the services (DescribeServices), counts in the state
 * table and starts the rollback state machine, nothing else.
 */
export class TaskStopDetector extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly rules: readonly events.Rule[];
  /** The role's DescribeServices grant (acknowledged by the construct that owns the role's findings). */
  public readonly describeServicesGrant: Grant;

  public constructor(scope: Construct, id: string, props: TaskStopDetectorProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ecs-auto-rollback task-stop detector',
    });
    logGroup.grantWrite(this.role);
    // Each watched service's ARN while they fit the role's inline policies; past that (hundreds of
    // services) one ARN per watched cluster: DescribeServices is read-only, and the rule delivers
    // only the watched services' task events.
    const exact: Grant = { statement: allow(['ecs:DescribeServices'], props.services.map((s) => s.serviceArn)) };
    const perCluster: Grant = {
      statement: allow(['ecs:DescribeServices'], [
        ...new Set(props.services.map((s) => Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${s.cluster}/*` }))),
      ]),
      wildcardReason:
        'DescribeServices is read-only; with more watched services than the inline policies hold, it is scoped to the services of the watched clusters (service/<cluster>/*), and the rule delivers only the watched services\' task events.',
    };
    this.describeServicesGrant = fitsInline(this, [exact]) ? exact : perCluster;
    this.role.addToPrincipalPolicy(this.describeServicesGrant.statement);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [props.tableArn] }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachine.stateMachineArn] }),
    );
    this.function = bundledFunction(this, 'Function', 'detect-task-stops', {
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.commonEnvironment,
        STATE_TABLE_NAME: props.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        DETECTOR_THRESHOLD: String(props.settings.threshold),
        DETECTOR_WINDOW_MINUTES: String(props.settings.windowMinutes),
        DETECTOR_NOTIFY_ONLY: String(props.settings.notifyOnly),
        NODE_OPTIONS: '--enable-source-maps',
      },
      description: 'ecs-auto-rollback: DetectTaskStops',
      // After Lambda's own two retries of an asynchronous invocation, the event goes to the DLQ (alarmed on).
      deadLetterQueue: props.deadLetterQueue,
    });
    this.rules = taskStopPatterns(this, props.services).map(
      (eventPattern, index, all) =>
        new events.Rule(this, `TaskStopped${index}`, {
          description: `A task of a watched ECS service is stopping: count it against its deployment${all.length === 1 ? '' : ` (${index + 1} of ${all.length})`}`,
          eventPattern,
          targets: [
            new targets.LambdaFunction(this.function, {
              deadLetterQueue: props.deadLetterQueue,
              retryAttempts: TARGET_RETRY_ATTEMPTS,
              maxEventAge: TARGET_MAX_EVENT_AGE,
            }),
          ],
        }),
    );
  }
}
