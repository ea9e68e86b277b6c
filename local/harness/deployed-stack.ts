/**
 * The world's stack as `cdk deploy -c project=riderapp` leaves it, on the stand-in's read APIs: the
 * CloudFormation stack (outputs, resources with the construct's logical ids), its tags on the state
 * machine (CloudFormation's aws:cloudformation:* and the construct's project tag), the trigger rules
 * and their targets, the dead-letter queue, the operations topic's key policy, and each task
 * function's role with exactly the statements lib/permissions.ts grants it (so a doctor that asks
 * for more than the stack grants fails on the healthy setup).
 */
import { PROJECT_TAG_KEY } from '../../lambdas/shared/config';
import type { ServiceConfig } from '../../lambdas/shared/types';
import { taskStopPattern } from '../../lib/constructs/detector';
import { type PermissionInputs, taskGrants } from '../../lib/permissions';
import { TASK_FUNCTIONS, type TaskFunctionId } from '../../statemachine/definition';
import type { PolicyStatementRecord, StackResourceRecord } from '../stand-in/index';
import { stepFunctionsOf } from './run';
import { PROJECT, type World } from './world';

const TASK_FUNCTION_IDS = Object.keys(TASK_FUNCTIONS) as TaskFunctionId[];

/** What was deployed, by name. */
export interface DeployedStack {
  readonly stackName: string;
  readonly stateMachineArn: string;
  readonly tableName: string;
  readonly deadLetterQueueUrl: string;
  readonly operationsTopicArn: string;
  readonly operationsKeyId: string;
  readonly ruleNames: { readonly deploymentFailed: string; readonly alarmStateChange: string; readonly lockRelease: string; readonly taskStopped?: string };
  readonly roleArns: Readonly<Record<TaskFunctionId, string>>;
  readonly functionArns: Readonly<Record<TaskFunctionId, string>>;
  /** The task-stop detector's function and role ARNs; absent when deployed without it. */
  readonly detector?: { readonly functionArn: string; readonly roleArn: string };
}

/** Options of {@link deployStack}. */
export interface DeployStackOptions {
  /** The stack's name. @default riderapp-ecs-auto-rollback (RollbackStack); another name models the construct in a stack of the user's */
  readonly stackName?: string;
  /** Logical id prefix of the construct's resources (its path in the user's stack). @default '' (id Default) */
  readonly constructPrefix?: string;
  /** The value of the construct's project tag on the state machine. @default the world's project */
  readonly projectTag?: string;
  /** Deploy the task-stop detector (its function, role and rule), as `taskStopDetector.enabled` does. @default true */
  readonly detector?: boolean;
}

/** A CDK-looking logical id hash (8 hex digits, stable per name). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).toUpperCase().padStart(8, '0');
}

const KEY_POLICY_FOR_CLOUDWATCH = (account: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'AllowCloudWatchAlarmsToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
    ],
  });

/**
 * The inputs lib/permissions.ts takes, as the stack resolves them for these services in one
 * account and Region (each ARN written out, as CloudFormation leaves them).
 */
export function permissionInputsFor(where: {
  readonly region: string;
  readonly account: string;
  readonly services: readonly Pick<ServiceConfig, 'cluster' | 'service' | 'ecrRepository'>[];
  readonly tableArn: string;
  readonly stateMachineName: string;
  readonly project: string;
  readonly compact?: boolean;
}): PermissionInputs {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${where.region}:${where.account}:${resource}`;
  return {
    services: where.services.map((s) => ({
      serviceArn: arn('ecs', `service/${s.cluster}/${s.service}`),
      clusterArn: arn('ecs', `cluster/${s.cluster}`),
      serviceDeploymentArns: arn('ecs', `service-deployment/${s.cluster}/${s.service}/*`),
      serviceRevisionArns: arn('ecs', `service-revision/${s.cluster}/${s.service}/*`),
      serviceHistoryArns: arn('ecs', `service-*/${s.cluster}/${s.service}/*`),
      clusterServiceDeploymentArns: arn('ecs', `service-deployment/${s.cluster}/*`),
      taskArns: arn('ecs', `task/${s.cluster}/*`),
      repositoryArn: arn('ecr', `repository/${s.ecrRepository}`),
      passRoleArns: [`arn:aws:iam::${where.account}:role/${where.project}-*`],
    })),
    tableArn: where.tableArn,
    taskDefinitionArns: arn('ecs', 'task-definition/*'),
    rdsArns: [arn('rds', 'db:*'), arn('rds', 'snapshot:*')],
    executionArns: arn('states', `execution:${where.stateMachineName}:*`),
    ...(where.compact === undefined ? {} : { compact: where.compact }),
  };
}

/** The statements of each task function's role, from the grants the construct gives it. */
function roleStatements(world: World, tableArn: string, stateMachineName: string): Record<TaskFunctionId, PolicyStatementRecord[]> {
  const { account, region } = world.model;
  const inputs = permissionInputsFor({ region, account, services: world.services, tableArn, stateMachineName, project: PROJECT });
  const grants = taskGrants(inputs);
  return Object.fromEntries(
    TASK_FUNCTION_IDS.map((id) => [
      id,
      grants[id].map((grant) => {
        const json = grant.statement.toStatementJson() as { Effect: string; Action: string | string[]; Resource: string | string[] };
        return { effect: json.Effect === 'Deny' ? 'Deny' : 'Allow', actions: [json.Action].flat(), resources: [json.Resource].flat() } as PolicyStatementRecord;
      }),
    ]),
  ) as Record<TaskFunctionId, PolicyStatementRecord[]>;
}

/** Puts the deployed stack of the world's project on the stand-in; returns its names. */
export function deployStack(world: World, options: DeployStackOptions = {}): DeployedStack {
  const { account: accountId, region } = world.model;
  const resources = world.standIn.account;
  const sfn = stepFunctionsOf(world);
  const stackName = options.stackName ?? `${PROJECT}-ecs-auto-rollback`;
  const prefix = options.constructPrefix ?? '';
  const logical = (path: string) => `${prefix}${path}${hash(`${prefix}${path}`)}`;
  const stackId = `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/0f6b2a10-4c5e-11ef-9a1b-0e2f3c4d5e6f`;
  const tableName = world.stateTable.tableName;
  const tableArn = `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`;
  const queueName = `${stackName}-TriggersDeadLetterQueue-${hash(stackName)}`;
  const deadLetterQueueUrl = `https://sqs.${region}.amazonaws.com/${accountId}/${queueName}`;
  const queueArn = `arn:aws:sqs:${region}:${accountId}:${queueName}`;
  const operationsTopicArn = `arn:aws:sns:${region}:${accountId}:${stackName}-OperationsTopic-${hash('ops')}`;
  const operationsKeyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const topicKeyId = '0987dcba-09fe-87dc-65ba-ab0987654321';
  const ruleNames = {
    deploymentFailed: `${stackName}-TriggersDeploymentFailed-${hash('df')}`,
    alarmStateChange: `${stackName}-TriggersAlarmStateChange-${hash('as')}`,
    lockRelease: `${stackName}-LockReleaseExecutionEnded-${hash('lr')}`,
  };
  const roleArns = {} as Record<TaskFunctionId, string>;
  const functionArns = {} as Record<TaskFunctionId, string>;
  const stackResources: StackResourceRecord[] = [
    { logicalId: logical('StateTable'), physicalId: tableName, type: 'AWS::DynamoDB::Table' },
    { logicalId: logical('WorkflowStateMachine'), physicalId: sfn.stateMachineArn, type: 'AWS::StepFunctions::StateMachine' },
    { logicalId: logical('TriggersDeadLetterQueue'), physicalId: deadLetterQueueUrl, type: 'AWS::SQS::Queue' },
    { logicalId: logical('NotificationsKey'), physicalId: topicKeyId, type: 'AWS::KMS::Key' },
    { logicalId: logical('NotificationsTopic'), physicalId: world.env['TOPIC_ARN'] ?? '', type: 'AWS::SNS::Topic' },
    { logicalId: logical('OperationsKey'), physicalId: operationsKeyId, type: 'AWS::KMS::Key' },
    { logicalId: logical('OperationsTopic'), physicalId: operationsTopicArn, type: 'AWS::SNS::Topic' },
    { logicalId: logical('TriggersDeploymentFailed'), physicalId: ruleNames.deploymentFailed, type: 'AWS::Events::Rule' },
    { logicalId: logical('TriggersAlarmStateChange'), physicalId: ruleNames.alarmStateChange, type: 'AWS::Events::Rule' },
    { logicalId: logical('LockReleaseExecutionEnded'), physicalId: ruleNames.lockRelease, type: 'AWS::Events::Rule' },
  ];
  const statements = roleStatements(world, tableArn, sfn.stateMachineName);
  for (const id of TASK_FUNCTION_IDS) {
    const roleName = `${stackName}-Tasks${id}Role-${hash(id)}`.slice(0, 64);
    const functionName = `${stackName}-Tasks${id}-${hash(`fn${id}`)}`.slice(0, 64);
    roleArns[id] = `arn:aws:iam::${accountId}:role/${roleName}`;
    functionArns[id] = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
    stackResources.push({ logicalId: logical(`Tasks${id}Role`), physicalId: roleName, type: 'AWS::IAM::Role' });
    stackResources.push({ logicalId: logical(`Tasks${id}`), physicalId: functionName, type: 'AWS::Lambda::Function' });
    resources.roles.set(roleArns[id], { arn: roleArns[id], statements: statements[id] });
  }
  resources.stacks.set(stackName, {
    name: stackName,
    id: stackId,
    status: 'CREATE_COMPLETE',
    createdAt: world.now() - 86_400_000,
    outputs:
      options.stackName === undefined
        ? [
            { key: 'StateMachineArn', value: sfn.stateMachineArn },
            { key: 'TopicArn', value: world.env['TOPIC_ARN'] ?? '' },
            { key: 'OperationsTopicArn', value: operationsTopicArn },
            { key: 'DeadLetterQueueUrl', value: deadLetterQueueUrl },
          ]
        : [],
    tags: {},
    resources: stackResources,
  });
  sfn.tags.set('aws:cloudformation:stack-name', stackName);
  sfn.tags.set('aws:cloudformation:stack-id', stackId);
  sfn.tags.set('aws:cloudformation:logical-id', logical('WorkflowStateMachine'));
  sfn.tags.set(PROJECT_TAG_KEY, options.projectTag ?? PROJECT);
  resources.queues.set(deadLetterQueueUrl, { url: deadLetterQueueUrl, arn: queueArn, visible: 0, inFlight: 0 });
  const eventsRole = `arn:aws:iam::${accountId}:role/${stackName}-TriggersEventsRole-${hash('events')}`;
  const ruleArn = (name: string) => `arn:aws:events:${region}:${accountId}:rule/${name}`;
  const toStateMachine = [{ id: 'Target0', arn: sfn.stateMachineArn, roleArn: eventsRole, deadLetterArn: queueArn }];
  resources.rules.set(ruleNames.deploymentFailed, {
    name: ruleNames.deploymentFailed,
    arn: ruleArn(ruleNames.deploymentFailed),
    state: 'ENABLED',
    eventPattern: JSON.stringify({ source: ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'], detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] } }),
    targets: toStateMachine.map((t) => ({ ...t })),
  });
  resources.rules.set(ruleNames.alarmStateChange, {
    name: ruleNames.alarmStateChange,
    arn: ruleArn(ruleNames.alarmStateChange),
    state: 'ENABLED',
    eventPattern: JSON.stringify({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } }),
    targets: toStateMachine.map((t) => ({ ...t })),
  });
  resources.rules.set(ruleNames.lockRelease, {
    name: ruleNames.lockRelease,
    arn: ruleArn(ruleNames.lockRelease),
    state: 'ENABLED',
    eventPattern: JSON.stringify({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] }),
    targets: [{ id: 'Target0', arn: functionArns.ReleaseLock, deadLetterArn: queueArn }],
  });
  let detector: DeployedStack['detector'];
  let taskStopped: string | undefined;
  if (options.detector !== false) {
    // As lib/constructs/detector.ts deploys it: a function fed by one rule per watched cluster, whose
    // role reads the watched services, counts in the state table and starts the state machine.
    const roleName = `${stackName}-TaskStopDetectorRole-${hash('detector-role')}`.slice(0, 64);
    const functionName = `${stackName}-TaskStopDetectorFunction-${hash('detector')}`.slice(0, 64);
    detector = { functionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`, roleArn: `arn:aws:iam::${accountId}:role/${roleName}` };
    taskStopped = `${stackName}-TaskStopDetectorTaskStopped0-${hash('ts')}`;
    stackResources.push(
      { logicalId: logical('TaskStopDetectorRole'), physicalId: roleName, type: 'AWS::IAM::Role' },
      { logicalId: logical('TaskStopDetectorFunction'), physicalId: functionName, type: 'AWS::Lambda::Function' },
      { logicalId: logical('TaskStopDetectorTaskStopped0'), physicalId: taskStopped, type: 'AWS::Events::Rule' },
    );
    resources.roles.set(detector.roleArn, {
      arn: detector.roleArn,
      statements: [
        { effect: 'Allow', actions: ['ecs:DescribeServices'], resources: world.services.map((s) => `arn:aws:ecs:${region}:${accountId}:service/${s.cluster}/${s.service}`) },
        { effect: 'Allow', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [tableArn] },
        { effect: 'Allow', actions: ['states:StartExecution'], resources: [sfn.stateMachineArn] },
      ],
    });
    const clusters = [...new Set(world.services.map((s) => s.cluster))];
    if (clusters.length !== 1) throw new Error('deployStack: the detector rule is modelled for one cluster');
    const pattern = taskStopPattern(
      `arn:aws:ecs:${region}:${accountId}:cluster/${clusters[0]}`,
      world.services.map((s) => s.service),
    );
    resources.rules.set(taskStopped, {
      name: taskStopped,
      arn: ruleArn(taskStopped),
      state: 'ENABLED',
      // CloudFormation's EventPattern spells CDK's detailType as detail-type.
      eventPattern: JSON.stringify({ source: pattern.source, 'detail-type': pattern.detailType, detail: pattern.detail }),
      targets: [{ id: 'Target0', arn: detector.functionArn, deadLetterArn: queueArn }],
    });
  }
  const keyArn = (id: string) => `arn:aws:kms:${region}:${accountId}:key/${id}`;
  resources.keys.set(operationsKeyId, { keyId: operationsKeyId, arn: keyArn(operationsKeyId), policy: KEY_POLICY_FOR_CLOUDWATCH(accountId) });
  resources.keys.set(topicKeyId, { keyId: topicKeyId, arn: keyArn(topicKeyId), policy: KEY_POLICY_FOR_CLOUDWATCH(accountId) });
  return {
    stackName,
    stateMachineArn: sfn.stateMachineArn,
    tableName,
    deadLetterQueueUrl,
    operationsTopicArn,
    operationsKeyId,
    ruleNames: { ...ruleNames, ...(taskStopped === undefined ? {} : { taskStopped }) },
    roleArns,
    functionArns,
    ...(detector === undefined ? {} : { detector }),
  };
}
