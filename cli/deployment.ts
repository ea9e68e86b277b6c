/**
 * Finds a deployed ecs-auto-rollback and what it is made of, with read-only calls: the state
 * machine (by --state-machine-arn, by name, or by the construct's project tag), its stack (through
 * CloudFormation's aws:cloudformation:stack-name tag on it), the stack's outputs and the construct's
 * resources (by logical id), and the services configuration item the deployment wrote.
 */
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStateMachineCommand, ListStateMachinesCommand, ListTagsForResourceCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PROJECT_TAG_KEY, SERVICES_CONFIG_ATTRIBUTE, SERVICES_CONFIG_ITEM_ID } from '../lambdas/shared/config';
import type { ServiceConfig } from '../lambdas/shared/types';
import { type GlobalOptions, stateMachineNameFor } from './args';
import { UsageError } from './exit-codes';
import { CliAwsError, findStateMachineArn } from './sfn';

/** The AWS services the CLI's checks call. */
export type AwsServiceId = 'cloudformation' | 'cloudwatch' | 'dynamodb' | 'ecr' | 'ecs' | 'elbv2' | 'eventbridge' | 'iam' | 'kms' | 'sqs';

/** SDK client configuration for one service in one region (tests point it at the stand-in). */
export type AwsConfigFor = (service: AwsServiceId, region: string | undefined) => Record<string, unknown>;

/** The default: the SDK's own configuration chain, with the region when known. */
export const defaultAwsConfig: AwsConfigFor = (_service, region) => (region === undefined ? {} : { region });

/** Runs an AWS call; a failure becomes a CliAwsError naming the operation. */
export async function awsRead<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new CliAwsError(operation, e.name ?? 'Error', e.message ?? String(error), undefined, { cause: error });
  }
}

/** The error's name when a call failed with a CliAwsError, else undefined. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof CliAwsError ? error.errorName : undefined;
}

/** One resource of the construct in its stack. */
export interface ConstructResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

/** A deployed ecs-auto-rollback, as read from AWS. */
export interface Deployment {
  readonly region: string | undefined;
  readonly account: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly stateMachineStatus: string;
  /** The Lambda function ARNs the definition's Task states call. */
  readonly functionArns: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly stackName?: string;
  readonly stackStatus?: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** The construct's resources in the stack (logical id prefix of its state machine). */
  readonly resources: readonly ConstructResource[];
  readonly tableName?: string;
  /** The services configuration item, parsed; undefined when it could not be read. */
  readonly services?: readonly ServiceConfig[];
  /** Why the services configuration could not be read. */
  readonly servicesProblem?: string;
}

const STATE_MACHINE_LOGICAL_ID = /WorkflowStateMachine[0-9A-F]{8}$/;
const TAG_SCAN_LIMIT = 100;

/** Finds the state machine: --state-machine-arn, the name --project gives, or the construct's project tag. */
export async function locateStateMachine(global: GlobalOptions, sfn: SFNClient, region: string | undefined): Promise<string> {
  if (global.stateMachineArn !== undefined) return global.stateMachineArn;
  const project = global.project;
  if (project === undefined) throw new UsageError('doctor and selftest need --project <name> or --state-machine-arn <arn>');
  const byName = await findStateMachineArn(sfn, stateMachineNameFor(project));
  if (byName !== undefined) return byName;
  // A construct in a stack of the user's: look for the project tag (bounded: ListTagsForResource per machine).
  let nextToken: string | undefined;
  let scanned = 0;
  do {
    const page = await awsRead('ListStateMachines', () => sfn.send(new ListStateMachinesCommand({ maxResults: 100, nextToken })));
    for (const machine of page.stateMachines ?? []) {
      if (machine.stateMachineArn === undefined || scanned++ >= TAG_SCAN_LIMIT) continue;
      const tags = await awsRead('ListTagsForResource', () => sfn.send(new ListTagsForResourceCommand({ resourceArn: machine.stateMachineArn })));
      if (tags.tags?.some((tag) => tag.key === PROJECT_TAG_KEY && tag.value === project)) return machine.stateMachineArn;
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined && scanned < TAG_SCAN_LIMIT);
  throw new UsageError(
    `no state machine named ${stateMachineNameFor(project)} or tagged ${PROJECT_TAG_KEY}=${project} in ${region ?? 'the default region'}: deploy it (npx cdk deploy -c project=${project}), check --region, or pass --state-machine-arn`,
  );
}

function lambdaArnsOf(definition: string | undefined): string[] {
  const arns = new Set<string>();
  for (const match of (definition ?? '').matchAll(/arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+/g)) arns.add(match[0]);
  return [...arns];
}

/** Reads the deployment the state machine belongs to. */
export async function readDeployment(
  stateMachineArn: string,
  sfn: SFNClient,
  awsConfig: AwsConfigFor,
  region: string | undefined,
): Promise<Deployment> {
  const account = stateMachineArn.split(':')[4] ?? '';
  const machine = await awsRead('DescribeStateMachine', () => sfn.send(new DescribeStateMachineCommand({ stateMachineArn })));
  const tagList = await awsRead('ListTagsForResource', () => sfn.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn })));
  const tags = Object.fromEntries((tagList.tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? '']));
  const stackName = tags['aws:cloudformation:stack-name'];
  let outputs: Record<string, string> = {};
  let resources: ConstructResource[] = [];
  let stackStatus: string | undefined;
  if (stackName !== undefined) {
    const cfn = new CloudFormationClient(awsConfig('cloudformation', region));
    const described = await awsRead('CloudFormation.DescribeStacks', () => cfn.send(new DescribeStacksCommand({ StackName: stackName })));
    const stack = described.Stacks?.[0];
    stackStatus = stack?.StackStatus;
    outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    const summaries: StackResourceSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await awsRead('CloudFormation.ListStackResources', () => cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: nextToken })));
      summaries.push(...(page.StackResourceSummaries ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    const machineLogicalId = tags['aws:cloudformation:logical-id'] ?? summaries.find((s) => s.PhysicalResourceId === stateMachineArn)?.LogicalResourceId ?? '';
    const prefix = machineLogicalId.replace(STATE_MACHINE_LOGICAL_ID, '');
    resources = summaries
      .filter((s) => (s.LogicalResourceId ?? '').startsWith(prefix))
      .map((s) => ({ logicalId: s.LogicalResourceId ?? '', physicalId: s.PhysicalResourceId ?? '', type: s.ResourceType ?? '' }));
    cfn.destroy();
  }
  const tableName = resources.find((r) => r.type === 'AWS::DynamoDB::Table' && /StateTable[0-9A-F]{8}$/.test(r.logicalId))?.physicalId;
  let services: ServiceConfig[] | undefined;
  let servicesProblem: string | undefined;
  if (tableName === undefined) {
    servicesProblem = stackName === undefined ? 'the state machine carries no aws:cloudformation:stack-name tag' : `no state table in stack ${stackName}`;
  } else {
    const dynamo = new DynamoDBClient(awsConfig('dynamodb', region));
    try {
      const item = await awsRead('DynamoDB.GetItem', () =>
        dynamo.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: SERVICES_CONFIG_ITEM_ID } }, ConsistentRead: true })),
      );
      const text = item.Item?.[SERVICES_CONFIG_ATTRIBUTE]?.S;
      if (text === undefined) servicesProblem = `the state table ${tableName} has no ${SERVICES_CONFIG_ITEM_ID} item`;
      else services = JSON.parse(text) as ServiceConfig[];
    } catch (error) {
      servicesProblem = error instanceof Error ? error.message : String(error);
    } finally {
      dynamo.destroy();
    }
  }
  return {
    region,
    account,
    stateMachineArn,
    stateMachineName: machine.name ?? stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1),
    stateMachineStatus: machine.status ?? 'UNKNOWN',
    functionArns: lambdaArnsOf(machine.definition),
    tags,
    ...(stackName === undefined ? {} : { stackName }),
    ...(stackStatus === undefined ? {} : { stackStatus }),
    outputs,
    resources,
    ...(tableName === undefined ? {} : { tableName }),
    ...(services === undefined ? {} : { services }),
    ...(servicesProblem === undefined ? {} : { servicesProblem }),
  };
}
