/**
 * The AWS limits a synthesized stack of this project can meet at deploy time, in one table, and a
 * synth-time check of the template against them. Sizes are measured as the service will measure them
 * after CloudFormation resolves the template: where a value is still a CloudFormation token (account,
 * region, partition, a generated name or ARN) it is counted at its longest possible value
 * (see {@link LONGEST}), so a template that passes here cannot exceed a limit when deployed.
 */
import { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One AWS limit. */
export interface AwsLimit {
  /** What is limited, as a person reads it. */
  readonly name: string;
  readonly max: number;
  readonly unit: 'bytes' | 'characters' | 'count';
  /** Where AWS documents it. */
  readonly source: string;
  /** How we measure it, when that is not obvious. */
  readonly note?: string;
}

/** Every limit the check enforces. */
export const AWS_LIMITS = {
  lambdaEnvironment: {
    name: 'Lambda environment variables (all of a function, in aggregate)',
    max: 4096,
    unit: 'bytes',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    note: 'names plus values, UTF-8',
  },
  lambdaDescription: {
    name: 'Lambda function Description',
    max: 256,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  },
  eventPattern: {
    name: 'EventBridge event pattern',
    max: 2048,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
    note: 'the pattern as compact JSON; adjustable by a quota increase',
  },
  rulesPerBus: {
    name: 'EventBridge rules per event bus',
    max: 100,
    unit: 'count',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
    note: '300 per account and Region, 100 in af-south-1 and eu-south-1, shared with every other stack: the lowest default is checked',
  },
  targetsPerRule: {
    name: 'EventBridge targets per rule',
    max: 5,
    unit: 'count',
    source: 'https://docs.aws.amazon.com/cli/latest/reference/events/put-targets.html',
  },
  roleInlinePolicies: {
    name: 'IAM inline policies of one role (aggregate)',
    max: 10240,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
    note: 'IAM does not count white space',
  },
  managedPolicySize: {
    name: 'IAM managed policy',
    max: 6144,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
    note: 'IAM does not count white space',
  },
  managedPoliciesPerRole: {
    name: 'IAM managed policies attached to one role',
    max: 10,
    unit: 'count',
    source: 'https://repost.aws/knowledge-center/iam-increase-policy-size',
    note: 'default quota (20 after an increase)',
  },
  templateSize: {
    name: 'CloudFormation template body (from S3)',
    max: 1_000_000,
    unit: 'bytes',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html',
    note: '1 MB, taken as 10^6 bytes; the template as cdk synth writes it',
  },
  templateResources: {
    name: 'CloudFormation resources per template',
    max: 500,
    unit: 'count',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html',
  },
  templateOutputs: {
    name: 'CloudFormation outputs per template',
    max: 200,
    unit: 'count',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html',
  },
  stateMachineDefinition: {
    name: 'Step Functions state machine definition',
    max: 1_048_576,
    unit: 'bytes',
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/limits.html',
    note: 'after CloudFormation applies the definition substitutions',
  },
  alarmName: {
    name: 'CloudWatch alarm name',
    max: 255,
    unit: 'characters',
    source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  },
  dynamoDbItem: {
    name: 'DynamoDB item',
    max: 409_600,
    unit: 'bytes',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    note: 'attribute names plus values, UTF-8',
  },
} as const satisfies Record<string, AwsLimit>;

/** Key of a limit in {@link AWS_LIMITS}. */
export type LimitId = keyof typeof AWS_LIMITS;

/**
 * The longest value each CloudFormation token can take, from aws-cdk-lib's region facts (the Regions
 * and partitions it knows) and the name limits of each resource type.
 */
export const LONGEST = {
  partition: 'aws-us-gov',
  region: 'us-isof-south-1',
  accountId: '123456789012',
  urlSuffix: 'amazonaws.com.cn',
} as const;

/** How the measured sizes treat tokens, as the check's messages say it. */
export const TOKEN_NOTE =
  `tokens counted at their longest possible values (partition ${LONGEST.partition}, Region ${LONGEST.region}, ` +
  '12-digit account, generated names at the maximum length of their resource type)';

/** Longest name CloudFormation may generate, by resource type (the service's own name limit). */
const NAME_MAX: Record<string, number> = {
  'AWS::DynamoDB::Table': 255,
  'AWS::SNS::Topic': 256,
  'AWS::SQS::Queue': 80,
  'AWS::Lambda::Function': 64,
  'AWS::IAM::Role': 64,
  'AWS::IAM::ManagedPolicy': 128,
  'AWS::Logs::LogGroup': 512,
  'AWS::StepFunctions::StateMachine': 80,
  'AWS::Events::Rule': 64,
  'AWS::CloudWatch::Alarm': 255,
  // The watched service's own resources when the app defines them (EcsAutoRollback next to a FargateService):
  // ECS cluster and service names 255, ECR repository names 256, target group names 32
  // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html,
  // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html,
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
  'AWS::ECS::Cluster': 255,
  'AWS::ECS::Service': 255,
  'AWS::ECR::Repository': 256,
  'AWS::ElasticLoadBalancingV2::TargetGroup': 32,
};
const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Events::Rule': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::Service': 'ServiceName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
};
/** Longest value of an intrinsic the resolver does not model (a custom resource's attribute, say). */
const UNKNOWN_VALUE_LENGTH = 1024;

/** A CloudFormation template, as far as the check reads it. */
export interface TemplateJson {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown>; readonly Metadata?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, unknown>;
}

/** One measured size. */
export interface Measurement {
  readonly limit: LimitId;
  /** The resource measured (its construct path, or its logical id), or "template". */
  readonly resource: string;
  readonly size: number;
}

/** A measured size over its limit. */
export interface LimitViolation extends Measurement {
  readonly max: number;
  readonly message: string;
}

/** Resolves CloudFormation values of one template with every token at its longest possible value. */
export class LongestResolver {
  public constructor(private readonly template: TemplateJson) {}

  /** The value with every intrinsic replaced by its longest possible string. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (typeof value !== 'object' || value === null) return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return this.intrinsic(keys[0], object[keys[0]]);
    return Object.fromEntries(keys.map((k) => [k, this.resolve(object[k])]));
  }

  /** The value as a string, with every intrinsic at its longest. */
  public string(value: unknown): string {
    const resolved = this.resolve(value);
    return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
  }

  private intrinsic(name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return this.getAtt(String(id), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const resolved = this.resolve(parts);
        if (!Array.isArray(resolved)) return this.unknown();
        return resolved.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(separator);
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return this.string(source).split(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const resolved = this.resolve(list);
        return Array.isArray(resolved) ? (resolved[Number(this.resolve(index))] ?? '') : this.unknown();
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!]+)\}/g, (_, key: string) => {
          if (variables[key] !== undefined) return this.string(variables[key]);
          const [id, attribute] = key.split('.');
          return attribute === undefined ? this.string(this.ref(key)) : this.string(this.getAtt(String(id), attribute));
        });
      }
      default:
        return this.unknown();
    }
  }

  private unknown(): string {
    return 'x'.repeat(UNKNOWN_VALUE_LENGTH);
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Partition':
        return LONGEST.partition;
      case 'AWS::Region':
        return LONGEST.region;
      case 'AWS::AccountId':
        return LONGEST.accountId;
      case 'AWS::URLSuffix':
        return LONGEST.urlSuffix;
      case 'AWS::StackName':
        return 'x'.repeat(128);
      case 'AWS::NoValue':
        return '';
    }
    const resource = this.template.Resources?.[id];
    if (resource === undefined) return this.unknown();
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::ECS::Service':
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return this.arnOf(id);
      case 'AWS::SQS::Queue':
        return `https://sqs.${LONGEST.region}.${LONGEST.urlSuffix}/${LONGEST.accountId}/${this.nameOf(id)}`;
      case 'AWS::KMS::Key':
        return 'x'.repeat(36);
      default:
        return NAME_MAX[resource.Type] !== undefined ? this.nameOf(id) : this.unknown();
    }
  }

  private getAtt(id: string, attribute: string): string {
    const resource = this.template.Resources?.[id];
    if (resource === undefined) return this.unknown();
    if (attribute === 'Arn' || attribute === 'TopicArn') return this.arnOf(id);
    if (attribute === 'Name' || attribute === 'TopicName' || attribute === 'QueueName') return this.nameOf(id);
    if (attribute === 'QueueUrl') return this.ref(id);
    return this.unknown();
  }

  private nameOf(id: string): string {
    const resource = this.template.Resources?.[id];
    const type = resource?.Type ?? '';
    const property = NAME_PROPERTY[type];
    const given = property === undefined ? undefined : resource?.Properties?.[property];
    if (given !== undefined) return this.string(given);
    return 'x'.repeat(NAME_MAX[type] ?? UNKNOWN_VALUE_LENGTH);
  }

  private arnOf(id: string): string {
    const type = this.template.Resources?.[id]?.Type ?? '';
    const { partition, region, accountId } = LONGEST;
    const arn = (service: string, resource: string, global = false): string =>
      `arn:${partition}:${service}:${global ? '' : region}:${accountId}:${resource}`;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return arn('dynamodb', `table/${this.nameOf(id)}`);
      case 'AWS::SNS::Topic':
        return arn('sns', this.nameOf(id));
      case 'AWS::SQS::Queue':
        return arn('sqs', this.nameOf(id));
      case 'AWS::Lambda::Function':
        return arn('lambda', `function:${this.nameOf(id)}`);
      case 'AWS::IAM::Role':
        return arn('iam', `role/${this.nameOf(id)}`, true);
      case 'AWS::IAM::ManagedPolicy':
        return arn('iam', `policy/${this.nameOf(id)}`, true);
      case 'AWS::Logs::LogGroup':
        return arn('logs', `log-group:${this.nameOf(id)}:*`);
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${this.nameOf(id)}`);
      case 'AWS::Events::Rule':
        return arn('events', `rule/${this.nameOf(id)}`);
      case 'AWS::CloudWatch::Alarm':
        return arn('cloudwatch', `alarm:${this.nameOf(id)}`);
      case 'AWS::KMS::Key':
        return arn('kms', `key/${'x'.repeat(36)}`);
      case 'AWS::ECS::Service':
        return arn('ecs', `service/${'x'.repeat(NAME_MAX['AWS::ECS::Cluster'] ?? 0)}/${this.nameOf(id)}`);
      case 'AWS::ECR::Repository':
        return arn('ecr', `repository/${this.nameOf(id)}`);
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return arn('elasticloadbalancing', `targetgroup/${this.nameOf(id)}/${'x'.repeat(16)}`);
      default:
        return this.unknown();
    }
  }
}

/** IAM's size of a policy document: its characters without white space. */
export function policySize(document: unknown): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

/** What a template alone does not say. */
export interface MeasureOptions {
  /** A readable name of each resource (its construct path), by logical id. @default the logical id */
  readonly labels?: Readonly<Record<string, string>>;
  /** Definitions of state machines that load theirs from S3 (DefinitionS3Location), by logical id. */
  readonly definitions?: Readonly<Record<string, string>>;
}

/** Measures every limited size of a template (tokens at their longest possible values). */
export function measureTemplate(template: TemplateJson, options: MeasureOptions = {}): Measurement[] {
  const resolver = new LongestResolver(template);
  const resources = Object.entries(template.Resources ?? {});
  const label = (id: string): string => {
    const path = options.labels?.[id] ?? resources.find(([other]) => other === id)?.[1].Metadata?.['aws:cdk:path'];
    return typeof path === 'string' ? path : id;
  };
  const refersTo = (list: unknown, id: string): boolean =>
    Array.isArray(list) && list.some((item) => typeof item === 'object' && item !== null && (item as { Ref?: unknown }).Ref === id);
  const out: Measurement[] = [];

  out.push({ limit: 'templateSize', resource: 'template', size: Buffer.byteLength(JSON.stringify(template, undefined, 1)) });
  out.push({ limit: 'templateResources', resource: 'template', size: resources.length });
  out.push({ limit: 'templateOutputs', resource: 'template', size: Object.keys(template.Outputs ?? {}).length });

  let rulesOnDefaultBus = 0;
  for (const [id, resource] of resources) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        const variables = (resolver.resolve((props.Environment as { Variables?: unknown } | undefined)?.Variables) ?? {}) as Record<string, unknown>;
        const size = Object.entries(variables).reduce(
          (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value)),
          0,
        );
        out.push({ limit: 'lambdaEnvironment', resource: label(id), size });
        if (props.Description !== undefined) {
          out.push({ limit: 'lambdaDescription', resource: label(id), size: resolver.string(props.Description).length });
        }
        break;
      }
      case 'AWS::Events::Rule': {
        if (props.EventBusName === undefined || props.EventBusName === 'default') rulesOnDefaultBus += 1;
        if (props.EventPattern !== undefined) {
          out.push({ limit: 'eventPattern', resource: label(id), size: JSON.stringify(resolver.resolve(props.EventPattern)).length });
        }
        out.push({ limit: 'targetsPerRule', resource: label(id), size: Array.isArray(props.Targets) ? props.Targets.length : 0 });
        break;
      }
      case 'AWS::IAM::Role': {
        const own = Array.isArray(props.Policies) ? (props.Policies as { PolicyDocument?: unknown }[]) : [];
        let inline = own.reduce((sum, p) => sum + policySize(resolver.resolve(p.PolicyDocument)), 0);
        for (const [, other] of resources) {
          if (other.Type === 'AWS::IAM::Policy' && refersTo(other.Properties?.Roles, id)) {
            inline += policySize(resolver.resolve(other.Properties?.PolicyDocument));
          }
        }
        out.push({ limit: 'roleInlinePolicies', resource: label(id), size: inline });
        const attached = Array.isArray(props.ManagedPolicyArns) ? props.ManagedPolicyArns.length : 0;
        const managed = resources.filter(([, other]) => other.Type === 'AWS::IAM::ManagedPolicy' && refersTo(other.Properties?.Roles, id)).length;
        out.push({ limit: 'managedPoliciesPerRole', resource: label(id), size: attached + managed });
        break;
      }
      case 'AWS::IAM::ManagedPolicy':
        out.push({ limit: 'managedPolicySize', resource: label(id), size: policySize(resolver.resolve(props.PolicyDocument)) });
        break;
      case 'AWS::StepFunctions::StateMachine': {
        let definition = options.definitions?.[id] ?? resolver.string(props.DefinitionString ?? props.Definition ?? '');
        const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
        for (const [key, value] of Object.entries(substitutions)) definition = definition.split(`\${${key}}`).join(resolver.string(value));
        out.push({ limit: 'stateMachineDefinition', resource: label(id), size: Buffer.byteLength(definition) });
        break;
      }
      case 'AWS::CloudWatch::Alarm':
        if (props.AlarmName !== undefined) out.push({ limit: 'alarmName', resource: label(id), size: resolver.string(props.AlarmName).length });
        break;
      default: {
        const item = resource.Type.startsWith('Custom::') ? putItemOf(resolver.string(props.Create ?? props.Update ?? '')) : undefined;
        if (item !== undefined) out.push({ limit: 'dynamoDbItem', resource: label(id), size: itemSize(item) });
      }
    }
  }
  out.push({ limit: 'rulesPerBus', resource: 'template (default event bus)', size: rulesOnDefaultBus });
  return out;
}

/** The item of an AwsCustomResource DynamoDB putItem call, if that is what `call` (its JSON) is. */
function putItemOf(call: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(call) as { service?: string; action?: string; parameters?: { Item?: Record<string, unknown> } };
    return parsed.service === 'DynamoDB' && parsed.action === 'putItem' ? parsed.parameters?.Item : undefined;
  } catch {
    return undefined;
  }
}

/** DynamoDB's size of an item of string (S) attributes: names plus values, UTF-8. */
function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => {
    const text = (value as { S?: unknown }).S;
    return sum + Buffer.byteLength(name) + Buffer.byteLength(typeof text === 'string' ? text : JSON.stringify(value));
  }, 0);
}

/** The message of a size over its limit: the limit, the resource, the measured size, and the source. */
export function violationMessage(measurement: Measurement): string {
  const limit: AwsLimit = AWS_LIMITS[measurement.limit];
  const tokens = limit.unit === 'count' || measurement.limit === 'templateSize' ? '' : `; ${TOKEN_NOTE}`;
  return (
    `AWS limit exceeded: ${limit.name} is at most ${limit.max} ${limit.unit} (${limit.source}), ` +
    `${measurement.resource} measures ${measurement.size}${tokens}`
  );
}

/** The measurements over their limit. */
export function checkTemplate(template: TemplateJson, options: MeasureOptions = {}): LimitViolation[] {
  return measureTemplate(template, options)
    .filter((m) => m.size > AWS_LIMITS[m.limit].max)
    .map((m) => ({ ...m, max: AWS_LIMITS[m.limit].max, message: violationMessage(m) }));
}

/** The template of a stack as CloudFormation will receive it (tokens as intrinsics). */
export function templateOf(stack: Stack): TemplateJson {
  return (stack as unknown as { _toCloudFormation(): TemplateJson })._toCloudFormation();
}

/** A state machine whose definition CloudFormation reads from an S3 asset, and that definition. */
export interface DefinitionFile {
  readonly stateMachine: IConstruct;
  readonly definition: string;
}

/** Measures a stack's template: labels are construct paths, definitions as given. */
export function measureStack(stack: Stack, definitions: readonly DefinitionFile[] = []): Measurement[] {
  return measureTemplate(templateOf(stack), measureOptionsOf(stack, definitions));
}

function measureOptionsOf(stack: Stack, definitions: readonly DefinitionFile[]): MeasureOptions {
  const labels: Record<string, string> = {};
  for (const construct of stack.node.findAll()) {
    if (CfnElement.isCfnElement(construct) && Stack.of(construct) === stack) {
      labels[stack.resolve(construct.logicalId) as string] = construct.node.path;
    }
  }
  const byId: Record<string, string> = {};
  for (const { stateMachine, definition } of definitions) {
    const resource = stateMachine.node.defaultChild;
    if (resource !== undefined && CfnElement.isCfnElement(resource)) byId[stack.resolve(resource.logicalId) as string] = definition;
  }
  return { labels, definitions: byId };
}

/**
 * Makes `app.synth()` (and so `cdk synth`) fail when the stack's template exceeds one of the AWS limits,
 * with one message per limit exceeded naming the limit, the resource and the measured size.
 */
export function addLimitsCheck(scope: IConstruct, definitions: readonly DefinitionFile[] = []): void {
  const stack = Stack.of(scope);
  stack.node.addValidation({
    validate: () => checkTemplate(templateOf(stack), measureOptionsOf(stack, definitions)).map((v) => v.message),
  });
}
