import { readFileSync } from 'node:fs';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { checkEvent, checkRequest, checkResponse } from '../../local/stand-in/contract';
import { type StandIn, startStandIn } from '../../local/stand-in/index';

const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;

const problems = (violations: { path: string; problem: string }[]) => violations.map((v) => `${v.path}: ${v.problem}`);

describe('the stand-in contract: answers and requests checked against the SDK schemas', () => {
  it('names an unknown member, a wrongly typed count, an enum value ECS does not list and a text timestamp in a DescribeServices answer', () => {
    // Prepare
    const answer = {
      services: [
        {
          serviceName: 'riderapp-service',
          runningCount: '3',
          createdAt: '2025-03-04T10:00:00Z',
          healthiness: 'fine',
          deployments: [{ id: 'ecs-svc/1', rolloutState: 'DONE', createdAt: 1741082400 }],
        },
      ],
      failures: [],
    };

    // Act
    const found = problems(checkResponse('ECS', 'DescribeServices', answer));

    // Assess
    expect(found).toEqual([
      'services[0].runningCount: expected a number, got the string "3"',
      'services[0].createdAt: expected a timestamp as epoch seconds (AWS JSON), got the string "2025-03-04T10:00:00Z"',
      'services[0].healthiness: member "healthiness" is not defined by Service',
      'services[0].deployments[0].rolloutState: "DONE" is not one of COMPLETED, FAILED, IN_PROGRESS',
    ]);
  });

  it('accepts a DescribeServices answer as ECS gives it', () => {
    const answer = {
      services: [
        {
          serviceName: 'riderapp-service',
          runningCount: 3,
          createdAt: 1741082400.123,
          deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: 1741082400 }],
        },
      ],
      failures: [],
    };
    expect(checkResponse('ECS', 'DescribeServices', answer)).toEqual([]);
  });

  it('wants ISO 8601 timestamps and known enum values in an AWS Query answer (ELBv2)', () => {
    const answer = {
      LoadBalancers: [{ LoadBalancerName: 'riderapp-alb', CreatedTime: 1741082400, State: { Code: 'warming' } }],
    };
    expect(problems(checkResponse('ELBv2', 'DescribeLoadBalancers', answer))).toEqual([
      'LoadBalancers[0].CreatedTime: expected an ISO 8601 timestamp (AWS Query), got a number',
      'LoadBalancers[0].State.Code: "warming" is not one of active, active_impaired, failed, provisioning',
    ]);
    expect(checkResponse('ELBv2', 'DescribeLoadBalancers', { LoadBalancers: [{ CreatedTime: new Date(0), State: { Code: 'active' } }] })).toEqual([]);
  });

  it('names a missing required member and an unknown member of a JSON request', () => {
    expect(problems(checkRequest('ECS', 'UpdateService', { cluster: 'riderapp-cluster', taskDefinition: 'riderapp:14', force: true }))).toEqual([
      'force: member "force" is not defined by UpdateServiceRequest',
      'service: required member "service" of UpdateServiceRequest is missing',
    ]);
  });

  it('names an unknown and a missing parameter of an AWS Query request (SNS Publish)', () => {
    const form = { Action: 'Publish', Version: '2010-03-31', TopicArn: 'arn:aws:sns:us-east-1:111122223333:t', 'MessageAttribute.entry.1.Name': 'kind' };
    expect(problems(checkRequest('SNS', 'Publish', form))).toEqual([
      'MessageAttribute.entry.1.Name: parameter "MessageAttribute" is not defined by PublishInput',
      'Message: required parameter "Message" is missing',
    ]);
  });

  it.each([
    ['CloudFormation', 'DescribeStacks', { Stacks: [{ StackName: 's', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Drift: 'x' }] }, 'Stacks[0].Drift'],
    ['IAM', 'SimulatePrincipalPolicy', { EvaluationResults: [{ EvalActionName: 'ecs:UpdateService', EvalDecision: 'maybe' }] }, 'EvaluationResults[0].EvalDecision'],
    ['CloudWatch', 'DescribeAlarms', { MetricAlarms: [{ AlarmName: 'a', StateUpdatedTimestamp: '2026-12-01T00:00:00Z' }] }, 'MetricAlarms[0].StateUpdatedTimestamp'],
    ['SQS', 'GetQueueAttributes', { Attributes: { ApproximateNumberOfMessages: 3 } }, 'Attributes["ApproximateNumberOfMessages"]'],
    ['EventBridge', 'ListTargetsByRule', { Targets: [{ Id: 't', Arn: 'arn', Role: 'r' }] }, 'Targets[0].Role'],
    ['KMS', 'GetKeyPolicy', { Policy: {}, PolicyName: 'default' }, 'Policy'],
  ])('holds the read APIs doctor uses to their models too: %s %s', (service, operation, output, path) => {
    expect(checkResponse(service, operation, output).map((v) => v.path)).toEqual([path]);
  });

  it('names an operation the SDK does not know', () => {
    expect(problems(checkResponse('ECS', 'RollBackService', {}))).toEqual(['(operation): ECS has no operation RollBackService in @aws-sdk/client-ecs']);
  });
});

describe('the stand-in contract: events checked against AWS sample events', () => {
  it.each(['ecs-deployment-failed.json', 'ecs-deployment-completed.json', 'ecs-deployment-in-progress.json', 'cloudwatch-alarm-state-change.json'])(
    'accepts the documented sample %s',
    (file) => {
      expect(checkEvent(sample(file))).toEqual([]);
    },
  );

  it('names a member missing from, and one added to, a deployment state change event', () => {
    // Prepare
    const event = sample('ecs-deployment-failed.json');
    const { reason: _reason, ...detail } = event['detail'] as Record<string, unknown>;

    // Act
    const found = problems(checkEvent({ ...event, detail: { ...detail, deploymentArn: 'arn:…' } }));

    // Assess
    expect(found).toEqual(['detail.deploymentArn: member "deploymentArn" is not in AWS\'s sample event', 'detail.reason: member "reason" of AWS\'s sample event is missing']);
  });

  it('checks a task state change detail against the ECS Task shape, timestamps as ISO strings', () => {
    const envelope = { ...sample('ecs-deployment-failed.json'), 'detail-type': 'ECS Task State Change' };
    const detail = {
      clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/riderapp-cluster',
      taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/riderapp-cluster/0b69d5c0d655438bb1a2e1b3e5c9a5d1',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:15',
      desiredStatus: 'STOPPED',
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      startedBy: 'ecs-svc/4520982937154920815',
      group: 'service:riderapp-service',
      createdAt: '2025-03-04T10:05:00.000Z',
      updatedAt: '2025-03-04T10:06:00.000Z',
      version: 4,
      containers: [{ name: 'riderapp', exitCode: 1, lastStatus: 'STOPPED' }],
    };
    expect(checkEvent({ ...envelope, detail })).toEqual([]);
    expect(
      problems(checkEvent({ ...envelope, detail: { ...detail, stopCode: 'Crashed', createdAt: 1741082700, containers: [{ name: 'riderapp', exitCode: '1' }] } })),
    ).toEqual([
      'detail.stopCode: "Crashed" is not one of EssentialContainerExited, InfrastructureHealth, ServiceSchedulerInitiated, SpotInterruption, TaskFailedToStart, TerminationNotice, UserInitiated',
      'detail.createdAt: expected an ISO 8601 timestamp (event), got a number',
      'detail.containers[0].exitCode: expected a number, got the string "1"',
    ]);
  });
});

describe('the stand-in held to the contract while it serves', () => {
  let standIn: StandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it('records an answer that carries a member AWS does not define (a task definition registered with an unknown field)', async () => {
    // Prepare
    standIn = await startStandIn({ riderapp: true, speed: 0 });
    standIn.model.registerTaskDefinition({ family: 'riderapp', containerDefinitions: [{ name: 'riderapp', image: 'riderapp:16' }], rollbackHint: 'v14' });
    const ecs = new ECSClient(standIn.clientConfig({ maxAttempts: 1 }));

    // Act
    await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp' }));

    // Assess
    expect(problems(standIn.contract.violations)).toEqual(['taskDefinition.rollbackHint: member "rollbackHint" is not defined by TaskDefinition']);
  });

  it('records nothing for the riderapp story as the stand-in serves it', async () => {
    standIn = await startStandIn({ riderapp: true, speed: 0 });
    const ecs = new ECSClient(standIn.clientConfig({ maxAttempts: 1 }));
    await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp:14', include: ['TAGS'] }));
    expect(standIn.contract.violations).toEqual([]);
  });
});
