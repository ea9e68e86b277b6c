import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_LOOPBACK_ENV } from '../../lambdas/aws/http-probe';
import { backoffSeconds } from '../../lambdas/core/health';
import { placeholdersIn, TASK_FUNCTIONS, type TaskFunctionId } from '../../statemachine/definition';
import { ACCOUNT, REGION, resolveIntrinsics, SERVICE_ARN, type Synthesized, synthesize, TARGET_GROUP_ARN } from './support';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
}, 300_000);

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const resourcesOfType = (type: string): [string, Resource][] =>
  Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];

const logicalIdOf = (path: string): string => {
  const construct = synth.stack.node.findAll().find((c) => c.node.path === `${synth.stack.stackName}/Default/${path}`);
  if (!(construct instanceof CfnElement)) throw new Error(`no CloudFormation resource at ${path}`);
  return synth.stack.getLogicalId(construct);
};

/** The statements of a task function's role, resolved to plain ARNs. */
const statementsOf = (taskId: TaskFunctionId): Statement[] => {
  const policyId = logicalIdOf(`Tasks/${taskId}Role/DefaultPolicy/Resource`);
  const policy = synth.json.Resources[policyId] as Resource;
  const document = resolveIntrinsics(policy.Properties.PolicyDocument) as { Statement: Statement[] };
  return document.Statement;
};

/** Action → resources, one entry per action, for comparing a role with what the function calls. */
const permissionsOf = (taskId: TaskFunctionId): Record<string, unknown> => {
  const result: Record<string, unknown> = {};
  for (const statement of statementsOf(taskId)) {
    for (const action of [statement.Action].flat()) {
      result[action] = { resources: [statement.Resource].flat(), ...(statement.Condition !== undefined && { condition: statement.Condition }) };
    }
  }
  return result;
};

const arn = (service: string, resource: string): string => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const DEPLOYMENT_HISTORY = [
  SERVICE_ARN,
  arn('ecs', 'service-deployment/riderapp-cluster/riderapp-service/*'),
  arn('ecs', 'service-revision/riderapp-cluster/riderapp-service/*'),
];
const logsOf = (taskId: TaskFunctionId): Record<string, unknown> => {
  const logs = { resources: [`<${logicalIdOf(`Tasks/${taskId}Logs/Resource`)}.Arn>`] };
  return { 'logs:CreateLogStream': logs, 'logs:PutLogEvents': logs };
};
const RDS_READS = [arn('rds', 'db:*'), arn('rds', 'snapshot:*')];
const XRAY = { 'xray:PutTraceSegments': { resources: ['*'] }, 'xray:PutTelemetryRecords': { resources: ['*'] } };
const tableArn = (): string => `<${logicalIdOf('State/Table/Resource')}.Arn>`;
const WATCH_TASKS = {
  'ecs:DescribeServices': { resources: [SERVICE_ARN] },
  'ecs:ListTasks': { resources: ['*'], condition: { ArnEquals: { 'ecs:cluster': [arn('ecs', 'cluster/riderapp-cluster')] } } },
  'ecs:DescribeTasks': { resources: [arn('ecs', 'task/riderapp-cluster/*')] },
  'elasticloadbalancing:DescribeTargetHealth': { resources: ['*'] },
};

describe('the deployment-failure trigger', () => {
  it('starts the state machine on SERVICE_DEPLOYMENT_FAILED of the configured service, with retries and a DLQ', () => {
    // Prepare
    const stateMachine = logicalIdOf('Workflow/StateMachine/Resource');
    const queue = logicalIdOf('Triggers/DeadLetterQueue/Resource');

    // Act
    const rule = synth.json.Resources[logicalIdOf('Triggers/DeploymentFailed/Resource')] as Resource;

    // Assess
    expect(resolveIntrinsics(rule.Properties.EventPattern)).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      account: [ACCOUNT],
      region: [REGION],
      resources: [{ suffix: `:${SERVICE_ARN.split(':').at(-1)}` }],
      detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { Ref: stateMachine },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
    expect(rule.Properties.Targets).toEqual([expect.not.objectContaining({ Input: expect.anything() })]);
  });

  it('keeps undeliverable events in an encrypted, TLS-only queue that EventBridge may write to', () => {
    // Prepare
    const queue = logicalIdOf('Triggers/DeadLetterQueue/Resource');

    // Assess
    synth.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
  });
});

describe('the unhealthy-host trigger', () => {
  it('alarms on the Maximum UnHealthyHostCount of the target group behind riderapp-alb', () => {
    // Assess
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', 1 + synth.stack.operations.alarms.length);
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'riderapp-unhealthy-hosts',
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'UnHealthyHostCount',
      Dimensions: [
        { Name: 'LoadBalancer', Value: 'app/riderapp-alb/50dc6c495c0c9188' },
        { Name: 'TargetGroup', Value: 'targetgroup/riderapp-tg/73e2d6bc24d8a067' },
      ],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  it('starts the state machine when that alarm or the extra one enters ALARM, with retries and a DLQ', () => {
    // Prepare
    const queue = logicalIdOf('Triggers/DeadLetterQueue/Resource');

    // Act
    const rule = synth.json.Resources[logicalIdOf('Triggers/AlarmStateChange/Resource')] as Resource;

    // Assess
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['riderapp-unhealthy-hosts', 'riderapp-5xx-errors'], state: { value: ['ALARM'] } },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { Ref: logicalIdOf('Workflow/StateMachine/Resource') },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
  });
});

describe('the state machine', () => {
  it('is deployed from the ASL file with a substitution for every ${...} placeholder', () => {
    // Prepare
    const machine = synth.json.Resources[logicalIdOf('Workflow/StateMachine/Resource')] as Resource;
    const location = machine.Properties.DefinitionS3Location as { Key: string };
    const deployedText = readFileSync(join(synth.outdir, `asset.${location.Key}`), 'utf8');
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;

    // Act
    const rendered = deployedText.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key: string) =>
      substitutions[key] === undefined ? whole : 'SUBSTITUTED',
    );

    // Assess
    expect(placeholdersIn(deployedText).length).toBeGreaterThan(0);
    expect(Object.keys(substitutions).sort()).toEqual(placeholdersIn(deployedText));
    expect(rendered).not.toContain('${');
  });

  it('substitutes each function ARN and the configured settings', () => {
    // Prepare
    const machine = synth.json.Resources[logicalIdOf('Workflow/StateMachine/Resource')] as Resource;

    // Act
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;

    // Assess
    for (const [taskId, fn] of Object.entries(TASK_FUNCTIONS)) {
      expect(substitutions[fn.substitution]).toEqual({ 'Fn::GetAtt': [logicalIdOf(`Tasks/${taskId}/Resource`), 'Arn'] });
    }
    expect(substitutions.PollIntervalSeconds).toBe('15');
    expect(substitutions.StabilizationTimeoutSeconds).toBe('900');
  });

  it('logs ALL events with execution data to a log group with retention, and traces with X-Ray', () => {
    // Prepare
    const logGroup = logicalIdOf('Workflow/Logs/Resource');

    // Assess
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'riderapp-ecs-auto-rollback',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
    expect((synth.json.Resources[logGroup] as Resource).Properties.RetentionInDays).toBe(30);
  });

  it('may invoke exactly the eight task functions', () => {
    // Prepare
    const policy = synth.json.Resources[logicalIdOf('Workflow/StateMachine/Role/DefaultPolicy/Resource')] as Resource;

    // Act
    const invoke = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter(
      (s) => [s.Action].flat().includes('lambda:InvokeFunction'),
    );

    // Assess
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Resource).toEqual(
      Object.keys(TASK_FUNCTIONS).map((taskId) => ({ 'Fn::GetAtt': [logicalIdOf(`Tasks/${taskId}/Resource`), 'Arn'] })),
    );
  });
});

describe('the task functions', () => {
  it.each(Object.keys(TASK_FUNCTIONS) as TaskFunctionId[])(
    '%s runs on arm64 Node.js 22+ with tracing, its own log group with retention, and the common environment',
    (taskId) => {
      // Prepare
      const fn = synth.json.Resources[logicalIdOf(`Tasks/${taskId}/Resource`)] as Resource;
      const logGroup = logicalIdOf(`Tasks/${taskId}Logs/Resource`);

      // Assess
      expect(fn.Properties).toMatchObject({
        Runtime: expect.stringMatching(/^nodejs(2[2-9]|[3-9]\d)\.x$/),
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: logGroup } },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: 'ecs-auto-rollback',
            POWERTOOLS_METRICS_NAMESPACE: 'EcsAutoRollback',
            PROJECT_NAME: 'riderapp',
          }),
        },
      });
      expect((synth.json.Resources[logGroup] as Resource).Properties.RetentionInDays).toBe(30);
    },
  );

  it('writes the services (with their alarms) into the state table at deploy time, not into the Lambda environment', () => {
    // Prepare
    const [, writer] = resourcesOfType('Custom::EcsRollbackServicesConfig')[0] as [string, Resource];

    // Act
    const call = JSON.parse(resolveIntrinsics(writer.Properties.Create) as string) as {
      action: string;
      parameters: { TableName: string; Item: Record<string, { S: string }> };
    };

    // Assess
    expect(call.action).toBe('putItem');
    expect(call.parameters.TableName).toBe(`<${logicalIdOf('State/Table/Resource')}>`);
    expect(call.parameters.Item.id).toEqual({ S: 'config#services' });
    expect(JSON.parse(call.parameters.Item.servicesConfig?.S as string)).toEqual([
      {
        cluster: 'riderapp-cluster',
        service: 'riderapp-service',
        ecrRepository: 'riderapp',
        targetGroupArn: TARGET_GROUP_ARN,
        healthCheckUrl: 'https://riderapp.example.com/health',
        alarmNames: ['riderapp-unhealthy-hosts', 'riderapp-5xx-errors'],
      },
    ]);
    expect(JSON.parse(resolveIntrinsics(writer.Properties.Update) as string)).toEqual(call);
  });

  it('gives Prepare the table and the guard settings', () => {
    // Prepare
    const fn = synth.json.Resources[logicalIdOf('Tasks/Prepare/Resource')] as Resource;

    // Act
    const variables = resolveIntrinsics((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables) as Record<string, string>;

    // Assess
    expect(variables).not.toHaveProperty('SERVICES_CONFIG');
    expect(variables).toMatchObject({
      STATE_TABLE_NAME: `<${logicalIdOf('State/Table/Resource')}>`,
      ALARM_ROLLBACK_WINDOW_MINUTES: '60',
      COOLDOWN_MINUTES: '30',
      LOCK_TTL_SECONDS: expect.stringMatching(/^\d+$/),
    });
  });

  it.each<[TaskFunctionId, string[]]>([
    ['UpdateService', ['STATE_TABLE_NAME', 'COOLDOWN_MINUTES']],
    ['ReleaseLock', ['STATE_TABLE_NAME', 'COOLDOWN_MINUTES']],
    ['ProbeHealth', ['STATE_TABLE_NAME', 'PROBE_ATTEMPTS', 'PROBE_INTERVAL_SECONDS', 'PROBE_TIMEOUT_SECONDS']],
    ['Notify', ['TOPIC_ARN', 'COOLDOWN_MINUTES', 'STATE_TABLE_NAME']],
  ])('gives %s its settings %j', (taskId, names) => {
    // Prepare
    const fn = synth.json.Resources[logicalIdOf(`Tasks/${taskId}/Resource`)] as Resource;

    // Act
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    for (const name of names) expect(variables[name]).toBeDefined();
  });

  it('gives ProbeHealth a timeout covering every attempt with backoff and request timeouts', () => {
    // Prepare
    const fn = synth.json.Resources[logicalIdOf('Tasks/ProbeHealth/Resource')] as Resource;
    const variables = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    const attempts = Number(variables.PROBE_ATTEMPTS);
    const interval = Number(variables.PROBE_INTERVAL_SECONDS);
    const timeout = Number(variables.PROBE_TIMEOUT_SECONDS);

    let waits = 0;
    for (let retry = 1; retry < attempts; retry += 1) waits += backoffSeconds(retry, interval);

    // Assess
    expect(fn.Properties.Timeout).toBeGreaterThanOrEqual(attempts * timeout + waits);
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(900);
  });

  it('uses no AWS managed policy', () => {
    // Assess
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('least privilege', () => {
  it('lets Prepare read the service and its deployments, and use the state table', () => {
    // Act
    const permissions = permissionsOf('Prepare');

    // Assess
    const table = { resources: [tableArn()] };
    expect(permissions).toEqual({
      ...logsOf('Prepare'),
      ...XRAY,
      'ecs:DescribeServices': { resources: [SERVICE_ARN] },
      'ecs:ListServiceDeployments': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeServiceDeployments': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeServiceRevisions': { resources: DEPLOYMENT_HISTORY },
      'dynamodb:GetItem': table,
      'dynamodb:PutItem': table,
      'dynamodb:UpdateItem': table,
      'dynamodb:DeleteItem': table,
      'states:DescribeExecution': { resources: [arn('states', 'execution:riderapp-ecs-auto-rollback:*')] },
    });
  });

  it('lets ResolveTarget read deployments, task definitions and the configured repository only', () => {
    // Act
    const permissions = permissionsOf('ResolveTarget');

    // Assess
    expect(permissions).toEqual({
      ...logsOf('ResolveTarget'),
      ...XRAY,
      'ecs:DescribeServices': { resources: [SERVICE_ARN] },
      'ecs:ListServiceDeployments': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeServiceDeployments': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeServiceRevisions': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeTaskDefinition': { resources: ['*'] },
      'ecr:DescribeImages': { resources: [arn('ecr', 'repository/riderapp')] },
    });
  });

  it('lets RegisterTaskDefinition pass only the project roles, and only to ECS tasks', () => {
    // Act
    const permissions = permissionsOf('RegisterTaskDefinition');

    // Assess
    expect(permissions).toEqual({
      ...logsOf('RegisterTaskDefinition'),
      ...XRAY,
      'ecs:DescribeTaskDefinition': { resources: ['*'] },
      'ecs:RegisterTaskDefinition': { resources: ['*'] },
      'ecs:TagResource': {
        resources: [arn('ecs', 'task-definition/*')],
        condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      },
      'iam:PassRole': {
        resources: [`arn:aws:iam::${ACCOUNT}:role/riderapp-*`],
        condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
    });
  });

  it('lets UpdateService update the configured service, or stop its own deployments with a rollback, only', () => {
    // Act
    const permissions = permissionsOf('UpdateService');

    // Assess
    const table = { resources: [tableArn()] };
    expect(permissions).toEqual({
      ...logsOf('UpdateService'),
      ...XRAY,
      'ecs:DescribeServices': { resources: [SERVICE_ARN] },
      'ecs:UpdateService': { resources: [SERVICE_ARN] },
      'ecs:ListServiceDeployments': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeServiceDeployments': { resources: DEPLOYMENT_HISTORY },
      'ecs:DescribeServiceRevisions': { resources: DEPLOYMENT_HISTORY },
      'ecs:StopServiceDeployment': { resources: [arn('ecs', 'service-deployment/riderapp-cluster/riderapp-service/*')] },
      'dynamodb:GetItem': table,
      'dynamodb:PutItem': table,
      'dynamodb:UpdateItem': table,
    });
  });

  it.each<[TaskFunctionId, string, () => Record<string, unknown>]>([
    [
      'CheckStability',
      ", read the target groups' health check settings and follow ECS's own rollback",
      () => ({
        'elasticloadbalancing:DescribeTargetGroups': { resources: ['*'] },
        'ecs:DescribeServiceDeployments': { resources: [arn('ecs', 'service-deployment/riderapp-cluster/riderapp-service/*')] },
      }),
    ],
    [
      'ProbeHealth',
      ', and read the services configuration item (the full health URL) and nothing else of the table',
      () => ({
        'dynamodb:GetItem': { resources: [tableArn()], condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['config#services'] } } },
      }),
    ],
  ])('lets %s watch the service tasks and target health%s', (taskId, _also, extra) => {
    // Act
    const permissions = permissionsOf(taskId);

    // Assess
    expect(permissions).toEqual({ ...logsOf(taskId), ...XRAY, ...WATCH_TASKS, ...extra() });
  });

  it('lets Notify publish to the topic (with its key), record what it published and the digest windows, and read RDS snapshots; metrics are EMF log lines and need no cloudwatch:PutMetricData', () => {
    // Act
    const permissions = permissionsOf('Notify');

    // Assess
    const key = { resources: [`<${logicalIdOf('Notifications/Key/Resource')}.Arn>`] };
    expect(permissions).toEqual({
      ...logsOf('Notify'),
      ...XRAY,
      'dynamodb:GetItem': { resources: [tableArn()] },
      'dynamodb:PutItem': { resources: [tableArn()] },
      'dynamodb:UpdateItem': { resources: [tableArn()] },
      'sns:Publish': { resources: [`<${logicalIdOf('Notifications/Topic/Resource')}>`] },
      'kms:Decrypt': key,
      'kms:GenerateDataKey': key,
      'rds:DescribeDBInstances': { resources: RDS_READS },
      'rds:DescribeDBSnapshots': { resources: RDS_READS },
    });
  });

  it('lets ReleaseLock use the state table and read the service (did a failed UpdateService take effect?)', () => {
    // Act
    const permissions = permissionsOf('ReleaseLock');

    // Assess
    const table = { resources: [tableArn()] };
    expect(permissions).toEqual({
      ...logsOf('ReleaseLock'),
      ...XRAY,
      'dynamodb:GetItem': table,
      'dynamodb:PutItem': table,
      'dynamodb:UpdateItem': table,
      'dynamodb:DeleteItem': table,
      'ecs:DescribeServices': { resources: [SERVICE_ARN] },
    });
  });
});

describe('notifications and state', () => {
  it('encrypts the topic with a rotating customer managed key and denies publishing without TLS', () => {
    // Prepare
    const key = logicalIdOf('Notifications/Key/Resource');
    const topic = logicalIdOf('Notifications/Topic/Resource');

    // Assess
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('subscribes the configured email addresses to the notification topic and, by default, to the operations topic', () => {
    // Assess
    synth.template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const topic of ['Notifications/Topic/Resource', 'Operations/Topic/Resource']) {
      synth.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@riderapp.example.com',
        TopicArn: { Ref: logicalIdOf(topic) },
      });
    }
  });

  it('keeps the lock, cool-downs and idempotency records in an on-demand table with TTL and PITR', () => {
    // Assess
    synth.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the AwsSolutions checks', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(synth.app);

    // Assess
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a reason', () => {
    // Act
    const acknowledgements = synth.app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>));

    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(reason, id).toMatch(/\w{3,}.*\w{3,}/);
    }
  });
});

describe('health probe: the local-test loopback allowance never reaches a deployed function', () => {
  it('sets PROBE_ALLOW_LOOPBACK_FOR_LOCAL_TESTS on no function', () => {
    const functions = Object.values(synth.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(Object.keys(variables)).not.toContain(ALLOW_LOOPBACK_ENV);
    }
  });
});
