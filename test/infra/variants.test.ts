import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, REGION, resolveIntrinsics, type Synthesized, synthesize } from './support';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const resourcesOf = (synth: Synthesized, type: string): Resource[] =>
  Object.values(synth.json.Resources).filter((r) => r.Type === type) as Resource[];

const statementsWith = (synth: Synthesized, action: string): Statement[] =>
  resourcesOf(synth, 'AWS::IAM::Policy')
    .flatMap((p) => (resolveIntrinsics(p.Properties.PolicyDocument) as { Statement: Statement[] }).Statement)
    .filter((s) => [s.Action].flat().includes(action));

describe('a project with nothing but its name', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthesize({ project: 'riderapp' });
  });

  it('watches riderapp-service in riderapp-cluster with images from the riderapp repository', () => {
    // Act
    const rule = resourcesOf(synth, 'AWS::Events::Rule')[0] as Resource;
    const describeImages = statementsWith(synth, 'ecr:DescribeImages');

    // Assess
    expect(JSON.stringify(resolveIntrinsics(rule.Properties.EventPattern))).toContain(':service/riderapp-cluster/riderapp-service"');
    expect(JSON.stringify(describeImages.map((s) => s.Resource))).toContain(':repository/riderapp"');
  });

  it('creates no UnHealthyHostCount alarm and no alarm rule when no target group or alarm is configured', () => {
    // Assess
    const alarms = resourcesOf(synth, 'AWS::CloudWatch::Alarm');
    expect(alarms.filter((a) => a.Properties.Namespace === 'AWS/ApplicationELB')).toEqual([]);
    expect(alarms).toHaveLength(synth.stack.operations.alarms.length);
    // The deployment-failure rule, the rule that frees the lock of a stopped execution and the task-stop detector's rule; no alarm rule.
    synth.template.resourceCountIs('AWS::Events::Rule', 3);
    expect(JSON.stringify(resourcesOf(synth, 'AWS::Events::Rule').map((r) => r.Properties.EventPattern))).not.toContain('aws.cloudwatch');
    synth.template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.states'] } });
  });

  it('creates the encrypted notification and operations topics without subscriptions', () => {
    // Assess
    synth.template.resourceCountIs('AWS::SNS::Topic', 2);
    synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('a project with two services and an existing topic', () => {
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:riderapp-ops`;
  const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const taskRole = `arn:aws:iam::${ACCOUNT}:role/riderapp-worker-task`;
  const executionRole = `arn:aws:iam::${ACCOUNT}:role/riderapp-worker-execution`;
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthesize({
      project: 'riderapp',
      account: ACCOUNT,
      region: REGION,
      topicArn,
      topicKmsKeyArn: keyArn,
      services: [
        { service: 'riderapp-service' },
        {
          service: 'riderapp-worker',
          ecrRepository: 'riderapp-worker',
          alarmNames: ['riderapp-queue-depth'],
          taskRoleArns: [taskRole],
          executionRoleArns: [executionRole],
        },
      ],
    });
  });

  it('publishes to the existing topic with its key, creating only the operations topic and its key', () => {
    // Act
    const publish = statementsWith(synth, 'sns:Publish');
    const dataKey = statementsWith(synth, 'kms:GenerateDataKey');

    // Assess
    synth.template.resourceCountIs('AWS::SNS::Topic', 1);
    synth.template.resourceCountIs('AWS::KMS::Key', 1);
    expect(synth.stack.notifications.topic.topicArn).toBe(topicArn);
    expect(synth.stack.operations.key).toBeDefined();
    expect(publish.map((s) => s.Resource)).toEqual([topicArn]);
    expect(dataKey.map((s) => s.Resource)).toEqual([keyArn]);
  });

  it('limits the deployment-failure rule to both services', () => {
    // Act
    const rule = resourcesOf(synth, 'AWS::Events::Rule').find((r) =>
      JSON.stringify(r.Properties.EventPattern).includes('aws.ecs'),
    ) as Resource;

    // Assess: the exact ARN suffix of each service, in this account and Region
    expect(resolveIntrinsics(rule.Properties.EventPattern)).toMatchObject({
      account: [ACCOUNT],
      region: [REGION],
      resources: [{ suffix: ':service/riderapp-cluster/riderapp-service' }, { suffix: ':service/riderapp-cluster/riderapp-worker' }],
    });
  });

  it('starts on the extra alarm of the worker even without a target group', () => {
    // Act
    const rule = resourcesOf(synth, 'AWS::Events::Rule').find((r) =>
      JSON.stringify(r.Properties.EventPattern).includes('aws.cloudwatch'),
    ) as Resource;

    // Assess
    expect(rule.Properties.EventPattern).toMatchObject({ detail: { alarmName: ['riderapp-queue-depth'] } });
  });

  it('lets RegisterTaskDefinition pass the default project roles and the configured worker roles only', () => {
    // Act
    const passRole = statementsWith(synth, 'iam:PassRole');

    // Assess
    expect(passRole).toHaveLength(1);
    expect([passRole[0]?.Resource].flat().sort()).toEqual(
      [`arn:aws:iam::${ACCOUNT}:role/riderapp-*`, taskRole, executionRole].sort(),
    );
  });
});
