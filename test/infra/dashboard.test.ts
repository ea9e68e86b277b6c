import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { notifyEmf, type StoredMetric, storedMetrics } from '../helpers/emf';
import { cooldownSkip, dryRun, rolledBack, stabilityFailed } from '../helpers/notify-states';
import { resolveIntrinsics, type Synthesized, synthesize } from './support';

vi.hoisted(() => {
  process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications';
  process.env.PROJECT_NAME = 'riderapp';
});

const snsMock = mockClient(SNSClient);

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][]; readonly alarms?: string[]; readonly markdown?: string };
}

let synth: Synthesized;
let widgets: Widget[];
let emitted: StoredMetric[];

/** The SEARCH expressions of the dashboard: schema dimensions, metric name and `Dimension="value"` filters. */
function searches(): Array<{ readonly namespace: string; readonly dimensions: string[]; readonly metric: string; readonly filters: Record<string, string> }> {
  const expressions = widgets.flatMap((w) => (w.properties.metrics ?? []).flatMap((m) => m.filter((x) => typeof x === 'object' && x !== null && 'expression' in x)));
  return expressions.flatMap((x) =>
    [...String((x as { expression: string }).expression).matchAll(/SEARCH\('\{([^}]+)\} ([^']*)'/g)].map((match) => {
      const [namespace = '', ...dimensions] = (match[1] ?? '').split(',');
      const filters = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((f) => [f[1] ?? '', f[2] ?? '']));
      const { MetricName: metric = '', ...rest } = filters;
      return { namespace, dimensions, metric, filters: rest };
    }),
  );
}

beforeAll(async () => {
  synth = synthesize();
  const [dashboard] = Object.values(synth.json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  widgets = (JSON.parse(String(resolveIntrinsics(dashboard?.Properties?.DashboardBody))) as { widgets: Widget[] }).widgets;
  snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  emitted = storedMetrics([
    ...(await notifyEmf({ kind: 'success', state: rolledBack })),
    ...(await notifyEmf({ kind: 'skipped', state: cooldownSkip })),
    ...(await notifyEmf({ kind: 'failure', state: stabilityFailed })),
    ...(await notifyEmf({ kind: 'dry-run', state: dryRun })),
  ]);
});

describe('dashboard', () => {
  it('is one per project, named after it, with its link in the stack outputs', () => {
    // Act
    const outputs = synth.template.findOutputs('DashboardUrl');

    // Assess
    synth.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'riderapp-ecs-auto-rollback' });
    expect(resolveIntrinsics(outputs.DashboardUrl?.Value)).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/riderapp-ecs-auto-rollback',
    );
  });

  it('queries exactly the metric names and dimension sets Notify emits, for this project', () => {
    // Act
    const queries = searches();

    // Assess
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const query of queries) {
      const match = emitted.find(
        (m) => m.namespace === query.namespace && m.name === query.metric && Object.keys(m.dimensions).sort().join(',') === query.dimensions.join(','),
      );
      expect(match, `${query.metric} {${query.dimensions.join(',')}} is emitted by Notify`).toBeDefined();
      expect(query.filters).toMatchObject({ Project: 'riderapp', service: 'ecs-auto-rollback' });
      for (const [dimension, value] of Object.entries(query.filters)) {
        if (dimension === 'Outcome') expect(emitted.map((m) => m.dimensions.Outcome)).toContain(value);
        else expect(match?.dimensions[dimension]).toBe(value);
      }
    }
    expect(new Set(queries.map((q) => q.metric))).toEqual(new Set(['Rollbacks', 'RollbackSkipped', 'RollbackFailed', 'TimeToRecovered']));
  });

  it('stays readable at 200 services: SEARCH folded with SUM or SORT … 10, never a line per service', () => {
    // Act
    const expressions = widgets.flatMap((w) => (w.properties.metrics ?? []).flat()).filter((x): x is { expression: string } => typeof x === 'object' && x !== null && 'expression' in x);

    // Assess
    const body = JSON.stringify(widgets);
    expect(body).not.toContain('riderapp-service');
    for (const { expression } of expressions.filter((x) => x.expression.includes('EcsService'))) {
      expect(expression).toMatch(/^(SUM\(SEARCH|SORT\(SEARCH\(.*\), SUM, DESC, 10\)$)/);
    }
  });

  it('shows recovery p50/p90, the state machine executions, the DLQ depth and every task function', () => {
    // Act
    const titles = widgets.map((w) => w.properties.title ?? '');
    const recovery = widgets.find((w) => w.properties.title?.startsWith('Time to recovered'));
    const body = JSON.stringify(widgets);

    // Assess
    expect(JSON.stringify(recovery)).toMatch(/'p50'[\s\S]*'p90'/);
    expect(titles).toEqual(expect.arrayContaining(['State machine executions', 'Task function errors', 'Task function duration (p90, ms)']));
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    for (const name of ['ExecutionsStarted', 'ExecutionsFailed', 'ExecutionsAborted', 'ExecutionsTimedOut']) expect(body).toContain(name);
    for (const task of ['Prepare', 'ResolveTarget', 'RegisterTaskDefinition', 'UpdateService', 'CheckStability', 'ProbeHealth', 'Notify', 'ReleaseLock']) {
      expect(body).toContain(`"label":"${task}"`);
    }
  });

  it("shows the stack's own alarms (executions failed, timed out, aborted; lost triggers; failed rule invocations) in one status widget", () => {
    // Assess
    const status = widgets.find((w) => w.type === 'alarm');
    const operationsAlarms = Object.entries(synth.json.Resources).filter(([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.includes('Operations'));
    expect(operationsAlarms.length).toBeGreaterThanOrEqual(5);
    expect(status?.properties.alarms).toHaveLength(operationsAlarms.length);
  });

  it('shows an alarm added later next to the stack\'s own', () => {
    // Prepare
    const alarm = new cloudwatch.Alarm(synth.stack.rollback, 'ExecutionsFailedForTest', {
      metric: synth.stack.rollback.workflow.stateMachine.metricFailed(),
      threshold: 1,
      evaluationPeriods: 1,
    });

    // Act
    synth.stack.rollback.dashboard.addAlarms(alarm);
    const cfn = synth.stack.rollback.dashboard.dashboard.node.defaultChild as unknown as cloudwatch.CfnDashboard;
    const rendered = JSON.stringify(synth.stack.resolve(cfn.dashboardBody));

    // Assess
    expect(rendered).toContain('ExecutionsFailedForTest');
  });
});
