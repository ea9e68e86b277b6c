import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config';
import { ACCOUNT, REGION, RIDERAPP_CONTEXT, resolveIntrinsics, type Synthesized, synthesize } from './support';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Principal?: unknown; Action: string | string[]; Condition?: unknown };

const resourcesOf = (synth: Synthesized, type: string): [string, Resource][] =>
  Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];

const logicalIdOf = (synth: Synthesized, construct: { node: { defaultChild?: unknown } } | unknown): string =>
  synth.stack.getLogicalId((construct as { node: { defaultChild: never } }).node.defaultChild);

/** The alarm resource with this name. */
const alarmNamed = (synth: Synthesized, name: string): Resource => {
  const found = resourcesOf(synth, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.AlarmName === name);
  if (found === undefined) throw new Error(`no alarm named ${name}`);
  return found[1];
};

/** A synth on a loaded 2-core machine can take more than the default minute. */
const SYNTH_TIMEOUT_MS = 180_000;
const OPS_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:riderapp-oncall`;

describe("the stack's alarms on its own failures", () => {
  let synth: Synthesized;
  let opsTopic: string;
  let stateMachine: string;

  beforeAll(() => {
    synth = synthesize();
    opsTopic = logicalIdOf(synth, synth.stack.operations.topic);
    stateMachine = logicalIdOf(synth, synth.stack.workflow.stateMachine);
  }, SYNTH_TIMEOUT_MS);

  it.each([
    ['riderapp-ecs-auto-rollback-executions-failed', 'ExecutionsFailed'],
    ['riderapp-ecs-auto-rollback-executions-timed-out', 'ExecutionsTimedOut'],
    ['riderapp-ecs-auto-rollback-executions-aborted', 'ExecutionsAborted'],
  ])('alarms (%s) on the first %s of the state machine in a minute, to the operations topic', (name, metricName) => {
    // Act
    const alarm = alarmNamed(synth, name);

    // Assess
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: metricName,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachine } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: opsTopic }],
    });
  });

  it('alarms on a trigger left in the dead-letter queue (a failed deployment nobody rolled back, a task stop the detector never counted)', () => {
    // Act
    const alarm = alarmNamed(synth, 'riderapp-ecs-auto-rollback-lost-triggers');

    // Assess
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(synth, synth.stack.triggers.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [{ Ref: opsTopic }],
    });
  });

  it('alarms on FailedInvocations of every trigger rule (deployment failure, alarm, task stops), and not on raw Lambda Errors (retried throttling would page people)', () => {
    // Act
    const alarms = resourcesOf(synth, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const failedInvocations = alarms.filter((a) => a.MetricName === 'FailedInvocations');

    // Assess
    expect(failedInvocations.map((a) => a.Dimensions)).toEqual([
      [{ Name: 'RuleName', Value: { Ref: logicalIdOf(synth, synth.stack.triggers.deploymentFailedRule) } }],
      [{ Name: 'RuleName', Value: { Ref: logicalIdOf(synth, synth.stack.triggers.alarmRule) } }],
      [{ Name: 'RuleName', Value: { Ref: logicalIdOf(synth, synth.stack.detector?.rules[0]) } }],
    ]);
    for (const alarm of failedInvocations) expect(alarm).toMatchObject({ Namespace: 'AWS/Events', Statistic: 'Sum', AlarmActions: [{ Ref: opsTopic }] });
    expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda')).toEqual([]);
    expect(synth.stack.operations.alarms).toHaveLength(7);
  });

  it('sends them to a topic of its own, encrypted with a key of its own that CloudWatch may use', () => {
    // Prepare
    const key = logicalIdOf(synth, synth.stack.operations.key);
    const notificationKey = logicalIdOf(synth, synth.stack.notifications.key);

    // Act
    const topic = synth.json.Resources[opsTopic] as Resource;
    const keyPolicy = (synth.json.Resources[key] as Resource).Properties.KeyPolicy as { Statement: Statement[] };

    // Assess
    expect(opsTopic).not.toBe(logicalIdOf(synth, synth.stack.notifications.topic));
    expect(key).not.toBe(notificationKey);
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    expect(keyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      }),
    );
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: opsTopic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('subscribes the notification emails to the operations topic by default, and warns about nothing', () => {
    // Assess
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@riderapp.example.com',
      TopicArn: { Ref: opsTopic },
    });
    expect(Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('operations'))).toEqual([]);
  });

  it('exposes the alarms and the operations topic for a dashboard', () => {
    // Assess
    const operations = synth.stack.operations;
    expect(operations.alarms).toEqual([
      operations.executionsFailed,
      operations.executionsTimedOut,
      operations.executionsAborted,
      operations.lostTriggers,
      operations.failedInvocations['deployment-failed'],
      operations.failedInvocations['alarm-state-change'],
      operations.failedInvocations['task-stopped'],
    ]);
    expect(resolveIntrinsics(synth.stack.resolve(operations.topic.topicArn))).toBe(`<${opsTopic}>`);
  });
});

describe('an operations topic of its own subscribers', () => {
  it('subscribes operationsEmails instead of the notification emails', () => {
    // Act
    const synth = synthesize({ ...RIDERAPP_CONTEXT, operationsEmails: ['platform@riderapp.example.com'] });
    const opsTopic = logicalIdOf(synth, synth.stack.operations.topic);

    // Assess
    const endpoints = resourcesOf(synth, 'AWS::SNS::Subscription')
      .filter(([, r]) => JSON.stringify(r.Properties.TopicArn) === JSON.stringify({ Ref: opsTopic }))
      .map(([, r]) => r.Properties.Endpoint);
    expect(endpoints).toEqual(['platform@riderapp.example.com']);
  }, SYNTH_TIMEOUT_MS);

  it('warns at synth, naming operationsEmails, when nobody would hear the alarms', () => {
    // Act
    const synth = synthesize({ project: 'riderapp' });

    // Assess
    Annotations.fromStack(synth.stack).hasWarning('*', Match.stringLikeRegexp('^operationsEmails: nobody is subscribed'));
  }, SYNTH_TIMEOUT_MS);
});

describe('an existing operations topic', () => {
  let synth: Synthesized;

  beforeAll(() => {
    const { notificationEmails: _emails, ...context } = RIDERAPP_CONTEXT;
    synth = synthesize({ ...context, operationsTopicArn: OPS_TOPIC_ARN });
  }, SYNTH_TIMEOUT_MS);

  it('sends every alarm to it and creates no operations topic or key', () => {
    // Act
    const actions = resourcesOf(synth, 'AWS::CloudWatch::Alarm')
      .filter(([, r]) => r.Properties.Namespace !== 'AWS/ApplicationELB')
      .map(([, r]) => r.Properties.AlarmActions);

    // Assess
    expect(actions).toEqual(Array(7).fill([OPS_TOPIC_ARN]));
    expect(synth.stack.operations.key).toBeUndefined();
    synth.template.resourceCountIs('AWS::SNS::Topic', 1);
    synth.template.resourceCountIs('AWS::KMS::Key', 1);
  });

  it('warns at synth, naming operationsTopicArn, that CloudWatch needs its topic and key policies to publish', () => {
    // Act
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('^operationsTopicArn:'));

    // Assess
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings[0]?.entry.data);
    expect(text).toContain(OPS_TOPIC_ARN);
    expect(text).toContain('cloudwatch.amazonaws.com');
    expect(text).toContain('kms:GenerateDataKey*');
  });
});

describe('operations settings', () => {
  const base = { project: 'riderapp' };
  const load = (extra: Record<string, unknown>) => loadConfig((key) => ({ ...base, ...extra })[key]);

  it.each([
    ['an operations topic that is not an SNS ARN', { operationsTopicArn: 'oncall' }, 'operationsTopicArn', '"oncall"'],
    ['a bad operations email', { operationsEmails: ['oncall'] }, 'operationsEmails[0]', '"oncall"'],
    ['operations emails and an operations topic', { operationsEmails: 'a@b.co', operationsTopicArn: OPS_TOPIC_ARN }, 'operationsEmails', 'not both'],
  ])('rejects %s, naming the field', (_name, extra, field, words) => {
    // Act
    const attempt = () => load(extra);

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(words);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it('defaults the operations subscribers to the notification emails', () => {
    // Act
    const config = load({ notificationEmails: 'oncall@riderapp.example.com' });

    // Assess
    expect(config.operationsEmails).toEqual(['oncall@riderapp.example.com']);
  });
});
