import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC, METRIC_DIMENSION_SETS } from '../../lambdas/shared/metrics';
import { notifyEmf, storedMetrics } from '../helpers/emf';
import { cooldownSkip, resolved, rolledBack, stabilityFailed } from '../helpers/notify-states';

vi.hoisted(() => {
  process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications';
  process.env.PROJECT_NAME = 'riderapp';
});

const snsMock = mockClient(SNSClient);
const SERVICE_DIMENSIONS = { service: 'ecs-auto-rollback', Project: 'riderapp', EcsService: 'riderapp-service' };

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

describe('Notify metrics', () => {
  it('counts a recovered rollback per project and per ECS service, with the time from the failure event to recovered', async () => {
    // Act
    const warnings: string[] = [];
    const metrics = storedMetrics(await notifyEmf({ kind: 'success', state: rolledBack }, warnings));

    // Assess: 02:59:50 (failure event) → 03:01:39 (recovered) = 109 s
    expect(metrics).toEqual(
      expect.arrayContaining([
        { namespace: 'EcsAutoRollback', name: 'Rollbacks', unit: 'Count', value: 1, dimensions: { ...SERVICE_DIMENSIONS, Outcome: 'Succeeded' } },
        { namespace: 'EcsAutoRollback', name: 'Rollbacks', unit: 'Count', value: 1, dimensions: { service: 'ecs-auto-rollback', Project: 'riderapp', Outcome: 'Succeeded' } },
        { namespace: 'EcsAutoRollback', name: 'RollbackSucceeded', unit: 'Count', value: 1, dimensions: SERVICE_DIMENSIONS },
        { namespace: 'EcsAutoRollback', name: 'TimeToRecovered', unit: 'Seconds', value: 109, dimensions: SERVICE_DIMENSIONS },
        { namespace: 'EcsAutoRollback', name: 'TimeToRecovered', unit: 'Seconds', value: 109, dimensions: { service: 'ecs-auto-rollback', Project: 'riderapp' } },
      ]),
    );
    expect(metrics).toHaveLength(5);
    expect(warnings).toEqual([]);
  });

  it('counts a skip with its reason and a failure with its step, and no time to recovered', async () => {
    // Act
    const skipped = storedMetrics(await notifyEmf({ kind: 'skipped', state: cooldownSkip }));
    const failed = storedMetrics(await notifyEmf({ kind: 'failure', state: stabilityFailed }));

    // Assess
    expect(skipped).toContainEqual(expect.objectContaining({ name: 'RollbackSkipped', dimensions: { ...SERVICE_DIMENSIONS, Reason: 'CooldownActive' } }));
    expect(failed).toContainEqual(expect.objectContaining({ name: 'RollbackFailed', dimensions: { ...SERVICE_DIMENSIONS, Step: 'CheckStability' } }));
    expect(failed).toContainEqual(expect.objectContaining({ name: 'Rollbacks', dimensions: { ...SERVICE_DIMENSIONS, Outcome: 'Failed' } }));
    expect([...skipped, ...failed].map((m) => m.name)).not.toContain('TimeToRecovered');
  });

  it('emits every metric with exactly the dimension sets lambdas/shared/metrics.ts declares (what the dashboard queries)', async () => {
    // Act
    const documents = [
      ...(await notifyEmf({ kind: 'success', state: rolledBack })),
      ...(await notifyEmf({ kind: 'skipped', state: cooldownSkip })),
      ...(await notifyEmf({ kind: 'failure', state: stabilityFailed })),
    ];

    // Assess
    const seen = new Map<string, Set<string>>();
    for (const document of documents) {
      for (const directive of document._aws.CloudWatchMetrics) {
        for (const metric of directive.Metrics) {
          const sets = seen.get(metric.Name) ?? new Set<string>();
          for (const set of directive.Dimensions) sets.add([...set].sort().join(','));
          seen.set(metric.Name, sets);
        }
      }
    }
    expect([...seen.keys()].sort()).toEqual(Object.values(METRIC).sort());
    for (const [name, sets] of seen) {
      const declared = METRIC_DIMENSION_SETS[name as keyof typeof METRIC_DIMENSION_SETS].map((set) => [...set].sort().join(','));
      expect([...sets].sort()).toEqual(declared.sort());
    }
  });

  it('counts a dry run, and neither publishes nor counts a self-test dry run (ecs-rollback selftest)', async () => {
    // Prepare
    const dryRun: typeof resolved = { ...resolved, request: { ...resolved.request!, dryRun: true } };
    const selftest: typeof resolved = { ...resolved, request: { ...resolved.request!, dryRun: true, selftest: true } };

    // Act
    const counted = storedMetrics(await notifyEmf({ kind: 'dry-run', state: dryRun }));
    const publishedBefore = snsMock.commandCalls(PublishCommand).length;
    const skipped = storedMetrics(await notifyEmf({ kind: 'dry-run', state: selftest }));

    // Assess
    expect(counted).toContainEqual(expect.objectContaining({ name: 'Rollbacks', dimensions: { ...SERVICE_DIMENSIONS, Outcome: 'DryRun' } }));
    expect(skipped).toEqual([]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(publishedBefore);
  });
});
