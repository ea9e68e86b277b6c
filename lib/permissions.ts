/**
 * Least-privilege IAM for the task functions: which actions each one calls and on which resources.
 * A statement whose resource or action holds a wildcard carries the reason, which also becomes the
 * cdk-nag acknowledgement (AwsSolutions-IAM5) of exactly that finding.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { SERVICES_CONFIG_ITEM_ID } from '../lambdas/shared/config';
import type { TaskFunctionId } from '../statemachine/definition';
import { AWS_LIMITS, LongestResolver, policySize } from './limits';

/** A policy statement and, when it holds a wildcard, why. */
export interface Grant {
  readonly statement: iam.PolicyStatement;
  /** Required when an action or resource contains `*`. */
  readonly wildcardReason?: string;
  /** True when the statement lists every watched service (its resources may be split over policies). */
  readonly perService?: boolean;
}

/** The ARNs of one watched service and what belongs to it. */
export interface ServiceResources {
  /** `arn:<partition>:ecs:<region>:<account>:service/<cluster>/<service>` */
  readonly serviceArn: string;
  /** `arn:<partition>:ecs:<region>:<account>:cluster/<cluster>` */
  readonly clusterArn: string;
  /** `.../service-deployment/<cluster>/<service>/*` */
  readonly serviceDeploymentArns: string;
  /** `.../service-revision/<cluster>/<service>/*` */
  readonly serviceRevisionArns: string;
  /** The `service-*` ARN of the service (cluster/service/any id): its deployments and revisions in one ARN. */
  readonly serviceHistoryArns: string;
  /** `.../service-deployment/<cluster>/*`: the service deployments of every service of the cluster. */
  readonly clusterServiceDeploymentArns: string;
  /** `.../task/<cluster>/*` */
  readonly taskArns: string;
  /** `arn:<partition>:ecr:<region>:<account>:repository/<name>` */
  readonly repositoryArn: string;
  /** Task and execution roles RegisterTaskDefinition may pass to ECS tasks. */
  readonly passRoleArns: readonly string[];
}

/** What the grants are computed from. */
export interface PermissionInputs {
  readonly services: readonly ServiceResources[];
  readonly tableArn: string;
  /** `arn:<partition>:ecs:<region>:<account>:task-definition/*` */
  readonly taskDefinitionArns: string;
  /** `arn:<partition>:rds:<region>:<account>:db:*` and `...:snapshot:*`: what Notify reads for database advice. */
  readonly rdsArns: readonly string[];
  /**
   * One `service-*` ARN per service for its deployments and revisions instead of two (for projects
   * whose grants do not fit a role's inline policies). @default false
   */
  readonly compact?: boolean;
  /**
   * `arn:<partition>:states:<region>:<account>:execution:<state machine name>:*`, built from the
   * name (a reference to the state machine would be a CloudFormation cycle: it references Prepare).
   */
  readonly executionArns: string;
}

/** DynamoDB actions on the state table, by what a function does with it. */
export const TABLE_READ_WRITE_DELETE = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
export const TABLE_READ_WRITE = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

const DEPLOYMENT_HISTORY_ACTIONS = [
  'ecs:ListServiceDeployments',
  'ecs:DescribeServiceDeployments',
  'ecs:DescribeServiceRevisions',
];

const REASON_DEPLOYMENT_HISTORY =
  'Service deployment and service revision ids are created by ECS on every deployment; the ARNs are scoped to the configured cluster/service (as in the ECS guide "Permissions required for viewing Amazon ECS service deployments").';
const REASON_STOP_SERVICE_DEPLOYMENT =
  'UpdateService rolls back a deployment still in flight with StopServiceDeployment (ROLLBACK); its resource is the service deployment, whose id ECS creates on every deployment, so the ARN is scoped to the configured cluster/service (service-deployment/<cluster>/<service>/*).';
const REASON_FOLLOW_NATIVE_ROLLBACK_COMPACT =
  'CheckStability follows an ECS-native rollback with DescribeServiceDeployments (read-only); with more services than the inline policies hold, it is scoped to the service deployments of the watched clusters (service-deployment/<cluster>/*), one ARN per cluster.';
const REASON_TASK_DEFINITION =
  'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition have no resource-level permissions in the Service Authorization Reference, so Resource must be "*".';
const REASON_TAG_TASK_DEFINITION =
  'Tags are carried over to the task definition being registered, whose revision does not exist yet; limited by the condition ecs:CreateAction = RegisterTaskDefinition.';
const REASON_LIST_TASKS =
  'ecs:ListTasks is authorised on container instances, which Fargate services do not have; limited to the configured clusters by the condition ecs:cluster.';
const REASON_TASKS =
  'Task ids are created by ECS; the ARNs are scoped to the configured clusters (task/<cluster>/*).';
const REASON_TARGET_HEALTH =
  'elasticloadbalancing:DescribeTargetHealth (like every ELBv2 Describe action) has no resource-level permissions, so Resource must be "*".';
const REASON_TARGET_GROUPS =
  'elasticloadbalancing:DescribeTargetGroups has no resource-level permissions, so Resource must be "*"; CheckStability reads the health check interval and healthy threshold to wait until the new targets should turn healthy.';
const REASON_RDS_ADVICE =
  'For database/full rollbacks Notify names the newest automated snapshot of the DB instances whose name contains the project (read-only): instance and RDS-generated snapshot names are not known in advance, so the ARNs are limited to this account and region.';
const REASON_EXECUTIONS =
  "Prepare reads the status of the execution that holds a service's lock (states:DescribeExecution) to take over the lock of one that has ended; execution names are chosen at start, so the ARNs are limited to this project's state machine (execution:<name>:*).";
const REASON_PASS_ROLE_PATTERN =
  'Default task/execution role pattern <project>-* (override with taskRoleArns/executionRoleArns); iam:PassRole is only allowed to ecs-tasks.amazonaws.com.';

/** The statements each task function needs, nothing more (see README "Configuration reference"). */
export function taskGrants(inputs: PermissionInputs): Record<TaskFunctionId, Grant[]> {
  const serviceArns = inputs.services.map((s) => s.serviceArn);
  const clusterArns = unique(inputs.services.map((s) => s.clusterArn));
  const historyArns = inputs.services.flatMap((s) =>
    inputs.compact === true ? [s.serviceArn, s.serviceHistoryArns] : [s.serviceArn, s.serviceDeploymentArns, s.serviceRevisionArns],
  );
  // Compact: one service-* ARN per service (it covers its service deployments) instead of one more ARN.
  const serviceDeploymentArns = inputs.services.map((s) => (inputs.compact === true ? s.serviceHistoryArns : s.serviceDeploymentArns));
  const taskArns = unique(inputs.services.map((s) => s.taskArns));
  const repositoryArns = unique(inputs.services.map((s) => s.repositoryArn));
  const passRoleArns = unique(inputs.services.flatMap((s) => s.passRoleArns));

  const describeServices = (): Grant => ({ statement: allow(['ecs:DescribeServices'], serviceArns), perService: true });
  // Compact: DescribeServices joins the history statement (it is authorised on the service ARNs only).
  const compact = inputs.compact === true;
  const deploymentHistory = (): Grant => ({
    statement: allow(compact ? ['ecs:DescribeServices', ...DEPLOYMENT_HISTORY_ACTIONS] : DEPLOYMENT_HISTORY_ACTIONS, historyArns),
    wildcardReason: REASON_DEPLOYMENT_HISTORY,
    perService: true,
  });
  const describeTaskDefinition = (): Grant => ({
    statement: allow(['ecs:DescribeTaskDefinition'], ['*']),
    wildcardReason: REASON_TASK_DEFINITION,
  });
  const table = (actions: string[]): Grant => ({ statement: allow(actions, [inputs.tableArn]) });
  const watchTasks = (): Grant[] => [
    describeServices(),
    {
      statement: allow(['ecs:ListTasks'], ['*'], { ArnEquals: { 'ecs:cluster': clusterArns } }),
      wildcardReason: REASON_LIST_TASKS,
    },
    { statement: allow(['ecs:DescribeTasks'], taskArns), wildcardReason: REASON_TASKS },
    {
      statement: allow(['elasticloadbalancing:DescribeTargetHealth'], ['*']),
      wildcardReason: REASON_TARGET_HEALTH,
    },
  ];

  return {
    Prepare: [
      ...(compact ? [] : [describeServices()]),
      deploymentHistory(),
      table(TABLE_READ_WRITE_DELETE),
      { statement: allow(['states:DescribeExecution'], [inputs.executionArns]), wildcardReason: REASON_EXECUTIONS },
    ],
    ResolveTarget: [
      ...(compact ? [] : [describeServices()]),
      deploymentHistory(),
      describeTaskDefinition(),
      { statement: allow(['ecr:DescribeImages'], repositoryArns), perService: true },
    ],
    RegisterTaskDefinition: [
      {
        statement: allow(['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], ['*']),
        wildcardReason: REASON_TASK_DEFINITION,
      },
      {
        statement: allow(['ecs:TagResource'], [inputs.taskDefinitionArns], {
          StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
        }),
        wildcardReason: REASON_TAG_TASK_DEFINITION,
      },
      {
        statement: allow(['iam:PassRole'], passRoleArns, {
          StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
        }),
        wildcardReason: REASON_PASS_ROLE_PATTERN,
      },
    ],
    UpdateService: compact
      ? [
          // One statement on each service's two ARNs (the service, its service-*): UpdateService matches
          // only the service, StopServiceDeployment and the history only its service-* resources.
          {
            statement: allow(['ecs:DescribeServices', 'ecs:UpdateService', ...DEPLOYMENT_HISTORY_ACTIONS, 'ecs:StopServiceDeployment'], historyArns),
            wildcardReason: `${REASON_DEPLOYMENT_HISTORY} ${REASON_STOP_SERVICE_DEPLOYMENT}`,
            perService: true,
          },
          table(TABLE_READ_WRITE),
        ]
      : [
          { statement: allow(['ecs:DescribeServices', 'ecs:UpdateService'], serviceArns), perService: true },
          deploymentHistory(),
          {
            statement: allow(['ecs:StopServiceDeployment'], serviceDeploymentArns),
            wildcardReason: REASON_STOP_SERVICE_DEPLOYMENT,
            perService: true,
          },
          table(TABLE_READ_WRITE),
        ],
    CheckStability: [
      ...watchTasks(),
      compact
        ? {
            // Read-only, one ARN per watched cluster instead of one per service (the template's 1 MB at 200 services).
            statement: allow(['ecs:DescribeServiceDeployments'], unique(inputs.services.map((s) => s.clusterServiceDeploymentArns))),
            wildcardReason: REASON_FOLLOW_NATIVE_ROLLBACK_COMPACT,
          }
        : {
            statement: allow(['ecs:DescribeServiceDeployments'], serviceDeploymentArns),
            wildcardReason: REASON_DEPLOYMENT_HISTORY,
            perService: true,
          },
      {
        statement: allow(['elasticloadbalancing:DescribeTargetGroups'], ['*']),
        wildcardReason: REASON_TARGET_GROUPS,
      },
    ],
    ProbeHealth: [
      ...watchTasks(),
      // The services configuration item only: the full health URL, which the state carries redacted.
      {
        statement: allow(['dynamodb:GetItem'], [inputs.tableArn], {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SERVICES_CONFIG_ITEM_ID] },
        }),
      },
    ],
    Notify: [
      table(TABLE_READ_WRITE),
      {
        statement: allow(['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots'], inputs.rdsArns),
        wildcardReason: REASON_RDS_ADVICE,
      },
    ],
    ReleaseLock: [table(TABLE_READ_WRITE_DELETE), describeServices()],
  };
}

/** What a role's inline policies may hold besides these grants (CDK adds logs, X-Ray, SNS/KMS). */
const INLINE_RESERVE = 2048;

/** IAM's size of these grants as one policy document, tokens at their longest possible values. */
export function grantsSize(scope: IConstruct, grants: readonly Grant[]): number {
  const resolver = new LongestResolver({});
  const stack = Stack.of(scope);
  return policySize({
    Version: '2012-10-17',
    Statement: grants.map((g) => resolver.resolve(stack.resolve(g.statement.toStatementJson()))),
  });
}

/** True when the grants fit a role's inline policies (with room for what CDK adds). */
export function fitsInline(scope: IConstruct, grants: readonly Grant[]): boolean {
  return grantsSize(scope, grants) <= AWS_LIMITS.roleInlinePolicies.max - INLINE_RESERVE;
}

/** A managed policy and the grants it holds. */
export interface PackedPolicy {
  readonly policy: iam.ManagedPolicy;
  readonly grants: readonly Grant[];
}

/**
 * Gives `role` its grants: all inline when they fit; otherwise the grants that do not list services
 * inline, and the per-service statements split by resource over as few managed policies as keep each
 * within IAM's 6,144 characters (measured with tokens at their longest). Returns the managed policies.
 */
export function attachGrants(role: iam.Role, grants: readonly Grant[]): PackedPolicy[] {
  if (fitsInline(role, grants)) {
    for (const grant of grants) role.addToPrincipalPolicy(grant.statement);
    return [];
  }
  for (const grant of grants.filter((g) => g.perService !== true)) role.addToPrincipalPolicy(grant.statement);
  const documents: Grant[][] = [];
  let current: Grant[] = [];
  const fits = (candidate: Grant[]): boolean => grantsSize(role, candidate) <= AWS_LIMITS.managedPolicySize.max;
  for (const grant of grants.filter((g) => g.perService === true)) {
    const json = grant.statement.toStatementJson() as { Action: string | string[]; Resource: string | string[]; Condition?: Record<string, unknown> };
    const actions = [json.Action].flat();
    let resources: string[] = [];
    const piece = (list: string[]): Grant => ({
      ...grant,
      statement: allow(actions, list, json.Condition),
    });
    for (const resource of [json.Resource].flat()) {
      const next = [...resources, resource];
      if (fits([...current, piece(next)])) {
        resources = next;
        continue;
      }
      if (resources.length > 0) current.push(piece(resources));
      if (current.length > 0) documents.push(current);
      current = [];
      resources = [resource];
    }
    if (resources.length > 0) current.push(piece(resources));
  }
  if (current.length > 0) documents.push(current);
  return documents.map((document, index) => {
    const policy = new iam.ManagedPolicy(role, `ServicesPolicy${index + 1}`, {
      description: `${role.node.id}: ECS/ECR access to the watched services (${index + 1} of ${documents.length})`,
      statements: document.map((g) => g.statement),
      roles: [role],
    });
    return { policy, grants: document };
  });
}

/**
 * Acknowledges, on `scope`, the AwsSolutions-IAM5 findings that these grants cause, each with its
 * grant's reason. Findings are computed the way the rule computes them, so nothing else is hidden;
 * a wildcard without a reason throws.
 */
export function acknowledgeWildcards(scope: IConstruct, grants: readonly Grant[], extra: readonly Grant[] = []): void {
  const reasons = new Map<string, string[]>();
  const stack = Stack.of(scope);
  for (const grant of [...grants, ...extra]) {
    const json = stack.resolve(grant.statement.toStatementJson()) as { Action?: unknown; Resource?: unknown };
    const findings = [
      ...asArray(json.Action)
        .filter((a) => typeof a === 'string' && a.includes('*'))
        .map((a) => `Action::${a as string}`),
      ...asArray(json.Resource)
        .map((r) => flattenCfnReference(r))
        .filter((r) => r.includes('*'))
        .map((r) => `Resource::${r}`),
    ];
    if (findings.length > 0 && grant.wildcardReason === undefined) {
      throw new Error(`acknowledgeWildcards: ${findings.join(', ')} has no reason`);
    }
    for (const finding of findings) {
      const list = reasons.get(finding) ?? [];
      if (grant.wildcardReason !== undefined && !list.includes(grant.wildcardReason)) list.push(grant.wildcardReason);
      reasons.set(finding, list);
    }
  }
  for (const [finding, list] of reasons) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: list.join(' ') });
  }
}

/** An Allow statement. */
export function allow(actions: string[], resources: readonly string[], conditions?: Record<string, unknown>): iam.PolicyStatement {
  return new iam.PolicyStatement({
    effect: iam.Effect.ALLOW,
    actions,
    resources: [...resources],
    ...(conditions !== undefined && { conditions }),
  });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * A CloudFormation value as the string cdk-nag's AwsSolutions-IAM5 names it in a finding
 * (`Resource::arn:<AWS::Partition>:ecs:...`), the way cdk-nag's flattenCfnReference writes it
 * (cdk-nag, Apache-2.0), so the construct acknowledges exactly those findings without importing cdk-nag
 * at run time. test/infra/permissions-flatten.test.ts compares the two.
 */
export function flattenCfnReference(reference: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    const object = node as Record<string, unknown>;
    if (object['Fn::Join']) {
      const [delimiter, items] = object['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (object['Fn::Sub']) return visit(object['Fn::Sub']);
    if (object['Fn::GetAtt']) {
      const [resource, attribute] = object['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (object['Fn::ImportValue']) return visit(object['Fn::ImportValue']);
    if (object.Ref) return `<${visit(object.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(reference);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
