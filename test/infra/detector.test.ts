import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR_LOGICAL_IDS, detectorNeeds } from '../../cli/doctor';
import { taskStopPatterns } from '../../lib/constructs/detector';
import { eventPatternSize } from '../../lib/event-patterns';
import { AWS_LIMITS } from '../../lib/limits';
import { evaluate } from '../../local/stand-in/account';
import { matchesEventPattern } from '../helpers/event-pattern';
import { taskStopEvent } from '../helpers/task-events';
import { ACCOUNT, RIDERAPP_CONTEXT, REGION, resolveIntrinsics, SERVICE_ARN, type Synthesized, synthesize } from './support';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

let synth: Synthesized;

/** The resource whose construct path ends with `suffix` (the detector may sit in the stack or in a construct). */
const resourceAt = (s: Synthesized, suffix: string): Resource => {
  const construct = s.stack.node.findAll().find((c) => c.node.path.endsWith(suffix));
  if (!(construct instanceof CfnElement)) throw new Error(`no CloudFormation resource at …${suffix}`);
  return s.json.Resources[s.stack.getLogicalId(construct)] as Resource;
};
const logicalIdAt = (s: Synthesized, suffix: string): string => {
  const construct = s.stack.node.findAll().find((c) => c.node.path.endsWith(suffix));
  if (!(construct instanceof CfnElement)) throw new Error(`no CloudFormation resource at …${suffix}`);
  return s.stack.getLogicalId(construct);
};

beforeAll(() => {
  synth = synthesize({ ...RIDERAPP_CONTEXT, taskStopDetector: { threshold: 3, windowMinutes: 30, notifyOnly: true } });
}, 300_000);

describe('the task-stop detector rule', () => {
  it('delivers only stopping tasks of riderapp-service in riderapp-cluster to the detector, with retries and the DLQ', () => {
    // Act
    const rule = resourceAt(synth, 'TaskStopDetector/TaskStopped0/Resource');
    const pattern = resolveIntrinsics(rule.Properties.EventPattern);

    // Assess
    expect(pattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/riderapp-cluster`],
        group: ['service:riderapp-service'],
        desiredStatus: ['STOPPED'],
      },
    });
    expect(matchesEventPattern(pattern, taskStopEvent({ taskId: 'a1' }))).toBe(true);
    expect(matchesEventPattern(pattern, taskStopEvent({ taskId: 'a1', desiredStatus: 'RUNNING' }))).toBe(false);
    expect(matchesEventPattern(pattern, taskStopEvent({ taskId: 'a1', group: 'service:billing-service' }))).toBe(false);
    const [target] = rule.Properties.Targets as Record<string, unknown>[];
    expect(resolveIntrinsics(target?.Arn)).toBe(`<${logicalIdAt(synth, 'TaskStopDetector/Function/Resource')}.Arn>`);
    expect(target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 });
    expect(resolveIntrinsics(target?.DeadLetterConfig)).toEqual({ Arn: `<${logicalIdAt(synth, 'Triggers/DeadLetterQueue/Resource')}.Arn>` });
  });

  it('keeps a pattern per cluster (a same-named service elsewhere does not match) and each under 2,048 characters', () => {
    // Prepare
    const stack = new Stack(new App(), 'Patterns');
    const services = Array.from({ length: 200 }, (_, i) => ({
      // The account, Region and partition are tokens here: measured at their longest.
      clusterArn: stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: `cluster-${i % 3}` }),
      service: `service-with-a-rather-long-name-${i}`,
    }));

    // Act
    const patterns = taskStopPatterns(stack, services);

    // Assess
    expect(patterns.length).toBeGreaterThan(3);
    for (const p of patterns) {
      expect(eventPatternSize(stack, p)).toBeLessThanOrEqual(AWS_LIMITS.eventPattern.max);
      expect((p.detail as { clusterArn: string[] }).clusterArn).toHaveLength(1);
    }
    const groups = patterns.flatMap((p) => (p.detail as { group: string[] }).group);
    expect(new Set(groups).size).toBe(200);
  });
});

describe('the task-stop detector function', () => {
  it('reads riderapp-service, counts in the state table and starts the state machine, nothing else', () => {
    // Prepare
    const policy = resourceAt(synth, 'TaskStopDetector/Role/DefaultPolicy/Resource');
    const statements = (resolveIntrinsics(policy.Properties.PolicyDocument) as { Statement: Statement[] }).Statement;

    // Act
    const permissions: Record<string, unknown> = {};
    for (const s of statements) for (const action of [s.Action].flat()) permissions[action] = [s.Resource].flat();

    // Assess
    const logs = [`<${logicalIdAt(synth, 'TaskStopDetector/Logs/Resource')}.Arn>`];
    expect(permissions).toEqual({
      'logs:CreateLogStream': logs,
      'logs:PutLogEvents': logs,
      'sqs:SendMessage': [`<${logicalIdAt(synth, 'Triggers/DeadLetterQueue/Resource')}.Arn>`],
      'ecs:DescribeServices': [SERVICE_ARN],
      'dynamodb:GetItem': [`<${logicalIdAt(synth, 'State/Table/Resource')}.Arn>`],
      'dynamodb:UpdateItem': [`<${logicalIdAt(synth, 'State/Table/Resource')}.Arn>`],
      'states:StartExecution': [`<${logicalIdAt(synth, 'Workflow/StateMachine/Resource')}>`],
      'xray:PutTraceSegments': ['*'],
      'xray:PutTelemetryRecords': ['*'],
    });
  });

  it('allows everything ecs-rollback doctor simulates for it, and carries the logical ids doctor finds it by', () => {
    // Prepare
    const policy = resourceAt(synth, 'TaskStopDetector/Role/DefaultPolicy/Resource');
    const statements = (resolveIntrinsics(policy.Properties.PolicyDocument) as { Statement: Statement[] }).Statement.map((s) => ({
      effect: 'Allow' as const,
      actions: [s.Action].flat(),
      resources: [s.Resource].flat() as string[],
    }));
    const needs = detectorNeeds([{ cluster: 'riderapp-cluster', service: 'riderapp-service' }], {
      region: REGION,
      account: ACCOUNT,
      tableArn: `<${logicalIdAt(synth, 'State/Table/Resource')}.Arn>`,
      stateMachineArn: `<${logicalIdAt(synth, 'Workflow/StateMachine/Resource')}>`,
    });

    // Act
    const denied = needs.filter(({ action, resource }) => evaluate({ arn: 'detector', statements }, action, resource) !== 'allowed');

    // Assess
    expect(needs.map((n) => n.action)).toEqual(['ecs:DescribeServices', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'states:StartExecution']);
    expect(denied).toEqual([]);
    expect(logicalIdAt(synth, 'TaskStopDetector/Function/Resource')).toMatch(DETECTOR_LOGICAL_IDS.function);
    expect(logicalIdAt(synth, 'TaskStopDetector/Role/Resource')).toMatch(DETECTOR_LOGICAL_IDS.role);
    expect(logicalIdAt(synth, 'TaskStopDetector/TaskStopped0/Resource')).toMatch(DETECTOR_LOGICAL_IDS.rule);
  });

  it('gets K, the window and notify-only from taskStopDetector', () => {
    // Act
    const fn = resourceAt(synth, 'TaskStopDetector/Function/Resource');
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(variables).toMatchObject({ DETECTOR_THRESHOLD: '3', DETECTOR_WINDOW_MINUTES: '30', DETECTOR_NOTIFY_ONLY: 'true' });
  });
});
