/**
 * EcsAutoRollback used the way a CDK app would: next to a FargateService behind an ALB defined in the
 * same stack (so names and ARNs are tokens), without RollbackStack and without cdk-nag on the app.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_TAG_KEY } from '../../lambdas/shared/config';
import { ConfigError } from '../../lib/config';
import { EcsAutoRollback, type EcsAutoRollbackProps } from '../../lib/ecs-auto-rollback';

interface Fixture {
  readonly stack: Stack;
  readonly rollback: EcsAutoRollback;
  readonly service: ecs.FargateService;
  readonly template: Template;
  readonly operator: iam.Role;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/** The user's app: VPC, cluster, repository, FargateService behind an ALB listener; the construct next to it. */
function userApp(extra: (parts: { service: ecs.FargateService; repository: ecr.IRepository; targetGroup: elbv2.ApplicationTargetGroup }) => EcsAutoRollbackProps): Fixture {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Shop', { env: { account: '111122223333', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const repository = new ecr.Repository(stack, 'Repository');
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
  taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromEcrRepository(repository, 'v1'), portMappings: [{ containerPort: 80 }] });
  const service = new ecs.FargateService(stack, 'Web', { cluster, taskDefinition, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, assignPublicIp: true });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
  const targetGroup = alb.addListener('Http', { port: 80 }).addTargets('Web', { port: 80, targets: [service] });
  const rollback = new EcsAutoRollback(stack, 'Rollback', extra({ service, repository, targetGroup }));
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  rollback.grantStart(operator);
  return { stack, rollback, service, template: Template.fromStack(stack), operator, targetGroup };
}

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (template: Template, type: string): Resource[] => Object.values(template.findResources(type)) as Resource[];

describe('EcsAutoRollback next to a FargateService of the same app', () => {
  let fixture: Fixture;
  let ids: { service: string; cluster: string; taskRole: string; executionRole: string; targetGroup: string; repository: string };

  beforeAll(() => {
    fixture = userApp(({ service, repository, targetGroup }) => ({
      project: 'shop',
      services: [{ service, repository, targetGroup, healthCheckUrl: 'https://shop.example.com/health' }],
      notificationEmails: ['oncall@shop.example.com'],
    }));
    const { stack, service } = fixture;
    const idOf = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as never);
    ids = {
      service: idOf(service),
      cluster: stack.getLogicalId(stack.node.findChild('Cluster').node.defaultChild as never),
      taskRole: idOf(service.taskDefinition.taskRole as iam.Role),
      executionRole: idOf(service.taskDefinition.executionRole as iam.Role),
      targetGroup: stack.getLogicalId(stack.node.findChild('Alb').node.findChild('Http').node.findChild('WebGroup').node.defaultChild as never),
      repository: stack.getLogicalId(stack.node.findChild('Repository').node.defaultChild as never),
    };
  });

  it("starts the state machine on SERVICE_DEPLOYMENT_FAILED of that service (its cluster and name by reference)", () => {
    // Act
    const rules = resourcesOf(fixture.template, 'AWS::Events::Rule');

    // Assess
    const deploymentFailed = rules.find((rule) => JSON.stringify(rule.Properties.EventPattern).includes('SERVICE_DEPLOYMENT_FAILED'));
    expect(deploymentFailed?.Properties.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      account: [{ Ref: 'AWS::AccountId' }],
      region: [{ Ref: 'AWS::Region' }],
      resources: [{ suffix: { 'Fn::Join': ['', [':service/', { Ref: ids.cluster }, '/', { 'Fn::GetAtt': [ids.service, 'Name'] }]] } }],
      detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
    });
    expect(deploymentFailed?.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: fixture.stack.getLogicalId(fixture.rollback.stateMachine.node.defaultChild as never) } }),
    ]);
    fixture.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    fixture.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'shop-ecs-auto-rollback' });
  });

  it("creates the UnHealthyHostCount alarm on the listener's target group and ALB, and rolls back when it fires", () => {
    // Act
    const [alarm] = resourcesOf(fixture.template, 'AWS::CloudWatch::Alarm');
    const alarmRule = resourcesOf(fixture.template, 'AWS::Events::Rule').find((rule) =>
      JSON.stringify(rule.Properties.EventPattern).includes('aws.cloudwatch'),
    );

    // Assess
    expect(alarm?.Properties).toMatchObject({
      MetricName: 'UnHealthyHostCount',
      Namespace: 'AWS/ApplicationELB',
      Dimensions: expect.arrayContaining([
        { Name: 'LoadBalancer', Value: fixture.stack.resolve(fixture.targetGroup.firstLoadBalancerFullName) },
        { Name: 'TargetGroup', Value: { 'Fn::GetAtt': [ids.targetGroup, 'TargetGroupFullName'] } },
      ]),
    });
    expect(alarmRule?.Properties.EventPattern).toMatchObject({ detail: { alarmName: [alarm?.Properties.AlarmName] } });
  });

  it("lets RegisterTaskDefinition pass exactly the service's task and execution roles, and ResolveTarget read its repository", () => {
    // Act
    const policies = JSON.stringify(resourcesOf(fixture.template, 'AWS::IAM::Policy').map((p) => p.Properties.PolicyDocument));
    const passRole = resourcesOf(fixture.template, 'AWS::IAM::Policy')
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement)
      .find((statement) => statement.Action === 'iam:PassRole');

    // Assess
    expect(passRole?.Resource).toEqual([
      { 'Fn::GetAtt': [ids.taskRole, 'Arn'] },
      { 'Fn::GetAtt': [ids.executionRole, 'Arn'] },
    ]);
    expect(policies).toContain(JSON.stringify({ Action: 'ecr:DescribeImages', Effect: 'Allow', Resource: { 'Fn::GetAtt': [ids.repository, 'Arn'] } }));
  });

  it('finds nothing unacknowledged in the AwsSolutions checks of its own resources', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(fixture.rollback);

    // Assess
    expect(report.violations).toEqual([]);
  });

  it('grantStart lets a role start, list and follow its executions, and nothing else', () => {
    // Act
    const policy = resourcesOf(fixture.template, 'AWS::IAM::Policy').find((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === fixture.stack.getLogicalId(fixture.operator.node.defaultChild as never)),
    );

    // Assess
    expect(policy).toBeDefined();
    const statements = ((policy as Resource).Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement;
    expect(statements.map((s) => s.Action)).toEqual([
      ['states:StartExecution', 'states:ListExecutions'],
      ['states:DescribeExecution', 'states:GetExecutionHistory'],
      'states:ListStateMachines',
    ]);
    expect(JSON.stringify(statements[1]?.Resource)).toContain(':execution:');
  });

  it('tags its state machine with the project, so ecs-rollback doctor finds a stack of any name (and no other resource gets the tag)', () => {
    // Act
    const tagged = Object.entries(fixture.template.toJSON().Resources as Record<string, { Type: string; Properties?: { Tags?: { Key: string; Value: string }[] } }>).filter(
      ([, resource]) => resource.Properties?.Tags?.some((tag) => tag.Key === PROJECT_TAG_KEY),
    );

    // Assess
    expect(tagged.map(([, resource]) => resource.Type)).toEqual(['AWS::StepFunctions::StateMachine']);
    expect(tagged[0]?.[1].Properties?.Tags).toContainEqual({ Key: PROJECT_TAG_KEY, Value: 'shop' });
  });

  it('exposes its parts', () => {
    // Assess
    expect(Object.keys(fixture.rollback.functions)).toHaveLength(8);
    expect(fixture.rollback.alarms).toHaveLength(1);
    expect(fixture.rollback.table.tableArn).toBeDefined();
    expect(fixture.rollback.topic.topicArn).toBeDefined();
  });
});

describe('EcsAutoRollback props', () => {
  it.each<[string, (parts: { service: ecs.FargateService }) => EcsAutoRollbackProps, string]>([
    ['a project with capitals', () => ({ project: 'Shop' }), 'project: expected a lowercase name'],
    ['a service name with a slash', () => ({ project: 'shop', services: [{ cluster: 'shop', serviceName: 'web/api' }] }), 'services[0].serviceName: expected a service name, got "web/api"'],
    ['a service and a service name', ({ service }) => ({ project: 'shop', services: [{ service, serviceName: 'web' }] }), 'services[0].service: give either service or cluster and serviceName'],
    ['a health check URL without http', ({ service }) => ({ project: 'shop', services: [{ service, healthCheckUrl: 'ftp://shop' }] }), 'services[0].healthCheckUrl: expected an http(s) URL'],
    ['a cool-down of zero', ({ service }) => ({ project: 'shop', services: [{ service }], cooldownMinutes: 0 }), 'cooldownMinutes: expected a number between 1 and 1440, got 0'],
    ['a bad email', ({ service }) => ({ project: 'shop', services: [{ service }], notificationEmails: ['oncall'] }), 'notificationEmails[0]: expected an email address, got "oncall"'],
  ])('rejects %s, naming the prop', (_name, props, message) => {
    // Act
    const act = (): unknown => userApp(props);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });
});
