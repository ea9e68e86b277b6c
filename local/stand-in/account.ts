/**
 * The read side of a deployed stack, as `ecs-rollback doctor` reads it: CloudFormation stacks
 * (DescribeStacks, ListStackResources; AWS Query), CloudWatch alarms (DescribeAlarms; AWS JSON 1.0,
 * the alarms of the model plus any added here), SQS queue attributes (GetQueueAttributes; AWS JSON
 * 1.0), EventBridge rules and targets (ListRules, DescribeRule, ListTargetsByRule; AWS JSON 1.1), KMS
 * key policies (GetKeyPolicy; AWS JSON 1.1) and IAM policy simulation (SimulatePrincipalPolicy; AWS
 * Query) over the identity policies given to each role here.
 *
 * API semantics from the API references: DescribeStacks answers ValidationError "Stack with id <name>
 * does not exist" for an unknown stack
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html);
 * SimulatePrincipalPolicy evaluates each action on each resource to allowed, explicitDeny or
 * implicitDeny, an explicit Deny winning over any Allow
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
 * GetQueueAttributes returns the attributes as strings
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
 */
import type { AwsModel } from './model';
import { ApiError, epochSeconds, queryList, str, strList } from './protocols';

/** X-Amz-Target prefixes of the JSON services served here. */
export const SQS_TARGET_PREFIX = 'AmazonSQS';
export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';
export const EVENTS_TARGET_PREFIX = 'AWSEvents';
export const KMS_TARGET_PREFIX = 'TrentService';
/** API versions and XML namespaces of the Query services served here. */
export const CLOUDFORMATION_VERSION = '2010-05-15';
export const CLOUDFORMATION_XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
export const IAM_VERSION = '2010-05-08';
export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export interface StackOutputRecord {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
}

export interface StackResourceRecord {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

export interface StackRecord {
  readonly name: string;
  readonly id: string;
  status: string;
  readonly createdAt: number;
  readonly outputs: StackOutputRecord[];
  readonly tags: Record<string, string>;
  readonly resources: StackResourceRecord[];
}

export interface QueueRecord {
  readonly url: string;
  readonly arn: string;
  visible: number;
  inFlight: number;
}

export interface RuleTargetRecord {
  readonly id: string;
  readonly arn: string;
  readonly roleArn?: string;
  readonly deadLetterArn?: string;
}

export interface RuleRecord {
  readonly name: string;
  readonly arn: string;
  state: 'ENABLED' | 'DISABLED';
  readonly eventPattern: string;
  readonly targets: RuleTargetRecord[];
}

export interface KeyRecord {
  readonly keyId: string;
  readonly arn: string;
  policy: string;
}

/** One identity-policy statement (conditions are not modelled: the simulation has no request context). */
export interface PolicyStatementRecord {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

export interface RoleRecord {
  readonly arn: string;
  readonly statements: PolicyStatementRecord[];
}

/** A CloudWatch metric alarm other than the model's UnHealthyHostCount alarms (e.g. a user's 5xx alarm). */
export interface MetricAlarmRecord {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly stateReason: string;
  readonly stateSince: number;
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly comparisonOperator: string;
  readonly statistic: string;
}

/** The deployed stack's resources the stand-in answers read calls about. */
export class AccountResources {
  public readonly stacks = new Map<string, StackRecord>();
  public readonly queues = new Map<string, QueueRecord>();
  public readonly rules = new Map<string, RuleRecord>();
  public readonly keys = new Map<string, KeyRecord>();
  public readonly roles = new Map<string, RoleRecord>();
  public readonly alarms = new Map<string, MetricAlarmRecord>();

  /** The key by id or ARN. */
  public key(idOrArn: string): KeyRecord | undefined {
    return this.keys.get(idOrArn) ?? [...this.keys.values()].find((key) => key.arn === idOrArn);
  }
}

/** Dependencies of the handlers. */
export interface AccountDeps {
  readonly model: AwsModel;
  readonly account: AccountResources;
}

function requireText(value: string | undefined, member: string, protocol: 'json' | 'query'): string {
  if (value === undefined || value === '') {
    throw new ApiError(protocol === 'json' ? 'ValidationException' : 'ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

/** CloudFormation (AWS Query): DescribeStacks, ListStackResources. */
export function handleCloudFormation(operation: string, params: Map<string, string>, deps: AccountDeps): Record<string, unknown> {
  const stackOf = (nameOrId: string | undefined): StackRecord => {
    const stack = nameOrId === undefined ? undefined : (deps.account.stacks.get(nameOrId) ?? [...deps.account.stacks.values()].find((s) => s.id === nameOrId));
    if (stack === undefined) throw new ApiError('ValidationError', `Stack with id ${nameOrId ?? ''} does not exist`);
    return stack;
  };
  switch (operation) {
    case 'DescribeStacks': {
      const name = params.get('StackName');
      const stacks = name === undefined ? [...deps.account.stacks.values()] : [stackOf(name)];
      return {
        Stacks: stacks.map((stack) => ({
          StackId: stack.id,
          StackName: stack.name,
          CreationTime: new Date(stack.createdAt),
          StackStatus: stack.status,
          Outputs: stack.outputs.map((o) => ({ OutputKey: o.key, OutputValue: o.value, ...(o.description === undefined ? {} : { Description: o.description }) })),
          Tags: Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value })),
        })),
      };
    }
    case 'ListStackResources': {
      const stack = stackOf(requireText(params.get('StackName'), 'stackName', 'query'));
      return {
        StackResourceSummaries: stack.resources.map((r) => ({
          LogicalResourceId: r.logicalId,
          PhysicalResourceId: r.physicalId,
          ResourceType: r.type,
          LastUpdatedTimestamp: new Date(stack.createdAt),
          ResourceStatus: 'CREATE_COMPLETE',
        })),
      };
    }
    default:
      throw new ApiError('InvalidAction', `stand-in does not implement CloudFormation ${operation}`);
  }
}

/** `*` and `?` of an IAM action or resource pattern, case-insensitive for actions. */
function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** The decision of the role's identity policies for one action on one resource (explicit Deny wins). */
export function evaluate(role: RoleRecord, action: string, resource: string): 'allowed' | 'explicitDeny' | 'implicitDeny' {
  const matching = role.statements.filter(
    (s) => s.actions.some((a) => globMatches(a, action, true)) && s.resources.some((r) => globMatches(r, resource, false)),
  );
  if (matching.some((s) => s.effect === 'Deny')) return 'explicitDeny';
  return matching.some((s) => s.effect === 'Allow') ? 'allowed' : 'implicitDeny';
}

/** IAM (AWS Query): SimulatePrincipalPolicy. */
export function handleIam(operation: string, params: Map<string, string>, deps: AccountDeps): Record<string, unknown> {
  if (operation !== 'SimulatePrincipalPolicy') throw new ApiError('InvalidAction', `stand-in does not implement IAM ${operation}`);
  const source = requireText(params.get('PolicySourceArn'), 'policySourceArn', 'query');
  const role = deps.account.roles.get(source);
  if (role === undefined) throw new ApiError('NoSuchEntity', `The role with name ${source.slice(source.lastIndexOf('/') + 1)} cannot be found.`, 404);
  const actions = queryList(params, 'ActionNames');
  if (actions.length === 0) throw new ApiError('ValidationError', "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
  const resources = queryList(params, 'ResourceArns');
  const results = actions.flatMap((action) =>
    (resources.length === 0 ? ['*'] : resources).map((resource) => ({
      EvalActionName: action,
      EvalResourceName: resource,
      EvalDecision: evaluate(role, action, resource),
    })),
  );
  return { EvaluationResults: results, IsTruncated: false };
}

/** CloudWatch (AWS JSON 1.0): DescribeAlarms, by name or all. */
export function handleCloudWatch(operation: string, input: Record<string, unknown>, deps: AccountDeps): unknown {
  if (operation !== 'DescribeAlarms') throw new ApiError('UnknownOperationException', `stand-in does not implement CloudWatch ${operation}`);
  const { model, account } = deps;
  const names = strList(input, 'AlarmNames');
  const arnOf = (name: string) => `arn:aws:cloudwatch:${model.region}:${model.account}:alarm:${name}`;
  const alarms: Record<string, unknown>[] = [];
  const candidates = names.length > 0 ? names : [...account.alarms.keys()];
  for (const name of candidates) {
    const modelled = model.findAlarm(name);
    if (modelled !== undefined) {
      const tg = modelled.targetGroupArn;
      const tgRecord = model.findTargetGroup(tg);
      const lb = tgRecord?.loadBalancerArns[0];
      alarms.push({
        AlarmName: modelled.name,
        AlarmArn: arnOf(modelled.name),
        AlarmDescription: modelled.description,
        ActionsEnabled: true,
        StateValue: modelled.state,
        StateReason: `Alarm ${modelled.name} is ${modelled.state}`,
        StateUpdatedTimestamp: epochSeconds(modelled.stateSince),
        MetricName: 'UnHealthyHostCount',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Maximum',
        Dimensions: [
          { Name: 'TargetGroup', Value: tg.slice(tg.indexOf('targetgroup/')) },
          ...(lb === undefined ? [] : [{ Name: 'LoadBalancer', Value: lb.slice(lb.indexOf('loadbalancer/') + 'loadbalancer/'.length) }]),
        ],
        Period: modelled.periodSeconds,
        EvaluationPeriods: modelled.evaluationPeriods,
        DatapointsToAlarm: modelled.datapointsToAlarm,
        Threshold: modelled.threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      continue;
    }
    const alarm = account.alarms.get(name);
    if (alarm === undefined) continue;
    alarms.push({
      AlarmName: alarm.name,
      AlarmArn: arnOf(alarm.name),
      ActionsEnabled: true,
      StateValue: alarm.state,
      StateReason: alarm.stateReason,
      StateUpdatedTimestamp: epochSeconds(alarm.stateSince),
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      Statistic: alarm.statistic,
      Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Period: alarm.periodSeconds,
      EvaluationPeriods: alarm.evaluationPeriods,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparisonOperator,
    });
  }
  return { MetricAlarms: alarms, CompositeAlarms: [] };
}

/** SQS (AWS JSON 1.0): GetQueueAttributes. */
export function handleSqs(operation: string, input: Record<string, unknown>, deps: AccountDeps): unknown {
  if (operation !== 'GetQueueAttributes') throw new ApiError('UnknownOperationException', `stand-in does not implement SQS ${operation}`);
  const url = requireText(str(input, 'QueueUrl'), 'QueueUrl', 'json');
  const queue = deps.account.queues.get(url);
  if (queue === undefined) throw new ApiError('QueueDoesNotExist', 'The specified queue does not exist.');
  const all: Record<string, string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(queue.visible),
    ApproximateNumberOfMessagesNotVisible: String(queue.inFlight),
    ApproximateNumberOfMessagesDelayed: '0',
  };
  const names = strList(input, 'AttributeNames');
  const wanted = names.length === 0 || names.includes('All') ? Object.keys(all) : names.filter((name) => Object.hasOwn(all, name));
  return { Attributes: Object.fromEntries(wanted.map((name) => [name, all[name]!])) };
}

/** EventBridge (AWS JSON 1.1): ListRules, DescribeRule, ListTargetsByRule (default event bus). */
export function handleEvents(operation: string, input: Record<string, unknown>, deps: AccountDeps): unknown {
  const { account } = deps;
  const ruleOf = (name: string): RuleRecord => {
    const rule = account.rules.get(name);
    if (rule === undefined) throw new ApiError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus default.`);
    return rule;
  };
  const summary = (rule: RuleRecord) => ({ Name: rule.name, Arn: rule.arn, EventPattern: rule.eventPattern, State: rule.state, EventBusName: 'default' });
  switch (operation) {
    case 'ListRules': {
      const prefix = str(input, 'NamePrefix') ?? '';
      return { Rules: [...account.rules.values()].filter((rule) => rule.name.startsWith(prefix)).map(summary) };
    }
    case 'DescribeRule':
      return summary(ruleOf(requireText(str(input, 'Name'), 'Name', 'json')));
    case 'ListTargetsByRule': {
      const rule = ruleOf(requireText(str(input, 'Rule'), 'Rule', 'json'));
      return {
        Targets: rule.targets.map((t) => ({
          Id: t.id,
          Arn: t.arn,
          ...(t.roleArn === undefined ? {} : { RoleArn: t.roleArn }),
          ...(t.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: t.deadLetterArn } }),
        })),
      };
    }
    default:
      throw new ApiError('UnknownOperationException', `stand-in does not implement EventBridge ${operation}`);
  }
}

/** KMS (AWS JSON 1.1): GetKeyPolicy (the policy name is always "default"). */
export function handleKms(operation: string, input: Record<string, unknown>, deps: AccountDeps): unknown {
  if (operation !== 'GetKeyPolicy') throw new ApiError('UnknownOperationException', `stand-in does not implement KMS ${operation}`);
  const keyId = requireText(str(input, 'KeyId'), 'KeyId', 'json');
  const key = deps.account.key(keyId);
  if (key === undefined) throw new ApiError('NotFoundException', `Key '${keyId}' does not exist`);
  return { Policy: key.policy, PolicyName: 'default' };
}
